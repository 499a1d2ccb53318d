"""Reporting's copy of the service points follows the registry's events in
any order, and the Zero Copy rollout figures equal hand-computed numbers."""
from datetime import date

import pytest

from services.common.events import new_event, parse_event
from services.common.storage import ensure_indexes
from services.reporting import rollout
from services.reporting.store import progress
from services.reporting.store.progress import RolloutStore

TODAY = date(2026, 11, 10)


@pytest.fixture
def db(database):
    ensure_indexes(database, progress.INDEXES)
    return database


def doc(name, copy_required=False, gov=False, end=None):
    return {"name_th": name, "name_en": None, "government_issued": gov,
            "copy_required": copy_required, "copy_planned_end_date": end}


def svc(code, docs=None):
    """An offered service as the registry publishes it (undeclared when docs is None)."""
    declared = docs is not None
    return {"service_code": code, "declared": declared,
            "zero_copy": (not any(d["copy_required"] for d in docs)) if declared else None,
            "documents": docs}


def office(pid, version, agency="ag-A", province="10", services=(), status="open"):
    return {"id": pid, "agency_id": agency, "name_th": "สำนักงาน " + pid, "name_en": "Office " + pid,
            "province_code": province, "location": {"lat": 13.75, "lon": 100.5},
            "address": None, "opening_hours": None, "phone": None, "status": status,
            "services": list(services), "entity_version": version}


def event(name, payload):
    """Through the real contract: produced, then parsed as a consumer sees it."""
    if name == "office_closed":
        payload = {k: payload[k] for k in ("id", "agency_id", "entity_version")}
    elif name == "services_changed":
        payload = {k: payload[k] for k in ("id", "agency_id", "services", "entity_version")}
    return name, parse_event(name, new_event(name, payload))


def apply(db, *events, today=TODAY):
    return [RolloutStore(db).apply_office(name, body, today=today) for name, body in events]


def snapshot(db, level, key, day=TODAY):
    found = db.rollout.find_one({"_id": "|".join((level, key, day.isoformat()))})
    return {name: found[name] for name in rollout.FIGURES}


def figures(*values):
    return dict(zip(rollout.FIGURES, values))


# p1..p5 open, p6 closed. Today is 2026-11-10.
P1 = office("p1", 1, "ag-A", "10", [svc("S1", []), svc("S2", [doc("a")])])
P2 = office("p2", 1, "ag-A", "50", [svc("S1", [doc("b", True, end="2026-11-01")]), svc("S2")])
P3 = office("p3", 1, "ag-B", "10", [svc("S1", [doc("c", True, end="2026-11-10"),
                                               doc("d", True, gov=True), doc("e")])])
P4 = office("p4", 1, "ag-B", "50", [])
P5 = office("p5", 1, "ag-B", "10", [svc("S1", [doc("f")]),
                                    svc("S2", [doc("g", True, end="2026-11-09")])])
P6 = office("p6", 1, "ag-A", "10", [svc("S1", [])])


@pytest.fixture
def fleet(db):
    apply(db, *[event("office_registered", p) for p in (P1, P2, P3, P4, P5, P6)])
    apply(db, event("office_closed", dict(P6, entity_version=2)))
    return db


def stored(db, pid):
    return db.points.find_one({"_id": pid})


def test_duplicate_and_older_events_change_nothing(db):
    v1 = event("office_registered", office("sp-1", 1, services=[svc("S1")]))
    v2 = event("services_changed", office("sp-1", 2, services=[svc("S1", [doc("a", True)])]))
    v3 = event("office_updated", office("sp-1", 3, province="50",
                                        services=[svc("S1", [doc("a", True)])]))
    assert apply(db, v3, v1, v2) == [True, False, False]
    first = stored(db, "sp-1")
    db.points.delete_many({})
    assert apply(db, v1, v2, v3, v3) == [True, True, True, False]
    assert stored(db, "sp-1") == first
    assert first["province_code"] == "50" and first["entity_version"] == 3
    assert first["services"] == [{"service_code": "S1", "declared": True, "zero_copy": False,
                                  "documents": [{"government_issued": False, "copy_required": True,
                                                 "copy_planned_end_date": None}]}]
    # the move to province 50 emptied province 10's snapshot
    assert snapshot(db, "province", "10")["pinned"] == 0
    assert snapshot(db, "province", "50")["pinned"] == 1


