"""A known set of feedback, complaints and declarations through the gateway
gives exactly the expected reports; replaying every event twice, shuffled,
changes nothing; the recount equals the incremental state."""
import random
import uuid
from datetime import date, timedelta, timezone

import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher

from tests.helpers import POINT, agency, wait_for

BANGKOK = timezone(timedelta(hours=7))
REPLAYED = {"registry": ["office_registered", "office_updated", "office_closed", "services_changed"],
            "feedback": ["feedback_submitted"],
            "complaints": ["complaint_filed", "complaint_relayed", "complaint_status_changed"]}


def raw_recorder(received):
    """Records every event reporting consumes, as sent (for a replay)."""
    handlers = {"name": "raw_event_recorder"}
    for source, names in REPLAYED.items():
        for name in names:
            def handler(self, payload, _source=source, _name=name):
                received.append((_source, _name, payload))
            handlers[name] = event_handler(source, name)(handler)
    return type("RawEventRecorder", (), handlers)


@pytest.fixture
def raw():
    return []


@pytest.fixture
def world(runner_factory, config, raw):
    from services.complaints.service import ComplaintsService
    from services.feedback.service import FeedbackService
    from services.gateway.service import GatewayService
    from services.registry.service import RegistryService
    from services.reporting.service import ReportingService
    from tests.e2e.conftest import Api
    settings = dict(config, CFZ_REPORT_COMPACT_INTERVAL="0.2")
    runner = runner_factory(settings, RegistryService, FeedbackService, ComplaintsService,
                            ReportingService, GatewayService, raw_recorder(raw))
    runner.start()
    return Api("http://{}".format(config["WEB_SERVER_ADDRESS"]))


def rate(api, point_id, service_code, satisfaction, copies=()):
    response = api.post("/api/v1/service-points/{}/feedback".format(point_id),
                        headers={"Idempotency-Key": uuid.uuid4().hex},
                        json={"service_code": service_code, "answers": {"satisfaction": satisfaction},
                              "copies_requested": list(copies)})
    assert response.status_code == 201, response.text


def complain(api, point_id, category):
    response = api.post("/api/v1/complaints", json={
        "category": category, "service_point_id": point_id,
        "description": "ต้องถ่ายสำเนาทะเบียนบ้านทั้งที่ประกาศว่าไม่ต้องใช้สำเนา", "anonymous": True})
    assert response.status_code == 201, response.text
    return response.json()


def applied(name, changed):
    from services.reporting.service import EVENTS_APPLIED
    return EVENTS_APPLIED.labels(name, str(changed).lower())._value.get()


def events_of(recorded):
    counts = {}
    for _, name, _ in recorded:
        counts[name] = counts.get(name, 0) + 1
    return counts


def snapshot(api, point_ids, agency_id):
    """Everything an executive would read for these points and their agency."""
    views = [api.get("/api/v1/reports/service-points/" + p).json() for p in point_ids]
    views.append(api.get("/api/v1/reports/agencies/" + agency_id).json())
    views.append(api.get("/api/v1/reports/zero-copy", params={"group_by": "agency"}).json())
    views.append(api.get("/api/v1/reports/rankings", params={"min_sample": 1}).json())
    for view in views:
        view.pop("prior", None)  # the only figure other tests' data could move
    return views


