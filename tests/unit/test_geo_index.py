"""The spatial index against brute force: same ids, same order, same
distances, for thousands of random queries over awkward point sets."""
import math
import random

import numpy as np
import pytest
from shapely.geometry import Polygon

from services.geo import index as geo_index
from services.geo.index import Filters, IndexedPoint, SpatialIndex

R = 6371.0088


def brute_haversine(lat, lon, lats, lons):
    """Independent of the index: plain numpy haversine."""
    phi1, phi2 = math.radians(lat), np.radians(lats)
    a = (np.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lons - lon) / 2) ** 2)
    return 2 * R * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def point_set(rng, n):
    """Uniform over Thailand's box, a dense cluster, exact duplicates of
    locations, and points hugging the box's edges."""
    points = []
    for i in range(n):
        kind = rng.random()
        if kind < 0.5:
            lat, lon = rng.uniform(5.6, 20.5), rng.uniform(97.3, 105.7)
        elif kind < 0.75:
            lat, lon = rng.gauss(13.75, 0.05), rng.gauss(100.5, 0.05)
        elif kind < 0.9 and points:
            other = rng.choice(points)  # same spot as another point
            lat, lon = other.lat, other.lon
        else:
            lat = rng.choice([5.6, 20.5, rng.uniform(5.6, 20.5)])
            lon = rng.choice([97.3, 105.7]) if lat not in (5.6, 20.5) else rng.uniform(97.3, 105.7)
        services = {}
        if rng.random() < 0.6:
            services["DOPA-ID-NEW"] = rng.random() < 0.5
        if rng.random() < 0.3:
            services["DOL-LAND-TRANSFER"] = rng.choice([True, False, None])
        points.append(IndexedPoint(id="sp-{:05d}".format(rng.randrange(10 ** 5)) + str(i),
                                   lat=lat, lon=lon, agency_id=rng.choice(["ag-a", "ag-b", "ag-c"]),
                                   province_code=rng.choice(["10", "50", "90"]), services=services))
    return points


def expected(points, lat, lon, k, radius_km=None, filters=Filters()):
    kept = [p for p in points if filters.accepts(p)]
    if not kept:
        return []
    d = brute_haversine(lat, lon, np.array([p.lat for p in kept]), np.array([p.lon for p in kept]))
    ranked = sorted(zip(d.tolist(), [p.id for p in kept]))
    if radius_km is not None:
        ranked = [r for r in ranked if r[0] <= radius_km]
    return ranked[:k]


def assert_same(got, want, context):
    assert [p.id for p, _ in got] == [i for _, i in want], context
    for (_, d_got), (d_want, _) in zip(got, want):
        assert abs(d_got - d_want) < 0.001, context  # within 1 m


FILTERS = [Filters(), Filters(service_code="DOPA-ID-NEW"),
           Filters(service_code="DOPA-ID-NEW", zero_copy=True), Filters(zero_copy=True),
           Filters(agency_id="ag-b"), Filters(province_code="50", service_code="DOL-LAND-TRANSFER"),
           Filters(agency_id="ag-none")]


@pytest.mark.parametrize("seed,n", [(1, 50), (2, 800), (3, 5000)])
def test_nearest_matches_brute_force(seed, n):
    rng = random.Random(seed)
    points = point_set(rng, n)
    index = SpatialIndex()
    for p in points:
        index.upsert(p)
    for q in range(700):
        lat, lon = rng.uniform(4.0, 22.0), rng.uniform(96.0, 107.0)
        if q % 7 == 0:  # exactly on a point
            lat, lon = rng.choice(points).lat, rng.choice(points).lon
        k = rng.choice([1, 5, 10, 37, 100])
        radius = rng.choice([None, None, 0.5, 25.0, 300.0])
        filters = FILTERS[q % len(FILTERS)]
        got = index.nearest(lat, lon, k, radius, filters)
        assert_same(got, expected(points, lat, lon, k, radius, filters),
                    (seed, q, lat, lon, k, radius, filters))


def test_ties_on_the_same_spot_are_broken_by_id():
    index = SpatialIndex()
    for name in ["sp-c", "sp-a", "sp-b", "sp-d"]:
        index.upsert(IndexedPoint(id=name, lat=13.7, lon=100.5))
    assert [p.id for p, _ in index.nearest(13.8, 100.6, 3)] == ["sp-a", "sp-b", "sp-c"]


