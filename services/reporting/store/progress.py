"""Zero Copy rollout: reporting's own copy of the registry's service points,
daily rollout snapshots and the Zero Copy progress report, behind
RolloutStore (ADR 12); the figures themselves are `rollout`.

The copy is kept by entity version, per group of fields: `place`
(province, location) comes only with full office events, `status` with full
events and `office_closed`, `services` with full events and
`services_changed`. Each group is written only when the event is newer than
the version that group holds, so duplicates and late old events change
nothing, a partial event that overtakes the registration keeps what it knows,
and the result is the same whatever the delivery order. `agency_id` is
written with every group: the registry never moves a point to another agency.

Snapshots are recounted from the copy (never incremented), so each is exact
for its day.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common.storage import Repository
from services.reporting.rating_buckets import days
from services.reporting.rollout import (
    FIGURES, GROUP_FIELD, NATION, add_figures, bangkok_today, comparable, demanded_copies,
    group_fields, is_past, is_pinned, point_figures, share, with_shares)

INDEXES = {
    "points": [([("agency_id", 1), ("status", 1)], {"name": "agency_status"}),
               ([("province_code", 1), ("status", 1)], {"name": "province_status"})],
    "rollout": [([("level", 1), ("key", 1), ("day", 1)], {"name": "lookup"})],
}
OPEN = {"status": "open", "placed": True}


def _criteria(level, key):
    """The open points of one (level, key)."""
    return dict(OPEN, **({GROUP_FIELD[level]: key} if level in GROUP_FIELD else {}))


class RolloutStore(Repository):
    """Reporting's copy of the service points and its daily rollout
    snapshots, with the rollout and Zero Copy progress reports read from
    them."""

    def __init__(self, db):
        super().__init__(db)
        self._points, self._rollout = db.points, db.rollout
        self._marks, self._counters = db.rollout_marks, db.counters

    # --- the copy -----------------------------------------------------------
    def _write_if_newer(self, point_id, group, version, fields):
        """Set one group's fields when `version` is newer than the group's; True if written."""
        flag = "versions." + group
        try:
            result = self._points.update_one(
                {"_id": point_id, flag: {"$not": {"$gte": version}}},
                {"$set": dict(fields, **{flag: version}), "$max": {"entity_version": version}},
                upsert=True)
        except DuplicateKeyError:  # the group holds this version or a newer one
            return False
        return bool(result.modified_count or result.upserted_id is not None)

    def apply_office(self, name, event, today=None, refresh=True):
        """Apply a registry event (parsed payload); True when the copy changed.

        The snapshots of the point's agency, province(s) and the nation are
        recounted on every delivery, not only on change, so a crash between the
        point write and the snapshot write is repaired by the redelivery. With
        `refresh=False` they are only marked for `refresh_marked` (a timer), so
        a burst of events costs one recount per group, not one per event.
        """
        point_id, version = event["id"], event["entity_version"]
        before = self._points.find_one({"_id": point_id},
                                       {"agency_id": 1, "province_code": 1}) or {}
        keys = {("nation", NATION)}
        keys.update((level, before[field]) for level, field in GROUP_FIELD.items()
                    if before.get(field))
        if not refresh:
            self._mark(keys)
        changed = False
        for group, fields in group_fields(name, event).items():
            fields = dict(fields, agency_id=event["agency_id"])
            changed = self._write_if_newer(point_id, group, version, fields) or changed
        after = self._points.find_one({"_id": point_id}, {"agency_id": 1, "province_code": 1}) or {}
        keys.update((level, after[field]) for level, field in GROUP_FIELD.items()
                    if after.get(field))
        if refresh:
            self.refresh_rollout(sorted(keys), today or bangkok_today())
        else:
            self._mark(keys)  # after the write too: a refresh racing it stays marked
        return changed

    def _mark(self, keys):
        for level, key in keys:
            self._marks.update_one({"_id": level + "|" + key},
                                   {"$inc": {"rev": 1}, "$set": {"level": level, "key": key}},
                                   upsert=True)

    def refresh_marked(self, today=None):
        """Recount the snapshots of marked groups; how many were recounted."""
        marks = list(self._marks.find({}))
        if marks:
            self.refresh_rollout(sorted((m["level"], m["key"]) for m in marks),
                                 today or bangkok_today())
            for mark in marks:
                self._marks.delete_one({"_id": mark["_id"], "rev": mark["rev"]})
        return len(marks)

    def _next_seq(self):
        return self._counters.find_one_and_update({"_id": "rollout"}, {"$inc": {"seq": 1}},
                                                  upsert=True,
                                                  return_document=ReturnDocument.AFTER)["seq"]

    # --- snapshots ------------------------------------------------------------
    def refresh_rollout(self, keys, today):
        """Recount and store the `today` snapshot of each (level, key).

        The sequence number is taken after the point writes and before the
        recount, and a snapshot only replaces one with a lower number: of two
        concurrent refreshes the later-numbered one has seen both writes, so a
        stale recount never overwrites a fresher one.
        """
        seq, day = self._next_seq(), today.isoformat()
        wanted = set(keys)
        totals = {k: {name: 0 for name in FIGURES} for k in wanted}
        # one pass over the open points for every group asked for
        criteria = OPEN if ("nation", NATION) in wanted or len(wanted) > 1 else _criteria(*keys[0])
        for doc in self._points.find(criteria,
                                     {"services": 1, "agency_id": 1, "province_code": 1}):
            figures = None
            for group in [("nation", NATION)] + [(level, doc.get(field))
                                                 for level, field in GROUP_FIELD.items()]:
                if group in wanted:
                    figures = figures or point_figures(doc, today)
                    add_figures(totals[group], figures)
        for level, key in keys:
            figures = totals[(level, key)]
            try:
                self._rollout.update_one(
                    {"_id": "|".join((level, key, day)), "seq": {"$not": {"$gte": seq}}},
                    {"$set": dict(figures, level=level, key=key, day=day, seq=seq)}, upsert=True)
            except DuplicateKeyError:  # a fresher recount is already stored
                pass

    def refresh_all(self, today=None):
        """Snapshot every agency, province and the nation for one day (a daily
        timer or after a resync; copies pass their planned end without events)."""
        keys = {("nation", NATION)}
        for doc in self._points.find(OPEN, {"agency_id": 1, "province_code": 1}):
            keys.update((level, doc[field]) for level, field in GROUP_FIELD.items()
                        if doc.get(field))
        self.refresh_rollout(sorted(keys), today or bangkok_today())

    def rollout_series(self, level, key, start, end):
        """One row per day in [start, end]: the latest snapshot on or before it."""
        rows = []
        current = self._rollout.find_one(
            {"level": level, "key": key, "day": {"$lt": start.isoformat()}}, sort=[("day", -1)])
        snapshots = {doc["day"]: doc for doc in self._rollout.find(
            {"level": level, "key": key,
             "day": {"$gte": start.isoformat(), "$lte": end.isoformat()}})}
        for day in days(start, end):
            current = snapshots.get(day, current)
            figures = {name: (current or {}).get(name, 0) for name in FIGURES}
            rows.append(with_shares(dict(figures, day=day)))
        return rows

    def rollout_table(self, group_by, today):
        """Current figures per agency or province, the most lagging first."""
        field = GROUP_FIELD[group_by]
        groups = {}
        for doc in self._points.find(OPEN, {field: 1, "services": 1}):
            add_figures(groups.setdefault(doc.get(field), {}), point_figures(doc, today))
        rows = [with_shares(dict(figures, id=key)) for key, figures in groups.items()]
        return sorted(rows, key=lambda r: (r["surveyed_share"] or 0, -r["copies_past_planned_end"],
                                           str(r["id"])))

    def point(self, point_id):
        """The copy of one point ({} when there is none)."""
        return self._points.find_one({"_id": point_id}) or {}

    def places(self):
        """{point id: its agency_id and province_code} of every copied point."""
        return {doc["_id"]: doc for doc in self._points.find({}, {"agency_id": 1,
                                                                 "province_code": 1})}

    def is_refreshed(self, day):
        """Whether every snapshot of `day` (ISO) was recounted already."""
        return self._rollout.find_one({"_id": "refreshed|" + day}) is not None

    def mark_refreshed(self, day):
        self._rollout.update_one({"_id": "refreshed|" + day}, {"$set": {"day": day}},
                                 upsert=True)

    # --- Zero Copy progress against citizens' reports ---------------------------

    def zero_copy_progress(self, group_by, breaches_by_point, today):
        """Declarations beside citizen-reported breaches, per agency or province.

        `no_copy_share` is no_copy / point_services (an undeclared service is not
        compliant). Breaches of closed points still count for their group; a
        disagreement needs an open point that declares no copy for at least one
        service yet has breaches.
        """
        field = GROUP_FIELD[group_by]
        groups, disagreements, known = {}, [], set()
        wanted = {"$or": [{"status": "open"}, {"_id": {"$in": list(breaches_by_point)}}]}
        for doc in self._points.find(wanted):
            key, pinned = doc.get(field), is_pinned(doc)
            breaches = breaches_by_point.get(doc["_id"]) or {}
            total = breaches.get("total", 0)
            if key is None:  # known only from partial events: no group yet
                continue
            known.add(doc["_id"])
            if not (pinned or total):
                continue
            group = groups.setdefault(key, {"id": key, "point_services": 0, "declared": 0,
                                            "no_copy": 0, "copies_demanded": 0,
                                            "copies_past_planned_end": 0, "citizen_breaches": 0,
                                            "points_with_breaches": 0, "disagreements": 0})
            no_copy = 0
            if pinned:
                services = doc.get("services") or []
                demanded = demanded_copies(services)
                no_copy = sum(1 for s in services if s["declared"] and s["zero_copy"])
                group["point_services"] += len(services)
                group["declared"] += sum(1 for s in services if s["declared"])
                group["no_copy"] += no_copy
                group["copies_demanded"] += len(demanded)
                group["copies_past_planned_end"] += sum(1 for e in demanded if is_past(e, today))
            if total:
                group["citizen_breaches"] += total
                group["points_with_breaches"] += 1
            if pinned and total and no_copy:
                group["disagreements"] += 1
                disagreements.append({"service_point_id": doc["_id"],
                                      "agency_id": doc.get("agency_id"),
                                      "province_code": doc.get("province_code"),
                                      "declared_no_copy_services": no_copy, "breaches": breaches})
        rows = [dict(g, no_copy_share=share(g["no_copy"], g["point_services"]))
                for _, g in sorted(groups.items())]
        disagreements.sort(key=lambda d: (-d["breaches"]["total"], d["service_point_id"]))
        return {"group_by": group_by, "groups": rows, "disagreements": disagreements,
                "unknown_points": sum(1 for p in breaches_by_point if p not in known)}

    # --- check against the source ------------------------------------------------
    def differences(self, source_points):
        """Ids whose copy differs from the registry's points (office_payload
        shape), or open on one side only; empty when the copy is right."""
        expected = {}
        for point in source_points:
            copy = {"entity_version": point["entity_version"], "agency_id": point["agency_id"]}
            for fields in group_fields("office_updated", point).values():
                copy.update(fields)
            expected[point["id"]] = comparable(copy)
        stored = {doc["_id"]: comparable(doc) for doc in self._points.find(
            {"$or": [OPEN, {"_id": {"$in": list(expected)}}]})}
        return sorted(pid for pid in set(expected) | set(stored)
                      if expected.get(pid) != stored.get(pid)
                      and (is_pinned(expected.get(pid) or {}) or is_pinned(stored.get(pid) or {})))
