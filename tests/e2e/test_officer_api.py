"""What an officer web app needs from the registry, over HTTP: pin
provenance, idempotent creation, rejection and disabling, the audit trail."""
from datetime import datetime, timedelta, timezone

from tests.helpers import POINT, agency, wait_for


def recent(**delta):
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


def test_pin_provenance_is_kept_shown_and_published(api, received):
    token, _ = api.approved_agency(agency("pin"))
    pin = {"method": "gps", "accuracy_m": 6.5, "captured_at": recent(minutes=2)}
    created = api.post("/api/v1/service-points", json=dict(POINT, pin=pin), token=token)
    assert created.status_code == 201, created.text
    own = created.json()["pin"]
    assert own["method"] == "gps" and own["accuracy_m"] == 6.5
    assert own["pinned_by"]["username"] == "officer-pin" and own["pinned_at"]

    public = api.get("/api/v1/service-points/" + created.json()["id"]).json()["pin"]
    assert public == {k: own[k] for k in ("method", "accuracy_m", "captured_at", "pinned_at")}

    point_id = created.json()["id"]
    moved = api.patch("/api/v1/service-points/" + point_id, token=token,
                      json={"location": {"lat": 18.80, "lon": 98.99},
                            "pin": {"method": "drag", "captured_at": recent(seconds=5)}})
    assert moved.status_code == 200 and moved.json()["pin"]["method"] == "drag"
    typed = api.patch("/api/v1/service-points/" + point_id, token=token,
                      json={"location": {"lat": 18.79, "lon": 98.98}}).json()
    assert typed["pin"]["method"] == "typed" and typed["pin"]["accuracy_m"] is None

    assert wait_for(lambda: len([e for n, e in received if e.get("id") == point_id]) == 3)
    pins = [e["pin"]["method"] for n, e in received if e.get("id") == point_id]
    assert pins == ["gps", "drag", "typed"]
    assert all("pinned_by" not in e["pin"] for n, e in received if e.get("id") == point_id)


def test_bad_pins_get_field_messages_and_write_nothing(api):
    token, agency_view = api.approved_agency(agency("badpin"))
    cases = [
        ({"method": "gps"}, "accuracy_m"),
        ({"method": "gps", "accuracy_m": 20_000}, "accuracy_m"),
        ({"method": "compass"}, "method"),
        ({"method": "drag", "captured_at": "2026-01-01T10:00:00"}, "captured_at"),
        ({"method": "drag", "captured_at": recent(minutes=-10)}, "captured_at"),
        ({"method": "drag", "captured_at": recent(days=40)}, "captured_at"),
    ]
    for pin, field in cases:
        response = api.post("/api/v1/service-points", json=dict(POINT, pin=pin), token=token)
        assert response.status_code == 400, (pin, response.text)
        assert response.json()["details"]["fields"]["pin"][field], pin
    listed = api.get("/api/v1/service-points", params={"agency_id": agency_view["id"]}).json()
    assert listed["total"] == 0

    point = api.post("/api/v1/service-points", json=POINT, token=token).json()
    alone = api.patch("/api/v1/service-points/" + point["id"], token=token,
                      json={"pin": {"method": "drag"}})
    assert alone.status_code == 400 and alone.json()["details"]["fields"]["pin"]
    assert api.get("/api/v1/service-points/" + point["id"]).json()["entity_version"] == 1


def test_a_retried_creation_returns_the_first_point(api):
    token, agency_view = api.approved_agency(agency("idem"))
    key = {"Idempotency-Key": "field-phone-0001"}
    first = api.post("/api/v1/service-points", json=POINT, token=token, headers=dict(key))
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = api.post("/api/v1/service-points", json=POINT, token=token, headers=dict(key))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.headers["Location"] == first.headers["Location"]

    changed = api.post("/api/v1/service-points", json=dict(POINT, name_en="Another"),
                       token=token, headers=dict(key))
    assert changed.status_code == 409 and changed.json()["error"] == "IDEMPOTENCY_KEY_REUSED"
    bad = api.post("/api/v1/service-points", json=POINT, token=token,
                   headers={"Idempotency-Key": "no good"})
    assert bad.status_code == 400 and bad.json()["details"]["fields"]["Idempotency-Key"]
    listed = api.get("/api/v1/service-points", params={"agency_id": agency_view["id"]}).json()
    assert listed["total"] == 1


def test_two_identical_requests_racing_create_one_point(api):
    import eventlet
    token, agency_view = api.approved_agency(agency("race"))
    pool = eventlet.GreenPool()

    def post(_):
        from tests.e2e.conftest import Api
        client = Api(api.base)  # its own connection: the two really overlap
        return client.post("/api/v1/service-points", json=POINT, token=token,
                           headers={"Idempotency-Key": "race-0000-0001"})
    answers = list(pool.imap(post, range(2)))
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    listed = api.get("/api/v1/service-points", params={"agency_id": agency_view["id"]}).json()
    assert listed["total"] == 1


