"""Moderation decisions and complaint status changes reach the registry's
audit trail through their events: who, when, before and after, once per
event, and never the citizen's unredacted words."""
from datetime import datetime, timedelta, timezone

import mongomock_ng
import pytest

from services.common import events
from services.common.storage import ensure_indexes
from services.complaints import store as complaints
from services.complaints.schemas import ComplaintCreate
from services.feedback import schemas as feedback_schemas
from services.feedback import store as feedback
from services.registry import accounts, audit, store
from services.registry.schemas import load

POINT = {"id": "sp-1", "agency_id": "ag-1", "province_code": "50", "status": "open",
         "name_th": "ที่ว่าการอำเภอ", "name_en": "District Office",
         "location": {"lat": 18.79, "lon": 98.98}, "address": "ถนนช้างเผือก",
         "services": [{"service_code": "DOPA-HR-MOVE-IN", "documents": []}]}
MODERATOR = {"sub": "acc-mod", "username": "somsri", "role": "officer", "agency_id": "ag-1"}
HANDLER = {"sub": "acc-h", "username": "wichai", "role": "officer", "agency_id": "ag-1"}
BOSS = {"sub": "acc-boss", "username": "boss", "role": "officer", "agency_id": "ag-1",
        "agency_admin": True}
ADMIN = {"sub": "acc-0", "username": "admin", "role": "admin"}
PAGE = {"limit": 50, "offset": 0}
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
PHONE = "0812345678"


def same_moment(stored, iso):
    """MongoDB keeps datetimes to the millisecond."""
    return abs(datetime.fromisoformat(stored) - datetime.fromisoformat(iso)) < timedelta(milliseconds=1)


def client(name):
    return mongomock_ng.MongoClient(tz_aware=True)[name]


@pytest.fixture
def registry(databases):
    database = databases("registry")
    ensure_indexes(database, store.INDEXES)
    database.agencies.insert_one({"_id": "ag-1", "status": "approved"})
    return store.RegistryStore(database)


@pytest.fixture
def feedback_db(databases):
    database = databases("feedback")
    ensure_indexes(database, feedback.INDEXES)
    return database


@pytest.fixture
def ratings(feedback_db):
    return feedback.FeedbackStore(feedback_db)


@pytest.fixture
def complaints_db(databases):
    database = databases("complaints")
    ensure_indexes(database, complaints.INDEXES)
    return database


@pytest.fixture
def complaint_store(complaints_db):
    return complaints.ComplaintStore(complaints_db)


def published(db, name):
    """The payloads of `name` events in the outbox, as the broker delivers them."""
    return [e["payload"] for doc in db.find({}) for e in doc.get("outbox", []) if e["name"] == name]


def deliver(registry, name, payload):
    """What the registry's event handler does with one delivery."""
    fact = events.parse_event(name, payload)
    entry = (audit.moderation_entry(fact) if name == "feedback_moderated"
             else audit.complaint_status_entry(fact))
    return audit.record_entry(registry, entry)


def trail(registry, actor=BOSS):
    return accounts.audit_trail(registry, actor, "ag-1", PAGE)


def held_comment(ratings, text):
    data = load(feedback_schemas.FeedbackSubmission, {
        "service_code": "DOPA-HR-MOVE-IN", "answers": {"satisfaction": 1}, "comment": text})
    answer = ratings.submit(POINT, data)
    assert answer["comment_status"] == "pending"
    return answer["feedback_id"]


def test_an_edited_publication_is_audited_with_who_and_both_public_texts(registry, feedback_db,
                                                                           ratings):
    feedback_id = held_comment(ratings, "พนักงานโง่มาก โทรหาฉัน {} ด่วน".format(PHONE))
    ratings.moderate(MODERATOR, feedback_id, {
        "decision": "publish", "comment": "พนักงานไม่ใส่ใจ โทรหาฉัน {} ด่วน".format(PHONE),
        "note": "ลบคำหยาบ ผู้ร้องโทร {}".format(PHONE)})
    [payload] = published(feedback_db.feedback, "feedback_moderated")
    assert deliver(registry, "feedback_moderated", payload)

    [entry] = trail(registry)["results"]
    assert entry["action"] == "comment.moderate"
    assert entry["entity"] == {"type": "feedback", "id": feedback_id}
    assert entry["actor"] == {"account_id": "acc-mod", "username": "somsri", "role": "officer"}
    assert same_moment(entry["at"], payload["moderated_at"])
    assert entry["before"] == {"status": "pending",
                               "comment": "พนักงานโง่มาก โทรหาฉัน [เบอร์โทรถูกซ่อน] ด่วน"}
    assert entry["after"] == {"status": "published",
                              "comment": "พนักงานไม่ใส่ใจ โทรหาฉัน [เบอร์โทรถูกซ่อน] ด่วน",
                              "note": "ลบคำหยาบ ผู้ร้องโทร [เบอร์โทรถูกซ่อน]"}
    # the agency administrator reads this: the citizen's number is nowhere in it
    assert PHONE not in repr(entry) and PHONE not in repr(payload)
    # the system administrator sees the same trail
    assert trail(registry, ADMIN)["results"] == [entry]


