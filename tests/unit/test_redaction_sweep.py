"""Comments stored under older redaction rules are masked again by
feedback's sweep: the public text, not only new comments, and reporting
and the audit trail hear of each published one that changed."""
import pytest

from services.common import events, redaction
from services.common.storage import ensure_indexes
from services.feedback import schemas as feedback_schemas
from services.feedback import store as feedback
from services.registry import audit
from services.registry.schemas import load
from services.reporting import theme_buckets

POINT = {"id": "sp-1", "agency_id": "ag-1", "province_code": "50", "status": "open",
         "services": [{"service_code": "DOPA-HR-MOVE-IN", "documents": []}]}
MODERATOR = {"sub": "acc-mod", "username": "somsri", "role": "officer", "agency_id": "ag-1"}
THAI_DIGITS_PHONE = "โทร๐๘๑-๒๓๔-๕๖๗๘ได้เลย"  # one of the ways older rules let through


@pytest.fixture
def db(database):
    ensure_indexes(database, feedback.INDEXES)
    return database


@pytest.fixture
def ratings(db):
    return feedback.FeedbackStore(db)


def rate(ratings, comment, satisfaction=2):
    data = load(feedback_schemas.FeedbackSubmission, {
        "service_code": "DOPA-HR-MOVE-IN", "answers": {"satisfaction": satisfaction},
        "comment": comment})
    return ratings.submit(POINT, data)["feedback_id"]


def as_stored_by_older_rules(db, feedback_id, public_text):
    """What a comment looks like when an older release redacted it: its
    public text unmasked, another rules digest, its events long published."""
    db.feedback.update_one({"_id": feedback_id}, {"$set": {
        "comment_public": public_text, "redaction": "older-rules", "outbox": []}})


def events_of(db, feedback_id):
    return [(e["name"], e["payload"]) for e in db.feedback.find_one({"_id": feedback_id})["outbox"]]


def sweep(ratings, limit=200):
    after, changed, pages = None, 0, 0
    while True:
        after, n = ratings.redact_again(after, limit=limit)
        changed, pages = changed + n, pages + 1
        if after is None:
            return changed, pages


def test_a_published_comment_is_masked_again_and_its_event_says_so(db, ratings):
    published = rate(ratings, "รอคิวนาน " + THAI_DIGITS_PHONE)
    assert "เบอร์โทรถูกซ่อน" in db.feedback.find_one({"_id": published})["comment_public"]
    as_stored_by_older_rules(db, published, "รอคิวนาน " + THAI_DIGITS_PHONE)

    assert sweep(ratings) == (1, 1)
    doc = db.feedback.find_one({"_id": published})
    assert doc["comment_public"] == "รอคิวนาน โทร[เบอร์โทรถูกซ่อน]ได้เลย"
    assert doc["redaction"] == redaction.RULES and doc["comment_status"] == "published"
    (name, payload), = events_of(db, published)
    assert name == "feedback_moderated"
    event = events.parse_event(name, payload)  # the contract every consumer reads
    assert event["decision"] == "published" and event["previous_status"] == "published"
    assert event["comment_public"] == doc["comment_public"]
    assert event["previous_comment"] == "รอคิวนาน " + THAI_DIGITS_PHONE
    assert event["moderator"]["role"] == "system"

    # the audit trail shows the system's masking, the text before and after
    entry = audit.moderation_entry(event)
    assert entry["actor"] == {"account_id": None, "username": None, "role": "system"}
    assert entry["after"]["comment"] == doc["comment_public"]
    assert "personal data masked again" in entry["after"]["note"]
    # reporting's comment themes take the new text (a later decision wins)
    state = theme_buckets.from_moderated(event)
    assert state["text"] == doc["comment_public"] and state["rank"] > ""


def test_a_moderators_edit_stays_and_is_only_masked_further(db, ratings):
    edited = rate(ratings, "พนักงานพูดไม่ดี ควาย")  # abusive: waits for a moderator
    ratings.moderate(MODERATOR, edited, {"decision": "publish",
                                         "comment": "พนักงานพูดไม่ดี"})
    as_stored_by_older_rules(db, edited, "พนักงานพูดไม่ดี " + THAI_DIGITS_PHONE)
    sweep(ratings)
    assert db.feedback.find_one({"_id": edited})["comment_public"] == \
        "พนักงานพูดไม่ดี โทร[เบอร์โทรถูกซ่อน]ได้เลย"