def test_partial_event_before_registration_keeps_what_it_knows(db):
    v1 = event("office_registered", office("sp-1", 1, services=[]))
    v2 = event("services_changed", office("sp-1", 2, services=[svc("S1", [])]))
    assert apply(db, v2) == [True]
    assert snapshot(db, "nation", "TH")["pinned"] == 0  # no place or status yet
    assert apply(db, v1) == [True]
    copy = stored(db, "sp-1")
    assert (copy["status"], copy["province_code"], copy["entity_version"]) == ("open", "10", 2)
    assert [s["service_code"] for s in copy["services"]] == ["S1"]
    assert snapshot(db, "nation", "TH") == figures(1, 1, 1, 1, 1, 0, 0)


def test_closing_removes_the_point_and_a_late_event_cannot_revive_it(db):
    v1 = event("office_registered", office("sp-1", 1, services=[svc("S1", [])]))
    closed = event("office_closed", office("sp-1", 2))
    apply(db, v1)
    assert snapshot(db, "agency", "ag-A")["pinned"] == 1
    assert apply(db, closed, v1) == [True, False]
    assert stored(db, "sp-1")["status"] == "closed"
    assert snapshot(db, "agency", "ag-A") == figures(0, 0, 0, 0, 0, 0, 0)
    assert snapshot(db, "nation", "TH")["pinned"] == 0


def test_rollout_snapshots_of_a_hand_made_set(fleet):
    assert snapshot(fleet, "nation", "TH") == figures(5, 3, 1, 7, 3, 4, 2)
    assert snapshot(fleet, "agency", "ag-A") == figures(2, 1, 1, 4, 2, 1, 1)
    assert snapshot(fleet, "agency", "ag-B") == figures(3, 2, 0, 3, 1, 3, 1)
    assert snapshot(fleet, "province", "10") == figures(3, 3, 1, 5, 3, 3, 1)
    assert snapshot(fleet, "province", "50") == figures(2, 0, 0, 2, 0, 1, 1)


def test_series_carry_forward_and_start_with_zeros(db):
    apply(db, event("office_registered", P1), today=date(2026, 11, 1))
    apply(db, event("office_registered", P2), today=date(2026, 11, 3))
    rows = RolloutStore(db).rollout_series("agency", "ag-A", date(2026, 10, 31), date(2026, 11, 4))
    assert [r["day"] for r in rows] == ["2026-10-31", "2026-11-01", "2026-11-02",
                                        "2026-11-03", "2026-11-04"]
    assert rows[0] == dict(figures(0, 0, 0, 0, 0, 0, 0), day="2026-10-31",
                           surveyed_share=None, no_copy_share=None)
    one = dict(figures(1, 1, 1, 2, 2, 0, 0), surveyed_share=1.0, no_copy_share=1.0)
    assert rows[1] == dict(one, day="2026-11-01")
    assert rows[2] == dict(one, day="2026-11-02")
    two = dict(figures(2, 1, 1, 4, 2, 1, 1), surveyed_share=0.5, no_copy_share=0.5)
    assert rows[3] == dict(two, day="2026-11-03")
    assert rows[4] == dict(two, day="2026-11-04")
    # a series starting after the last snapshot carries it in
    later = RolloutStore(db).rollout_series("agency", "ag-A", date(2026, 11, 20),
                                            date(2026, 11, 20))
    assert later == [dict(two, day="2026-11-20")]


def test_refresh_all_counts_copies_that_passed_their_planned_end(fleet):
    RolloutStore(fleet).refresh_all(date(2026, 11, 11))
    # p3's copy planned to end on 2026-11-10 is now past
    assert snapshot(fleet, "nation", "TH", date(2026, 11, 11)) == figures(5, 3, 1, 7, 3, 4, 3)


def test_rollout_table_lists_the_lagging_agency_first(fleet):
    rows = RolloutStore(fleet).rollout_table("agency", TODAY)
    assert [(r["id"], r["surveyed_share"], r["no_copy_share"]) for r in rows] == [
        ("ag-A", 0.5, 0.5), ("ag-B", 0.6667, 0.3333)]
    assert rows[0]["copies_past_planned_end"] == 1
    assert [r["id"] for r in RolloutStore(fleet).rollout_table("province", TODAY)] == ["50", "10"]


