"""The executives' dashboard (/dashboard): served in Thai and English, and
every API URL its script calls answers on the whole stack with the fields
the script reads (and CSV where the page links one)."""
import os
import re
import uuid
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from tests.helpers import POINT, agency, wait_for

STATIC = os.path.join(os.path.dirname(__file__), "..", "..", "services", "gateway", "static")
BANGKOK = timezone(timedelta(hours=7))
THAI = re.compile("[\u0e00-\u0e7f]")
API_STRING = re.compile(r'"(/api/v1/[^"?#]*)"')  # every API path literal in the script
QUERY_KEYS = re.compile(r"query\(\{([^}]*)\}\)")  # query({ level: …, from: … }) builds every query
LEVELS = ("service_point", "agency", "province")
GROUPS = ("agency", "province")
BOM = "\ufeff".encode("utf-8")


def script():
    with open(os.path.join(STATIC, "dashboard.js"), encoding="utf-8") as f:
        return f.read()


def api_paths(source):
    return sorted(set(API_STRING.findall(source)))


def query_keys(source):
    keys = set()
    for body in QUERY_KEYS.findall(source):
        keys.update(re.findall(r"(\w+)\s*:", body))
    return keys


class Labels(HTMLParser):
    """Elements with data-th / data-en, and the assets the page loads."""

    def __init__(self):
        super().__init__()
        self.pairs, self.assets = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-th" in attrs or "data-en" in attrs:
            self.pairs.append((tag, attrs.get("data-th"), attrs.get("data-en")))
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.assets.append(attrs["href"])


def test_dashboard_is_served_in_thai_and_english_with_its_script(api):
    page = api.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.content.decode("utf-8")
    assert '<html lang="th">' in html
    labels = Labels()
    labels.feed(html)
    assert len(labels.pairs) >= 20, labels.pairs
    for tag, th, en in labels.pairs:  # every label in both languages
        assert th and THAI.search(th), (tag, th, en)
        assert en and not THAI.search(en), (tag, th, en)
    pairs = {(th, en) for _, th, en in labels.pairs}
    for expected in [("อันดับความพึงพอใจ", "Satisfaction rankings"), ("ความคืบหน้า Zero Copy", "Zero Copy progress"),
                     ("การแจ้งเตือนความพึงพอใจลดลง", "Satisfaction alerts"),
                     ("ดาวน์โหลด CSV", "Download CSV")]:
        assert expected in pairs, expected

    assert "/static/dashboard.js" in labels.assets and "/static/cfz.js" in labels.assets
    for asset in labels.assets:  # nothing from a CDN: the page loads only what the gateway serves
        assert asset.startswith("/"), asset
        served = api.get(asset)
        assert served.status_code == 200, asset
    source = api.get("/static/dashboard.js")
    assert "javascript" in source.headers["Content-Type"]
    assert source.content.decode("utf-8") == script()

    text = script()
    assert "cfz.lang()" in text and "cfz.onLang(" in text  # the foundation's language, every page's
    for th, en in [("ข้อมูลไม่พอ", "not enough data"), ("กำลังโหลด", "Loading"), ("โหลดไม่สำเร็จ", "Could not load"),
                   ("น้อยกว่า {min} รายการ", "fewer than {min} ratings")]:
        assert th in text and en in text, (th, en)
    assert "innerHTML" not in text  # data goes in as text, never as markup

    # every page's header (cfz.js) links to the dashboard
    assert "/static/cfz.js" in api.get("/").content.decode("utf-8")
    assert '["/dashboard", "dashboard"]' in api.get("/static/cfz.js").content.decode("utf-8")


def _stack_with_feedback(api):
    """One agency, one point in Chiang Mai, six ratings (one reporting a copy)."""
    token, registered = api.approved_agency(agency("dash"))
    point = api.post("/api/v1/service-points", json=POINT, token=token).json()
    response = api.put("/api/v1/service-points/{}/services".format(point["id"]), token=token, json={"services": [
        {"service_code": "DOPA-ID-NEW", "documents": [
            {"name_th": "สูติบัตร", "government_issued": True, "copy_required": False}]}]})
    assert response.status_code == 200, response.text
    for satisfaction, staff, copies in [(5, 5, ["สูติบัตร"]), (4, 4, []), (2, 1, []), (5, 4, []), (1, 2, []),
                                        (4, 5, [])]:
        response = api.post("/api/v1/service-points/{}/feedback".format(point["id"]),
                            headers={"Idempotency-Key": "dash-" + uuid.uuid4().hex},
                            json={"service_code": "DOPA-ID-NEW", "copies_requested": copies,
                                  "answers": {"satisfaction": satisfaction, "staff": staff}})
        assert response.status_code == 201, response.text
    report = "/api/v1/reports/service-points/" + point["id"]
    assert wait_for(lambda: api.get(report).json()["count"] == 6, timeout=20)
    assert wait_for(lambda: api.get("/api/v1/reports/rollout").json()["groups"], timeout=20)
    return point, registered


