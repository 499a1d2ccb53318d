"""Citizens rate a visit over HTTP; officers print QR codes and moderate."""
import re
import uuid
from urllib.parse import parse_qs, urlparse

import eventlet
import pytest

from tests.helpers import POINT, agency, wait_for


@pytest.fixture
def point(api):
    token, _ = api.approved_agency(agency("fbh"))
    created = api.post("/api/v1/service-points", json=POINT, token=token).json()
    api.put("/api/v1/service-points/{}/services".format(created["id"]), token=token, json={"services": [
        {"service_code": "DOPA-ID-NEW", "documents": [
            {"name_th": "สูติบัตร", "name_en": "Birth certificate", "government_issued": True, "copy_required": False},
            {"name_th": "รูปถ่าย", "government_issued": False, "copy_required": True,
             "copy_reason": "ใช้ติดแฟ้ม", "copy_planned_end_date": "2027-06-30"}]}]})
    return created, token


def rate(api, point_id, headers=None, **body):
    data = {"service_code": "DOPA-ID-NEW", "answers": {"satisfaction": 4}}
    data.update(body)
    return api.post("/api/v1/service-points/{}/feedback".format(point_id), json=data, headers=headers or {})


def test_counter_qr_code_to_verified_rating(api, point):
    created, officer = point
    png = api.get("/api/v1/service-points/{}/qr".format(created["id"]), token=officer,
                  params={"kind": "counter", "service_code": "DOPA-ID-NEW"})
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert png.content[:4] == b"\x89PNG"
    form = urlparse(png.headers["X-Feedback-Url"])
    assert form.path == "/feedback"
    params = {k: v[0] for k, v in parse_qs(form.query).items()}
    assert api.get("/feedback?" + form.query).status_code == 200  # the form itself

    visit = api.post("/api/v1/service-points/{}/visit-tokens".format(created["id"]), json={
        "code": params["code"], "device_id": "phone-" + uuid.uuid4().hex[:8], "service_code": "DOPA-ID-NEW"})
    assert visit.status_code == 201
    rated = rate(api, created["id"], visit_token=visit.json()["visit_token"],
                 copies_requested=["สูติบัตร", "รูปถ่าย"], comment="ดีมาก ไม่ต้องถ่ายสำเนาบัตร")
    assert rated.status_code == 201
    body = rated.json()
    assert body["verified"] is True and body["comment_status"] == "published"
    assert body["zero_copy_breaches"] == [{"document": "สูติบัตร", "reason": "government_issued"}]
    again = rate(api, created["id"], visit_token=visit.json()["visit_token"])
    assert again.status_code == 409 and again.json()["error"] == "TOKEN_USED"

    svg = api.get("/api/v1/service-points/{}/qr".format(created["id"]), token=officer,
                  params={"kind": "single", "format": "svg"})
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and b"<svg" in svg.content
    single = parse_qs(urlparse(svg.headers["X-Feedback-Url"]).query)["t"][0]
    assert rate(api, created["id"], visit_token=single).json()["verified"] is True


