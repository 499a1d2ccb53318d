"""Feedback plain modules and its repository: Zero Copy check, abusive
words, visit tokens, rate limits and submission rules (on the embedded
store, or the MongoDB of MONGO_URI)."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common.storage import ensure_indexes
from services.common.errors import Conflict, RateLimited, ValidationFailed
from services.common import ratelimit
from services.gateway import qr
from services.feedback import moderation, schemas, store, tokens
from services.registry.schemas import load

SECRET = "unit-test-secret-0123456789abcdefgh"
POINT = {
    "id": "sp-1", "agency_id": "ag-1", "province_code": "10", "status": "open",
    "services": [{"service_code": "DOPA-HR-MOVE-IN", "documents": [
        {"name_th": "บัตรประจำตัวประชาชน", "name_en": "ID card", "government_issued": True, "copy_required": False},
        {"name_th": "หนังสือยินยอมให้ย้ายเข้า", "name_en": "Consent letter", "government_issued": False, "copy_required": False},
        {"name_th": "สัญญาเช่า", "name_en": "Lease", "government_issued": False, "copy_required": True},
    ]}],
}


def test_zero_copy_breaches_compare_reports_with_declarations():
    breaches = store.zero_copy_breaches(POINT, "DOPA-HR-MOVE-IN", [
        "บัตรประจำตัวประชาชน", "Consent letter", "สัญญาเช่า", "สำเนาโฉนดที่ดิน"])
    assert breaches == [
        {"document": "บัตรประจำตัวประชาชน", "reason": "government_issued"},
        {"document": "Consent letter", "reason": "declared_no_copy"},
        {"document": "สำเนาโฉนดที่ดิน", "reason": "undeclared_document"},
    ]
    assert store.zero_copy_breaches(POINT, "DOPA-HR-MOVE-IN", ["สัญญาเช่า"]) == []


@pytest.mark.parametrize("comment,held", [
    ("เจ้าหน้าที่ทำงานเหมือนควาย", True),
    ("พูดจาไม่ดี มึง กู ใส่ประชาชน", True),
    ("staff were stupid and rude", True),
    ("What the FUCK is this queue", True),
    ("กรมปศุสัตว์ให้บริการดี", False),           # สัตว์ inside a word
    ("แม่งานจัดคิวได้ดีมาก", False),             # แม่ง inside แม่งาน
    ("ค้นหาใน กูเกิล แล้วมาถูก", False),
    ("assessment was classic and fast", False),  # 'ass' only inside words
    ("บริการดีมาก ขอบคุณค่ะ", False),
])
def test_abusive_words_hold_a_comment_for_moderation(comment, held):
    assert bool(moderation.abusive_terms(comment)) is held


def test_counter_code_gives_one_token_per_device_per_day():
    code = tokens.counter_code(SECRET, "sp-1", "DOPA-HR-MOVE-IN")
    morning = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)    # 08:00 in Bangkok
    evening = datetime(2026, 11, 25, 16, 30, tzinfo=timezone.utc)  # 23:30 in Bangkok
    next_day = datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc)  # 00:30 next day
    # tokens issued in the past are expired by now; compare ids directly
    ids = [tokens.issue_counter_visit(SECRET, "sp-1", "DOPA-HR-MOVE-IN", code, dev, now=now)
           for now, dev in [(morning, "dev-aaaaaaaa"), (evening, "dev-aaaaaaaa"),
                            (next_day, "dev-aaaaaaaa"), (morning, "dev-bbbbbbbb")]]
    import jwt
    claims = [jwt.decode(i["visit_token"], options={"verify_signature": False}) for i in ids]
    assert claims[0]["jti"] == claims[1]["jti"]            # same device, same Bangkok day
    assert claims[2]["jti"] != claims[0]["jti"]            # a new day
    assert claims[3]["jti"] != claims[0]["jti"]            # another device
    assert ids[0]["expires_at"] == "2026-11-26T00:00:00+07:00"


def test_counter_code_must_be_the_counters_own():
    with pytest.raises(ValidationFailed) as error:
        tokens.issue_counter_visit(SECRET, "sp-2", None, tokens.counter_code(SECRET, "sp-1"), "dev-aaaaaaaa")
    assert error.value.error_code == "INVALID_COUNTER_CODE"


def test_visit_tokens_are_checked():
    single = tokens.issue_single_use(SECRET, "sp-1")["visit_token"]
    assert tokens.verify_visit(SECRET, single, "sp-1")["typ"] == "single"
    for token, point in [(single, "sp-2"), (single[:-3] + "abc", "sp-1"),
                         (tokens.issue_single_use("another-secret-0123456789abcdefghij", "sp-1")["visit_token"], "sp-1"),
                         (tokens.issue_single_use(SECRET, "sp-1", now=datetime(2020, 1, 1, tzinfo=timezone.utc),
                                                  days=1)["visit_token"], "sp-1")]:
        with pytest.raises(ValidationFailed) as error:
            tokens.verify_visit(SECRET, token, point)
        assert error.value.error_code == "INVALID_VISIT_TOKEN"


def test_login_tokens_are_not_visit_tokens():
    from services.common.auth import issue_token
    login = issue_token(SECRET, 60, {"sub": "x", "role": "admin"})
    with pytest.raises(ValidationFailed):
        tokens.verify_visit(SECRET, login, "sp-1")


def test_qr_codes_render_png_and_svg():
    url = tokens.form_url("https://cfz.example.go.th", "sp-1", "DOPA-ID-NEW", code="abc")
    assert url == "https://cfz.example.go.th/feedback?point=sp-1&service=DOPA-ID-NEW&code=abc"
    assert qr.qr_image(url, "png")[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in qr.qr_image(url, "svg")


@pytest.fixture
def db(database):
    ensure_indexes(database, {**store.INDEXES, **ratelimit.INDEXES})
    return database


@pytest.fixture
def feedback(db):
    return store.FeedbackStore(db)


def test_rate_limit_counts_per_client_and_window(feedback):
    # near the real clock: the store expires old windows (a TTL index)
    now = datetime.now(timezone.utc).replace(second=5, microsecond=0)
    for _ in range(3):
        feedback.hit_rate_limit("feedback", "client-a", "3/minute", now=now)
    with pytest.raises(RateLimited) as limited:
        feedback.hit_rate_limit("feedback", "client-a", "3/minute", now=now)
    assert limited.value.details["retry_after_seconds"] == 55
    feedback.hit_rate_limit("feedback", "client-b", "3/minute", now=now)  # another client
    feedback.hit_rate_limit("feedback", "client-a", "3/minute",
                            now=now + timedelta(minutes=1))  # the next window
    with pytest.raises(ValueError):
        ratelimit.parse("ten per minute")


def submission(**overrides):
    data = {"service_code": "DOPA-HR-MOVE-IN", "answers": {"satisfaction": 4, "ease": 5},
            "copies_requested": ["บัตรประจำตัวประชาชน"], "comment": "โทรกลับ 0812345678 ค่ะ"}
    data.update(overrides)
    return load(schemas.FeedbackSubmission, data)


def test_submission_is_redacted_flagged_and_idempotent(db, feedback):
    first = feedback.submit(POINT, submission(), idempotency_key="key-00000001")
    again = feedback.submit(POINT, submission(), idempotency_key="key-00000001")
    assert again["feedback_id"] == first["feedback_id"] and again["replayed"]
    assert feedback.count_ratings() == 1
    doc = db.feedback.find_one({})
    assert doc["comment_public"] == "โทรกลับ [เบอร์โทรถูกซ่อน] ค่ะ"
    assert doc["comment_original"] == "โทรกลับ 0812345678 ค่ะ"   # kept for audit
    assert doc["zero_copy_breaches"] == [{"document": "บัตรประจำตัวประชาชน", "reason": "government_issued"}]
    assert [e["name"] for e in doc["outbox"]] == ["feedback_submitted"]
    with pytest.raises(Conflict) as reused:
        feedback.submit(POINT, submission(comment="อย่างอื่น"), idempotency_key="key-00000001")
    assert reused.value.error_code == "IDEMPOTENCY_KEY_REUSED"


def test_a_visit_token_rates_once(feedback):
    claims = {"typ": "single", "jti": "jti-1", "pid": "sp-1", "svc": None}
    assert feedback.submit(POINT, submission(), claims)["verified"] is True
    with pytest.raises(Conflict) as used:
        feedback.submit(POINT, submission(), claims)
    assert used.value.error_code == "TOKEN_USED"
    assert feedback.count_ratings() == 1


def test_service_must_be_offered_and_point_open(feedback):
    with pytest.raises(ValidationFailed):
        feedback.submit(POINT, submission(service_code="DLT-VEHICLE-TAX"))
    with pytest.raises(Conflict):
        feedback.submit(dict(POINT, status="closed"), submission())
    assert feedback.count_ratings() == 0


@pytest.mark.parametrize("data,field", [
    ({}, "answers"),
    ({"answers": {}}, "answers"),
    ({"answers": {"satisfaction": 0}}, "answers"),
    ({"answers": {"satisfaction": 6}}, "answers"),
    ({"answers": {"satisfaction": 4.5}}, "answers"),
    ({"answers": {"satisfaction": "5"}}, "answers"),
    ({"answers": {"satisfaction": True}}, "answers"),
    ({"answers": {"satisfaction": 5, "price": 3}}, "answers"),
    ({"answers": {"satisfaction": 5, "ease": 9}}, "answers"),
    ({"answers": [5]}, "answers"),
    ({"answers": {"satisfaction": 5}, "channel": "fax"}, "channel"),
    ({"answers": {"satisfaction": 5}, "service_code": "id card"}, "service_code"),
    ({"answers": {"satisfaction": 5}, "comment": "ก" * 1001}, "comment"),
    ({"answers": {"satisfaction": 5}, "comment": 42}, "comment"),
    ({"answers": {"satisfaction": 5}, "copies_requested": "บัตรประชาชน"}, "copies_requested"),
    ({"answers": {"satisfaction": 5}, "copies_requested": ["ก"] * 21}, "copies_requested"),
    ({"answers": {"satisfaction": 5}, "copies_requested": ["บัตร", "บัตร"]}, "copies_requested"),
    ({"answers": {"satisfaction": 5}, "website": "http://spam.example"}, "website"),
    ({"answers": {"satisfaction": 5}, "questionnaire_version": 99}, "questionnaire_version"),
    ({"answers": {"satisfaction": 5}, "visit_token": "short"}, "visit_token"),
    ({"answers": {"satisfaction": 5}, "rating": 5}, "rating"),
])
def test_bad_submissions_name_the_field(data, field):
    with pytest.raises(ValidationFailed) as error:
        load(schemas.FeedbackSubmission, data)
    assert field in error.value.details["fields"]


def test_a_visit_token_rates_only_the_service_it_was_minted_for():
    code = tokens.counter_code(SECRET, "sp-1", "DOPA-ID-NEW")
    token = tokens.issue_counter_visit(SECRET, "sp-1", "DOPA-ID-NEW", code, "dev-aaaaaaaa")["visit_token"]
    assert tokens.verify_visit(SECRET, token, "sp-1", service_code="DOPA-ID-NEW")["svc"] == "DOPA-ID-NEW"
    with pytest.raises(ValidationFailed) as other:
        tokens.verify_visit(SECRET, token, "sp-1", service_code="DOPA-ID-LOST")
    assert other.value.details["fields"]["visit_token"] == ["The visit token is for another service."]


def test_counter_tokens_are_counted_per_client_and_code_each_day(db, feedback):
    def issue(jti, client, day="2026-03-02"):
        feedback.count_issue(jti, "sp-1", "DOPA-ID-NEW", client, day, 2, 3, 60)
    issue("a", "c1"), issue("b", "c1"), issue("a", "c1")      # a device scanning again counts once
    with pytest.raises(RateLimited):
        issue("c", "c1")
    issue("d", "c2")
    with pytest.raises(RateLimited):                          # the code's own daily bound
        issue("e", "c3")
    issue("f", "c1", day="2026-03-03")                        # a new day
    assert db.visit_issues.count_documents({}) == 4


def test_who_may_moderate_answers_as_the_one_rule_does(db, feedback):
    """No identity is 401; a known caller who is not staff of the agency 403."""
    from services.common.errors import Forbidden, Unauthorized
    db.feedback.insert_one({"_id": "fb-1", "agency_id": "ag-A", "comment_status": "published"})
    with pytest.raises(Unauthorized):
        feedback.moderation_queue(None)
    with pytest.raises(Forbidden):
        feedback.moderation_queue({"sub": "acc-x", "role": "citizen"})
    with pytest.raises(Unauthorized):
        feedback.moderate(None, "fb-1", {"decision": "publish"})
    with pytest.raises(Forbidden) as other:
        feedback.moderate({"sub": "acc-b", "role": "officer", "agency_id": "ag-B"}, "fb-1",
                       {"decision": "publish"})
    assert other.value.error_code == "OTHER_AGENCY"
    own = feedback.moderation_queue({"sub": "acc-a", "role": "officer", "agency_id": "ag-A"})
    assert own["total"] == 0  # nothing pending, and no refusal
