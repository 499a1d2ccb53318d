"""Reporting's copy of complaints: applied by entity version (duplicates and
late events change nothing), performance figures against a hand-computed
set, Bangkok days, the overdue list, and differences from a recount."""
import math
from datetime import date, datetime, timedelta, timezone

import pytest

from services.common.events import new_event, parse_event
from services.common.storage import ensure_indexes
from services.reporting import complaints as complaint_copies
from services.reporting.store import complaints
from services.reporting.store.complaints import ComplaintCopies

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def at(day, hour=0, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def db(database):
    ensure_indexes(database, complaints.INDEXES)
    return database


def payload(cid, filed_at, sla_due_at, status="received", closed_at=None, version=1,
            category="SERVICE-DELAY", point="sp-1", agency="ag-A", province="10",
            rating=None, previous=None):
    """A complaint payload as the complaints service publishes it (ISO times)."""
    return {"complaint_id": cid, "tracking_code": "CFZ-" + cid.upper(), "category": category,
            "service_point_id": point, "agency_id": agency, "province_code": province,
            "status": status, "previous_status": previous, "filed_at": filed_at.isoformat(),
            "changed_at": (closed_at or filed_at).isoformat(),
            "sla_due_at": sla_due_at.isoformat(), "pmoc_reference": None,
            "resolution_rating": rating,
            "closed_at": closed_at.isoformat() if closed_at else None,
            "entity_version": version}


def event(body, name="complaint_status_changed"):
    """The consumer's view: through the real contract, both ways."""
    return parse_event(name, new_event(name, body))


# Seven complaints, computed by hand (NOW = 2026-11-20T06:00Z):
#   c1 agency A, resolved in 24 h, inside SLA, rating 5
#   c2 agency A, resolved in 216 h, outside SLA (due 11-10, closed 11-12), rating 2
#   c3 agency A, in progress, due 11-11 -> 9.25 days overdue
#   c4 agency B, rejected (closed, never overdue)
#   c5 agency B, reopened after resolution, due 11-13 -> 7.25 days overdue
#   c6 agency B, no point, received, due 11-25 (not yet overdue)
#   c7 agency B, resolved in 12 h, inside SLA, rating 4
SOURCE = [
    payload("c1", at(2, 3), at(9, 3), "resolved", at(3, 3), version=3, rating=5),
    payload("c2", at(3), at(10), "resolved", at(12), version=4, rating=2),
    payload("c3", at(4), at(11), "in_progress", version=2, category="STAFF-CONDUCT",
            point="sp-2"),
    payload("c4", at(5), at(12), "rejected", at(6), version=2, category="STAFF-CONDUCT",
            point="sp-3", agency="ag-B", province="50"),
    payload("c5", at(6), at(13), "reopened", at(7), version=3, category="COPY-DEMANDED",
            point="sp-3", agency="ag-B", province="50", previous="resolved"),
    payload("c6", at(18), at(25), "received", category="COPY-DEMANDED", point=None,
            agency="ag-B", province="50"),
    payload("c7", at(8), at(15), "resolved", at(8, 12), version=2, rating=4,
            category="COPY-DEMANDED", point="sp-4", agency="ag-B", province="50"),
]


@pytest.fixture
def loaded(db):
    for body in SOURCE:
        assert ComplaintCopies(db).apply_complaint(event(body)) is True
    return db


def wilson_by_quadratic(k, n, z=1.959963984540054):
    """The Wilson bounds as the roots of (p_hat - p)^2 = z^2 p (1 - p) / n."""
    p_hat = k / n
    a, b, c = 1 + z * z / n, -(2 * p_hat + z * z / n), p_hat * p_hat
    root = math.sqrt(b * b - 4 * a * c)
    return [round((-b - root) / (2 * a), 4), round((-b + root) / (2 * a), 4)]


# --- applying events -------------------------------------------------------

def test_duplicates_and_older_versions_change_nothing(db):
    v1 = payload("x", at(2), at(9), "received", version=1)
    v2 = payload("x", at(2), at(9), "relayed", version=2, previous="received")
    v3 = payload("x", at(2), at(9), "resolved", at(4), version=3, rating=4,
                 previous="relayed")
    v2["pmoc_reference"] = v3["pmoc_reference"] = "PMOC-77"
    assert ComplaintCopies(db).apply_complaint(event(v3)) is True
    after_v3 = db.complaints.find_one({"_id": "x"})
    assert ComplaintCopies(db).apply_complaint(event(v2, "complaint_relayed")) is False
    assert ComplaintCopies(db).apply_complaint(event(v3)) is False
    assert ComplaintCopies(db).apply_complaint(event(v1, "complaint_filed")) is False
    assert db.complaints.count_documents({}) == 1
    stored = db.complaints.find_one({"_id": "x"})
    assert stored == after_v3
    assert stored["status"] == "resolved" and stored["entity_version"] == 3
    assert stored["closed_at"] == at(4) and isinstance(stored["filed_at"], datetime)
    assert stored["pmoc_reference"] == "PMOC-77" and stored["resolution_rating"] == 4


def test_newer_versions_replace_the_whole_copy(db):
    closed = payload("x", at(2), at(9), "resolved", at(4), version=2, rating=3)
    reopened = payload("x", at(2), at(9), "reopened", None, version=3, previous="resolved")
    assert ComplaintCopies(db).apply_complaint(event(closed)) is True
    assert ComplaintCopies(db).apply_complaint(event(reopened)) is True
    stored = db.complaints.find_one({"_id": "x"})
    assert stored == {"_id": "x", "tracking_code": "CFZ-X", "category": "SERVICE-DELAY",
                      "service_point_id": "sp-1", "agency_id": "ag-A", "province_code": "10",
                      "status": "reopened", "filed_at": at(2), "filed_day": "2026-11-02",
                      "sla_due_at": at(9), "closed_at": None, "resolution_rating": None,
                      "pmoc_reference": None, "entity_version": 3}


def test_contact_data_is_never_copied(db):
    body = dict(event(payload("x", at(2), at(9))), contact={"phone": "0812345678"})
    ComplaintCopies(db).apply_complaint(body)
    assert "contact" not in db.complaints.find_one({"_id": "x"})


# --- performance -------------------------------------------------------------

def test_nation_performance_matches_the_hand_computed_set(loaded):
    report = ComplaintCopies(loaded).performance("nation", None, *NOVEMBER, now=NOW)
    assert report == {
        "filed": 7,
        "by_category": {"SERVICE-DELAY": 2, "STAFF-CONDUCT": 2, "COPY-DEMANDED": 3},
        "by_status": {"resolved": 3, "in_progress": 1, "rejected": 1, "reopened": 1,
                      "received": 1},
        "open": 3, "closed": 4, "resolved": 3, "overdue": 2,
        "median_resolution_hours": 24.0,  # of 12, 24, 216 (odd count)
        "resolved_within_sla": 2, "within_sla_share": 0.6667,
        "within_sla_ci": [0.2077, 0.9385],
        "resolution_rating": {"n": 3, "mean": 3.6667,
                              "hist": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}}}
    assert report["within_sla_ci"] == wilson_by_quadratic(2, 3)
    assert ComplaintCopies(loaded).performance("nation", "ignored", *NOVEMBER, now=NOW) == report


