"""The relay against a PMOC that ignores `Idempotency-Key`, as a plain
Open311 server does: after a lost answer it searches before sending again,
never sends blind when the search fails, and a duplicate that still
happens is found and shown. Real HTTP to the stand-in in its plain-Open311
mode; the relay's own store on the embedded database; the real clock (the
search window is the centre's clock)."""
from datetime import timedelta

import pytest
import requests

from services.complaints import relay, store
from services.complaints.pmoc_sim import PmocSimulator
from tests.unit.test_complaints_domain import complaints, db, filed  # noqa: F401 (fixtures)

PLAIN = {"honour_idempotency_key": False}


@pytest.fixture
def pmoc():
    simulator = PmocSimulator().start()
    simulator.set_faults(**PLAIN)
    yield simulator
    simulator.stop()


def setup(complaints, pmoc):
    view = filed(complaints, now=store.now_utc())
    settings = relay.RelaySettings(url=pmoc.url, max_attempts=10, backoff_base=0.001,
                                   backoff_max=0.001, timeout=0.3)
    return view["complaint_id"], relay.PmocClient(pmoc.url, timeout=0.3), settings


def attempt(complaints, client, settings):
    [claimed] = complaints.claim_due(store.now_utc() + timedelta(seconds=1), 30, 10)
    return relay.relay_one(complaints, client, claimed, settings)[0]


def held_at_pmoc(pmoc, complaint_id):
    """PMOC's records of one complaint, told by the reference in the text
    (what the centre keeps), not by the key the stand-in could match on."""
    return [r["service_request_id"] for r in pmoc.snapshot()["requests"]
            if relay.reference_marker(complaint_id) in r["description"]]


def test_a_lost_answer_is_found_at_pmoc_instead_of_being_sent_again(complaints, pmoc):
    complaint_id, client, settings = setup(complaints, pmoc)
    pmoc.set_faults(timeout_rate=1.0, hang_seconds=1.0, **PLAIN)  # stores, answers too late
    assert attempt(complaints, client, settings) == "retry"
    assert complaints.get(complaint_id)["relay"]["unsure_since"] is not None
    pmoc.set_faults(**PLAIN)
    assert attempt(complaints, client, settings) == "relayed"
    [held] = held_at_pmoc(pmoc, complaint_id)
    assert complaints.get(complaint_id)["relay"]["reference"] == held
    assert pmoc.snapshot()["stats"]["post_calls"] == 1


def test_when_the_search_fails_nothing_is_sent_blind(complaints, pmoc):
    complaint_id, client, settings = setup(complaints, pmoc)
    pmoc.set_faults(fail_rate=1.0, fail_status=502, **PLAIN)  # a 5xx may come after storing
    assert attempt(complaints, client, settings) == "retry"
    pmoc.stop()
    assert attempt(complaints, client, settings) == "retry"
    assert "search failed" in complaints.get(complaint_id)["relay"]["last_error"]
    pmoc.start()
    pmoc.set_faults(**PLAIN)
    assert attempt(complaints, client, settings) == "relayed"
    assert len(held_at_pmoc(pmoc, complaint_id)) == 1
    assert pmoc.snapshot()["stats"]["post_calls"] == 2  # the 502 and the one that took


def test_a_refused_connection_sent_nothing_so_no_search_is_needed(complaints, pmoc):
    complaint_id, client, settings = setup(complaints, pmoc)
    pmoc.stop()
    assert attempt(complaints, client, settings) == "retry"
    assert complaints.get(complaint_id)["relay"].get("unsure_since") is None
    pmoc.start()
    pmoc.set_faults(**PLAIN)
    assert attempt(complaints, client, settings) == "relayed"


def test_a_duplicate_stored_after_the_search_is_found_marked_and_counted(complaints, pmoc):
    complaint_id, client, settings = setup(complaints, pmoc)
    pmoc.set_faults(fail_rate=1.0, fail_status=503, **PLAIN)
    assert attempt(complaints, client, settings) == "retry"
    pmoc.set_faults(**PLAIN)
    assert attempt(complaints, client, settings) == "relayed"  # searched, found nothing, sent
    kept = complaints.get(complaint_id)["relay"]["reference"]
    # the centre had stored the first attempt after all, and shows it late
    form = relay.open311_form(complaints.get(complaint_id), {})
    late = requests.post(pmoc.url + "/requests.json", data=form, timeout=5).json()[0]
    assert relay.audit_round(complaints, client) == 0  # the second search is not due yet
    later = store.now_utc() + relay.AUDIT_DELAY + timedelta(seconds=1)
    assert relay.audit_round(complaints, client, now_fn=lambda: later) == 1
    doc = complaints.get(complaint_id)
    assert doc["relay"]["reference"] == kept
    assert doc["relay"]["duplicates"] == [late["service_request_id"]]
    assert complaints.relay_counts()["duplicated_at_pmoc"] == 1
    assert relay.audit_round(complaints, client, now_fn=lambda: later) == 0  # searched once
