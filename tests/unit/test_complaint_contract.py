"""What consumers read from complaint events is the complaints service's own
status model: the contract in services/common/events.py must match it."""
from services.common import events
from services.complaints import lifecycle


def test_the_event_contract_names_the_same_closed_and_resolved_statuses():
    assert events.COMPLAINT_CLOSED == lifecycle.CLOSED
    assert events.COMPLAINT_RESOLVED == lifecycle.RESOLVED
