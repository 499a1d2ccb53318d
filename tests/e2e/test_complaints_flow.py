"""Complaints over HTTP: the whole stack (registry, complaints, the gateway
with the complaints routes) and the PMOC stand-in on 127.0.0.1."""
import uuid

import pytest

from services.complaints.pmoc_sim import PmocSimulator
from services.complaints.service import ComplaintsService
from services.gateway.routes_complaints import ComplaintsRoutes
from services.gateway.service import GatewayService
from services.registry.service import RegistryService
from tests.e2e.conftest import Api
from tests.helpers import POINT, agency, wait_for

FAST = {"CFZ_PMOC_TIMEOUT": "2", "CFZ_PMOC_RELAY_INTERVAL": "0.1",
        "CFZ_PMOC_BACKOFF_BASE": "0.1", "CFZ_PMOC_BACKOFF_MAX": "1", "PMOC_POLL_SECONDS": "0.2"}


if issubclass(GatewayService, ComplaintsRoutes):  # once the gateway includes the routes
    Gateway = GatewayService
else:
    class Gateway(ComplaintsRoutes, GatewayService):
        name = "gateway"


@pytest.fixture
def pmoc():
    sim = PmocSimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def stack_config(config, pmoc):
    return dict(config, PMOC_URL=pmoc.url, **FAST)


@pytest.fixture
def capi(runner_factory, stack_config):
    runner = runner_factory(stack_config, RegistryService, ComplaintsService, Gateway)
    runner.start()
    return Api("http://{}".format(stack_config["WEB_SERVER_ADDRESS"]))


def complaint_body(point_id=None, **changes):
    body = {"category": "COPY-DEMANDED",
            "description": "เจ้าหน้าที่ขอสำเนาบัตรประชาชนและทะเบียนบ้าน ทั้งที่ใช้บัตรตัวจริงแล้ว",
            "media_urls": ["https://example.org/photo1.jpg"],
            "contact": {"first_name": "สมศักดิ์", "last_name": "ใจดี", "phone": "081-234-5678",
                        "email": "somsak@example.com"}}
    if point_id:
        body["service_point_id"] = point_id
    else:
        body["location"] = {"lat": 13.7563, "lon": 100.5018}
    body.update(changes)
    return body


