"""geo's copy of the points: applied by version, followed by sequence."""
import pytest

from services.common import events
from services.geo import store
from services.geo.index import SpatialIndex


@pytest.fixture
def db(database):
    return database


@pytest.fixture
def points(db):
    return store.GeoStore(db)


def office(version, lat=13.75, lon=100.5, status="open", point_id="sp-1", services=()):
    return events.new_event("office_updated" if version > 1 else "office_registered", {
        "id": point_id, "agency_id": "ag-1", "name_th": "สำนักงาน", "name_en": "Office",
        "province_code": "10", "location": {"lat": lat, "lon": lon}, "status": status,
        "services": list(services), "entity_version": version})


def follow(points, follower=None):
    follower = follower or store.IndexFollower(SpatialIndex())
    follower.refresh(points)
    return follower


def test_newer_versions_win_and_old_or_duplicate_events_change_nothing(db, points):
    assert points.apply_office(office(1))
    assert points.apply_office(office(3, lat=14.0))
    assert not points.apply_office(office(2, lat=15.0))   # older, arrives late
    assert not points.apply_office(office(3, lat=16.0))   # same version again
    doc = db.points.find_one({"_id": "sp-1"})
    assert doc["location"]["lat"] == 14.0 and doc["entity_version"] == 3


def test_closed_point_is_not_revived_by_a_late_update(db, points):
    points.apply_office(office(1))
    assert points.apply_closed({"id": "sp-1", "agency_id": "ag-1", "entity_version": 3})
    assert not points.apply_office(office(2))
    follower = follow(points)
    assert len(follower.index) == 0


def test_services_changed_before_the_point_is_kept_until_its_place_arrives(db, points):
    services = [{"service_code": "DOPA-ID-NEW", "zero_copy": True, "declared": True}]
    assert points.apply_services({"id": "sp-x", "services": services, "entity_version": 2})
    assert not points.known("sp-x")
    follower = follow(points)
    assert "sp-x" not in follower.index                       # no place yet: not on the map
    assert points.apply_office(office(1, point_id="sp-x"))  # registered, without services
    follow(points, follower)
    point = follower.index.points["sp-x"]
    assert point.services == {"DOPA-ID-NEW": True} and point.zero_copy()
    # a later office event carries the services as of its version
    assert points.apply_office(office(3, point_id="sp-x", lat=14.0))
    follow(points, follower)
    assert follower.index.points["sp-x"].services == {} and follower.index.points["sp-x"].lat == 14.0
    assert not points.apply_services({"id": "sp-x", "services": services, "entity_version": 2})


def test_a_point_stored_before_services_had_their_own_version_still_takes_them(db, points):
    points.apply_office(office(1))
    db.points.update_one({"_id": "sp-1"}, {"$unset": {"services_version": ""}})
    services = [{"service_code": "DOL-LAND-TRANSFER", "zero_copy": False, "declared": True}]
    assert points.apply_services({"id": "sp-1", "services": services, "entity_version": 2})
    assert follow(points).index.points["sp-1"].services == {"DOL-LAND-TRANSFER": False}


def test_follower_sees_every_change_in_sequence(db, points):
    follower = follow(points)
    points.apply_office(office(1, point_id="sp-a"))
    points.apply_office(office(1, point_id="sp-b", lat=18.0, lon=99.0))
    follower.refresh(points)
    assert sorted(follower.index.points) == ["sp-a", "sp-b"]
    points.apply_office(office(2, point_id="sp-a", lat=7.9, lon=98.4))
    points.apply_closed({"id": "sp-b", "agency_id": "ag-1", "entity_version": 2})
    follower.refresh(points)
    assert sorted(follower.index.points) == ["sp-a"]
    assert follower.index.points["sp-a"].lat == 7.9


def test_follower_does_not_skip_a_write_that_lands_late(db, points):
    """A writer took sequence 2 but wrote after the writer of 3: the
    follower must still apply it when it lands."""
    follower = follow(points)
    points.apply_office(office(1, point_id="sp-a"))            # seq 1
    slow_seq = points._next_seq()                                 # seq 2, not yet written
    points.apply_office(office(1, point_id="sp-c"))            # seq 3
    follower.refresh(points)
    assert follower.missing and sorted(follower.index.points) == ["sp-a", "sp-c"]
    db.points.insert_one({"_id": "sp-b", "location": {"lat": 9.1, "lon": 99.3}, "status": "open",
                          "entity_version": 1, "seq": slow_seq, "services": []})
    follower.refresh(points)
    assert sorted(follower.index.points) == ["sp-a", "sp-b", "sp-c"]
    assert not follower.missing


def test_forgotten_sequence_numbers_expire(points):
    clock = [0.0]
    follower = store.IndexFollower(SpatialIndex(), clock=lambda: clock[0])
    points._next_seq()  # handed out, never written
    points.apply_office(office(1))
    follower.refresh(points)
    assert list(follower.missing) == [1]
    clock[0] = store.MISSING_SEQ_TTL_SECONDS + 1
    follower.refresh(points)
    assert follower.missing == {}


def test_resync_closes_points_the_registry_no_longer_lists(db, points):
    points.apply_office(office(1, point_id="sp-a"))
    points.apply_office(office(1, point_id="sp-b"))
    seq = points.current_seq()
    points.apply_office(office(1, point_id="sp-new"))  # arrived during the resync
    assert points.close_missing({"sp-a"}, seq) == 1
    follower = follow(points)
    assert sorted(follower.index.points) == ["sp-a", "sp-new"]


def test_a_burst_of_overwrites_keeps_the_gap_list_bounded(db, points):
    follower = follow(points)
    for version in range(1, 2 * store.MISSING_SEQ_MAX + 50):
        points.apply_office(office(version))  # the same point, rewritten
    follower.refresh(points)
    assert len(follower.missing) <= store.MISSING_SEQ_MAX
    assert follower.index.points["sp-1"]
