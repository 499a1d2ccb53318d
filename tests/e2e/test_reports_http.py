"""Known feedback through the gateway gives exactly the expected report."""
import math
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np

from tests.helpers import POINT, agency, wait_for

BANGKOK = timezone(timedelta(hours=7))


def wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_point_agency_and_province_reports_have_the_expected_numbers(api):
    token, registered = api.approved_agency(agency("rep"))
    point = api.post("/api/v1/service-points", json=POINT, token=token).json()
    api.put("/api/v1/service-points/{}/services".format(point["id"]), token=token, json={"services": [
        {"service_code": "DOPA-ID-NEW", "documents": [
            {"name_th": "สูติบัตร", "government_issued": True, "copy_required": False}]}]})
    ratings = [({"satisfaction": 5, "staff": 5}, ["สูติบัตร"]), ({"satisfaction": 4, "staff": 4}, []),
               ({"satisfaction": 2, "staff": 1}, []), ({"satisfaction": 5}, []),
               ({"satisfaction": 1, "staff": 2}, [])]
    keys = []
    for answers, copies in ratings:
        keys.append("report-" + uuid.uuid4().hex)
        response = api.post("/api/v1/service-points/{}/feedback".format(point["id"]),
                            headers={"Idempotency-Key": keys[-1]},
                            json={"service_code": "DOPA-ID-NEW", "answers": answers,
                                  "copies_requested": copies})
        assert response.status_code == 201
    # a retry of the first changes nothing
    api.post("/api/v1/service-points/{}/feedback".format(point["id"]), headers={"Idempotency-Key": keys[0]},
             json={"service_code": "DOPA-ID-NEW", "answers": ratings[0][0], "copies_requested": ratings[0][1]})

    path = "/api/v1/reports/service-points/" + point["id"]
    assert wait_for(lambda: api.get(path).json()["count"] == 5, timeout=20)
    report = api.get(path).json()
    assert report["csat"] == 0.6
    low, high = wilson(3, 5)
    assert report["csat_ci"] == [round(low, 4), round(high, 4)]
    assert report["means"]["satisfaction"]["mean"] == 3.4
    assert report["means"]["staff"] == {"mean": 3.0, "n": 4, "ci": report["means"]["staff"]["ci"]}
    assert report["enough_data"] is False and report["min_sample"] == 30
    assert report["unverified"] == 5 and report["channels"] == {"walk_in": 5}
    assert report["zero_copy_breaches"] == {"total": 1, "by_reason": {"government_issued": 1},
                                            "by_document": {"สูติบัตร": 1}}
    staff_r = float(np.corrcoef([5, 4, 1, 2], [5, 4, 2, 1])[0, 1])
    assert report["key_drivers"][0] == {"driver": "staff", "r": round(staff_r, 4), "n": 4}
    # one point only: its score is pulled toward the national mean, which is its own
    assert report["score"] == 3.4 and report["prior"]["mean"] == 3.4

    csv_export = api.get(path, params={"format": "csv"})
    assert csv_export.headers["Content-Type"].startswith("text/csv")
    assert csv_export.content.startswith("\ufeff".encode("utf-8"))  # Excel reads Thai as UTF-8
    lines = csv_export.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("level,id,from,to,question") and len(lines) == 3  # satisfaction, staff
    ranking = api.get("/api/v1/reports/rankings", params={"min_sample": 5}).json()
    assert [row["id"] for row in ranking["results"]] == [point["id"]] and ranking["results"][0]["rank"] == 1
    assert api.get("/api/v1/reports/rankings").json()["results"] == []  # 5 < 30: not rankable
    assert api.get("/api/v1/reports/rankings", params={"level": "district"}).status_code == 400

    agency_report = api.get("/api/v1/reports/agencies/" + registered["id"]).json()
    province_report = api.get("/api/v1/reports/provinces/50").json()
    assert agency_report["count"] == province_report["count"] == 5
    today = datetime.now(BANGKOK).date()
    window = {"from": (today - timedelta(days=450)).isoformat(), "to": (today - timedelta(days=2)).isoformat()}
    assert api.get(path, params=window).status_code == 400  # over 400 days
    window["from"] = (today - timedelta(days=10)).isoformat()
    assert api.get(path, params=window).json()["count"] == 0  # before the ratings