def test_a_rejected_agency_is_told_why_and_cannot_be_approved(api):
    admin = api.admin_token()
    data = agency("rej")
    registered = api.post("/api/v1/agencies", json=data).json()["agency"]
    path = "/api/v1/admin/agencies/{}/reject".format(registered["id"])
    for body, field in (({}, "reason"), ({"reason": "   "}, "reason"),
                        ({"reason": "ก" * 501}, "reason"), ({"reason": "x", "why": 1}, "why")):
        bad = api.post(path, json=body, token=admin)
        assert bad.status_code == 400 and bad.json()["details"]["fields"][field], body
    officer, _ = api.approved_agency(agency("rej-other"))
    assert api.post(path, json={"reason": "ไม่ใช่"}, token=officer).status_code == 403
    assert api.get("/api/v1/admin/agencies?status=rejected", token=admin).json()["results"] == []

    reason = "ไม่พบหน่วยงานนี้ในทะเบียนส่วนราชการ"
    rejected = api.post(path, json={"reason": reason}, token=admin)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == reason
    listed = api.get("/api/v1/admin/agencies?status=rejected", token=admin).json()["results"]
    assert [a["id"] for a in listed] == [registered["id"]]

    login = api.post("/api/v1/auth/token", json={"username": data["username"],
                                                 "password": data["password"]})
    assert login.status_code == 403 and login.json()["error"] == "ACCOUNT_REJECTED"
    assert login.json()["details"]["reason"] == reason
    approve = api.post("/api/v1/admin/agencies/{}/approve".format(registered["id"]), token=admin)
    assert approve.status_code == 409 and approve.json()["error"] == "AGENCY_REJECTED"
    again = api.post(path, json={"reason": "อีกครั้ง"}, token=admin)
    assert again.status_code == 409
    trail = api.get("/api/v1/agencies/{}/audit".format(registered["id"]), token=admin).json()
    assert [e["action"] for e in trail["results"]] == ["agency.reject"]
    assert trail["results"][0]["after"] == {"status": "rejected", "rejection_reason": reason}


def test_a_disabled_officer_cannot_log_in_and_its_tokens_stop_working(api):
    admin_data = agency("dis")
    boss, own = api.approved_agency(admin_data)
    added = api.post("/api/v1/agencies/{}/officers".format(own["id"]), token=boss,
                     json={"username": "field-officer", "password": "field password 1"})
    assert added.status_code == 201, added.text
    officer = api.token("field-officer", "field password 1")
    other_boss, other = api.approved_agency(agency("dis-other"))

    listed = api.get("/api/v1/agencies/{}/officers".format(own["id"]), token=boss)
    assert listed.status_code == 200
    assert {o["username"]: o["status"] for o in listed.json()["results"]} == {
        "officer-dis": "active", "field-officer": "active"}
    assert "password_hash" not in listed.text
    for token in (officer, other_boss):
        assert api.get("/api/v1/agencies/{}/officers".format(own["id"]),
                       token=token).status_code == 403

    path = "/api/v1/admin/accounts/{}/disable".format(added.json()["id"])
    assert api.post(path, token=other_boss).status_code == 403  # another agency's admin
    assert api.post(path, token=officer).status_code == 403     # not an administrator
    assert api.post("/api/v1/service-points", json=POINT, token=officer).status_code == 201

    disabled = api.post(path, token=boss)
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    # the token it already holds is refused by the registry's routes and by others'
    for method, route in (("POST", "/api/v1/service-points"), ("GET", "/api/v1/moderation/feedback"),
                          ("GET", "/api/v1/officer/complaints")):
        refused = api.request(method, route, token=officer,
                              **({"json": POINT} if method == "POST" else {}))
        assert refused.status_code == 401, (route, refused.text)
        assert refused.json()["error"] == "TOKEN_REVOKED"
    login = api.post("/api/v1/auth/token", json={"username": "field-officer",
                                                 "password": "field password 1"})
    assert login.status_code == 403 and login.json()["error"] == "ACCOUNT_DISABLED"
    # its colleagues and other agencies are not affected
    assert api.post("/api/v1/service-points", json=POINT, token=boss).status_code == 201
    assert api.post("/api/v1/service-points", json=POINT, token=other_boss).status_code == 201

    admin = api.admin_token()
    me = api.post("/api/v1/admin/accounts/{}/disable".format(
        listed.json()["results"][0]["id"]), token=boss)
    assert me.status_code == 409 and me.json()["error"] == "CANNOT_DISABLE_SELF"
    assert api.post("/api/v1/admin/accounts/acc-nobody/disable", token=admin).status_code == 404
    assert api.post(path, token=admin).json()["status"] == "disabled"  # again: no change
    assert other["id"] != own["id"]


