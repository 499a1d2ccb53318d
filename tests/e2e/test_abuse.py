"""The abuse table: each way a hostile or careless client once hurt the
suite, now answered with a clear 4xx and the suite still up. (Slow clients:
tests/interface/test_gateway_slow_clients.py; oversized RPC answers:
tests/interface/test_rpc_guard.py.)"""
import json

from tests.e2e.test_bad_input import check
from tests.helpers import POINT, agency

DEEP = b"[" * 10000 + b"]" * 10000


def test_hostile_queries_get_a_clear_4xx_and_the_suite_stays_up(api):
    officer, own = api.approved_agency(agency("abuse"))
    point = api.post("/api/v1/service-points", json=POINT, token=officer).json()
    rollout = "/api/v1/reports/rollout?group_by=agency&id=" + own["id"]
    json_body = {"headers": {"Content-Type": "application/json"}}
    cases = [
        # a lone `from` in the year 191 once built a 150 MB answer and stopped the suite
        ("rollout series from the year 191", "GET", rollout + "&from=0191-01-01", {}, 400, None, "from"),
        ("point report from the year 191", "GET", "/api/v1/reports/service-points/{}?from=0191-01-01".format(point["id"]), {}, 400, None, "from"),
        ("agency report from 1900", "GET", "/api/v1/reports/agencies/{}?from=1900-01-01".format(own["id"]), {}, 400, None, "from"),
        ("province report 2000 to 2199", "GET", "/api/v1/reports/provinces/50?from=2000-01-01&to=2199-12-31", {}, 400, None, "to"),
        ("rankings in year 1", "GET", "/api/v1/reports/rankings?from=0001-01-01", {}, 400, None, "from"),
        ("Zero Copy up to 9999", "GET", "/api/v1/reports/zero-copy?to=9999-12-31", {}, 400, None, "to"),
        ("rollout series to year 9999", "GET", rollout + "&from=2026-01-01&to=9999-12-31", {}, 400, None, "to"),
        # integers that str.isdigit() accepts and int() refuses
        ("superscript two as k", "GET", "/api/v1/service-points/nearby?lat=13.7&lon=100.5&k=%C2%B2", {}, 400, None, "k"),
        ("double minus as limit", "GET", "/api/v1/reports/rankings?limit=--5", {}, 400, None, "limit"),
        ("superscript offset", "GET", "/api/v1/service-points?offset=%C2%B2", {}, 400, None, "offset"),
        ("double minus offset", "GET", "/api/v1/service-points/bbox?south=13&west=100&north=14&east=101&offset=--5", {}, 400, None, "offset"),
        ("superscript min_sample", "GET", "/api/v1/reports/provinces/50?min_sample=%C2%B3", {}, 400, None, "min_sample"),
        ("superscript comments page", "GET", "/api/v1/service-points/{}/feedback?limit=%C2%B9".format(point["id"]), {}, 400, None, "limit"),
        ("JSON nested 10,000 deep", "POST", "/api/v1/complaints", dict(data=DEEP, **json_body), 400, "MALFORMED_JSON", None),
    ]
    failures = []
    for case in cases:
        check(api, case, failures)
    assert not failures, "\n".join(failures)
    # a NUL byte in a static path is simply not there
    assert api.get("/static/app%00.js").status_code == 404
    assert api.get("/vendor/leaflet/%00").status_code == 404
    ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text


LONE = "\ud800"  # JSON can carry it ("\ud800"); UTF-8 and BSON cannot


