"""The complaints service in a nameko container against the real RabbitMQ,
relaying to the PMOC stand-in over real HTTP on 127.0.0.1. The registry is
replaced by a small stand-in service (it is not the subject here)."""
import pytest
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook

from services.common import events
from services.common.auth import issue_token
from services.common.errors import EXPECTED, NotFound, ValidationFailed
from services.complaints.pmoc_sim import PmocSimulator
from services.complaints.service import ComplaintsService
from tests.conftest import TEST_SETTINGS
from tests.helpers import wait_for

SECRET = TEST_SETTINGS["CFZ_JWT_SECRET"]
POINT = {"id": "sp-test-1", "agency_id": "ag-test-1", "name_th": "ที่ว่าการอำเภอเมืองเชียงใหม่",
         "name_en": "Mueang Chiang Mai District Office", "province_code": "50",
         "location": {"lat": 18.7953, "lon": 98.9862}, "address": "ถนนช้างเผือก",
         "status": "open"}
AGENCY = {"id": "ag-test-1", "name_th": "กรมการปกครอง",
          "name_en": "Department of Provincial Administration"}
# fast relay settings: short timeouts and backoff, so faults resolve in seconds
FAST_RELAY = {"CFZ_PMOC_TIMEOUT": "0.5", "CFZ_PMOC_RELAY_INTERVAL": "0.2",
              "CFZ_PMOC_BACKOFF_BASE": "0.05", "CFZ_PMOC_BACKOFF_MAX": "0.5",
              "CFZ_PMOC_MAX_ATTEMPTS": "40", "CFZ_PMOC_CONCURRENCY": "20",
              "PMOC_POLL_SECONDS": "0.2", "PMOC_API_KEY": "test-pmoc-key"}
COMPLAINT_EVENTS = ("complaint_filed", "complaint_relayed", "complaint_status_changed")


class FakeRegistry:
    name = "registry"

    @rpc(expected_exceptions=EXPECTED)
    def get_service_point(self, point_id):
        if point_id != POINT["id"]:
            raise NotFound("No such service point.", {"id": point_id})
        return dict(POINT)

    @rpc(expected_exceptions=EXPECTED)
    def get_agency(self, agency_id):
        return dict(AGENCY)


def make_complaint_recorder(received):
    class ComplaintRecorder:
        name = "complaint_recorder"

        @event_handler("complaints", "complaint_filed")
        def filed(self, payload):
            received.append(("complaint_filed", events.parse_event("complaint_filed", payload)))

        @event_handler("complaints", "complaint_relayed")
        def relayed(self, payload):
            received.append(("complaint_relayed", events.parse_event("complaint_relayed", payload)))

        @event_handler("complaints", "complaint_status_changed")
        def changed(self, payload):
            received.append(("complaint_status_changed",
                             events.parse_event("complaint_status_changed", payload)))
    return ComplaintRecorder


def token(role="officer", agency_id=POINT["agency_id"]):
    claims = {"sub": "acc-t", "username": "t", "role": role}
    if agency_id:
        claims["agency_id"] = agency_id
    return issue_token(SECRET, 3600, claims)


ADMIN_TOKEN = token("admin", None)


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as hook:
        return hook(*args, **kwargs)


def complaint(n=0, **changes):
    data = {"category": "COPY-DEMANDED",
            "description": "ถูกเรียกสำเนาทะเบียนบ้าน ครั้งที่ {}".format(n),
            "location": {"lat": 13.7563, "lon": 100.5018},
            "contact": {"first_name": "สมหญิง", "phone": "089-123-4567"}}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def sim():
    simulator = PmocSimulator(api_key=FAST_RELAY["PMOC_API_KEY"]).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def relay_config(config, sim):
    return dict(config, PMOC_URL=sim.url, **FAST_RELAY)


@pytest.fixture
def complaints(container_factory, relay_config):
    container_factory(FakeRegistry, relay_config).start()
    container = container_factory(ComplaintsService, relay_config)
    container.start()
    return container