def test_updates_are_visible_to_the_next_query(monkeypatch):
    monkeypatch.setattr(geo_index, "REBUILD_DELTA", 20)  # exercise rebuilds too
    rng = random.Random(9)
    points = {p.id: p for p in point_set(rng, 2000)}
    index = SpatialIndex()
    for p in points.values():
        index.upsert(p)
    index.rebuild()
    for step in range(600):
        action = rng.random()
        victim = rng.choice(sorted(points))
        if action < 0.4:  # move
            moved = IndexedPoint(id=victim, lat=rng.uniform(5.6, 20.5), lon=rng.uniform(97.3, 105.7),
                                 services=points[victim].services)
            points[victim] = moved
            index.upsert(moved)
        elif action < 0.6:  # close
            del points[victim]
            index.remove(victim)
        elif action < 0.8:  # new point
            new = IndexedPoint(id="new-{}".format(step), lat=rng.uniform(5.6, 20.5),
                               lon=rng.uniform(97.3, 105.7), services={"DOPA-ID-NEW": True})
            points[new.id] = new
            index.upsert(new)
        else:  # services changed, same place
            changed = IndexedPoint(id=victim, lat=points[victim].lat, lon=points[victim].lon,
                                   services={"DOPA-ID-NEW": rng.random() < 0.5})
            points[victim] = changed
            index.upsert(changed)
        lat, lon = rng.uniform(5.6, 20.5), rng.uniform(97.3, 105.7)
        filters = FILTERS[step % 4]
        assert_same(index.nearest(lat, lon, 10, None, filters),
                    expected(list(points.values()), lat, lon, 10, None, filters), step)
    assert len(index) == len(points)
    assert index.rebuilds > 1


def test_bbox_is_paged_in_id_order_and_counts_all():
    rng = random.Random(4)
    points = point_set(rng, 3000)
    index = SpatialIndex()
    for p in points:
        index.upsert(p)
    box = (12.0, 99.0, 15.0, 102.0)
    inside = sorted(p.id for p in points if box[0] <= p.lat <= box[2] and box[1] <= p.lon <= box[3])
    page, total = index.within_bbox(*box, limit=100, offset=50)
    assert total == len(inside)
    assert [p.id for p in page] == inside[50:150]
    zc, zc_total = index.within_bbox(*box, filters=Filters(zero_copy=True), limit=5000)
    assert [p.id for p in zc] == sorted(p.id for p in points if p.id in set(inside) and p.zero_copy())


def test_polygon_finds_exactly_the_points_inside():
    rng = random.Random(5)
    points = point_set(rng, 3000)
    index = SpatialIndex()
    for p in points:
        index.upsert(p)
    triangle = Polygon([(99.0, 12.0), (102.0, 12.0), (100.5, 16.0), (99.0, 12.0)])
    found, total = index.within_polygon(triangle)
    from shapely.geometry import Point
    want = sorted(p.id for p in points if triangle.intersects(Point(p.lon, p.lat)))
    assert [p.id for p in found] == want and total == len(want)


def test_empty_index_and_zero_k():
    index = SpatialIndex()
    assert index.nearest(13.7, 100.5, 10) == []
    index.upsert(IndexedPoint(id="sp-1", lat=13.7, lon=100.5))
    assert index.nearest(13.7, 100.5, 0) == []
    assert index.within_bbox(0, 0, 1, 1) == ([], 0)


def test_a_filter_follows_services_changed_in_place():
    """A filtered query searches a tree of the filter's own points, kept
    between rebuilds: a point that gains or loses the service where it
    stands must show, or stop showing, at once."""
    rng = random.Random(21)
    points = {p.id: p for p in point_set(rng, 3000)}
    index = SpatialIndex()
    for p in points.values():
        index.upsert(p)
    index.rebuild()
    filters = [Filters(service_code="DOPA-ID-NEW"), Filters(service_code="DOPA-ID-NEW", zero_copy=True),
               Filters(zero_copy=True)]
    queries = [(rng.uniform(5.6, 20.5), rng.uniform(97.3, 105.7)) for _ in range(40)]

    def check(step):
        for f in filters:
            for lat, lon in queries:
                assert_same(index.nearest(lat, lon, 10, None, f),
                            expected(list(points.values()), lat, lon, 10, None, f), (step, f))
    check("before")
    # the nearest answers of the first query, flipped where they stand: the
    # ones with the service lose it, the ones near without it gain it
    lat, lon = queries[0]
    near = [p for p, _ in index.nearest(lat, lon, 30)]
    for p in near:
        services = dict(p.services)
        if "DOPA-ID-NEW" in services:
            del services["DOPA-ID-NEW"]
        else:
            services["DOPA-ID-NEW"] = True
        changed = IndexedPoint(id=p.id, lat=p.lat, lon=p.lon, agency_id=p.agency_id,
                               province_code=p.province_code, services=services)
        points[p.id] = changed
        index.upsert(changed)
    assert index.rebuilds == 1  # no rebuild: the kept trees had to follow
    check("after")