def test_rollout_table_breaks_ties_by_copies_past_planned_end(db):
    apply(db, event("office_registered", office("x1", 1, "ag-X", services=[svc("S1")])),
          event("office_registered", office("y1", 1, "ag-Y", services=[
              svc("S1"), svc("S2", [doc("a", True, end="2026-01-01")])])))
    assert [r["id"] for r in RolloutStore(db).rollout_table("agency", TODAY)] == ["ag-Y", "ag-X"]


BREACHES = {
    "p1": {"total": 3, "by_reason": {"declared_no_copy": 2, "government_issued": 1,
                                     "undeclared_document": 0}},
    "p2": {"total": 1, "by_reason": {"declared_no_copy": 0, "government_issued": 0,
                                     "undeclared_document": 1}},
    "p4": {"total": 0, "by_reason": {}},
    "p5": {"total": 5, "by_reason": {"declared_no_copy": 5, "government_issued": 0,
                                     "undeclared_document": 0}},
    "p6": {"total": 2, "by_reason": {"declared_no_copy": 2, "government_issued": 0,
                                     "undeclared_document": 0}},
    "sp-ghost": {"total": 4, "by_reason": {"declared_no_copy": 4, "government_issued": 0,
                                           "undeclared_document": 0}},
}


def group(gid, point_services, declared, no_copy, share, demanded, past, breaches, points, dis):
    return {"id": gid, "point_services": point_services, "declared": declared, "no_copy": no_copy,
            "no_copy_share": share, "copies_demanded": demanded, "copies_past_planned_end": past,
            "citizen_breaches": breaches, "points_with_breaches": points, "disagreements": dis}


def test_zero_copy_progress_by_agency(fleet):
    result = RolloutStore(fleet).zero_copy_progress("agency", BREACHES, TODAY)
    assert result["group_by"] == "agency"
    assert result["groups"] == [group("ag-A", 4, 3, 2, 0.5, 1, 1, 6, 3, 1),
                                group("ag-B", 3, 3, 1, 0.3333, 3, 1, 5, 1, 1)]
    assert result["disagreements"] == [
        {"service_point_id": "p5", "agency_id": "ag-B", "province_code": "10",
         "declared_no_copy_services": 1, "breaches": BREACHES["p5"]},
        {"service_point_id": "p1", "agency_id": "ag-A", "province_code": "10",
         "declared_no_copy_services": 2, "breaches": BREACHES["p1"]}]
    assert result["unknown_points"] == 1


def test_zero_copy_progress_by_province(fleet):
    result = RolloutStore(fleet).zero_copy_progress("province", BREACHES, TODAY)
    assert result["groups"] == [group("10", 5, 5, 3, 0.6, 3, 1, 10, 3, 2),
                                group("50", 2, 1, 0, 0.0, 1, 1, 1, 1, 0)]
    assert [d["service_point_id"] for d in result["disagreements"]] == ["p5", "p1"]
    assert result["unknown_points"] == 1


def test_disagreements_tie_on_breaches_sorted_by_id(fleet):
    breaches = {"p5": {"total": 2, "by_reason": {}}, "p1": {"total": 2, "by_reason": {}}}
    result = RolloutStore(fleet).zero_copy_progress("agency", breaches, TODAY)
    assert [d["service_point_id"] for d in result["disagreements"]] == ["p1", "p5"]
    assert result["unknown_points"] == 0


def test_differences_empty_in_sync_and_name_the_tampered_point(fleet):
    source = [P1, P2, P3, P4, P5]
    assert RolloutStore(fleet).differences(source) == []
    fleet.points.update_one({"_id": "p3"}, {"$set": {"services.0.documents.0.copy_required": False}})
    assert RolloutStore(fleet).differences(source) == ["p3"]
    # the registry no longer lists p4 as open, and knows a point the copy missed
    missed = office("p9", 1, "ag-B", "50")
    assert RolloutStore(fleet).differences([P1, P2, P3, P5, missed]) == ["p3", "p4", "p9"]
