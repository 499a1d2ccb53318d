"""The abuse table: each way a hostile or careless client once hurt the
suite, now answered with a clear 4xx and the suite still up. (Slow clients:
tests/interface/test_gateway_slow_clients.py; oversized RPC answers:
tests/interface/test_rpc_guard.py.)"""
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
