"""The registry in a nameko container against the real RabbitMQ."""
import time

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook

from services.common.auth import issue_token, verify_token
from services.common.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from services.common.outbox_publisher import OutboxPublisher
from services.registry.service import RegistryService
from tests.conftest import ADMIN
from tests.helpers import POINT, agency, make_recorder, wait_for


@pytest.fixture
def registry(container_factory, config):
    container = container_factory(RegistryService, config)
    container.start()
    return container


@pytest.fixture
def received(container_factory, config):
    events = []
    container_factory(make_recorder(events), config).start()
    return events


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def approved_officer(container, suffix):
    """Register and approve an agency; the officer's token and the registration."""
    registration = call(container, "register_agency", agency(suffix))
    admin = token_of(container, ADMIN["username"], ADMIN["password"])
    call(container, "approve_agency", admin, registration["agency"]["id"])
    return token_of(container, "officer-" + suffix, "correct horse " + suffix), registration


def token_of(container, username, password):
    return call(container, "authenticate", username, password)["access_token"]


def test_point_lifecycle_emits_one_event_per_change(registry, received):
    officer, _ = approved_officer(registry, "a")
    point = call(registry, "create_service_point", officer, POINT)
    assert wait_for(lambda: len(received) >= 1)
    call(registry, "update_service_point", officer, point["id"], {"name_en": "Renamed Office"})
    call(registry, "close_service_point", officer, point["id"])
    assert wait_for(lambda: len(received) >= 3)
    eventlet.sleep(0.3)  # nothing more arrives
    assert [(name, e["id"], e["entity_version"]) for name, e in received] == [
        ("office_registered", point["id"], 1),
        ("office_updated", point["id"], 2),
        ("office_closed", point["id"], 3)]
    assert received[0][1]["location"] == POINT["location"]
    assert received[1][1]["name_en"] == "Renamed Office"


def test_declaring_services_emits_services_changed(registry, received):
    officer, _ = approved_officer(registry, "b")
    point = call(registry, "create_service_point", officer, POINT)
    declared = call(registry, "set_services", officer, point["id"], {"services": [
        {"service_code": "DOPA-ID-NEW", "documents": [
            {"name_th": "สูติบัตร", "government_issued": True, "copy_required": False}]}]})
    assert declared["surveyed"] is True and declared["zero_copy"] is True
    assert wait_for(lambda: any(n == "services_changed" for n, _ in received))
    event = [e for n, e in received if n == "services_changed"][0]
    assert event["services"][0]["service_code"] == "DOPA-ID-NEW"
    assert event["services"][0]["documents"][0]["copy_required"] is False


def test_a_write_publishes_its_events_at_once_without_the_timer(
        container_factory, config, received):
    # the timer would publish only in an hour: its eager first tick has passed
    slow = dict(config, CFZ_OUTBOX_INTERVAL="3600")
    registry = container_factory(RegistryService, slow)
    registry.start()
    eventlet.sleep(0.2)
    officer, _ = approved_officer(registry, "g")
    point = call(registry, "create_service_point", officer, POINT)
    answered = time.monotonic()
    assert wait_for(lambda: received, timeout=2.0)
    assert time.monotonic() - answered < 1.0
    call(registry, "update_service_point", officer, point["id"], {"name_en": "Renamed"})
    call(registry, "close_service_point", officer, point["id"])
    assert wait_for(lambda: len(received) >= 3, timeout=2.0)
    eventlet.sleep(0.3)  # nothing twice, nothing out of order
    assert [(n, e["id"], e["entity_version"]) for n, e in received] == [
        ("office_registered", point["id"], 1), ("office_updated", point["id"], 2),
        ("office_closed", point["id"], 3)]
    assert call(registry, "get_service_point", point["id"])["status"] == "closed"


def test_outbox_delivers_an_event_after_a_crash_before_publication(
        container_factory, config, received, monkeypatch):
    # A service that would publish only in an hour: the write lands, then the
    # process dies before the event leaves (its worker never publishes).
    monkeypatch.setattr(OutboxPublisher, "worker_result",
                        lambda self, worker_ctx, result=None, exc_info=None: None)
    slow = dict(config, CFZ_OUTBOX_INTERVAL="3600")
    first = container_factory(RegistryService, slow)
    first.start()
    eventlet.sleep(0.2)  # the eager first tick has passed
    officer, _ = approved_officer(first, "c")
    point = call(first, "create_service_point", officer, POINT)
    first.kill()
    eventlet.sleep(0.5)
    assert received == []

    second = container_factory(RegistryService, config)
    second.start()
    assert wait_for(lambda: received)
    eventlet.sleep(0.5)
    assert [(n, e["id"]) for n, e in received] == [("office_registered", point["id"])]


def test_officer_cannot_touch_another_agencys_point(registry):
    owner, _ = approved_officer(registry, "d")
    other, _ = approved_officer(registry, "e")
    point = call(registry, "create_service_point", owner, POINT)
    with pytest.raises(Forbidden):
        call(registry, "update_service_point", other, point["id"], {"name_en": "Mine now"})
    with pytest.raises(Forbidden):
        call(registry, "close_service_point", other, point["id"])
    assert call(registry, "get_service_point", point["id"])["name_en"] == POINT["name_en"]