def test_agency_performance_with_an_even_number_of_resolutions(loaded):
    report = ComplaintCopies(loaded).performance("agency", "ag-A", *NOVEMBER, now=NOW)
    assert report == {
        "filed": 3, "by_category": {"SERVICE-DELAY": 2, "STAFF-CONDUCT": 1},
        "by_status": {"resolved": 2, "in_progress": 1},
        "open": 1, "closed": 2, "resolved": 2, "overdue": 1,
        "median_resolution_hours": 120.0,  # of 24 and 216
        "resolved_within_sla": 1, "within_sla_share": 0.5,
        "within_sla_ci": [0.0945, 0.9055],
        "resolution_rating": {"n": 2, "mean": 3.5,
                              "hist": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}}
    assert report["within_sla_ci"] == wilson_by_quadratic(1, 2)


def test_point_and_province_levels(loaded):
    point = ComplaintCopies(loaded).performance("point", "sp-3", *NOVEMBER, now=NOW)
    assert (point["filed"], point["by_status"], point["overdue"]) == (
        2, {"rejected": 1, "reopened": 1}, 1)
    assert point["median_resolution_hours"] is None and point["within_sla_share"] is None
    province = ComplaintCopies(loaded).performance("province", "50", *NOVEMBER, now=NOW)
    assert (province["filed"], province["open"], province["closed"], province["resolved"]) == (
        4, 2, 2, 1)
    assert province["median_resolution_hours"] == 12.0
    assert province["within_sla_share"] == 1.0
    assert province["within_sla_ci"] == wilson_by_quadratic(1, 1) == [0.2065, 1.0]