def _check_shape(path, body, point, agency_id):
    """The fields dashboard.js reads from each answer."""
    if path == "/api/v1/reports/rankings":
        for key in ("level", "from", "to", "min_sample", "results", "ranked", "not_enough_data"):
            assert key in body, (path, key)
        assert set(body["prior"]) >= {"mean", "weight"}
        # six ratings are fewer than the default 30: counted, explained, not ranked
        assert body["results"] == [] and body["ranked"] == 0 and body["not_enough_data"] == 1, body
        assert body["min_sample"] == 30
    elif path.startswith("/api/v1/reports/") and path.rsplit("/", 1)[0] in (
            "/api/v1/reports/service-points", "/api/v1/reports/agencies", "/api/v1/reports/provinces"):
        assert body["count"] == 6 and body["csat"] == 0.6667 and len(body["csat_ci"]) == 2, body
        assert body["enough_data"] is False and body["min_sample"] == 30
        assert set(body["means"]["satisfaction"]) >= {"mean", "ci", "n"}
        assert body["means"]["staff"]["n"] == 6
        assert {"score", "verified", "from", "to", "id"} <= set(body)
        assert body["key_drivers"][0]["driver"] == "staff" and body["key_drivers"][0]["r"] is not None
        assert set(body["trend"]) >= {"periods", "change", "p_value", "significant"}
        assert body["trend"]["periods"][-1]["count"] == 6
        assert all(set(p) >= {"from", "to", "count", "csat"} for p in body["trend"]["periods"])
        assert set(body["complaints"]) >= {"filed", "open", "overdue", "within_sla_share", "within_sla_ci"}
        assert set(body["zero_copy"]["figures"]) >= {"no_copy_share", "copies_demanded", "copies_past_planned_end"}
        assert body["zero_copy_breaches"]["total"] == 1
    elif path == "/api/v1/reports/zero-copy":
        assert body["groups"] and set(body["groups"][0]) >= {
            "id", "no_copy_share", "copies_demanded", "copies_past_planned_end", "citizen_breaches", "disagreements"}
        assert body["group_by"] in GROUPS and "unknown_points" in body
        # the point declares no copy of its birth certificate, yet a citizen was asked for one
        assert [(d["service_point_id"], d["breaches"]["total"]) for d in body["disagreements"]] == [(point["id"], 1)]
    elif path == "/api/v1/reports/rollout":
        assert body["group_by"] in GROUPS
        assert body["groups"] and set(body["groups"][0]) >= {
            "id", "pinned", "surveyed_share", "zero_copy_points", "copies_past_planned_end"}
    elif path == "/api/v1/reports/alerts":
        assert body["results"] == []
    elif path == "/api/v1/rollout":  # names of agencies and provinces
        row = body["results"][0]
        assert row.get("agency_id") == agency_id or row.get("code") == "50", row
        assert row["name_th"] and row["name_en"]
    elif path.startswith("/api/v1/service-points/"):  # a point's name
        assert body["id"] == point["id"] and body["name_th"] == POINT["name_th"]
        assert body["province"]["name_th"]
    else:
        raise AssertionError("the test does not know what {} answers".format(path))


def test_every_api_url_the_dashboard_calls_answers_with_what_it_reads(api):
    point, registered = _stack_with_feedback(api)
    source = script()
    paths = api_paths(source)
    assert set(paths) >= {"/api/v1/reports/rankings", "/api/v1/reports/alerts", "/api/v1/reports/zero-copy",
                          "/api/v1/reports/rollout", "/api/v1/reports/service-points/",
                          "/api/v1/reports/agencies/", "/api/v1/reports/provinces/"}, paths

    to = datetime.now(BANGKOK).date()
    dates = {"from": (to - timedelta(days=29)).isoformat(), "to": to.isoformat()}  # the page's default
    queries = {
        "/api/v1/reports/rankings": [dict(dates, level=level, limit=20) for level in LEVELS],
        "/api/v1/reports/zero-copy": [dict(dates, group_by=group) for group in GROUPS],
        "/api/v1/reports/rollout": [{"group_by": group} for group in GROUPS],
        "/api/v1/reports/alerts": [{"limit": 50}],
        "/api/v1/rollout": [{"group_by": group} for group in GROUPS],
        "/api/v1/service-points/": [{}],
    }
    sent = {key for variants in queries.values() for params in variants for key in params}
    # a parameter the page adds must be added here too, so that it is checked against the API
    assert query_keys(source) and query_keys(source) <= sent, (query_keys(source), sent)
    ids = {"service-points": point["id"], "agencies": registered["id"], "provinces": POINT["province_code"]}

    checked = 0
    for path in paths:
        url = path
        if path.endswith("/"):  # a template the page completes with an id
            kind = path.rstrip("/").rsplit("/", 1)[1]
            assert kind in ids, "dashboard.js calls {}<id>, which this test does not know".format(path)
            url = path + ids[kind]
        for params in queries.get(path, [dates]):
            response = api.get(url, params=params)
            assert response.status_code == 200, (url, params, response.text)
            assert response.headers["Content-Type"].startswith("application/json"), (url, params)
            _check_shape(path, response.json(), point, registered["id"])
            checked += 1
            if path.startswith("/api/v1/reports/") and path != "/api/v1/reports/alerts":
                # the page links the same query with format=csv (alerts: a CSV made in the page)
                export = api.get(url, params=dict(params, format="csv"))
                assert export.status_code == 200, (url, params, export.text)
                assert export.headers["Content-Type"].startswith("text/csv"), (url, params)
                assert export.content.startswith(BOM), (url, params)
                assert len(export.content.decode("utf-8-sig").splitlines()) >= 1
    assert checked >= len(paths)