@pytest.fixture
def received(container_factory, relay_config):
    got = []
    container_factory(make_complaint_recorder(got), relay_config).start()
    return got


def test_file_relay_follow_and_sync_back(complaints, sim, received):
    filed = call(complaints, "file_complaint",
                 complaint(service_point_id=POINT["id"], location=None))
    view = filed["complaint"]
    assert filed["created"] and view["status"] == "received"
    assert view["agency_id"] == POINT["agency_id"] and view["province_code"] == "50"
    code = view["tracking_code"]
    assert wait_for(lambda: call(complaints, "get_by_tracking_code", code)["status"] == "relayed", timeout=30)
    followed = call(complaints, "get_by_tracking_code", code.lower().replace("-", ""))
    stored = sim.snapshot()["requests"]
    assert len(stored) == 1 and followed["pmoc_reference"] == stored[0]["service_request_id"]
    form = stored[0]["form"]
    assert form["api_key"] == "test-pmoc-key" and form["service_code"] == "COPY-DEMANDED"
    assert form["phone"] == "0891234567" and form["lat"] == "18.7953"
    assert stored[0]["idempotency_key"] == "cfz-" + view["complaint_id"]
    # PMOC closes it: the poll brings it back as resolved
    sim.set_status(stored[0]["service_request_id"], "closed", "แก้ไขเรียบร้อย")
    assert wait_for(lambda: call(complaints, "get_by_tracking_code", code)["status"] == "resolved", timeout=30)
    assert wait_for(lambda: len(received) >= 3, timeout=30)
    assert [name for name, _ in received] == list(COMPLAINT_EVENTS)
    changed = received[2][1]
    assert changed["previous_status"] == "relayed" and changed["status"] == "resolved"
    assert changed["pmoc_reference"] == stored[0]["service_request_id"]
    for _, payload in received:  # no contact details in any event
        assert "0891234567" not in str(payload) and "สมหญิง" not in str(payload)


def test_unknown_point_bad_input_and_idempotent_filing(complaints, sim):
    with pytest.raises(ValidationFailed) as unknown:
        call(complaints, "file_complaint", complaint(service_point_id="sp-nope"))
    assert "service_point_id" in unknown.value.details["fields"]
    for bad, field in [({"category": "NOPE"}, "category"), ({"description": "  "}, "description"),
                       ({"location": {"lat": 51.5, "lon": -0.1}}, "location"),
                       ({"contact": {"phone": "12345"}}, "contact"),
                       ({"media_urls": ["javascript:alert(1)"]}, "media_urls")]:
        with pytest.raises(ValidationFailed) as refused:
            call(complaints, "file_complaint", complaint(**bad))
        assert field in refused.value.details["fields"], (bad, refused.value.details)
    with pytest.raises(ValidationFailed):
        call(complaints, "file_complaint", complaint(), "bad key!")
    first = call(complaints, "file_complaint", complaint(), "retry-key-000001")
    second = call(complaints, "file_complaint", complaint(), "retry-key-000001")
    assert first["created"] and not second["created"]
    assert first["complaint"]["tracking_code"] == second["complaint"]["tracking_code"]
    assert wait_for(lambda: len(sim.snapshot()["requests"]) == 1, timeout=30)


def test_officer_handles_only_their_agency(complaints, sim):
    view = call(complaints, "file_complaint",
                complaint(service_point_id=POINT["id"], location=None))["complaint"]
    cid = view["complaint_id"]
    other = token(agency_id="ag-other")
    from services.common.errors import Forbidden
    with pytest.raises(Forbidden):
        call(complaints, "change_status", other, cid, {"status": "accepted"})
    with pytest.raises(Forbidden):
        call(complaints, "get_for_agency", other, cid)
    mine = token()
    assert call(complaints, "get_for_agency", mine, cid)["contact"]["phone"] == "0891234567"
    for status in ("accepted", "in_progress", "resolved"):
        assert call(complaints, "change_status", mine, cid, {"status": status})["status"] == status
    with pytest.raises(ValidationFailed):
        call(complaints, "change_status", mine, cid, {"status": "received"})
    listing = call(complaints, "list_for_agency", mine, {"status": "resolved"})
    assert [c["complaint_id"] for c in listing["results"]] == [cid]
    assert call(complaints, "list_for_agency", other, {})["total"] == 0
    public = call(complaints, "get_by_tracking_code", view["tracking_code"])
    assert [h["status"] for h in public["history"]][-3:] == ["accepted", "in_progress", "resolved"]
    assert "contact" not in public
    rated = call(complaints, "rate", view["tracking_code"], {"rating": 5})
    assert rated["rating"] == 5