def test_lone_surrogates_are_refused_and_never_stored(api):
    officer, own = api.approved_agency(agency("poison"))
    point = api.post("/api/v1/service-points", json=POINT, token=officer).json()
    api.put("/api/v1/service-points/{}/services".format(point["id"]), token=officer,
            json={"services": [{"service_code": "DOPA-ID-NEW", "documents": []}]})
    filed = api.post("/api/v1/complaints", json={
        "category": "OTHER", "description": "รอนานมาก", "service_point_id": point["id"]}).json()
    path = "/api/v1/officer/complaints/" + filed["complaint_id"]
    assert api.post(path + "/status", json={"status": "resolved", "note": "แก้แล้ว"},
                    token=officer).status_code == 200
    feedback = "/api/v1/service-points/{}/feedback".format(point["id"])
    rating = {"service_code": "DOPA-ID-NEW", "answers": {"satisfaction": 3}}
    cases = [
        ("reopen reason", "POST", "/api/v1/complaints/{}/reopen".format(filed["tracking_code"]),
         dict(json={"reason": "ยังไม่ได้รับการแก้ไข" + LONE}), 400, "VALIDATION_ERROR", "reason"),
        ("agency name", "POST", "/api/v1/agencies",
         dict(json=agency("poison2", name_th="สำนักงาน" + LONE)), 400, "VALIDATION_ERROR", "name_th"),
        ("username", "POST", "/api/v1/agencies",
         dict(json=agency("poison3", username="officer" + LONE)), 400, "VALIDATION_ERROR", "username"),
        ("contact e-mail", "POST", "/api/v1/agencies",
         dict(json=agency("poison4", contact_email="a" + LONE + "@example.go.th")), 400,
         "VALIDATION_ERROR", "contact_email"),
        ("complaint description", "POST", "/api/v1/complaints",
         dict(json={"category": "OTHER", "description": "x" + LONE, "service_point_id": point["id"]}),
         400, "VALIDATION_ERROR", "description"),
        ("complaint contact name", "POST", "/api/v1/complaints",
         dict(json={"category": "OTHER", "description": "x", "service_point_id": point["id"],
                    "contact": {"first_name": LONE, "phone": "0812345678"}}),
         400, "VALIDATION_ERROR", "contact.first_name"),
        ("comment", "POST", feedback, dict(json=dict(rating, comment="ดีมาก" + LONE)),
         400, "VALIDATION_ERROR", "comment"),
        ("service code", "POST", feedback, dict(json=dict(rating, service_code=LONE)),
         400, "VALIDATION_ERROR", "service_code"),
        ("point name", "PATCH", "/api/v1/service-points/" + point["id"],
         dict(json={"name_th": "จุด" + LONE}, token=officer), 400, "VALIDATION_ERROR", "name_th"),
        ("point name with a bidi override", "PATCH", "/api/v1/service-points/" + point["id"],
         dict(json={"name_th": "จุด\u202e8765432180"}, token=officer), 400, "VALIDATION_ERROR", "name_th"),
        ("status note", "POST", path + "/status",
         dict(json={"status": "in_progress", "note": LONE}, token=officer), 400,
         "VALIDATION_ERROR", "note"),
        # a key is refused too: "Unknown field." would echo it in the answer
        ("field name", "POST", "/api/v1/complaints",
         dict(json={"category": "OTHER", "description": "x", "address": "y", LONE: 1}),
         400, "VALIDATION_ERROR", "\\ud800"),
        # a query string or path segment cannot carry one: the gateway
        # decodes invalid UTF-8 there as U+FFFD
        ("search query", "GET", "/api/v1/services?q=%ED%A0%80", {}, 200, None, None),
        ("tracking code", "GET", "/api/v1/complaints/%ED%A0%80", {}, 404, "UNKNOWN_TRACKING_CODE", None),
    ]
    failures = []
    for case in cases:
        if case[4] == 200:
            response = api.request(case[1], case[2])
            if response.status_code != 200:
                failures.append("{}: {} {}".format(case[0], response.status_code, response.text[:200]))
            continue
        check(api, case, failures)
    assert not failures, "\n".join(failures)
    # nothing was written: no second complaint, no comment, no agency
    listed = api.get("/api/v1/officer/complaints", token=officer)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 1
    assert listed.json()["results"][0]["status"] == "resolved"
    assert api.get(feedback).json()["total"] == 0
    pending = api.get("/api/v1/admin/agencies?status=pending", token=api.admin_token()).json()
    assert not [a for a in pending["results"]
                if any(n in json.dumps(a) for n in ("poison2", "poison3", "poison4"))]
    assert api.get("/api/v1/complaints/" + filed["tracking_code"]).status_code == 200
    assert api.get("/open311/v2/requests.json").status_code == 200
    # zero-width characters in a name are dropped, not refused: the writer cannot see them
    moved = api.patch("/api/v1/service-points/" + point["id"], token=officer,
                      json={"name_th": "จุด\u200bบริการ\ufeffทดสอบ"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["name_th"] == "จุดบริการทดสอบ"