def test_the_audit_trail_shows_who_changed_what_to_its_agency_only(api):
    boss, own = api.approved_agency(agency("aud"))
    api.post("/api/v1/agencies/{}/officers".format(own["id"]), token=boss,
             json={"username": "aud-officer", "password": "audit password 1"})
    officer = api.token("aud-officer", "audit password 1")
    other, _ = api.approved_agency(agency("aud-other"))
    point = api.post("/api/v1/service-points", json=POINT, token=officer).json()
    path = "/api/v1/service-points/" + point["id"]
    assert api.patch(path, json={"phone": "02-111-2222"}, token=officer).status_code == 200
    trail_path = "/api/v1/agencies/{}/audit".format(own["id"])
    before = api.get(trail_path, token=boss).json()["total"]

    # another agency's officer is refused, and nothing is audited
    assert api.patch(path, json={"phone": "02-999-9999"}, token=other).status_code == 403
    assert api.delete(path, token=other).status_code == 403
    trail = api.get(trail_path, token=boss)
    assert trail.status_code == 200 and trail.json()["total"] == before

    entries = trail.json()["results"]
    assert [e["action"] for e in entries] == ["point.update", "point.create", "agency.approve"]
    update = entries[0]
    assert update["actor"]["username"] == "aud-officer"
    assert update["before"] == {"phone": "053112345"} and update["after"] == {"phone": "021112222"}
    assert entries[2]["actor"]["username"] == "admin"
    assert entries[2]["before"] == {"status": "pending"} and entries[2]["after"] == {"status": "approved"}

    admin = api.admin_token()
    assert api.get(trail_path, token=admin).json()["total"] == before
    for token in (officer, other):
        assert api.get(trail_path, token=token).status_code == 403
    for query, field in (({"limit": "0"}, "limit"), ({"limit": "abc"}, "limit"),
                         ({"offset": "-1"}, "offset"), ({"since": "x"}, "since")):
        bad = api.get(trail_path, token=boss, params=query)
        assert bad.status_code == 400 and bad.json()["details"]["fields"][field], query
    page = api.get(trail_path, token=boss, params={"limit": 1, "offset": 1}).json()
    assert [e["action"] for e in page["results"]] == ["point.create"]

    officer_id = [o["id"] for o in api.get("/api/v1/agencies/{}/officers".format(own["id"]),
                                           token=boss).json()["results"]
                  if o["username"] == "aud-officer"][0]
    assert api.post("/api/v1/admin/accounts/{}/disable".format(officer_id),
                    token=boss).status_code == 200
    latest = api.get(trail_path, token=boss).json()["results"][0]
    assert latest["action"] == "account.disable" and latest["entity"]["id"] == officer_id
    assert latest["after"]["status"] == "disabled"


def test_moderation_and_complaint_status_changes_join_the_agencys_audit_trail(api):
    """Over HTTP: the agency administrator sees who published which text and
    who moved a complaint, from the events; only public texts."""
    boss, own = api.approved_agency(agency("aud-ev"))
    point = api.post("/api/v1/service-points", json=POINT, token=boss).json()
    held = api.post("/api/v1/service-points/{}/feedback".format(point["id"]),
                    json={"answers": {"satisfaction": 1},
                          "comment": "เจ้าหน้าที่เหมือนควาย โทร 081-234-5678"}).json()
    assert held["comment_status"] == "pending"
    decided = api.post("/api/v1/feedback/{}/moderation".format(held["feedback_id"]), token=boss,
                       json={"decision": "publish", "comment": "เจ้าหน้าที่ไม่สุภาพ โทร 081-234-5678"})
    assert decided.status_code == 200, decided.text
    filed = api.post("/api/v1/complaints", json={
        "category": "STAFF-CONDUCT", "description": "ไม่สุภาพ", "service_point_id": point["id"],
        "contact": {"phone": "081-234-5678"}}).json()
    inbox = api.get("/api/v1/officer/complaints", token=boss).json()["results"]
    changed = api.post("/api/v1/officer/complaints/{}/status".format(inbox[0]["complaint_id"]),
                       token=boss, json={"status": "accepted", "note": "รับเรื่อง โทรกลับ 0812345678"})
    assert changed.status_code == 200, changed.text

    trail_path = "/api/v1/agencies/{}/audit".format(own["id"])

    def actions():
        return [e["action"] for e in api.get(trail_path, token=boss).json()["results"]]
    assert wait_for(lambda: {"comment.moderate", "complaint.status"} <= set(actions()), timeout=20)
    trail = api.get(trail_path, token=boss).json()["results"]
    moderation = [e for e in trail if e["action"] == "comment.moderate"][0]
    status = [e for e in trail if e["action"] == "complaint.status"][0]
    assert moderation["entity"] == {"type": "feedback", "id": held["feedback_id"]}
    assert moderation["actor"]["username"] == "officer-aud-ev"
    assert moderation["before"] == {"status": "pending",
                                    "comment": "เจ้าหน้าที่เหมือนควาย โทร [เบอร์โทรถูกซ่อน]"}
    assert moderation["after"] == {"status": "published",
                                   "comment": "เจ้าหน้าที่ไม่สุภาพ โทร [เบอร์โทรถูกซ่อน]"}
    assert status["entity"] == {"type": "complaint", "id": inbox[0]["complaint_id"]}
    assert status["actor"]["username"] == "officer-aud-ev"
    assert status["after"] == {"status": "accepted", "note": "รับเรื่อง โทรกลับ [เบอร์โทรถูกซ่อน]"}
    text = repr(trail)
    assert "0812345678" not in text and "081-234-5678" not in text
    assert filed["tracking_code"] not in text
    assert api.get(trail_path, token=api.admin_token()).json()["results"] == trail
