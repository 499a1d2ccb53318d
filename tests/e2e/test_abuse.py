"""The abuse table: each way a hostile or careless client once hurt the
suite, now answered with a clear 4xx (or 429/503 with Retry-After), nothing
written and the suite still up. (Slow clients:
tests/interface/test_gateway_slow_clients.py; oversized RPC answers:
tests/interface/test_rpc_guard.py.) Limits are small here so the tests are
fast; the defaults are in services/common/config.py."""
import json
import time
from urllib.parse import parse_qs, urlparse

import eventlet
import pytest

from tests.conftest import ADMIN
from tests.e2e.test_bad_input import THAI, check
from tests.e2e.test_complaints_flow import complaint_body
from tests.helpers import POINT, agency

OPEN311_KEY = "abuse-open311-key"
LIMITS = {
    "CFZ_LOGIN_WINDOW_SECONDS": "60",
    "CFZ_LOGIN_MAX_FAILURES": "3",
    "CFZ_LOGIN_MAX_FAILURES_ACCOUNT": "8",
    "CFZ_LOGIN_MAX_FAILURES_CLIENT": "12",
    "CFZ_LOGIN_LOCKOUT_BASE": "1",
    "CFZ_LOGIN_LOCKOUT_MAX": "4",
    "CFZ_LOGIN_ACCOUNT_LOCKOUT_MAX": "2",
    "CFZ_REGISTRATION_RATE_LIMIT": "4/hour",
    "CFZ_COMPLAINT_RATE_LIMIT": "3/hour",
    "CFZ_FEEDBACK_RATE_LIMIT": "3/minute",
    "CFZ_TRUSTED_PROXIES": "127.0.0.1",
    "CFZ_OPEN311_API_KEYS": OPEN311_KEY,
    "CFZ_VISIT_TOKENS_PER_CLIENT_DAY": "2",
}


@pytest.fixture
def config(config):
    return dict(config, **LIMITS)


def refused(response, status, code):
    """A refusal in the error format, in Thai too, with Retry-After for
    429 and 503; the problem as text, or None."""
    try:
        body = response.json()
    except ValueError:
        return "not JSON: {!r}".format(response.text[:200])
    if response.status_code != status:
        return "status {} (want {}): {}".format(response.status_code, status, body)
    if set(body) != {"error", "message", "message_th", "details"} or body["error"] != code \
            or not body["message"] or not THAI.search(body["message_th"]):
        return "error body {!r} (want {})".format(body, code)
    if status in (429, 503) and not response.headers.get("Retry-After", "").isdigit():
        return "no Retry-After: {}".format(dict(response.headers))
    return None


def in_one_window(window_seconds, needed_seconds=10):
    """Wait, if need be, until the fixed rate-limit window (aligned to the
    epoch, services/common/ratelimit.py) has `needed_seconds` left, so the
    requests a test counts all fall in one window (once, a burst that
    straddled a minute was not limited)."""
    left = window_seconds - time.time() % window_seconds
    if left < needed_seconds:
        time.sleep(left + 0.05)


def login(api, username, password, **kw):
    return api.post("/api/v1/auth/token", json={"username": username, "password": password}, **kw)


def still_up(api):
    ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text


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


def test_wrong_passwords_lock_the_account_briefly_even_for_the_right_one(api):
    # once: 200 wrong passwords in a row were all answered, the right one still worked
    for _ in range(3):
        wrong = login(api, ADMIN["username"], "wrong-password")
        assert refused(wrong, 401, "INVALID_CREDENTIALS") is None
    locked = login(api, ADMIN["username"], ADMIN["password"])
    assert refused(locked, 429, "LOGIN_LOCKED") is None
    wait = int(locked.headers["Retry-After"])
    assert 1 <= wait <= 4
    # unknown usernames: the same answer, the same lockout
    for _ in range(3):
        assert refused(login(api, "nobody-here", "wrong-password"), 401, "INVALID_CREDENTIALS") is None
    assert refused(login(api, "nobody-here", "wrong-password"), 429, "LOGIN_LOCKED") is None
    # short: the officer waits it out and gets in
    time.sleep(wait + 0.2)
    assert login(api, ADMIN["username"], ADMIN["password"]).status_code == 200
    still_up(api)


@pytest.fixture
def slow_hashing(config):
    config.update(CFZ_ARGON2_TIME_COST="2", CFZ_ARGON2_MEMORY_KIB="8192", CFZ_LOGIN_CONCURRENCY="2",
                  CFZ_ARGON2_CONCURRENCY="1", CFZ_ARGON2_QUEUE="1", CFZ_ARGON2_WAIT="0.05",
                  CFZ_LOGIN_MAX_FAILURES_CLIENT="1000")


def test_concurrent_logins_cannot_starve_other_requests(slow_hashing, api):
    # once: 128 concurrent wrong logins made every other request wait 20-44 s
    pool = eventlet.GreenPool(24)  # under the gateway's 32 connections per client
    answers = list(pool.imap(lambda i: login(api, "flood-{}".format(i), "wrong-password"), range(24)))
    search = api.get("/api/v1/services", params={"q": "บัตรประชาชน"})
    assert search.status_code == 200
    busy = [a for a in answers if a.status_code == 503]
    problems = [p for p in (refused(a, 503, "HASHING_BUSY") for a in busy) if p]
    assert busy and not any(problems), problems
    assert {a.status_code for a in answers} <= {401, 503}
    still_up(api)