def test_dead_letters_are_visible_and_an_operator_retries_them(container_factory, relay_config, sim):
    sim.stop()  # PMOC is down
    config = dict(relay_config, CFZ_PMOC_MAX_ATTEMPTS="3")
    container_factory(FakeRegistry, config).start()
    service = container_factory(ComplaintsService, config)
    service.start()
    views = [call(service, "file_complaint", complaint(n))["complaint"] for n in range(3)]
    assert wait_for(lambda: call(service, "relay_stats", ADMIN_TOKEN)["dead_letter"] == 3, timeout=30)
    dead = call(service, "dead_letters", ADMIN_TOKEN)
    assert dead["total"] == 3
    assert all("connection failed" in d["reason"] and d["attempts"] == 3 for d in dead["results"])
    from services.common.errors import Forbidden
    with pytest.raises(Forbidden):
        call(service, "dead_letters", token())
    sim.start()
    assert call(service, "retry_dead_letters", ADMIN_TOKEN,
                [views[0]["complaint_id"]]) == {"requeued": 1}
    assert wait_for(lambda: call(service, "relay_stats", ADMIN_TOKEN)["relayed"] == 1, timeout=30)
    assert call(service, "retry_dead_letters", ADMIN_TOKEN) == {"requeued": 2}
    assert wait_for(lambda: call(service, "relay_stats", ADMIN_TOKEN)["relayed"] == 3, timeout=30)
    assert len(sim.snapshot()["requests"]) == 3


def test_operator_commands_list_and_retry_dead_letters(container_factory, relay_config, sim,
                                                       monkeypatch, capsys):
    import argparse

    from services.complaints import cli
    sim.stop()
    config = dict(relay_config, CFZ_PMOC_MAX_ATTEMPTS="1")
    container_factory(FakeRegistry, config).start()
    service = container_factory(ComplaintsService, config)
    service.start()
    view = call(service, "file_complaint", complaint(1))["complaint"]
    assert wait_for(lambda: call(service, "relay_stats", ADMIN_TOKEN)["dead_letter"] == 1, timeout=30)
    monkeypatch.setenv("AMQP_URI", config["AMQP_URI"])
    monkeypatch.setenv("CFZ_JWT_SECRET", SECRET)
    parser = argparse.ArgumentParser(prog="cfz")
    cli.add_commands(parser.add_subparsers(dest="command", required=True))

    def run(*argv):
        args = parser.parse_args(list(argv))
        assert args.handler(args) == 0
        return capsys.readouterr().out

    listed = run("complaints", "dead-letters")
    assert "1 dead letter(s)" in listed and view["complaint_id"] in listed
    assert "connection failed" in listed
    assert '"dead_letter": 1' in run("complaints", "relay-status")
    sim.start()
    assert "requeued 1 complaint(s)" in run("complaints", "retry", view["complaint_id"])
    assert wait_for(lambda: call(service, "relay_stats", ADMIN_TOKEN)["relayed"] == 1, timeout=30)
    # the stand-in as cfz runs it
    sim_args = parser.parse_args(["pmoc-sim", "--port", "0", "--fail-rate", "1"])
    other = cli.run_pmoc_sim(sim_args, wait=False)
    try:
        assert "PMOC_URL=http://127.0.0.1:" in capsys.readouterr().out
        assert other.state.fail_rate == 1.0
    finally:
        other.stop()
