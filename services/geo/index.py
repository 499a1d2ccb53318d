"""In-memory spatial index of service points: exact k-nearest by
great-circle distance, bounding boxes and polygons. Plain module.

Points live on the unit sphere as (x, y, z). The straight-line (chord)
distance between two such vectors grows monotonically with the
great-circle distance, so a k-d tree over the vectors (scipy's cKDTree)
finds exactly the great-circle nearest points; the final order uses the
haversine distance, ties broken by id.

Updates must be visible to the next query without rebuilding a 100k-point
tree each time, so the tree covers a *base* snapshot; points added or moved
since sit in a small *delta* searched by brute force, and removed or moved
points are masked out of the base. The tree is rebuilt when the delta grows
past a threshold.

A filtered query (a service, Zero Copy, an agency, a province) searches a
tree of its own: the base rows the filter accepts, built at its first use
and kept until the next rebuild (at most FILTER_VIEWS of them, least
recently used dropped first), so a service offered at a few thousand of
100,000 points costs about what an unfiltered query does instead of
testing every row near the query. A change that makes a base point enter
or leave a kept filter drops that filter's tree; moves and removals are
masked out as in the base.
"""
import math
from collections import Counter, OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
# Filtered queries whose candidate set is this small skip the trees: numpy's
# per-call cost is more than checking them one by one.
BRUTE_FORCE_LIMIT = 64
# Filters with a tree of their own kept at once (least recently used dropped).
FILTER_VIEWS = 64
# Points outside the tree are checked one by one on every query; keep few.
REBUILD_DELTA = 256
DENSITY_CELL_DEG = 0.25  # cells for guessing a search radius (~28 km)
_RELATIVE_EPS = 1e-9


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (haversine, numerically stable for short
    distances)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_km_array(lat, lon, lats, lons):
    p1 = np.radians(lat)
    p2 = np.radians(lats)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lons - lon) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def unit_vectors(lats, lons):
    p = np.radians(np.asarray(lats, dtype=float))
    l = np.radians(np.asarray(lons, dtype=float))
    cp = np.cos(p)
    return np.column_stack((cp * np.cos(l), cp * np.sin(l), np.sin(p)))


