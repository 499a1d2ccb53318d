"""geo's own copy of the registry's open service points (plain module).

Events are applied by entity version: a point's fields are written only
when the event's `entity_version` is newer than the one held, so a
duplicate, or an old event after a newer one, changes nothing. A closed
point stays as a tombstone so a late `office_updated` cannot revive it.
Services have their own version (`services_version`): `services_changed`
carries only them, and may arrive before the point's `office_registered`;
it is kept, and the point shows once its place arrives.

Every write stamps the document with a sequence number from a counter;
each replica's in-memory index follows the collection by sequence
(`changes_since`), so replicas that did not consume an event still see it.
"""
import time
from datetime import datetime, timezone

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common import thai
from services.common.storage import Repository
from services.geo.index import IndexedPoint

INDEXES = {"points": [([("seq", 1)], {"name": "seq"}),
                      ([("status", 1)], {"name": "status"})]}
# A sequence number handed out but not seen is either a write still in
# flight (milliseconds) or one overwritten by a later write to the same
# point (never to be seen): look for it a little while, then stop.
MISSING_SEQ_TTL_SECONDS = 5.0
MISSING_SEQ_MAX = 256


def _services_summary(services):
    """service_code -> zero copy (True/False; None while undeclared)."""
    return [{"service_code": s["service_code"], "zero_copy": s.get("zero_copy"),
             "declared": s.get("declared", s.get("documents") is not None)}
            for s in services or []]


class GeoStore(Repository):
    """geo's persistence: the points collection and its sequence counter."""

    def _next_seq(self):
        doc = self._db.counters.find_one_and_update(
            {"_id": "points"}, {"$inc": {"seq": 1}}, upsert=True,
            return_document=ReturnDocument.AFTER)
        return doc["seq"]

    def _write_if_newer(self, point_id, version, fields, version_fields=("entity_version",)):
        """Apply `fields` when `version` is newer than each of `version_fields`
        held (or none is held); True if written."""
        fields = dict(fields, seq=self._next_seq(), applied_at=datetime.now(timezone.utc))
        conditions = []
        for name in version_fields:
            fields[name] = version
            conditions.append({"$or": [{name: {"$lt": version}}, {name: {"$exists": False}}]})
        try:
            result = self._db.points.update_one({"_id": point_id, "$and": conditions},
                                                {"$set": fields}, upsert=True)
        except DuplicateKeyError:  # a held version is the same or newer
            return False
        return bool(result.modified_count or result.upserted_id is not None)

    def apply_office(self, payload):
        """office_registered / office_updated, or a snapshot from a resync."""
        point_id, version = payload["id"], payload["entity_version"]
        place = {key: payload.get(key) for key in ("agency_id", "name_th", "name_en",
                                                   "province_code", "address", "opening_hours",
                                                   "phone")}
        place.update(location={"lat": payload["location"]["lat"],
                               "lon": payload["location"]["lon"]},
                     status=payload["status"])
        services = {"services": _services_summary(payload.get("services"))}
        if self._write_if_newer(point_id, version, dict(place, **services),
                                ("entity_version", "services_version")):
            return True  # the usual case: one write
        # one part is held at a newer version (a services_changed came first)
        placed = self._write_if_newer(point_id, version, place)
        serviced = self._write_if_newer(point_id, version, services, ("services_version",))
        return placed or serviced

    def apply_services(self, payload):
        """services_changed; kept even before the point's place is known;
        False when the event is old."""
        return self._write_if_newer(payload["id"], payload["entity_version"],
                                    {"services": _services_summary(payload["services"])},
                                    ("services_version",))

    def apply_closed(self, payload):
        # closing is final: no older event may change the point's services either
        return self._write_if_newer(payload["id"], payload["entity_version"],
                                    {"status": "closed", "agency_id": payload.get("agency_id")},
                                    ("entity_version", "services_version"))

    def known(self, point_id):
        """Whether the point's place is held (not only its services)."""
        return self._db.points.find_one({"_id": point_id, "location": {"$exists": True}},
                                        {"_id": 1}) is not None

    def point(self, point_id):
        """The stored point (a copy), or None."""
        return self._db.points.find_one({"_id": point_id})

    def close_missing(self, open_ids, seq_before):
        """After a resync: close points the registry no longer lists as open,
        unless an event touched them while the resync ran."""
        closed = 0
        for doc in self._db.points.find({"status": "open", "seq": {"$lte": seq_before}},
                                        {"_id": 1}):
            if doc["_id"] not in open_ids:
                self._db.points.update_one({"_id": doc["_id"], "seq": {"$lte": seq_before}},
                                           {"$set": {"status": "closed",
                                                     "seq": self._next_seq()}})
                closed += 1
        return closed

    def current_seq(self):
        doc = self._db.counters.find_one({"_id": "points"})
        return doc["seq"] if doc else 0

    def changes(self, after_seq, also_seqs=()):
        """The points written after `after_seq`, and those at `also_seqs`, by sequence."""
        query = {"seq": {"$gt": after_seq}}
        if also_seqs:
            query = {"$or": [query, {"seq": {"$in": sorted(also_seqs)}}]}
        return list(self._db.points.find(query).sort("seq", 1))