def test_a_rejection_and_a_later_change_of_mind_are_two_entries(registry, feedback_db, ratings):
    feedback_id = held_comment(ratings, "บริการห่วย ไอ้บ้า")
    ratings.moderate(MODERATOR, feedback_id, {"decision": "reject"})
    ratings.moderate(ADMIN, feedback_id, {"decision": "publish"})
    for payload in published(feedback_db.feedback, "feedback_moderated"):
        deliver(registry, "feedback_moderated", payload)
    published_again, rejected = trail(registry)["results"]  # newest first
    assert rejected["before"] == {"status": "pending", "comment": "บริการห่วย ไอ้บ้า"}
    assert rejected["after"] == {"status": "rejected", "comment": None}
    assert rejected["actor"]["username"] == "somsri"
    assert published_again["before"] == {"status": "rejected", "comment": "บริการห่วย ไอ้บ้า"}
    assert published_again["after"] == {"status": "published", "comment": "บริการห่วย ไอ้บ้า"}
    assert published_again["actor"] == {"account_id": "acc-0", "username": "admin", "role": "admin"}


def test_a_redelivered_or_replayed_event_adds_nothing(registry, feedback_db, ratings,
                                                      complaints_db, complaint_store):
    feedback_id = held_comment(ratings, "ช้าเหมือนควาย")
    ratings.moderate(MODERATOR, feedback_id, {"decision": "reject"})
    view, _ = complaint_store.file(load(ComplaintCreate, {
        "category": "STAFF-CONDUCT", "description": "รอนาน", "service_point_id": "sp-1"}),
        POINT, None, now=T0)
    complaint_store.change_status(HANDLER, view["complaint_id"], "accepted",
                                  now=T0 + timedelta(hours=1))
    moderated = published(feedback_db.feedback, "feedback_moderated")
    changed = published(complaints_db.complaints, "complaint_status_changed")
    assert [deliver(registry, "feedback_moderated", p) for p in moderated * 3] == [True, False, False]
    assert [deliver(registry, "complaint_status_changed", p) for p in changed * 2] == [True, False]
    assert trail(registry)["total"] == 2


def test_officers_complaint_status_changes_are_audited_with_the_public_note(registry, complaints_db,
                                                                            complaint_store):
    view, _ = complaint_store.file(load(ComplaintCreate, {
        "category": "STAFF-CONDUCT", "description": "เจ้าหน้าที่ไม่สุภาพ", "service_point_id": "sp-1",
        "contact": {"first_name": "สมชาย", "phone": PHONE}}), POINT, None, now=T0)
    complaint_id = view["complaint_id"]
    complaint_store.change_status(HANDLER, complaint_id, "in_progress",
                                  "โทรคุยกับผู้ร้องที่ {} แล้ว".format(PHONE),
                                  now=T0 + timedelta(hours=2))
    complaint_store.change_status(ADMIN, complaint_id, "resolved", now=T0 + timedelta(days=1))
    # the complainant's rating and reopening are not officers' actions
    code = complaints_db.complaints.find_one({"_id": complaint_id})["tracking_code"]
    complaint_store.rate(code, 2, now=T0 + timedelta(days=2))
    complaint_store.reopen(code, "ยังไม่แก้", now=T0 + timedelta(days=3))
    payloads = published(complaints_db.complaints, "complaint_status_changed")
    assert [deliver(registry, "complaint_status_changed", p) for p in payloads] == [
        True, True, False, False]

    resolved, in_progress = trail(registry)["results"]
    assert in_progress["action"] == "complaint.status"
    assert in_progress["entity"] == {"type": "complaint", "id": complaint_id}
    assert in_progress["actor"] == {"account_id": "acc-h", "username": "wichai", "role": "officer"}
    assert in_progress["at"] == (T0 + timedelta(hours=2)).isoformat()
    assert in_progress["before"] == {"status": "received"}
    assert in_progress["after"] == {"status": "in_progress",
                                    "note": "โทรคุยกับผู้ร้องที่ [เบอร์โทรถูกซ่อน] แล้ว"}
    assert resolved["actor"]["role"] == "admin" and resolved["after"] == {"status": "resolved"}
    assert resolved["before"] == {"status": "in_progress"}
    # neither the contact, nor the tracking code that lets its holder act as the complainant
    assert PHONE not in repr(trail(registry)) and code not in repr(trail(registry))
    # the agency's own view keeps the officer's words as written
    history = complaint_store.officer_get(HANDLER, complaint_id)["history"]
    assert PHONE in history[1]["note"] and "account" not in history[1]


def test_pmoc_closing_a_complaint_is_not_an_officers_action(registry, complaints_db,
                                                            complaint_store):
    view, _ = complaint_store.file(load(ComplaintCreate, {
        "category": "STAFF-CONDUCT", "description": "รอนาน", "service_point_id": "sp-1"}),
        POINT, None, now=T0)
    complaint_store.record_relayed(view["complaint_id"], "PMOC-1", 1, now=T0)
    complaint_store.apply_pmoc_status(view["complaint_id"], "closed", "ปิดเรื่อง",
                                      now=T0 + timedelta(days=1))
    [payload] = published(complaints_db.complaints, "complaint_status_changed")
    assert payload["status"] == "resolved" and payload["actor"] is None
    assert not deliver(registry, "complaint_status_changed", payload)
    assert trail(registry)["total"] == 0


def test_an_older_producers_moderation_event_is_still_recorded(registry):
    """Events queued before an upgrade lack the new fields: who is unknown."""
    payload = events.new_event("feedback_moderated", {
        "feedback_id": "fb-1", "service_point_id": "sp-1", "agency_id": "ag-1",
        "decision": "published"})
    assert deliver(registry, "feedback_moderated", payload)
    [entry] = trail(registry)["results"]
    assert entry["actor"] == {"account_id": None, "username": None, "role": None}
    assert entry["after"]["status"] == "published" and same_moment(entry["at"], payload["occurred_at"])