def test_overdue_depends_on_now(loaded):
    early = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)  # c3 due exactly now: not yet overdue
    assert ComplaintCopies(loaded).performance("nation", None, *NOVEMBER, now=early)["overdue"] == 0
    late = datetime(2026, 12, 1, tzinfo=UTC)  # c6 now overdue too
    assert ComplaintCopies(loaded).performance("nation", None, *NOVEMBER, now=late)["overdue"] == 3


def test_empty_ranges(loaded):
    empty = {"filed": 0, "by_category": {}, "by_status": {}, "open": 0, "closed": 0,
             "resolved": 0, "overdue": 0, "median_resolution_hours": None,
             "resolved_within_sla": 0, "within_sla_share": None, "within_sla_ci": [0.0, 1.0],
             "resolution_rating": {"n": 0, "mean": None,
                                   "hist": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}}
    assert ComplaintCopies(loaded).performance("nation", None, date(2027, 1, 1),
                                               date(2027, 1, 31), now=NOW) == empty
    assert ComplaintCopies(loaded).performance("nation", None, date(2026, 11, 30),
                                               date(2026, 11, 1), now=NOW) == empty
    assert ComplaintCopies(loaded).performance("agency", "ag-unknown", *NOVEMBER, now=NOW) == empty


def test_days_are_bangkok_days(db):
    late_utc = payload("late", datetime(2026, 10, 31, 18, 30, tzinfo=UTC), at(7))
    before = payload("before", datetime(2026, 10, 31, 16, 59, tzinfo=UTC), at(7))
    for body in (late_utc, before):
        ComplaintCopies(db).apply_complaint(event(body, "complaint_filed"))
    assert db.complaints.find_one({"_id": "late"})["filed_day"] == "2026-11-01"
    assert db.complaints.find_one({"_id": "before"})["filed_day"] == "2026-10-31"
    copies = ComplaintCopies(db)
    nov1 = copies.performance("nation", None, date(2026, 11, 1), date(2026, 11, 1), NOW)
    oct31 = copies.performance("nation", None, date(2026, 10, 31), date(2026, 10, 31), NOW)
    assert (nov1["filed"], oct31["filed"]) == (1, 1)
    assert ComplaintCopies(db).performance("agency", "ag-A", date(2026, 10, 31), date(2026, 11, 1),
                                           NOW)["filed"] == 2


def test_unknown_level_is_refused(db):
    with pytest.raises(ValueError):
        ComplaintCopies(db).performance("district", "x", *NOVEMBER, now=NOW)


# --- the overdue list ----------------------------------------------------------