def test_waiting_and_rejected_comments_change_without_an_event(db, ratings):
    waiting = rate(ratings, "ควาย " + THAI_DIGITS_PHONE)
    rejected = rate(ratings, "ควาย จริงๆ " + THAI_DIGITS_PHONE)
    ratings.moderate(MODERATOR, rejected, {"decision": "reject"})
    for fid in (waiting, rejected):
        as_stored_by_older_rules(db, fid, db.feedback.find_one({"_id": fid})["comment_original"])
    assert sweep(ratings)[0] == 2
    for fid in (waiting, rejected):
        assert "[เบอร์โทรถูกซ่อน]" in db.feedback.find_one({"_id": fid})["comment_public"]
        assert events_of(db, fid) == []


def test_the_sweep_pages_through_everything_once_and_then_changes_nothing(db, ratings):
    fine = [rate(ratings, "บริการดีมาก ขอบคุณค่ะ {}".format(i), 5) for i in range(5)]
    leaking = [rate(ratings, "ติดต่อกลับ {} ครั้งที่ {}".format(THAI_DIGITS_PHONE, i))
               for i in range(3)]
    for fid in fine:
        as_stored_by_older_rules(db, fid, db.feedback.find_one({"_id": fid})["comment_public"])
    for fid in leaking:
        as_stored_by_older_rules(db, fid, db.feedback.find_one({"_id": fid})["comment_original"])
    assert sweep(ratings, limit=3) == (3, 3)  # 8 comments, 3 a page
    assert all(doc["redaction"] == redaction.RULES
               for doc in db.feedback.find({"_id": {"$in": fine + leaking}}))
    assert [events_of(db, fid) for fid in fine] == [[]] * 5
    assert sweep(ratings, limit=3) == (0, 3)  # a second walk: nothing to do
    assert all(len(events_of(db, fid)) == 1 for fid in leaking)


def test_a_moderators_decision_meanwhile_wins_over_the_sweep(db, ratings):
    fid = rate(ratings, "ติดต่อ " + THAI_DIGITS_PHONE)
    as_stored_by_older_rules(db, fid, "ติดต่อ " + THAI_DIGITS_PHONE)
    real_find = db.feedback.find

    def find_then_a_moderator_rejects(*args, **kwargs):
        docs = list(real_find(*args, **kwargs))
        ratings.moderate(MODERATOR, fid, {"decision": "reject"})
        return iter(docs)

    class Racing:
        def find(self, *args, **kwargs):
            return Sorted(find_then_a_moderator_rejects(*args, **kwargs))

        def __getattr__(self, name):
            return getattr(db.feedback, name)

    class Sorted:
        def __init__(self, docs):
            self.docs = list(docs)

        def sort(self, *args):
            return self

        def limit(self, n):
            return self.docs[:n]

    class RacingDb:
        feedback = Racing()

    assert feedback.FeedbackStore(RacingDb()).redact_again(None)[1] == 0
    doc = db.feedback.find_one({"_id": fid})
    assert doc["comment_status"] == "rejected"
    assert [name for name, _ in events_of(db, fid)] == ["feedback_moderated"]  # the moderator's only


def test_the_feedback_timer_walks_once_after_a_start_and_then_rests(db, ratings):
    """The service shell: a page per tick, the metric counts the changes,
    and once every comment was seen the timer reads nothing more."""
    from nameko.testing.services import worker_factory
    from services.feedback.service import REDACTED_AGAIN, FeedbackService, RedactionSweep
    leaking = [rate(ratings, "ติดต่อกลับ {} ครั้งที่ {}".format(THAI_DIGITS_PHONE, i))
               for i in range(3)]
    for fid in leaking:
        as_stored_by_older_rules(db, fid, db.feedback.find_one({"_id": fid})["comment_original"])
    sweep = RedactionSweep()
    sweep.setup()
    service = worker_factory(FeedbackService, storage=ratings, sweep=sweep)
    counted = REDACTED_AGAIN._value.get()
    assert service.redact_again() == 3 and sweep.done  # one page held them all
    assert REDACTED_AGAIN._value.get() == counted + 3
    as_stored_by_older_rules(db, leaking[0], "ติดต่อกลับ " + THAI_DIGITS_PHONE)
    assert service.redact_again() == 0  # resting until the next start
    sweep.setup()  # a start
    assert service.redact_again() == 1