def test_known_inputs_give_exact_reports_and_a_replay_changes_nothing(world, raw, config):
    api = world
    token, own = api.approved_agency(agency("replay"))
    first = api.post("/api/v1/service-points", json=POINT, token=token).json()
    second = api.post("/api/v1/service-points", token=token, json=dict(
        POINT, name_en="Second office", province_code="10", location={"lat": 13.7563, "lon": 100.5018})).json()
    planned = (date.today() + timedelta(days=200)).isoformat()
    assert api.put("/api/v1/service-points/{}/services".format(first["id"]), token=token, json={
        "services": [{"service_code": "DOPA-ID-NEW", "documents": [
            {"name_th": "ใบรับรองแพทย์", "government_issued": False, "copy_required": False}]}]}
    ).status_code == 200
    assert api.put("/api/v1/service-points/{}/services".format(second["id"]), token=token, json={
        "services": [{"service_code": "DOPA-ID-NEW", "documents": [
            {"name_th": "หนังสือมอบอำนาจ", "government_issued": False, "copy_required": True,
             "copy_reason": "ระบบยังไม่รองรับ", "copy_planned_end_date": planned}]}]}).status_code == 200

    # first: 5,5,4,2 with one copy demanded against its declaration; second: 3,1
    for score, copies in [(5, []), (5, ["ใบรับรองแพทย์"]), (4, []), (2, [])]:
        rate(api, first["id"], "DOPA-ID-NEW", score, copies)
    for score in (3, 1):
        rate(api, second["id"], "DOPA-ID-NEW", score)
    filed = [complain(api, first["id"], "COPY-DEMANDED"), complain(api, first["id"], "STAFF-CONDUCT"),
             complain(api, second["id"], "COPY-DEMANDED")]
    resolved = api.post("/api/v1/officer/complaints/{}/status".format(filed[0]["complaint_id"]),
                        json={"status": "resolved", "note": "แจ้งเจ้าหน้าที่แล้ว"}, token=token)
    assert resolved.status_code == 200, resolved.text

    agency_path = "/api/v1/reports/agencies/" + own["id"]

    def settled():
        report = api.get(agency_path).json()
        return report["count"] == 6 and report["complaints"]["resolved"] == 1 and \
            report["zero_copy"]["figures"] and report["zero_copy"]["figures"]["point_services"] == 2
    assert wait_for(settled, timeout=30)

    report = api.get(agency_path).json()
    assert report["csat"] == 0.5 and report["means"]["satisfaction"]["mean"] == 3.3333
    assert report["zero_copy_breaches"]["by_reason"] == {"declared_no_copy": 1}
    work = report["complaints"]
    assert work["filed"] == 3 and work["by_category"] == {"COPY-DEMANDED": 2, "STAFF-CONDUCT": 1}
    assert work["by_status"] == {"resolved": 1, "received": 2}
    assert work["resolved_within_sla"] == 1 and work["within_sla_share"] == 1.0
    assert 0 <= work["median_resolution_hours"] < 1 and work["overdue"] == 0
    figures = report["zero_copy"]["figures"]
    assert (figures["pinned"], figures["surveyed"], figures["point_services_no_copy"],
            figures["copies_demanded"], figures["copies_past_planned_end"]) == (2, 2, 1, 1, 0)
    assert report["trend"]["periods"][-1]["count"] == 6

    zero_copy = api.get("/api/v1/reports/zero-copy", params={"group_by": "agency"}).json()
    mine = [g for g in zero_copy["groups"] if g["id"] == own["id"]][0]
    assert (mine["point_services"], mine["no_copy"], mine["no_copy_share"], mine["copies_demanded"],
            mine["citizen_breaches"], mine["disagreements"]) == (2, 1, 0.5, 1, 1, 1)
    assert [d["service_point_id"] for d in zero_copy["disagreements"]
            if d["agency_id"] == own["id"]] == [first["id"]]
    by_province = api.get("/api/v1/reports/zero-copy", params={"group_by": "province", "format": "csv"})
    assert by_province.content.startswith("\ufeff".encode()) and b"province," in by_province.content

    def rollout_today():
        return api.get("/api/v1/reports/rollout", params={"group_by": "agency", "id": own["id"]}).json()
    # a day's snapshot is recounted by the compaction timer after the events that mark it
    assert wait_for(lambda: rollout_today()["series"][-1]["surveyed_share"] == 1.0, timeout=10)
    rollout = rollout_today()
    assert rollout["series"][-1]["pinned"] == 2 and rollout["series"][-1]["surveyed_share"] == 1.0
    assert rollout["series"][0]["pinned"] == 0  # 30 days ago, before the points existed
    series_csv = api.get("/api/v1/reports/rollout", params={
        "group_by": "agency", "id": own["id"], "format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert series_csv[0].startswith("day,") and len(series_csv) == 1 + len(rollout["series"])
    table_csv = api.get("/api/v1/reports/rollout", params={"group_by": "province", "format": "csv"})
    assert table_csv.content.decode("utf-8-sig").startswith("id,")

    overdue = api.get("/api/v1/reports/complaints/overdue",
                      params={"level": "agency", "id": own["id"]}, token=token)
    assert overdue.status_code == 200 and overdue.json()["results"] == []
    assert api.get("/api/v1/reports/complaints/overdue").status_code == 401
    assert api.get("/api/v1/reports/complaints/overdue", token=token).status_code == 403  # nation

    admin = api.admin_token()
    assert api.post("/api/v1/admin/reports/recount", token=token).status_code == 403
    recount = api.post("/api/v1/admin/reports/recount", token=admin).json()
    assert recount["ok"] is True, recount
    assert (recount["feedback"]["records"], recount["complaints"]["records"]) == (6, 3)

    before = snapshot(api, [first["id"], second["id"]], own["id"])
    assert wait_for(lambda: sum(1 for e in raw if e[1] == "feedback_submitted") == 6, timeout=10)
    replay = list(raw) * 2
    random.Random(5).shuffle(replay)
    unchanged = {name: applied(name, changed=False) for name in events_of(replay)}
    dispatch = event_dispatcher(config)
    for source, name, payload in replay:
        dispatch(source, name, payload)
    # reporting consumed every replayed event, and none of them changed anything
    expected = events_of(replay)  # the recorder sees the replay too: count what was sent
    wait_for(lambda: {name: applied(name, changed=False) - unchanged[name] for name in expected}
             == expected, timeout=20)
    assert {name: applied(name, changed=False) - unchanged[name] for name in expected} == expected
    assert snapshot(api, [first["id"], second["id"]], own["id"]) == before
    assert api.post("/api/v1/admin/reports/recount", token=admin).json()["ok"] is True