def test_overdue_list_most_overdue_first(loaded):
    rows = ComplaintCopies(loaded).overdue("nation", None, NOW)
    assert rows == [
        {"tracking_code": "CFZ-C3", "category": "STAFF-CONDUCT", "status": "in_progress",
         "service_point_id": "sp-2", "agency_id": "ag-A", "province_code": "10",
         "filed_at": "2026-11-04T00:00:00+00:00", "sla_due_at": "2026-11-11T00:00:00+00:00",
         "days_overdue": 9.25},
        {"tracking_code": "CFZ-C5", "category": "COPY-DEMANDED", "status": "reopened",
         "service_point_id": "sp-3", "agency_id": "ag-B", "province_code": "50",
         "filed_at": "2026-11-06T00:00:00+00:00", "sla_due_at": "2026-11-13T00:00:00+00:00",
         "days_overdue": 7.25}]
    assert [r["tracking_code"] for r in ComplaintCopies(loaded).overdue("agency", "ag-B", NOW)] == [
        "CFZ-C5"]
    assert ComplaintCopies(loaded).overdue("point", "sp-1", NOW) == []
    assert [r["tracking_code"]
            for r in ComplaintCopies(loaded).overdue("nation", None, NOW, 1)] == ["CFZ-C3"]


def test_overdue_ties_are_ordered_by_tracking_code(db):
    for cid in ("b", "a", "c"):
        ComplaintCopies(db).apply_complaint(event(payload(cid, at(1), at(5, 7, 15))))
    rows = ComplaintCopies(db).overdue("province", "10", at(6, 7, 15))
    assert [(r["tracking_code"], r["days_overdue"]) for r in rows] == [
        ("CFZ-A", 1.0), ("CFZ-B", 1.0), ("CFZ-C", 1.0)]


# --- differences from a recount --------------------------------------------------

def test_differences_empty_when_every_event_was_applied(loaded):
    assert ComplaintCopies(loaded).differences(SOURCE) == []  # ISO strings
    assert ComplaintCopies(loaded).differences([event(body) for body in SOURCE]) == []  # datetimes


def test_differences_ignore_precision_beyond_milliseconds(db):
    body = payload("x", at(2) + timedelta(microseconds=123456), at(9))
    ComplaintCopies(db).apply_complaint(event(body))
    assert ComplaintCopies(db).differences([body]) == []


def test_differences_name_tampered_missing_and_extra_copies(loaded):
    loaded.complaints.update_one({"_id": "c2"}, {"$set": {"closed_at": at(9)}})
    assert ComplaintCopies(loaded).differences(SOURCE) == ["c2"]
    loaded.complaints.delete_one({"_id": "c5"})
    assert ComplaintCopies(loaded).differences(SOURCE) == ["c2", "c5"]
    assert ComplaintCopies(loaded).differences(SOURCE[1:]) == ["c1", "c2", "c5"]


def test_closed_exactly_at_the_due_time_is_within_sla(db):
    ComplaintCopies(db).apply_complaint(event(payload("x", at(2), at(9), "resolved", at(9))))
    report = ComplaintCopies(db).performance("nation", None, *NOVEMBER, now=NOW)
    assert (report["resolved_within_sla"], report["median_resolution_hours"]) == (1, 168.0)


def test_who_may_read_an_overdue_list():
    from services.common.errors import Forbidden
    admin = {"role": "admin"}
    officer = {"role": "officer", "agency_id": "ag-1"}
    for level, key in (("nation", None), ("province", "10"), ("agency", "ag-2")):
        complaint_copies.check_overdue_access(admin, level, key)    # anything
    complaint_copies.check_overdue_access(officer, "agency", "ag-1")  # their own agency
    for actor, level, key in ((officer, "agency", "ag-2"), (officer, "nation", None),
                              (officer, "point", "sp-1"), ({"role": "citizen"}, "agency", "ag-1"),
                              ({"role": "officer"}, "agency", None)):
        with pytest.raises(Forbidden):
            complaint_copies.check_overdue_access(actor, level, key)