def _haversine_rows(lat_rad, lon_rad, cos_lat, lats_rad, lons_rad, cos_lats):
    """haversine_km_array with the per-point trigonometry precomputed."""
    a = (np.sin((lats_rad - lat_rad) / 2) ** 2
         + cos_lat * cos_lats * np.sin((lons_rad - lon_rad) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _unit_vector(lat, lon):
    p, l = math.radians(lat), math.radians(lon)
    return (math.cos(p) * math.cos(l), math.cos(p) * math.sin(l), math.sin(p))


def chord_for_km(distance_km):
    """Chord length on the unit sphere for a great-circle distance."""
    return 2 * math.sin(min(math.pi, distance_km / EARTH_RADIUS_KM) / 2)


@dataclass
class IndexedPoint:
    id: str
    lat: float
    lon: float
    agency_id: str = None
    province_code: str = None
    # service_code -> zero copy (True: no copy demanded, False: copies,
    # None: documents not declared yet)
    services: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # what a result shows

    def zero_copy(self, service_code=None):
        if service_code is not None:
            return self.services.get(service_code) is True
        return bool(self.services) and all(v is True for v in self.services.values())


@dataclass(frozen=True)
class Filters:
    service_code: str = None
    zero_copy: bool = False
    agency_id: str = None
    province_code: str = None

    def active(self):
        return bool(self.service_code or self.zero_copy or self.agency_id or self.province_code)

    def accepts(self, point):
        if self.agency_id and point.agency_id != self.agency_id:
            return False
        if self.province_code and point.province_code != self.province_code:
            return False
        if self.service_code and self.service_code not in point.services:
            return False
        if self.zero_copy and not point.zero_copy(self.service_code):
            return False
        return True


class SpatialIndex:
    def __init__(self):
        self.points = {}            # id -> IndexedPoint (the truth)
        self._base_ids = []         # tree row -> id
        self._base_row = {}         # id -> tree row, for rows still valid
        self._base_lat = np.empty(0)
        self._base_lon = np.empty(0)
        self._base_xyz = np.empty((0, 3))
        self._base_alive = np.empty(0, dtype=bool)
        self._density = Counter()
        self._tree = None
        self._delta = set()         # ids added or moved since the build
        self._removed_rows = 0
        # inverted indexes for selective filters
        self._by_agency = {}
        self._by_province = {}
        self._by_service = {}
        self._by_service_zero_copy = {}
        self._all_zero_copy = set()
        self._views = OrderedDict()  # Filters -> (base rows it accepts, their tree)
        self.rebuilds = 0

    def __len__(self):
        return len(self.points)

    def __contains__(self, point_id):
        return point_id in self.points

    # --- updates -------------------------------------------------------
    def upsert(self, point):
        old = self.points.get(point.id)
        if old is not None:
            self._unlink(old)
            moved = (old.lat, old.lon) != (point.lat, point.lon)
            if moved and point.id in self._base_row:
                self._base_alive[self._base_row.pop(point.id)] = False
                self._removed_rows += 1
                self._delta.add(point.id)
        elif point.id not in self._base_row:
            self._delta.add(point.id)
        if old is not None and self._views and point.id in self._base_row:
            # the base row stays: a filter it now enters or leaves is stale
            for key in [key for key in self._views if key.accepts(old) != key.accepts(point)]:
                del self._views[key]
        self.points[point.id] = point
        self._link(point)

    def remove(self, point_id):
        point = self.points.pop(point_id, None)
        if point is None:
            return False
        self._unlink(point)
        self._delta.discard(point_id)
        row = self._base_row.pop(point_id, None)
        if row is not None:
            self._base_alive[row] = False
            self._removed_rows += 1
        return True

    def _link(self, point):
        self._by_agency.setdefault(point.agency_id, set()).add(point.id)
        self._by_province.setdefault(point.province_code, set()).add(point.id)
        for code, zero_copy in point.services.items():
            self._by_service.setdefault(code, set()).add(point.id)
            if zero_copy is True:
                self._by_service_zero_copy.setdefault(code, set()).add(point.id)
        if point.zero_copy():
            self._all_zero_copy.add(point.id)

    def _unlink(self, point):
        self._by_agency.get(point.agency_id, set()).discard(point.id)
        self._by_province.get(point.province_code, set()).discard(point.id)
        for code in point.services:
            self._by_service.get(code, set()).discard(point.id)
            self._by_service_zero_copy.get(code, set()).discard(point.id)
        self._all_zero_copy.discard(point.id)

    def rebuild(self):
        ids = sorted(self.points)
        lats = np.fromiter((self.points[i].lat for i in ids), float, len(ids))
        lons = np.fromiter((self.points[i].lon for i in ids), float, len(ids))
        self._base_ids = ids
        self._base_row = {point_id: row for row, point_id in enumerate(ids)}
        self._base_lat, self._base_lon = lats, lons
        self._base_xyz = unit_vectors(lats, lons)
        self._base_lat_rad, self._base_lon_rad = np.radians(lats), np.radians(lons)
        self._base_cos_lat = np.cos(self._base_lat_rad)
        self._base_alive = np.ones(len(ids), dtype=bool)
        self._tree = cKDTree(self._base_xyz) if ids else None
        cells = zip(((lats + 90) // DENSITY_CELL_DEG).astype(int).tolist(),
                    ((lons + 180) // DENSITY_CELL_DEG).astype(int).tolist())
        self._density = Counter(cells)
        self._delta = set()
        self._removed_rows = 0
        self._views.clear()
        self.rebuilds += 1

    def _maybe_rebuild(self):
        if self._tree is None and self.points:
            self.rebuild()
        elif len(self._delta) > REBUILD_DELTA or self._removed_rows > 4 * REBUILD_DELTA:
            self.rebuild()

    # --- queries -------------------------------------------------------
    def _candidate_ids(self, filters):
        """The smallest id set that contains every match, or None (all)."""
        sets = []
        if filters.agency_id:
            sets.append(self._by_agency.get(filters.agency_id, set()))
        if filters.province_code:
            sets.append(self._by_province.get(filters.province_code, set()))
        if filters.service_code:
            source = self._by_service_zero_copy if filters.zero_copy else self._by_service
            sets.append(source.get(filters.service_code, set()))
        elif filters.zero_copy:
            sets.append(self._all_zero_copy)
        return min(sets, key=len) if sets else None

    def nearest(self, lat, lon, k=10, radius_km=None, filters=Filters()):
        """Up to k (point, distance_km) pairs, nearest first, ties by id."""
        if k <= 0 or not self.points:
            return []
        candidates = self._candidate_ids(filters) if filters.active() else None
        if candidates is not None and len(candidates) <= BRUTE_FORCE_LIMIT:
            return self._nearest_among(lat, lon, k, radius_km, filters, candidates)
        self._maybe_rebuild()
        if filters.active():
            rows, tree = self._view(filters, candidates)
            found = self._nearest_in_tree(lat, lon, k, radius_km, tree, rows,
                                          share=len(rows) / max(1, len(self._base_ids)))
        else:
            found = self._nearest_in_tree(lat, lon, k, radius_km, self._tree)
        if self._delta:
            extra = [p for p in (self.points[i] for i in self._delta) if filters.accepts(p)]
            if extra:
                found = self._finish(lat, lon, k, radius_km, [p for p, _ in found] + extra)
        return found

    def _view(self, filters, candidates):
        """(base rows the filter accepts, in id order; a tree over them or
        None), made at the filter's first query since the last rebuild."""
        view = self._views.get(filters)
        if view is not None:
            self._views.move_to_end(filters)
            return view
        base_row, points = self._base_row, self.points
        ids = candidates if candidates is not None else base_row
        rows = np.fromiter(sorted(base_row[i] for i in ids
                                  if i in base_row and filters.accepts(points[i])), np.intp)
        view = (rows, cKDTree(self._base_xyz[rows]) if len(rows) else None)
        self._views[filters] = view
        if len(self._views) > FILTER_VIEWS:
            self._views.popitem(last=False)
        return view

    def _nearest_in_tree(self, lat, lon, k, radius_km, tree, view_rows=None, share=1.0):
        """The k nearest live points of a tree over base rows (all of them,
        or `view_rows`, a `share` of them).

        A ball query (every point within a chord r) is cheaper than scipy's
        k-nearest query, so we guess r from the local density and widen it
        until k points lie inside; then every point nearer than the k-th,
        ties included, is among them. Rows are in id order, so sorting by
        (distance, row) breaks ties by id.
        """
        if tree is None:
            return []
        target = _unit_vector(lat, lon)
        limit = chord_for_km(radius_km) * (1 + _RELATIVE_EPS) if radius_km is not None else 2.0
        r = min(self._guess_chord(lat, lon, k, share), limit)
        while True:
            rows = np.asarray(tree.query_ball_point(target, r), dtype=np.intp)
            if view_rows is not None:
                rows = view_rows[rows]
            if self._removed_rows:
                rows = rows[self._base_alive[rows]]
            if len(rows) >= k or r >= limit:
                break
            grow = 2.0 if not len(rows) else max(1.5, math.sqrt(k / len(rows)) * 1.2)
            r = min(r * grow, limit)
        if not len(rows):
            return []
        distances = _haversine_rows(math.radians(lat), math.radians(lon), math.cos(math.radians(lat)),
                                    self._base_lat_rad[rows], self._base_lon_rad[rows],
                                    self._base_cos_lat[rows])
        order = np.lexsort((rows, distances))[:k].tolist()
        rows, distances = rows.tolist(), distances.tolist()
        points, ids = self.points, self._base_ids
        results = [(points[ids[rows[i]]], distances[i]) for i in order]
        if radius_km is not None:
            results = [(p, d) for p, d in results if d <= radius_km]
        return results

    def _guess_chord(self, lat, lon, k, share=1.0):
        """A chord radius likely to hold about 2k points, from cell counts
        (times the share of points a filter keeps)."""
        cell = (int((lat + 90) // DENSITY_CELL_DEG), int((lon + 180) // DENSITY_CELL_DEG))
        count = self._density.get(cell, 0) * share
        cell_km2 = (DENSITY_CELL_DEG * 111.2) ** 2 * max(0.05, math.cos(math.radians(lat)))
        if count < 1:
            radius_km = DENSITY_CELL_DEG * 111.2
        else:
            radius_km = math.sqrt(2.0 * k * cell_km2 / (math.pi * count))
        return chord_for_km(radius_km)

    def _nearest_among(self, lat, lon, k, radius_km, filters, candidate_ids):
        points = [self.points[i] for i in candidate_ids]
        points = [p for p in points if filters.accepts(p)]
        return self._finish(lat, lon, k, radius_km, points)

    def _finish(self, lat, lon, k, radius_km, points):
        points = list(points)
        if not points:
            return []
        if len(points) <= 64:  # numpy's per-call cost dominates small sets
            ranked = sorted(((haversine_km(lat, lon, p.lat, p.lon), p.id, p) for p in points))
            return [(p, d) for d, _, p in ranked
                    if radius_km is None or d <= radius_km][:k]
        points.sort(key=lambda p: p.id)  # ties go to the smaller id
        lats = np.fromiter((p.lat for p in points), float, len(points))
        lons = np.fromiter((p.lon for p in points), float, len(points))
        distances = haversine_km_array(lat, lon, lats, lons)
        order = np.argsort(distances, kind="stable")
        results = []
        for i in order:
            if radius_km is not None and distances[i] > radius_km:
                break
            results.append((points[i], float(distances[i])))
            if len(results) == k:
                break
        return results

    def within_bbox(self, south, west, north, east, filters=Filters(), limit=500, offset=0):
        """Points in the box, in id order: (page, total)."""
        candidates = self._candidate_ids(filters) if filters.active() else None
        if candidates is None:
            self._maybe_rebuild()
            mask = ((self._base_lat >= south) & (self._base_lat <= north)
                    & (self._base_lon >= west) & (self._base_lon <= east))
            ids = [self._base_ids[row] for row in np.flatnonzero(mask)
                   if self._base_row.get(self._base_ids[row]) == row]
            ids += [i for i in self._delta if self._in_box(self.points[i], south, west, north, east)]
        else:
            ids = [i for i in candidates
                   if self._in_box(self.points[i], south, west, north, east)]
        matches = sorted(i for i in ids if filters.accepts(self.points[i]))
        return [self.points[i] for i in matches[offset:offset + limit]], len(matches)

    @staticmethod
    def _in_box(point, south, west, north, east):
        return south <= point.lat <= north and west <= point.lon <= east

    def within_polygon(self, polygon, filters=Filters(), limit=5000):
        """Points inside a shapely polygon (boundary included), in id order."""
        import shapely
        west, south, east, north = polygon.bounds
        boxed, _ = self.within_bbox(south, west, north, east, filters, limit=len(self.points) or 1)
        if not boxed:
            return [], 0
        inside = shapely.intersects_xy(polygon, [p.lon for p in boxed], [p.lat for p in boxed])
        matches = [p for p, ok in zip(boxed, inside) if ok]
        return matches[:limit], len(matches)