def test_retry_with_the_same_key_is_stored_once(api, point, received):
    created, _ = point
    headers = {"Idempotency-Key": "phone-retry-" + uuid.uuid4().hex}
    first = rate(api, created["id"], headers=headers, comment="ครั้งเดียว")
    second = rate(api, created["id"], headers=headers, comment="ครั้งเดียว")
    assert first.status_code == second.status_code == 201
    assert first.json()["feedback_id"] == second.json()["feedback_id"]
    assert wait_for(lambda: any(n == "feedback_submitted" for n, _ in received))
    eventlet.sleep(0.5)
    submitted = [e for n, e in received if n == "feedback_submitted"]
    assert [e["feedback_id"] for e in submitted] == [first.json()["feedback_id"]]
    assert submitted[0]["service_point_id"] == created["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    listed = api.get("/api/v1/service-points/{}/feedback".format(created["id"])).json()
    assert [c["comment"] for c in listed["results"]] == ["ครั้งเดียว"]
    bad_key = rate(api, created["id"], headers={"Idempotency-Key": "no spaces allowed"})
    assert bad_key.status_code == 400 and "Idempotency-Key" in bad_key.json()["details"]["fields"]


def test_unverified_client_is_rate_limited_with_retry_after(api, point):
    created, _ = point
    statuses = [rate(api, created["id"]).status_code for _ in range(11)]
    assert statuses[:10] == [201] * 10  # the default limit: 10 a minute
    limited = rate(api, created["id"])
    assert limited.status_code == 429 and limited.json()["error"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_public_comments_are_redacted_and_moderation_is_for_the_agency(api, point):
    created, officer = point
    rate(api, created["id"], comment="เรียก 081-234-5678 ได้ อีเมล me@example.com")
    held = rate(api, created["id"], comment="พนักงานโง่มาก").json()
    public = api.get("/api/v1/service-points/{}/feedback".format(created["id"])).json()
    assert [c["comment"] for c in public["results"]] == [
        "เรียก [เบอร์โทรถูกซ่อน] ได้ อีเมล [อีเมลถูกซ่อน]"]
    assert not re.search(r"\d{3}-\d{3}-\d{4}|@example", str(public))

    other, _ = api.approved_agency(agency("fbo"))
    assert api.get("/api/v1/moderation/feedback", token=other).json()["total"] == 0
    refused = api.post("/api/v1/feedback/{}/moderation".format(held["feedback_id"]),
                       json={"decision": "publish"}, token=other)
    assert refused.status_code == 403
    queue = api.get("/api/v1/moderation/feedback", token=officer).json()
    assert [q["feedback_id"] for q in queue["results"]] == [held["feedback_id"]]
    rejected = api.post("/api/v1/feedback/{}/moderation".format(held["feedback_id"]),
                        json={"decision": "reject", "note": "ถ้อยคำไม่สุภาพ"}, token=officer)
    assert rejected.status_code == 200 and rejected.json()["comment_status"] == "rejected"
    assert api.get("/api/v1/service-points/{}/feedback".format(created["id"])).json()["total"] == 1
    assert api.get("/api/v1/questionnaire").json()["questions"][0]["code"] == "satisfaction"


def test_qr_codes_only_for_the_points_own_agency(api, point):
    created, _ = point
    other, _ = api.approved_agency(agency("qro"))
    response = api.get("/api/v1/service-points/{}/qr".format(created["id"]), token=other)
    assert response.status_code == 403
    assert api.get("/api/v1/service-points/{}/qr".format(created["id"])).status_code == 401


def test_a_counter_tablet_learns_when_its_single_use_code_has_rated(api, point):
    created, token = point
    base = "/api/v1/service-points/{}".format(created["id"])
    shown = api.get(base + "/qr", params={"kind": "single", "format": "svg"}, token=token)
    visit_token = parse_qs(urlparse(shown.headers["X-Feedback-Url"]).query)["t"][0]
    status = base + "/visit-tokens/status"
    before = api.get(status, params={"visit_token": visit_token}, token=token)
    assert before.status_code == 200 and before.json()["used"] is False
    assert before.headers["Cache-Control"] == "no-store"
    assert rate(api, created["id"], visit_token=visit_token).status_code == 201
    assert api.get(status, params={"visit_token": visit_token}, token=token).json()["used"] is True
    # another agency's officer may not ask; a made-up token is refused
    other, _ = api.approved_agency(agency("fbh-other"))
    assert api.get(status, params={"visit_token": visit_token}, token=other).status_code == 403
    assert api.get(status, params={"visit_token": visit_token}).status_code == 401
    forged = api.get(status, params={"visit_token": "x" * 40}, token=token)
    assert forged.status_code == 400 and forged.json()["error"] == "INVALID_VISIT_TOKEN"
