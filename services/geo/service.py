"""geo: the nearest open service points that offer what a citizen needs.

Consumes the registry's point events into its own database (by entity
version), follows that database into an in-memory SpatialIndex, and heals
missed events by resynchronising from the registry on start, periodically
and on request.
"""
import logging
import time
from datetime import datetime, timezone

from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.timer import timer
from shapely.geometry import Polygon

from services.common import events, rpc as rpc_calls
from services.common.config import get_float
from services.common.entrypoints import ConfiguredTimer, HealthMixin, event_handler, rpc
from services.common.metrics import Metrics
from services.common.resync import ResyncSchedule
from services.common.storage import Storage
from services.geo import directions, schemas, store
from services.geo.index import Filters, SpatialIndex
from services.geo.metrics import INDEX_SIZE, QUERIES, QUERY_LATENCY
from services.common.schemas import load

log = logging.getLogger(__name__)
RESYNC_PAGE = 1000
RESYNC_RETRY_SECONDS = 5.0


class GeoState(DependencyProvider):
    """The container's index, its follower and the resync schedule; shared
    by all workers of the container."""

    def setup(self):
        self.index = SpatialIndex()
        self.follower = store.IndexFollower(self.index)
        self.resync = ResyncSchedule(RESYNC_RETRY_SECONDS)
        self.last_resync = None

    def get_dependency(self, worker_ctx):
        return self


def _filters(query):
    return Filters(service_code=query.get("service_code"), zero_copy=query.get("zero_copy", False),
                   agency_id=query.get("agency_id"), province_code=query.get("province_code"))


class GeoService(HealthMixin):
    name = "geo"

    storage = Storage(store.GeoStore, indexes=store.INDEXES)
    state = GeoState()
    registry = RpcProxy("registry")
    config = Config()
    metrics = Metrics()

    # --- events ------------------------------------------------------------
    # Every event is read through its contract (services/common/events.py):
    # a producer that breaks it fails here, visibly, instead of storing a
    # half-understood point.
    @event_handler("registry", "office_registered")
    def on_office_registered(self, payload):
        point = events.parse_event("office_registered", payload)
        self._applied(point, self.storage.apply_office(point))

    @event_handler("registry", "office_updated")
    def on_office_updated(self, payload):
        point = events.parse_event("office_updated", payload)
        self._applied(point, self.storage.apply_office(point))

    @event_handler("registry", "services_changed")
    def on_services_changed(self, payload):
        change = events.parse_event("services_changed", payload)
        if not self.storage.known(change["id"]):
            # services of a point we have not seen: take the whole point
            self._fetch_point(change["id"])
        self._applied(change, self.storage.apply_services(change))

    @event_handler("registry", "office_closed")
    def on_office_closed(self, payload):
        closed = events.parse_event("office_closed", payload)
        self._applied(closed, self.storage.apply_closed(closed))

    def _applied(self, payload, written):
        """Show a change to this replica's index at once; other replicas
        pick it up from the store (`follow`)."""
        if not written:
            return
        doc = self.storage.point(payload["id"])
        if doc is not None:
            self.state.follower.apply(doc)
            INDEX_SIZE.set(len(self.state.index))

    def _fetch_point(self, point_id):
        point = rpc_calls.call(self.registry, "get_service_point", point_id,
                               timeout=get_float(self.config, "CFZ_RPC_TIMEOUT"))
        if point["status"] == "open":
            self.storage.apply_office(point)

    def _refresh(self):
        self.state.follower.refresh(self.storage)
        INDEX_SIZE.set(len(self.state.index))

    @ConfiguredTimer.decorator("CFZ_GEO_FOLLOW_INTERVAL")
    def follow(self):
        """Pick up changes other replicas applied."""
        self._refresh()

    # --- resync --------------------------------------------------------------
    @timer(interval=1.0)  # see services/common/resync.py
    def scheduled_resync(self):
        if not self.state.resync.due():
            return
        try:
            self._resync()
        except Exception as exc:  # registry not up yet, broker hiccup: retry soon
            log.warning("geo resync failed (%s); retrying in %ss", exc, RESYNC_RETRY_SECONDS)
            self.state.resync.failed()
            return
        self.state.resync.succeeded(get_float(self.config, "CFZ_GEO_RESYNC_SECONDS"))

    @rpc
    def resync(self):
        """Operator's request: heal from the registry now."""
        return self._resync()

    def _resync(self):
        started = time.monotonic()
        seq_before = self.storage.current_seq()
        timeout = get_float(self.config, "CFZ_RPC_TIMEOUT")
        open_ids, applied = set(), 0
        for page in rpc_calls.call_pages(self.registry, "open_points", RESYNC_PAGE, timeout=timeout):
            for payload in page:
                open_ids.add(payload["id"])
                applied += self.storage.apply_office(payload)
        closed = self.storage.close_missing(open_ids, seq_before)
        self._refresh()
        summary = {"open_points": len(open_ids), "updated": applied, "closed": closed,
                   "indexed": len(self.state.index),
                   "seconds": round(time.monotonic() - started, 3)}
        self.state.last_resync = dict(summary, at=datetime.now(timezone.utc).isoformat())
        log.info("geo resync: %s", summary)
        return summary

    # --- queries -------------------------------------------------------------
    @rpc
    def nearby(self, query):
        query = load(schemas.NearbyQuery, query)
        with QUERY_LATENCY.labels("nearby").time():
            found = self.state.index.nearest(query["lat"], query["lon"], query["k"],
                                             query.get("radius_km"), _filters(query))
        QUERIES.labels("nearby").inc()
        provider = directions.provider()
        origin = (query["lat"], query["lon"])
        results = []
        for point, distance in found:
            route = provider.directions(origin, (point.lat, point.lon))
            results.append({"service_point": store.point_view(point),
                            "distance_km": round(distance, 4),
                            "directions_url": route["url"], "directions": route})
        return {"results": results, "count": len(results), "origin": {"lat": query["lat"],
                                                                       "lon": query["lon"]}}

    @rpc
    def within_bbox(self, query):
        query = load(schemas.BboxQuery, query)
        with QUERY_LATENCY.labels("bbox").time():
            page, total = self.state.index.within_bbox(
                query["south"], query["west"], query["north"], query["east"], _filters(query),
                limit=query["limit"], offset=query["offset"])
        QUERIES.labels("bbox").inc()
        return {"results": [store.point_view(p) for p in page], "total": total,
                "limit": query["limit"], "offset": query["offset"]}

    @rpc
    def within_polygon(self, query):
        query = load(schemas.PolygonQuery, query)
        rings = query["coordinates"]
        with QUERY_LATENCY.labels("polygon").time():
            found, total = self.state.index.within_polygon(
                Polygon(rings[0], rings[1:]), _filters(query), limit=query["limit"])
        QUERIES.labels("polygon").inc()
        return {"results": [store.point_view(p) for p in found], "total": total}

    @rpc
    def stats(self):
        return {"indexed": len(self.state.index), "last_seq": self.state.follower.last_seq,
                "rebuilds": self.state.index.rebuilds, "last_resync": self.state.last_resync}