def test_registrations_are_limited_per_client_before_a_taken_username_is_told(api):
    admin = api.admin_token()
    in_one_window(3600, 30)
    assert api.post("/api/v1/agencies", json=agency("reg1")).status_code == 201
    taken = api.post("/api/v1/agencies", json=agency("reg1", name_en="Copycat"))
    assert refused(taken, 409, "USERNAME_TAKEN") is None
    for n in range(2, 4):
        assert api.post("/api/v1/agencies", json=agency("reg{}".format(n))).status_code == 201
    before = len(api.get("/api/v1/admin/agencies", token=admin).json()["results"])
    # past the limit even a taken username says only "later": no more guesses
    for data in (agency("reg9"), agency("reg1", name_en="Copycat")):
        assert refused(api.post("/api/v1/agencies", json=data), 429, "RATE_LIMITED") is None
    assert len(api.get("/api/v1/admin/agencies", token=admin).json()["results"]) == before
    still_up(api)


def test_complaints_and_open311_posts_are_limited_per_client(api):
    admin = api.admin_token()
    in_one_window(3600, 30)
    first = api.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": "abuse-key-0001"})
    assert first.status_code == 201, first.text
    # a retry of the same complaint is answered, not counted
    again = api.post("/api/v1/complaints", json=complaint_body(), headers={"Idempotency-Key": "abuse-key-0001"})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert api.post("/api/v1/complaints", json=complaint_body(description="เรื่องที่สอง ขอสำเนาอีกแล้ว")).status_code == 201
    open311 = api.post("/open311/v2/requests.json", data={
        "api_key": OPEN311_KEY, "service_code": "OTHER", "address_string": "ถนนพระราม 4"})
    assert open311.status_code == 201, open311.text
    stats = api.get("/api/v1/admin/complaints/relay", token=admin).json()
    limited = api.post("/api/v1/complaints", json=complaint_body(description="เรื่องที่สี่"))
    assert refused(limited, 429, "RATE_LIMITED") is None
    # Open311 counts against the same limit and keeps the spec's error array
    limited = api.post("/open311/v2/requests.json", data={
        "api_key": OPEN311_KEY, "service_code": "OTHER", "address_string": "ถนนพระราม 4"})
    assert limited.status_code == 429 and limited.headers["Retry-After"].isdigit()
    assert limited.json()[0]["code"] == 429
    assert api.get("/api/v1/admin/complaints/relay", token=admin).json() == stats
    still_up(api)


def test_a_forged_x_forwarded_for_does_not_make_a_new_client(api):
    # once: behind a proxy the leftmost X-Forwarded-For was believed, so a
    # client sending a new one each time was never limited
    officer, _ = api.approved_agency(agency("xff"))
    point = api.post("/api/v1/service-points", json=POINT, token=officer).json()
    path = "/api/v1/service-points/{}/feedback".format(point["id"])
    rating = {"channel": "walk_in", "questionnaire_version": 1, "answers": {"satisfaction": 4}}

    def rate(forwarded):
        return api.post(path, json=rating, headers={"X-Forwarded-For": forwarded})
    in_one_window(60)
    for n in range(3):
        assert rate("10.9.9.{}, 198.51.100.7".format(n)).status_code == 201
    assert refused(rate("10.9.9.99, 198.51.100.7"), 429, "RATE_LIMITED") is None
    # the proxy's own entry (rightmost) is believed: another citizen is not limited
    assert rate("198.51.100.8").status_code == 201
    still_up(api)


@pytest.fixture
def scans_allowed(config):
    config.update(CFZ_FEEDBACK_RATE_LIMIT="50/minute")


def token_id(visit_token):
    """The id a visit token rates under (its `jti`); the token's text also
    carries when it was issued, so two scans a second apart differ in text."""
    import base64
    import json
    payload = visit_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]


def test_a_photographed_counter_code_mints_few_tokens_each_for_its_own_service(scans_allowed, api):
    # once: one photo of a counter's QR code minted a verified rating per
    # made-up device id, and a token minted for one service rated another
    officer, _ = api.approved_agency(agency("visit"))
    point = api.post("/api/v1/service-points", json=POINT, token=officer).json()
    base = "/api/v1/service-points/" + point["id"]
    api.put(base + "/services", token=officer, json={"services": [
        {"service_code": "DOPA-ID-NEW", "documents": []}, {"service_code": "DOPA-ID-LOST", "documents": []}]})
    qr = api.get(base + "/qr", token=officer, params={"kind": "counter", "service_code": "DOPA-ID-NEW",
                                                        "format": "svg"})
    code = parse_qs(urlparse(qr.headers["X-Feedback-Url"]).query)["code"][0]

    def scan(device):
        return api.post(base + "/visit-tokens", json={"code": code, "device_id": device,
                                                      "service_code": "DOPA-ID-NEW"})
    first, second = scan("device-0001"), scan("device-0002")
    assert first.status_code == 201 and second.status_code == 201
    again = scan("device-0001")  # the same device: its same token id (one rating), not another
    assert again.status_code == 201
    assert token_id(again.json()["visit_token"]) == token_id(first.json()["visit_token"])
    assert token_id(second.json()["visit_token"]) != token_id(first.json()["visit_token"])
    assert refused(scan("device-0003"), 429, "VISIT_TOKEN_LIMIT") is None

    rating = {"answers": {"satisfaction": 5}, "visit_token": first.json()["visit_token"]}
    other = api.post(base + "/feedback", json=dict(rating, service_code="DOPA-ID-LOST"))
    failures = []
    check(api, ("token for another service", "POST", base + "/feedback",
                dict(json=dict(rating, service_code="DOPA-ID-LOST")), 400, "INVALID_VISIT_TOKEN",
                "visit_token"), failures)
    assert other.status_code == 400 and not failures, failures
    # nothing was spent: the token still rates its own service, verified
    own = api.post(base + "/feedback", json=dict(rating, service_code="DOPA-ID-NEW"))
    assert own.status_code == 201 and own.json()["verified"] is True
    still_up(api)
