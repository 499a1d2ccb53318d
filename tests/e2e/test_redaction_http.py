"""Personal data never reaches a public answer: a dozen rows of the
personal-data table sent as feedback comments and complaints (description,
address, photo link, officer's note) through the gateway, then every public
answer read back; the handling agency still sees what it needs to call the
citizen back."""
import json

import pytest

from services.common.text import nfc
from tests.helpers import POINT, agency
from tests.unit.test_redaction_table import TABLE, core

ROWS = [row for row in TABLE if row[1]][::6][:12]


@pytest.fixture
def config(config):
    # a dozen ratings from one test client: not what the rate limit is for
    return dict(config, CFZ_FEEDBACK_RATE_LIMIT="1000/minute")


def leaks(answer, secrets):
    text = json.dumps(answer, ensure_ascii=False)
    return [s for s in secrets if s in text or core(s) in core(text)]


def test_public_answers_never_show_personal_data(api):
    assert len(ROWS) == 12
    officer, _ = api.approved_agency(agency("redact"))
    point = api.post("/api/v1/service-points", json=POINT, token=officer).json()
    api.put("/api/v1/service-points/{}/services".format(point["id"]), token=officer,
            json={"services": [{"service_code": "DOPA-ID-NEW", "documents": []}]})
    secrets = [s for _, row_secrets, _ in ROWS for s in row_secrets]
    complaints = []
    for n, (text, row_secrets, keep) in enumerate(ROWS):
        rated = api.post("/api/v1/service-points/{}/feedback".format(point["id"]), json={
            "service_code": "DOPA-ID-NEW", "answers": {"satisfaction": 4}, "comment": text})
        assert rated.status_code == 201, rated.text
        assert rated.json()["comment_status"] == "published"
        other = ROWS[(n + 1) % len(ROWS)][0]
        filed = api.post("/api/v1/complaints", json={
            "category": "COPY-DEMANDED", "description": text, "service_point_id": point["id"],
            "address": other,
            "media_urls": ["https://example.org/photos/{}.jpg?phone=0812345678&mail=a%40b.co".format(n)],
            "contact": {"first_name": "สมศักดิ์", "phone": "089-111-2222", "email": "somsak@example.com"}},
            headers={"Idempotency-Key": "redaction-e2e-{:04d}".format(n)})
        assert filed.status_code == 201, filed.text
        body = filed.json()
        assert not leaks(body, row_secrets), body
        complaints.append((body["tracking_code"], body["complaint_id"], text))
    secrets += ["0812345678", "a@b.co", "a%40b.co", "089-111-2222", "somsak@example.com"]

    # an officer's note is public too (tracking history, Open311 status_notes)
    note_text, note_secrets, _ = ROWS[0]
    code0, id0, _ = complaints[0]
    moved = api.post("/api/v1/officer/complaints/{}/status".format(id0), token=officer,
                     json={"status": "in_progress", "note": "ติดต่อแล้ว " + note_text})
    assert moved.status_code == 200, moved.text

    feedback = api.get("/api/v1/service-points/{}/feedback".format(point["id"]),
                       params={"limit": 50}).json()
    assert feedback["total"] == len(ROWS)
    assert not leaks(feedback, secrets), feedback
    for number in (k for _, _, keep in ROWS for k in keep):
        assert number in json.dumps(feedback, ensure_ascii=False)

    for code, cid, text in complaints:
        tracked = api.get("/api/v1/complaints/" + code)
        assert tracked.status_code == 200
        assert not leaks(tracked.json(), secrets), tracked.json()
        assert tracked.json()["media_urls"][0].startswith("https://example.org/photos/")
        one = api.get("/open311/v2/requests/{}.json".format(cid))
        assert one.status_code == 200, one.text
        assert not leaks(one.json(), secrets), one.json()
        assert one.json()[0]["media_url"].endswith(".jpg")
    listing = api.get("/open311/v2/requests.json")
    assert listing.status_code == 200
    assert len(listing.json()) >= len(ROWS)
    assert not leaks(listing.json(), secrets), listing.json()
    tracked0 = api.get("/api/v1/complaints/" + code0).json()
    assert any("ติดต่อแล้ว" in (h["note"] or "") for h in tracked0["history"])

    # the agency calls the citizen back: originals and contact details
    for code, cid, text in complaints:
        seen = api.get("/api/v1/officer/complaints/" + cid, token=officer).json()
        assert seen["description"] == nfc(text), seen
        assert seen["contact"]["phone"] == "0891112222"
        assert "phone=0812345678" in seen["media_urls"][0]
    seen0 = api.get("/api/v1/officer/complaints/" + id0, token=officer).json()
    assert any(note_secrets[0] in (h["note"] or "") for h in seen0["history"])
