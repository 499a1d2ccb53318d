"""Complaint performance: reporting's own copy of each complaint (ADR 12).

Complaint events carry the whole complaint and its `entity_version`, so the
copy is replaced, never patched: an event applied twice or out of order can
not overwrite a newer state, and the copy equals the complaints service's
data (see `differences`). Reports read the copies of one point, agency,
province or the nation and do the arithmetic in Python, so the same code
runs on MongoDB and the embedded store.
"""
import statistics

from pymongo.errors import DuplicateKeyError

from services.common.events import COMPLAINT_CLOSED as CLOSED
from services.common.events import COMPLAINT_RESOLVED as RESOLVED
from services.common.storage import Repository
from services.reporting.complaints import comparable, copy_of, utc
from services.reporting.stats import wilson_interval

LEVEL_FIELDS = {"point": "service_point_id", "agency": "agency_id",
                "province": "province_code", "nation": None}
INDEXES = {"complaints": [
    ([("service_point_id", 1), ("filed_day", 1)], {"name": "point_day"}),
    ([("agency_id", 1), ("filed_day", 1)], {"name": "agency_day"}),
    ([("province_code", 1), ("filed_day", 1)], {"name": "province_day"}),
    ([("filed_day", 1)], {"name": "nation_day"}),
    ([("status", 1), ("sla_due_at", 1)], {"name": "status_due"}),
]}


def _scope(level, key):
    if level not in LEVEL_FIELDS:
        raise ValueError("Unknown level: {}".format(level))
    field = LEVEL_FIELDS[level]
    return {} if field is None else {field: key}


def _r(value, places=4):
    return None if value is None else round(value, places)


class ComplaintCopies(Repository):
    """Reporting's copies of the complaints, kept by entity version, and
    the complaint figures and overdue lists read from them."""

    def apply_complaint(self, event):
        """Store the complaint in `event` unless a same or newer version is
        stored; True when the copy changed. One conditional upsert: when the
        filter misses because a newer copy exists, the insert hits its _id."""
        try:
            result = self._db.complaints.replace_one(
                {"_id": event["complaint_id"], "entity_version": {"$lt": event["entity_version"]}},
                copy_of(event), upsert=True)
        except DuplicateKeyError:
            return False
        return bool(result.matched_count or result.upserted_id is not None)

    def performance(self, level, key, start, end, now):
        """Counts, SLA and resolution figures of the complaints filed on the
        Bangkok days [start, end] (dates) at one level."""
        query = dict(_scope(level, key), filed_day={"$gte": start.isoformat(),
                                                    "$lte": end.isoformat()})
        now = utc(now)
        by_category, by_status, hist = {}, {}, {str(score): 0 for score in range(1, 6)}
        open_count = overdue_count = within = 0
        hours, ratings = [], []
        for doc in self._db.complaints.find(query, {"_id": 0}):
            status = doc["status"]
            by_category[doc["category"]] = by_category.get(doc["category"], 0) + 1
            by_status[status] = by_status.get(status, 0) + 1
            if status not in CLOSED:
                open_count += 1
                overdue_count += utc(doc["sla_due_at"]) < now
            closed_at = utc(doc.get("closed_at"))
            if status == RESOLVED and closed_at is not None:
                hours.append((closed_at - utc(doc["filed_at"])).total_seconds() / 3600)
                within += closed_at <= utc(doc["sla_due_at"])
            if doc.get("resolution_rating") is not None:
                ratings.append(doc["resolution_rating"])
                hist[str(doc["resolution_rating"])] += 1
        filed = sum(by_status.values())
        resolved = by_status.get(RESOLVED, 0)
        return {"filed": filed, "by_category": by_category, "by_status": by_status,
                "open": open_count, "closed": filed - open_count, "resolved": resolved,
                "overdue": overdue_count,
                "median_resolution_hours": _r(statistics.median(hours)) if hours else None,
                "resolved_within_sla": within,
                "within_sla_share": _r(within / resolved) if resolved else None,
                "within_sla_ci": [_r(bound) for bound in wilson_interval(within, resolved)],
                "resolution_rating": {"n": len(ratings),
                                      "mean": _r(statistics.mean(ratings)) if ratings else None,
                                      "hist": hist}}

    def overdue(self, level, key, now, limit=100):
        """Open complaints past their SLA due date, most overdue first. The copy
        holds no contact data, so nothing here can leak it."""
        now = utc(now)
        query = dict(_scope(level, key), status={"$nin": sorted(CLOSED)}, sla_due_at={"$lt": now})
        rows = []
        cursor = self._db.complaints.find(query).sort([("sla_due_at", 1), ("tracking_code", 1)])
        for doc in cursor.limit(limit):
            due = utc(doc["sla_due_at"])
            rows.append({"tracking_code": doc["tracking_code"], "category": doc["category"],
                         "status": doc["status"], "service_point_id": doc["service_point_id"],
                         "agency_id": doc["agency_id"], "province_code": doc["province_code"],
                         "filed_at": utc(doc["filed_at"]).isoformat(),
                         "sla_due_at": due.isoformat(),
                         "days_overdue": round((now - due).total_seconds() / 86400, 2)})
        return rows

    def differences(self, source_docs):
        """Complaint ids whose copy is missing, extra or differs from the
        complaints service's records (none when every event was applied)."""
        source = {doc["complaint_id"]: comparable(copy_of(doc)) for doc in source_docs}
        stored = {doc["_id"]: comparable(doc) for doc in self._db.complaints.find()}
        return sorted(cid for cid in set(source) | set(stored)
                      if source.get(cid) != stored.get(cid))
