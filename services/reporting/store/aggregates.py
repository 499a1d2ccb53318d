"""Feedback aggregates in day and month buckets, each feedback counted
exactly once, behind AggregateStore (ADR 12; see
docs/adr/0002-reporting-aggregates.md). The bucket maths is `rating_buckets`.

A feedback adds to one day bucket per level - point x service, point,
agency, province, nation - for its Asia/Bangkok day. Each day bucket update
is one atomic conditional write that also remembers the feedback's id, so
an event applied twice, or redelivered after a crash half-way through its
buckets, changes each bucket once.

Month buckets and month-to-date totals are derived from day buckets by
`compact` (a month bucket with every feedback of a busy month would have to
remember too many ids to be updated exactly once). A feedback marks its
months dirty before and after it writes its day buckets; a report uses what
was derived from a month only while it is clean, so reports are exact
before compaction catches up, and once it has, read one document per
entity and whole month plus at most two per partial month.
"""
import uuid
from bisect import bisect_left, bisect_right

import numpy as np
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common.storage import Repository, by_ids
from services.reporting.rating_buckets import (
    LEVELS, SUMMARY_DTYPE, SUMMARY_FIELDS, SUMMARY_LEVELS, SUMMARY_WIDTH, add_aggregate,
    bangkok_day, bucket_content, bucket_keys, days, from_summary_entry, increments, merge,
    month_days, month_spans, month_to_date, period_id, recount, summary_entry, summary_rows,
    without_zeros)

INDEXES = {
    "buckets": [([("level", 1), ("day", 1)], {"name": "by_level"})],
    "months": [([("level", 1), ("month", 1)], {"name": "by_level"})],
    "month_to_date": [],
    "dirty_months": [([("level", 1), ("month", 1)], {"name": "by_level"})],
    "keys": [([("level", 1), ("row", 1)], {"name": "by_row"})],
    "level_months": [],
    "level_days": [],
}
# What is derived from the day buckets changed over time: 2 = level
# summaries per key, 3 = packed summary rows, month-to-date totals and the
# days of a month with data, 4 = one document per remembered key instead of
# one document listing every key, which grew with the country past
# MongoDB's 16 MiB (`ensure_layout` upgrades the stored layout).
LAYOUT = 4
DERIVED_LAYOUT = 3  # the last layout that changed what compaction derives
ID_BATCH = 5000  # ids per `$in` query


def _key_id(level, key):
    return "key|{}|{}".format(level, key)


def _rows_id(level):
    return "rows|" + level


# --- compaction --------------------------------------------------------------
def _summary_id(level, period):
    return "|".join((level, period))


_SLOTS = {}  # (database, level) -> (epoch, [key by row]); rows only grow


def _first_unknown(slots):
    for row in range(len(slots) - 1, -1, -1):
        if slots[row] is not None:
            return row + 1
    return 0


def _write_summaries(collection, changes):
    """Set rows of level summaries, {summary id: {row: entry}}: each
    document rewritten once; a document another writer changed meanwhile
    is read again (`rev`), so no one's rows are lost."""
    for summary_id, entries in changes.items():
        while True:
            doc = collection.find_one({"_id": summary_id})
            stored = summary_rows(doc)
            rows = np.zeros((max(len(stored), max(entries) + 1), SUMMARY_WIDTH), dtype=np.int64)
            rows[:len(stored)] = stored
            for row, entry in entries.items():
                rows[row] = entry
            if rows.max(initial=0) > np.iinfo(SUMMARY_DTYPE).max:
                raise OverflowError("a level summary count exceeds {}".format(SUMMARY_DTYPE))
            packed = rows.astype(SUMMARY_DTYPE).tobytes()
            if doc is None:
                try:
                    collection.insert_one({"_id": summary_id, "rows": packed, "rev": 1})
                    break
                except DuplicateKeyError:
                    continue
            if collection.update_one({"_id": summary_id, "rev": doc.get("rev")},
                                     {"$set": {"rows": packed}, "$inc": {"rev": 1}}).matched_count:
                break