def test_file_follow_handle_rate_and_reopen(capi, pmoc):
    officer, own = capi.approved_agency(agency("cmp"))
    other, _ = capi.approved_agency(agency("cmpother"))
    point = capi.post("/api/v1/service-points", json=POINT, token=officer).json()
    key = str(uuid.uuid4())
    filed = capi.post("/api/v1/complaints", json=complaint_body(point["id"]),
                      headers={"Idempotency-Key": key})
    assert filed.status_code == 201, filed.text
    body = filed.json()
    code = body["tracking_code"]
    assert body["status"] == "received" and body["status_th"]
    assert body["agency_id"] == own["id"] and body["province_code"] == "50"
    assert body["sla_days"] == 15 and body["expected_at"] and body["overdue"] is False
    assert "contact" not in body and "081" not in filed.text
    again = capi.post("/api/v1/complaints", json=complaint_body(point["id"]),
                      headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.json()["tracking_code"] == code
    assert again.headers.get("Idempotent-Replayed") == "true"
    different = capi.post("/api/v1/complaints", json=complaint_body(point["id"], description="อื่น"),
                          headers={"Idempotency-Key": key})
    assert different.status_code == 409

    # relayed to PMOC once, with the contact details
    assert wait_for(lambda: capi.get("/api/v1/complaints/" + code).json()["status"] == "relayed",
                    timeout=30)
    followed = capi.get("/api/v1/complaints/" + code.lower()).json()
    stored = pmoc.snapshot()["requests"]
    assert len(stored) == 1 and followed["pmoc_reference"] == stored[0]["service_request_id"]
    assert stored[0]["form"]["email"] == "somsak@example.com"

    cid = body["complaint_id"]
    path = "/api/v1/officer/complaints/" + cid
    assert capi.get(path).status_code == 401
    assert capi.get(path, token=other).status_code == 403
    assert capi.post(path + "/status", json={"status": "accepted"}, token=other).status_code == 403
    seen = capi.get(path, token=officer).json()
    assert seen["contact"]["phone"] == "0812345678" and "tracking_code" not in seen
    assert capi.post(path + "/status", json={"status": "resolved", "note": "x"},
                     token=officer).status_code == 200
    # the complainant rates and reopens, once
    assert capi.post("/api/v1/complaints/{}/rating".format(code), json={"rating": 2}).status_code == 200
    reopened = capi.post("/api/v1/complaints/{}/reopen".format(code),
                         json={"reason": "ยังถูกเรียกสำเนาอยู่"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"
    for status in ("in_progress", "resolved"):
        moved = capi.post(path + "/status", json={"status": status, "note": "ดำเนินการ"},
                          token=officer)
        assert moved.status_code == 200, moved.text
    twice = capi.post("/api/v1/complaints/{}/reopen".format(code), json={"reason": "อีกครั้ง"})
    assert twice.status_code == 409 and twice.json()["error"] == "ALREADY_REOPENED"
    final = capi.get("/api/v1/complaints/" + code).json()
    assert [h["status"] for h in final["history"]] == [
        "received", "relayed", "resolved", "reopened", "in_progress", "resolved"]
    assert all(h["at"] and h["status_en"] for h in final["history"])
    listing = capi.get("/api/v1/officer/complaints?status=resolved", token=officer).json()
    assert [c["complaint_id"] for c in listing["results"]] == [cid]
    assert capi.get("/api/v1/officer/complaints", token=other).json()["total"] == 0
    categories = capi.get("/api/v1/complaint-categories").json()["results"]
    assert {"code", "name_th", "name_en", "sla_days"} <= set(categories[0])


def test_bad_complaint_input_is_a_clear_4xx(capi, pmoc):
    officer, _ = capi.approved_agency(agency("cmpbad"))
    admin = capi.admin_token()
    raw = {"headers": {"Content-Type": "application/json"}}
    cases = [
        ("malformed", "POST", "/api/v1/complaints", dict(data=b'{"category": ', **raw), 400, None),
        ("no category", "POST", "/api/v1/complaints", dict(json={"description": "x", "address": "y"}), 400, "category"),
        ("unknown category", "POST", "/api/v1/complaints", dict(json=complaint_body(category="X")), 400, "category"),
        ("nowhere", "POST", "/api/v1/complaints", dict(json={"category": "OTHER", "description": "x"}), 400, "_schema"),
        ("abroad", "POST", "/api/v1/complaints", dict(json=complaint_body(location={"lat": 48.85, "lon": 2.35})), 400, "location"),
        ("unknown point", "POST", "/api/v1/complaints", dict(json=complaint_body("sp-doesnotexist")), 400, "service_point_id"),
        ("bad phone", "POST", "/api/v1/complaints", dict(json=complaint_body(contact={"phone": "555"})), 400, "contact"),
        ("too long", "POST", "/api/v1/complaints", dict(json=complaint_body(description="ก" * 4001)), 400, "description"),
        ("string bool", "POST", "/api/v1/complaints", dict(json=complaint_body(anonymous="yes")), 400, "anonymous"),
        ("extra field", "POST", "/api/v1/complaints", dict(json=complaint_body(status="resolved")), 400, "status"),
        ("bad key", "POST", "/api/v1/complaints", dict(json=complaint_body(), headers={"Idempotency-Key": "x"}), 400, "Idempotency-Key"),
        ("unknown code", "GET", "/api/v1/complaints/AAAAA-AAAAA-A", {}, 404, None),
        ("garbage code", "GET", "/api/v1/complaints/%3Cscript%3E", {}, 404, None),
        ("rate unknown", "POST", "/api/v1/complaints/AAAAA-AAAAA-A/rating", dict(json={"rating": 3}), 404, None),
        ("rate 9", "POST", "/api/v1/complaints/AAAAA-AAAAA-A/rating", dict(json={"rating": 9}), 400, "rating"),
        ("no token", "GET", "/api/v1/officer/complaints", {}, 401, None),
        ("bad status", "POST", "/api/v1/officer/complaints/cmp-x/status", dict(json={"status": "done"}, token=officer), 400, "status"),
        ("reject without note", "POST", "/api/v1/officer/complaints/cmp-x/status", dict(json={"status": "rejected"}, token=officer), 400, "note"),
        ("unknown complaint", "POST", "/api/v1/officer/complaints/cmp-x/status", dict(json={"status": "accepted"}, token=officer), 404, None),
        ("bad list query", "GET", "/api/v1/officer/complaints?limit=0", dict(token=officer), 400, "limit"),
        ("officer dead letters", "GET", "/api/v1/admin/complaints/dead-letters", dict(token=officer), 403, None),
        ("retry bad ids", "POST", "/api/v1/admin/complaints/dead-letters/retry", dict(json={"complaint_ids": []}, token=admin), 400, "complaint_ids"),
    ]
    failures = []
    for name, method, path, kwargs, status, field in cases:
        response = capi.request(method, path, **kwargs)
        body = response.json()
        if response.status_code != status or set(body) != {"error", "message", "message_th", "details"}:
            failures.append("{}: {} {}".format(name, response.status_code, body))
        elif field and field not in body["details"].get("fields", {}):
            failures.append("{}: no message for {} in {}".format(name, field, body))
    assert not failures, "\n".join(failures)
    assert capi.get("/api/v1/admin/complaints/relay", token=admin).json()["pending"] == 0
    assert pmoc.snapshot()["stats"]["stored"] == 0  # nothing half-written, nothing relayed