def test_accounts_conflicts_and_refusals(registry):
    call(registry, "register_agency", agency("f"))
    with pytest.raises(Conflict):
        call(registry, "register_agency", agency("f", name_en="Another"))
    with pytest.raises(Forbidden) as pending:
        call(registry, "authenticate", "officer-f", "correct horse f")
    assert pending.value.error_code == "ACCOUNT_PENDING"
    with pytest.raises(Unauthorized):
        call(registry, "authenticate", "officer-f", "wrong password")
    with pytest.raises(Unauthorized):
        call(registry, "authenticate", "nobody", "whatever-password")
    with pytest.raises(ValidationFailed):
        call(registry, "register_agency", {"name_th": "x"})
    with pytest.raises(NotFound):
        call(registry, "get_service_point", "sp-missing")


def test_agency_admin_adds_officers_who_can_log_in(registry):
    admin_officer, registration = approved_officer(registry, "g")
    agency_id = registration["agency"]["id"]
    call(registry, "add_officer", admin_officer, agency_id,
         {"username": "clerk-g", "password": "clerk password g"})
    clerk = token_of(registry, "clerk-g", "clerk password g")
    claims = verify_token(registry.config["CFZ_JWT_SECRET"], clerk)
    assert claims["agency_id"] == agency_id and claims["agency_admin"] is False
    with pytest.raises(Forbidden):
        call(registry, "add_officer", clerk, agency_id,
             {"username": "clerk-g2", "password": "clerk password g2"})


def test_resync_pages_through_open_points(registry):
    officer, _ = approved_officer(registry, "h")
    ids = sorted(call(registry, "create_service_point", officer, POINT)["id"] for _ in range(5))
    call(registry, "close_service_point", officer, ids[0])
    first = call(registry, "open_points", None, 2)
    rest = call(registry, "open_points", first[-1]["id"], 10)
    assert [p["id"] for p in first + rest] == ids[1:]


def test_registry_checks_tokens_itself(registry):
    """An RPC caller cannot claim to be an administrator: the registry
    verifies the token, whoever forwards it."""
    forged = issue_token("not-the-registry-secret-0123456789", 60,
                         {"sub": "x", "role": "admin", "agency_id": None})
    with pytest.raises(Unauthorized):
        call(registry, "list_agencies", forged)
    with pytest.raises(Unauthorized):
        call(registry, "create_service_point", "garbage", POINT)


def test_moderations_and_status_changes_from_events_are_audited_once(registry, config):
    """The registry keeps other services' changes from their events; the
    broker delivering an event again (or a replay) adds nothing."""
    from nameko.standalone.events import event_dispatcher

    from services.common import events

    _, registration = approved_officer(registry, "ev")
    agency_id = registration["agency"]["id"]
    moderator = {"account_id": "acc-m", "username": "somsri", "role": "officer"}
    moderated = events.new_event("feedback_moderated", {
        "feedback_id": "fb-1", "service_point_id": "sp-1", "agency_id": agency_id,
        "decision": "rejected", "moderator": moderator, "previous_status": "pending",
        "previous_comment": "แย่มาก", "moderated_at": "2026-03-01T09:00:00+00:00"})
    changed = events.new_event("complaint_status_changed", {
        "complaint_id": "cmp-1", "tracking_code": "7KQ4M-2XZ9P-H", "category": "STAFF-CONDUCT",
        "agency_id": agency_id, "status": "accepted", "previous_status": "relayed",
        "filed_at": "2026-03-01T08:00:00+00:00", "changed_at": "2026-03-01T10:00:00+00:00",
        "sla_due_at": "2026-03-16T08:00:00+00:00", "entity_version": 3,
        "actor": moderator, "note": "รับเรื่องแล้ว"})
    dispatch = event_dispatcher(config)
    for _ in range(2):
        dispatch("feedback", "feedback_moderated", moderated)
        dispatch("complaints", "complaint_status_changed", changed)
    admin = token_of(registry, ADMIN["username"], ADMIN["password"])

    def trail():
        return call(registry, "audit_trail", admin, agency_id)["results"]
    assert wait_for(lambda: len(trail()) >= 3)  # the approval and the two events
    eventlet.sleep(0.5)  # the second deliveries have arrived too
    entries = trail()
    # newest first by when the change was made (the approval is today's)
    assert [e["action"] for e in entries] == ["agency.approve", "complaint.status",
                                              "comment.moderate"]
    status, moderation = entries[1], entries[2]
    assert status["entity"] == {"type": "complaint", "id": "cmp-1"}
    assert status["before"] == {"status": "relayed"}
    assert status["after"] == {"status": "accepted", "note": "รับเรื่องแล้ว"}
    assert moderation["actor"] == moderator and moderation["at"] == "2026-03-01T09:00:00+00:00"
    assert moderation["after"] == {"status": "rejected", "comment": None}