def test_bad_report_queries(api):
    token, _ = api.approved_agency(agency("repb"))
    point = api.post("/api/v1/service-points", json=POINT, token=token).json()
    path = "/api/v1/reports/service-points/" + point["id"]
    for params, field in [({"from": "2026-13-01"}, "from"), ({"from": "2026-11-20", "to": "2026-11-01"}, "to"),
                          ({"to": "yesterday"}, "to"), ({"min_sample": "0"}, "min_sample"),
                          ({"colour": "red"}, "colour")]:
        response = api.get(path, params=params)
        assert response.status_code == 400 and field in response.json()["details"]["fields"], params
    assert api.get("/api/v1/reports/service-points/sp-nope").status_code == 404
    assert api.get("/api/v1/reports/agencies/ag-nope").status_code == 404
    assert api.get("/api/v1/reports/provinces/99").status_code == 400


BAD_QUERIES = [
    ("/api/v1/reports/rankings", {"level": "district"}, "level"),
    ("/api/v1/reports/rankings", {"limit": "0"}, "limit"),
    ("/api/v1/reports/rankings", {"limit": "1001"}, "limit"),
    ("/api/v1/reports/rankings", {"limit": "ten"}, "limit"),
    ("/api/v1/reports/rankings", {"from": "25/11/2026"}, "from"),
    ("/api/v1/reports/rankings", {"min_sample": "-3"}, "min_sample"),
    ("/api/v1/reports/rankings", {"format": "xlsx"}, "format"),
    ("/api/v1/reports/rankings", {"sort": "score"}, "sort"),
    ("/api/v1/reports/zero-copy", {"group_by": "district"}, "group_by"),
    ("/api/v1/reports/zero-copy", {"to": "2026-02-30"}, "to"),
    ("/api/v1/reports/zero-copy", {"format": "pdf"}, "format"),
    ("/api/v1/reports/rollout", {"group_by": "nation"}, "group_by"),
    ("/api/v1/reports/rollout", {"id": "x" * 101}, "id"),
    ("/api/v1/reports/rollout", {"from": "2026-11-20", "to": "2026-11-01"}, "to"),
    ("/api/v1/reports/alerts", {"scope": "province"}, "scope"),
    ("/api/v1/reports/alerts", {"limit": "501"}, "limit"),
    ("/api/v1/reports/alerts", {"entity_id": ""}, "entity_id"),
    ("/api/v1/reports/alerts", {"unknown": "1"}, "unknown"),
    ("/api/v1/reports/complaints/overdue", {"level": "agency"}, "id"),
    ("/api/v1/reports/complaints/overdue", {"level": "moon", "id": "x"}, "level"),
    ("/api/v1/reports/complaints/overdue", {"limit": "0"}, "limit"),
    ("/api/v1/reports/complaints/overdue", {"page": "2"}, "page"),
]


def test_bad_queries_on_every_report_endpoint_are_400_with_the_field(api):
    admin = api.admin_token()
    for path, params, field in BAD_QUERIES:
        response = api.get(path, params=params, token=admin)
        assert response.status_code == 400, (path, params, response.text)
        assert field in response.json()["details"]["fields"], (path, params, response.json())
    # the overdue list and the recount are not public
    assert api.get("/api/v1/reports/complaints/overdue").status_code == 401
    assert api.post("/api/v1/admin/reports/recount").status_code == 401
    officer, _ = api.approved_agency(agency("repq"))
    assert api.post("/api/v1/admin/reports/recount", token=officer).status_code == 403