def indexed_point(doc):
    return IndexedPoint(
        id=doc["_id"], lat=doc["location"]["lat"], lon=doc["location"]["lon"],
        agency_id=doc.get("agency_id"), province_code=doc.get("province_code"),
        services={s["service_code"]: s["zero_copy"] for s in doc.get("services", [])},
        data={key: doc.get(key) for key in ("name_th", "name_en", "address", "opening_hours",
                                            "phone", "services")})


def point_view(point):
    """A point as a nearby or map result shows it."""
    return {"id": point.id, "agency_id": point.agency_id,
            "name_th": point.data.get("name_th"), "name_en": point.data.get("name_en"),
            "address": point.data.get("address"), "province_code": point.province_code,
            "province": thai.province_names(point.province_code),
            "location": {"lat": point.lat, "lon": point.lon},
            "opening_hours": point.data.get("opening_hours"), "phone": point.data.get("phone"),
            "services": point.data.get("services", []), "zero_copy": point.zero_copy()}


class IndexFollower:
    """Keeps a SpatialIndex equal to the open points of the collection,
    reading changes by sequence. A sequence number handed out but not yet
    written (a concurrent writer) is remembered and asked for again, so a
    slow write is not skipped."""

    def __init__(self, index, clock=time.monotonic):
        self.index = index
        self.last_seq = 0
        self.missing = {}   # seq -> first noticed (monotonic seconds)
        self.clock = clock

    def refresh(self, points):
        """Apply every change of `points` (a GeoStore) since the last
        refresh; return their docs."""
        docs = points.changes(self.last_seq, self.missing)
        now = self.clock()
        for doc in docs:
            self.apply(doc)
            self.missing.pop(doc["seq"], None)
        seqs = [d["seq"] for d in docs if d["seq"] > self.last_seq]
        if seqs:
            expected = set(range(self.last_seq + 1, max(seqs) + 1))
            for seq in expected - set(seqs):
                self.missing.setdefault(seq, now)
            self.last_seq = max(seqs)
        for seq, since in list(self.missing.items()):
            if now - since > MISSING_SEQ_TTL_SECONDS:  # overwritten or never written
                del self.missing[seq]
        for seq in sorted(self.missing)[:-MISSING_SEQ_MAX]:  # a burst: keep the newest
            del self.missing[seq]
        return docs

    def apply(self, doc):
        """Bring one stored point into the index (or take it out)."""
        if doc.get("status") == "open" and doc.get("location"):
            self.index.upsert(indexed_point(doc))
        else:
            self.index.remove(doc["_id"])
