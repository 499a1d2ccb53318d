"""Demo ratings and complaints (plain modules): seeded, written through the
stores' own functions, and showing what the product is for."""
import itertools
from datetime import datetime, timezone

import mongomock_ng
import pytest

from services.common import events
from services.common.auth import Passwords
from services.common.embedded_store import install
from services.common.storage import ensure_indexes
from services.complaints import demo as complaints_demo
from services.complaints import lifecycle, relay
from services.complaints import store as complaints_store
from services.feedback import demo as feedback_demo
from services.feedback import store as feedback_store
from services.registry import catalogue, demo as registry_demo, points as registry_points
from services.registry import store as registry_store
from services.reporting import alerts, rating_buckets
from services.reporting.store import aggregates
from services.reporting.store.aggregates import AggregateStore

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=timezone.utc)  # a Wednesday, 16:30 in Bangkok


def _database(client, name, indexes):
    db = client[name]
    for collection, specs in indexes.items():
        for keys, options in specs:
            db[collection].create_index(keys, **options)
    return db


@pytest.fixture(scope="module")
def client():
    install()
    return mongomock_ng.MongoClient(tz_aware=True)


@pytest.fixture(scope="module")
def demo_points(client):
    registry = registry_store.RegistryStore(client["demo_registry"])
    catalogue.load_starter(registry)
    registry_demo.load(registry, Passwords(time_cost=1, memory_kib=1024))
    return registry_points.all_open_points(registry, None, 5000)


@pytest.fixture(scope="module")
def feedback(client, demo_points):
    db = _database(client, "demo_feedback", feedback_store.INDEXES)
    summary = feedback_demo.load(feedback_store.FeedbackStore(db), demo_points, "test-secret",
                                 now=NOW, scale=0.3)
    return db, summary


def test_the_plans_are_seeded(demo_points):
    def fingerprint(plan):
        return [(r["point"]["name_en"], r["at"], r["data"], r["verified"]) for r in plan]
    first = feedback_demo.plan(demo_points, NOW, scale=0.2)
    assert fingerprint(first) == fingerprint(feedback_demo.plan(list(reversed(demo_points)), NOW,
                                                                scale=0.2))
    assert fingerprint(first) != fingerprint(feedback_demo.plan(demo_points, NOW, seed=7, scale=0.2))
    assert all(r["at"] <= NOW for r in first)
    complaints = complaints_demo.plan(demo_points, NOW, scale=0.5)
    assert [(c["body"], c["filed_at"], c["steps"]) for c in complaints] == [
        (c["body"], c["filed_at"], c["steps"])
        for c in complaints_demo.plan(demo_points, NOW, scale=0.5)]


def test_demo_ratings_go_through_the_store_and_show_what_matters(feedback):
    db, summary = feedback
    assert summary["loaded"] and summary["ratings"] == db.feedback.count_documents({}) > 500
    counts = sorted(n for n in (db.feedback.count_documents({"service_point_id": p})
                                for p in db.feedback.distinct("service_point_id")))
    assert counts[len(counts) // 2] < 10 and counts[-1] >= 100   # many quiet, a few busy offices
    assert 0 < summary["verified"] < summary["ratings"]
    assert summary["breaches"] > 0
    reasons = {b["reason"] for d in db.feedback.find() for b in d["zero_copy_breaches"]}
    assert {"government_issued", "declared_no_copy"} <= reasons
    # abusive comments wait for a moderator, and only those
    pending = list(db.feedback.find({"comment_status": "pending"}))
    assert 2 <= len(pending) == summary["pending_comments"]
    assert all(d["comment_original"] in feedback_demo.ABUSIVE for d in pending)
    masked = [d["comment_public"] for d in db.feedback.find({"pii_found": {"$ne": []}})]
    assert masked and all("081-234-5678" not in text and "@example.com" not in text
                          for text in masked)
    # drivers move with satisfaction
    pairs = [(d["answers"]["satisfaction"], d["answers"]["staff"]) for d in db.feedback.find()
             if "staff" in d["answers"]]
    low = [s for sat, s in pairs if sat <= 2]
    high = [s for sat, s in pairs if sat >= 4]
    assert sum(low) / len(low) + 1 < sum(high) / len(high)
    # a second load changes nothing
    assert feedback_demo.load(feedback_store.FeedbackStore(db), [], "test-secret",
                              now=NOW)["loaded"] is False


def test_the_demo_raises_satisfaction_alerts_once_counted(client, feedback):
    db, _ = feedback
    reporting = _database(client, "demo_reporting", aggregates.INDEXES)
    ratings = AggregateStore(reporting)
    ratings.ensure_layout()
    for doc in db.feedback.find():
        for entry in doc["outbox"]:
            ratings.apply_feedback(events.parse_event(entry["name"], entry["payload"]))
    ratings.compact()
    today = NOW.astimezone(rating_buckets.BANGKOK).date()
    found = alerts.detect(ratings, "point", today)
    assert len(found) >= feedback_demo.ALERT_POINTS, found
    assert all(a["change"] <= -0.05 and a["p_value"] < 0.01 for a in found)


def test_demo_complaints_take_every_state(database, demo_points):
    ensure_indexes(database, complaints_store.INDEXES)
    complaints = complaints_store.ComplaintStore(database)
    references = (str(n) for n in itertools.count(1))

    class Pmoc:
        def submit(self, form, key):
            return "PMOC-{}".format(next(references))
    settings = relay.RelaySettings(url="http://pmoc.invalid")
    summary = complaints_demo.load(complaints, demo_points, {}, settings, Pmoc(), now=NOW)
    assert summary["loaded"] and set(summary["by_status"]) == set(lifecycle.STATUSES), summary
    assert summary["relayed"] == {"pending": 0, "relayed": summary["complaints"] - 2,
                                  "dead_letter": 2, "duplicated_at_pmoc": 0}
    overdue = [d for d in database.complaints.find()
               if lifecycle.is_overdue(d["status"], d["due_at"], NOW)]
    assert overdue
    assert database.complaints.count_documents({"rating": {"$ne": None}}) > 10
    late = [d for d in database.complaints.find({"status": "resolved"})
            if lifecycle.resolved_late(d)]
    assert late
    # every change is in the complaint's history at the story's time, in order
    for doc in database.complaints.find():
        times = [h["at"] for h in doc["history"]]
        assert times == sorted(times) and max(times) <= NOW, doc["history"]
    assert complaints_demo.load(complaints, demo_points, {}, settings, Pmoc(),
                                now=NOW)["loaded"] is False