class AggregateStore(Repository):
    """The rating aggregates of reporting's database: day buckets written
    once per feedback, what compaction derives from them (month buckets,
    month-to-date totals, level summaries), the remembered keys, and the
    range reads the reports and alerts make."""

    def _mark_dirty(self, day, keys):
        """Mark the months of `keys` containing `day` dirty; the marker also
        lists the days written, whose level summaries compaction rewrites."""
        month = day[:7]
        for level, key in keys:
            self._db.dirty_months.update_one(
                {"_id": period_id(level, key, month)},
                {"$inc": {"rev": 1}, "$addToSet": {"days": day},
                 "$setOnInsert": {"level": level, "key": key, "month": month}},
                upsert=True)

    def remember_keys(self, keys):
        """Every key each level has had, one document each with its row (its
        position in the level summaries), so a ranking lists them without
        scanning buckets and no document grows with the country. Rows are
        handed out by a counter and never change; a row reserved by a writer
        that lost a race to remember the same key stays empty."""
        wanted = {_key_id(level, key): (level, key) for level, key in keys}
        known = {doc["_id"] for doc in by_ids(self._db.keys, sorted(wanted), {"_id": 1})}
        missing = {}
        for key_id in sorted(set(wanted) - known):
            level, key = wanted[key_id]
            missing.setdefault(level, []).append((key_id, key))
        for level, found in missing.items():
            # one counter update reserves the level's rows of a whole batch
            counter = self._db.keys.find_one_and_update(
                {"_id": _rows_id(level)},
                {"$inc": {"next": len(found)}, "$setOnInsert": {"epoch": uuid.uuid4().hex}},
                upsert=True, return_document=ReturnDocument.AFTER)
            first = counter["next"] - len(found)
            documents = [{"_id": key_id, "level": level, "key": key, "row": first + n}
                         for n, (key_id, key) in enumerate(found)]
            try:
                self._db.keys.insert_many(documents, ordered=False)
            except BulkWriteError as exc:  # another writer remembered some first
                if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
                    raise

    def apply_feedback(self, fact):
        """Count one feedback (a feedback_submitted payload) in each of its
        buckets once; the number of buckets this call changed."""
        day = bangkok_day(fact["submitted_at"])
        inc = increments(fact)
        keys = bucket_keys(fact)
        # Before: a crash after a day write leaves its month dirty. After: a
        # compaction that read the days before this write cannot clean it.
        self._mark_dirty(day, keys)
        self.remember_keys(keys)
        changed = 0
        for level, key in keys:
            try:
                result = self._db.buckets.update_one(
                    {"_id": period_id(level, key, day), "counted": {"$ne": fact["feedback_id"]}},
                    {"$inc": inc, "$push": {"counted": fact["feedback_id"]},
                     "$setOnInsert": {"level": level, "key": key, "day": day}},
                    upsert=True)
            except DuplicateKeyError:  # the bucket exists and has counted it
                continue
            changed += 1 if (result.modified_count or result.upserted_id is not None) else 0
        self._mark_dirty(day, keys)
        return changed

    def slot_keys(self, level):
        """Every key the level has had, by row: an entity's position is its row
        in the level summaries (None for a row no key took). Kept in memory and
        extended by the rows added since (rows never change; the counter's
        epoch tells a database emptied and filled again)."""
        counter = self._db.keys.find_one({"_id": _rows_id(level)})
        if counter is None:
            return []
        cache_id = (id(self._db.client), self._db.name, level)
        epoch, slots = _SLOTS.get(cache_id, (None, []))
        if epoch != counter["epoch"]:
            slots = []
        if len(slots) < counter["next"]:
            slots = list(slots) + [None] * (counter["next"] - len(slots))
            for doc in self._db.keys.find({"level": level, "row": {"$gte": _first_unknown(slots)}},
                                          {"key": 1, "row": 1}):
                if doc["row"] < len(slots):
                    slots[doc["row"]] = doc["key"]
            _SLOTS[cache_id] = (counter["epoch"], slots)
        return slots

    def rows_of(self, level, keys):
        """{key: row} for keys already remembered."""
        return {doc["key"]: doc["row"] for doc in by_ids(
            self._db.keys, sorted({_key_id(level, key) for key in keys}), {"key": 1, "row": 1})}

    def compact(self, limit=1000):
        """Rebuild, for each dirty month, its month bucket (with the days that
        have data), its month-to-date totals from the first day written on,
        and the level summaries of the month and of the days written, all
        from the month's day buckets; the number of months rebuilt. A month
        written to meanwhile stays dirty."""
        markers = list(self._db.dirty_months.find({}).limit(limit))
        rows = {level: self.rows_of(level, [m["key"] for m in markers if m["level"] == level])
                for level in SUMMARY_LEVELS}
        month_rows, day_rows = {}, {}  # summary id -> {row: entry}
        for marker in markers:
            level, key, month = marker["level"], marker["key"], marker["month"]
            days = list(by_ids(self._db.buckets,
                               [period_id(level, key, d) for d in month_days(month)],
                               {"counted": 0}))
            month_id = period_id(level, key, month)
            total = merge(days) if days else {}
            if days:
                self._db.months.replace_one({"_id": month_id}, dict(
                    total, level=level, key=key, month=month, days=sorted(d["day"] for d in days)),
                                            upsert=True)
            else:
                self._db.months.delete_one({"_id": month_id})
            # days before the first one written keep their totals; a marker
            # without days comes from a bulk load or an upgrade: every day
            since = min(marker.get("days") or [""])
            for day, running in month_to_date(days):
                if day >= since:
                    self._db.month_to_date.replace_one({"_id": period_id(level, key, day)}, dict(
                        running, level=level, key=key, day=day), upsert=True)
            if level in SUMMARY_LEVELS:
                if key not in rows[level]:  # keys are remembered before buckets are written
                    self.remember_keys([(level, key)])
                    rows[level].update(self.rows_of(level, [key]))
                row = rows[level][key]
                month_rows.setdefault(_summary_id(level, month), {})[row] = summary_entry(total)
                by_day = {doc["day"]: doc for doc in days}
                # a marker without days comes from a bulk load: every day
                for day in marker.get("days") or month_days(month):
                    if day in by_day or "days" in marker:
                        day_rows.setdefault(_summary_id(level, day), {})[row] = summary_entry(
                            by_day.get(day, {}))
        # summaries before markers go: a clean month's summaries are never stale
        _write_summaries(self._db.level_months, month_rows)
        _write_summaries(self._db.level_days, day_rows)
        for marker in markers:
            self._db.dirty_months.delete_one({"_id": marker["_id"], "rev": marker["rev"]})
        return len(markers)

    # --- reading a date range ----------------------------------------------------
    def keys_at(self, level):
        return sorted(key for key in self.slot_keys(level) if key is not None)

    def totals_by_key(self, level, start, end, keys=None, fields=None):
        """{key: aggregate over the days [start, end]} for the given keys of a
        level (every key the level has had when None; those without data in
        the range have count 0). `fields` limits the aggregate to those paths.
        """
        if end < start:
            return {}
        # a summary document holds every entity of the level: worth reading
        # when all of them are wanted
        if (keys is None and level in SUMMARY_LEVELS and fields
                and set(fields) <= set(SUMMARY_FIELDS)):
            return self._totals_from_summaries(level, month_spans(start, end),
                                               with_hist="hist.satisfaction" in fields)
        if keys is None:
            keys = self.keys_at(level)
        return dict(zip(keys, self._span_totals(level, [(key, start, end) for key in keys],
                                                fields)))

    def totals_of_spans(self, level, key, spans, fields=None):
        """[aggregate of one entity over each (start, end) of `spans`]."""
        return self._span_totals(level, [(key, start, end) for start, end in spans], fields)

    def _span_totals(self, level, wanted, fields=None):
        """[aggregate over the days [start, end] of each (key, start, end)].

        Per month of a span: a whole month from its month bucket; part of one
        from the month-to-date total of its last day with data in the span,
        minus that of the last day with data before the span (the month
        bucket lists those days); a dirty month always from its day buckets.
        """
        pieces = []  # (span, month id, key, days of the month in the span, whole month)
        for span, (key, start, end) in enumerate(wanted):
            for month, first, last, whole in month_spans(start, end):
                pieces.append((span, period_id(level, key, month), key, (first, last), whole))
        dirty = {doc["_id"] for doc in by_ids(
            self._db.dirty_months, sorted({piece[1] for piece in pieces}), {"_id": 1})}
        with_data = {doc["_id"]: doc.get("days") for doc in by_ids(
            self._db.months, sorted({month_id for _, month_id, _, _, whole in pieces
                                     if not whole and month_id not in dirty}), {"days": 1})}
        reads = {"months": {}, "buckets": {}, "month_to_date": {}}  # id -> [(span, sign)]
        for span, month_id, key, (first, last), whole in pieces:
            if month_id in dirty or (not whole and month_id in with_data
                                     and with_data[month_id] is None):  # compacted before layout 3
                for day in days(first, last):
                    reads["buckets"].setdefault(period_id(level, key, day), []).append((span, 1))
            elif whole:
                reads["months"].setdefault(month_id, []).append((span, 1))
            elif month_id in with_data:  # a clean month without a month bucket has no data
                data_days = with_data[month_id]
                up_to = bisect_right(data_days, last.isoformat())
                before = bisect_left(data_days, first.isoformat())
                if up_to > before:
                    reads["month_to_date"].setdefault(
                        period_id(level, key, data_days[up_to - 1]), []).append((span, 1))
                    if before:
                        reads["month_to_date"].setdefault(
                            period_id(level, key, data_days[before - 1]), []).append((span, -1))
        projection = (dict.fromkeys(["count"] + list(fields), 1) if fields
                      else {"counted": 0, "days": 0})
        if fields and set(fields) <= set(SUMMARY_FIELDS):
            # a trend's periods: six numbers a document, however many
            # questions and channels its ratings had
            rows = [[0] * SUMMARY_WIDTH for _ in wanted]
            for name, uses in reads.items():
                for doc in by_ids(self._db[name], list(uses), projection):
                    entry = summary_entry(doc)
                    for span, sign in uses[doc["_id"]]:
                        rows[span] = [a + sign * b for a, b in zip(rows[span], entry)]
            if "hist.satisfaction" not in fields:
                return [{"count": row[0]} for row in rows]
            return [from_summary_entry(row) for row in rows]
        results = [{"count": 0} for _ in wanted]
        for name, uses in reads.items():
            for doc in by_ids(self._db[name], list(uses), projection):
                content = bucket_content(doc)
                for span, sign in uses[doc["_id"]]:
                    add_aggregate(results[span], content, sign)
        return [without_zeros(total) for total in results]

    def _totals_from_summaries(self, level, plan, with_hist=True):
        """totals_by_key(fields=SUMMARY_FIELDS) of every key of a level from the
        level summaries: whole months from `level_months`, partial ones from
        `level_days` (inside days, or the month minus the outside days); an
        entity's dirty month from its day buckets, as everywhere."""
        keys = self.slot_keys(level)
        if not keys:
            return {}
        row_of = {key: row for row, key in enumerate(keys) if key is not None}
        dirty_rows = {}  # month -> rows to leave out of its summaries
        for marker in self._db.dirty_months.find(
                {"level": level, "month": {"$in": [piece[0] for piece in plan]}},
                {"key": 1, "month": 1}):
            if marker["key"] in row_of:
                dirty_rows.setdefault(marker["month"], []).append(row_of[marker["key"]])
        reads = []  # (collection, summary ids, sign)
        inside_by_month = {}
        for month, first, last, _ in plan:
            inside = inside_by_month[month] = days(first, last)
            outside = sorted(set(month_days(month)) - set(inside))
            if len(outside) < len(inside):
                reads.append((self._db.level_months, [_summary_id(level, month)], 1))
                reads.append((self._db.level_days, [_summary_id(level, d) for d in outside], -1))
            else:
                reads.append((self._db.level_days, [_summary_id(level, d) for d in inside], 1))
        # a document is one array added at once, whatever the number of
        # entities with data in it
        sums = np.zeros((len(keys), SUMMARY_WIDTH), dtype=np.int64)
        for collection, ids, sign in reads:
            for doc in by_ids(collection, ids):
                rows = summary_rows(doc)[:len(keys)]  # rows of keys added later are not wanted
                left_out = [row for row in dirty_rows.get(doc["_id"].rsplit("|", 1)[1][:7], ())
                            if row < len(rows)]
                if left_out:
                    rows = rows.copy()
                    rows[left_out] = 0
                if sign > 0:
                    sums[:len(rows)] += rows
                else:
                    sums[:len(rows)] -= rows
        dirty_days = [period_id(level, keys[row], d) for month, dirty in sorted(dirty_rows.items())
                      for row in dirty for d in inside_by_month[month]]
        for bucket in by_ids(self._db.buckets, dirty_days,
                             dict.fromkeys(("key",) + SUMMARY_FIELDS, 1)):
            sums[row_of[bucket["key"]]] += summary_entry(bucket)
        if not with_hist:
            return {key: {"count": count} for key, count in zip(keys, sums[:, 0].tolist())
                    if key is not None}
        return {key: from_summary_entry(entry) for key, entry in zip(keys, sums.tolist())
                if key is not None}

    def ensure_layout(self):
        """When what is stored was derived by an earlier layout (LAYOUT), drop
        its level summaries and mark every month dirty, once, so compaction
        derives everything again (reports read a dirty month's day buckets
        meanwhile, so they stay exact). The number of months marked."""
        stored = (self._db.keys.find_one({"_id": "layout"}) or {}).get("version", 0)
        if stored >= LAYOUT:
            return 0
        self._split_key_list()
        if stored >= DERIVED_LAYOUT:
            self._db.keys.update_one({"_id": "layout"}, {"$set": {"version": LAYOUT}}, upsert=True)
            return 0
        # layout 2 held per-key entries
        for collection in (self._db.level_months, self._db.level_days):
            collection.delete_many({"rows": {"$exists": False}})
        marked = 0
        for doc in self._db.months.find({}, {"level": 1, "key": 1, "month": 1}):
            self._db.dirty_months.update_one({"_id": doc["_id"]}, {
                "$inc": {"rev": 1},
                "$setOnInsert": {"level": doc["level"], "key": doc["key"], "month": doc["month"]}},
                                             upsert=True)
            marked += 1
        self._db.keys.update_one({"_id": "layout"},
                                 {"$set": {"version": LAYOUT, "months_marked": marked}},
                                 upsert=True)
        return marked

    def _split_key_list(self):
        """Layout 3 kept every key of every level in one document, `levels`, a
        key's row its position in the list: the same rows, one document a key."""
        listed = self._db.keys.find_one({"_id": "levels"})
        if listed is None:
            return
        for level in LEVELS:
            keys = listed.get(level) or []
            for start in range(0, len(keys), ID_BATCH):
                documents = [{"_id": _key_id(level, key), "level": level, "key": key, "row": row}
                             for row, key in enumerate(keys[start:start + ID_BATCH], start)]
                try:
                    self._db.keys.insert_many(documents, ordered=False)
                except BulkWriteError:  # an interrupted upgrade wrote some already
                    pass
            if keys:
                self._db.keys.update_one({"_id": _rows_id(level)},
                                         {"$max": {"next": len(keys)},
                                    "$setOnInsert": {"epoch": uuid.uuid4().hex}}, upsert=True)
        self._db.keys.delete_one({"_id": "levels"})

    def totals(self, level, key, start, end):
        """The aggregate of one entity over the days [start, end]."""
        return self.totals_by_key(level, start, end, [key]).get(key, {"count": 0})

    def dirty_month_count(self):
        """How many month buckets wait for compaction."""
        return self._db.dirty_months.count_documents({})

    def point_months(self):
        """Every point's month buckets, their count and satisfaction
        histogram (the open data file), as the store hands them out."""
        return self._db.months.find({"level": "point"}, {"key": 1, "month": 1, "count": 1,
                                                         "hist.satisfaction": 1})

    # --- recount -----------------------------------------------------------------
    def differences(self, facts):
        """Bucket ids whose stored aggregate differs from a recount (none, when
        every event was applied exactly once): day buckets against the source,
        and clean month buckets against their days."""
        rebuilt = recount(facts)
        stored = {doc["_id"]: merge([doc]) for doc in self._db.buckets.find({}, {"counted": 0})}
        wrong = {bucket for bucket in set(rebuilt) | set(stored)
                 if rebuilt.get(bucket) != stored.get(bucket)}
        dirty = {doc["_id"] for doc in self._db.dirty_months.find({}, {"_id": 1})}
        months = {}
        for bucket_id, aggregate in rebuilt.items():
            prefix, day = bucket_id.rsplit("|", 1)
            add_aggregate(months.setdefault(prefix + "|" + day[:7], {"count": 0}), aggregate)
        for doc in self._db.months.find({}):
            if doc["_id"] not in dirty and merge([doc]) != months.get(doc["_id"]):
                wrong.add(doc["_id"])
        stored_months = {doc["_id"] for doc in self._db.months.find({}, {"_id": 1})}
        for month_id in set(months) - dirty - stored_months:
            wrong.add(month_id)
        wrong.update(self._month_to_date_differences(rebuilt, dirty))
        wrong.update(self._summary_differences(rebuilt, months, dirty))
        return sorted(wrong)

    def _month_to_date_differences(self, days, dirty):
        """Month-to-date totals, and month buckets' lists of days with data, of
        clean months that differ from the recount: `to-date|<bucket id>`."""
        by_month = {}
        for bucket_id, aggregate in days.items():
            prefix, day = bucket_id.rsplit("|", 1)
            by_month.setdefault(prefix + "|" + day[:7], []).append(dict(aggregate, day=day))
        expected, data_days = {}, {}
        for month_id, day_buckets in by_month.items():
            prefix = month_id.rsplit("|", 1)[0]
            data_days[month_id] = sorted(bucket["day"] for bucket in day_buckets)
            for day, running in month_to_date(day_buckets):
                expected[prefix + "|" + day] = running
        stored = {doc["_id"]: merge([doc]) for doc in self._db.month_to_date.find({})}
        wrong = {"to-date|" + bucket_id for bucket_id in set(expected) | set(stored)
                 if bucket_id.rsplit("|", 1)[0] + "|" + bucket_id.rsplit("|", 1)[1][:7] not in dirty
                 and expected.get(bucket_id) != stored.get(bucket_id)}
        wrong.update("to-date|" + doc["_id"] for doc in self._db.months.find({}, {"days": 1})
                     if doc["_id"] not in dirty and doc.get("days") != data_days.get(doc["_id"]))
        return wrong

    def _summary_differences(self, days, months, dirty):
        """Level summary rows of clean months that differ from the recount,
        named `summary|level|key|period` (a row past the level's keys:
        `summary|level|#row|period`)."""
        expected = {}
        for bucket_id, aggregate in list(days.items()) + list(months.items()):
            level, rest = bucket_id.split("|", 1)
            if level in SUMMARY_LEVELS:
                key, period = rest.rsplit("|", 1)
                expected[(level, key, period)] = summary_entry(aggregate)
        stored = {}
        keys = {level: self.slot_keys(level) for level in SUMMARY_LEVELS}
        # a row no key took is shown by its number
        for collection in (self._db.level_months, self._db.level_days):
            for doc in collection.find({}):
                level, period = doc["_id"].split("|", 1)
                for row, entry in enumerate(summary_rows(doc).tolist()):
                    if any(entry):
                        key = ((keys[level][row] if row < len(keys[level]) else None)
                               or "#{}".format(row))
                        stored[(level, key, period)] = entry
        return {"summary|" + "|".join(entry_id) for entry_id in set(expected) | set(stored)
                if period_id(entry_id[0], entry_id[1], entry_id[2][:7]) not in dirty
                and expected.get(entry_id) != stored.get(entry_id)}
