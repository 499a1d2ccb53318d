"""Feedback aggregates in day and month buckets, each feedback counted
exactly once (plain module; see docs/adr/0002-reporting-aggregates.md).

A feedback adds to one day bucket per level - point x service, point,
agency, province, nation - for its Asia/Bangkok day. Each day bucket update
is one atomic conditional write that also remembers the feedback's id, so
an event applied twice, or redelivered after a crash half-way through its
buckets, changes each bucket once.

Month buckets are derived from day buckets by `compact` (a month bucket
with every feedback of a busy month would have to remember too many ids to
be updated exactly once). A feedback marks its months dirty before and after
it writes its day buckets; a report uses a month bucket only while it is
clean, so reports are exact before compaction catches up, and cost about
one document per entity and month once it has.
"""
import calendar
from datetime import date, datetime, timedelta, timezone

from pymongo.errors import DuplicateKeyError

BANGKOK = timezone(timedelta(hours=7))
DRIVERS = ("trust", "ease", "efficiency", "staff", "transparency")
LEVELS = ("point_service", "point", "agency", "province", "nation")
NATION = "TH"
LABELS = ("_id", "counted", "level", "key", "day", "month")
INDEXES = {
    "buckets": [([("level", 1), ("day", 1)], {"name": "by_level"})],
    "months": [([("level", 1), ("month", 1)], {"name": "by_level"})],
    "dirty_months": [],
    "keys": [],
}
ID_BATCH = 5000  # ids per `$in` query


def bangkok_day(moment):
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(BANGKOK).date().isoformat()


def parse_day(value):
    return date.fromisoformat(value)


def bucket_keys(fact):
    """(level, key) of every bucket one feedback belongs to."""
    point = fact["service_point_id"]
    return [("point_service", "{}|{}".format(point, fact.get("service_code") or "-")),
            ("point", point), ("agency", fact["agency_id"]),
            ("province", fact["province_code"]), ("nation", NATION)]


def field_name(text):
    """A document name usable as a field name ('.' and a leading '$' are
    operators in MongoDB paths); `display_name` turns it back."""
    return text.replace(".", "\uff0e").replace("$", "\uff04")


def display_name(field):
    return field.replace("\uff0e", ".").replace("\uff04", "$")


def increments(fact):
    """What one feedback adds to each of its buckets."""
    answers = fact["answers"]
    inc = {"count": 1, ("verified" if fact["verified"] else "unverified"): 1,
           "channels." + fact["channel"]: 1}
    for question, score in answers.items():
        inc["hist.{}.{}".format(question, score)] = 1
        inc["sums.{}.n".format(question)] = 1
        inc["sums.{}.sx".format(question)] = score
        inc["sums.{}.sxx".format(question)] = score * score
    overall = answers["satisfaction"]
    for driver in DRIVERS:
        if driver in answers:
            x = answers[driver]
            for name, value in (("n", 1), ("sx", x), ("sy", overall), ("sxx", x * x),
                                ("syy", overall * overall), ("sxy", x * overall)):
                inc["cross.{}.{}".format(driver, name)] = value
    for breach in fact.get("zero_copy_breaches", []):
        for path in ("breaches.total", "breaches.by_reason." + breach["reason"],
                     "breaches.by_document." + field_name(breach["document"])):
            inc[path] = inc.get(path, 0) + 1
    return inc


def _bucket_id(level, key, period):
    return "|".join((level, key, period))


def _mark_dirty(db, month, keys):
    for level, key in keys:
        db.dirty_months.update_one({"_id": _bucket_id(level, key, month)},
                                   {"$inc": {"rev": 1},
                                    "$setOnInsert": {"level": level, "key": key, "month": month}},
                                   upsert=True)


def remember_keys(db, keys):
    """Every key each level has had, in one document: a ranking lists them
    without scanning buckets."""
    additions = {}
    for level, key in keys:
        additions.setdefault(level, []).append(key)
    db.keys.update_one({"_id": "levels"}, {"$addToSet": {
        level: {"$each": sorted(found)} for level, found in additions.items()}}, upsert=True)


def apply_feedback(db, fact):
    """Count one feedback (a feedback_submitted payload) in each of its
    buckets once; the number of buckets this call changed."""
    day = bangkok_day(fact["submitted_at"])
    inc = increments(fact)
    keys = bucket_keys(fact)
    # Before: a crash after a day write leaves its month dirty. After: a
    # compaction that read the days before this write cannot clean it.
    _mark_dirty(db, day[:7], keys)
    remember_keys(db, keys)
    changed = 0
    for level, key in keys:
        try:
            result = db.buckets.update_one(
                {"_id": _bucket_id(level, key, day), "counted": {"$ne": fact["feedback_id"]}},
                {"$inc": inc, "$push": {"counted": fact["feedback_id"]},
                 "$setOnInsert": {"level": level, "key": key, "day": day}},
                upsert=True)
        except DuplicateKeyError:  # the bucket exists and has counted it
            continue
        changed += 1 if (result.modified_count or result.upserted_id is not None) else 0
    _mark_dirty(db, day[:7], keys)
    return changed


# --- merging -----------------------------------------------------------------
def _add(target, source, sign=1):
    for name, value in source.items():
        if isinstance(value, dict):
            _add(target.setdefault(name, {}), value, sign)
        else:
            target[name] = target.get(name, 0) + sign * value


def _without_zeros(node):
    for name in list(node):
        value = node[name]
        if isinstance(value, dict):
            _without_zeros(value)
            if not value:
                del node[name]
        elif value == 0 and name != "count":
            del node[name]
    return node


def _content(bucket):
    return {k: v for k, v in bucket.items() if k not in LABELS}


def merge(buckets):
    """Sum buckets into one aggregate (ids and bucket labels left out)."""
    total = {"count": 0}
    for bucket in buckets:
        _add(total, _content(bucket))
    return total


# --- compaction --------------------------------------------------------------
def month_days(month):
    year, number = int(month[:4]), int(month[5:7])
    return [date(year, number, d).isoformat()
            for d in range(1, calendar.monthrange(year, number)[1] + 1)]


def _find_ids(collection, ids, projection=None):
    for i in range(0, len(ids), ID_BATCH):
        yield from collection.find({"_id": {"$in": ids[i:i + ID_BATCH]}}, projection)


def compact(db, limit=1000):
    """Rebuild the month buckets of dirty months from their day buckets;
    the number rebuilt. A month written to meanwhile stays dirty."""
    rebuilt = 0
    for marker in list(db.dirty_months.find({}).limit(limit)):
        level, key, month = marker["level"], marker["key"], marker["month"]
        days = list(_find_ids(db.buckets, [_bucket_id(level, key, d) for d in month_days(month)],
                              {"counted": 0}))
        month_id = _bucket_id(level, key, month)
        if days:
            db.months.replace_one({"_id": month_id},
                                  dict(merge(days), level=level, key=key, month=month), upsert=True)
        else:
            db.months.delete_one({"_id": month_id})
        db.dirty_months.delete_one({"_id": marker["_id"], "rev": marker["rev"]})
        rebuilt += 1
    return rebuilt


# --- reading a date range ----------------------------------------------------
def days(start, end):
    if end < start:
        return []
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def _months(start, end):
    """[(month, days of it in range, days of it out of range)]."""
    plan = {}
    for day in days(start, end):
        plan.setdefault(day[:7], []).append(day)
    return [(month, inside, sorted(set(month_days(month)) - set(inside)))
            for month, inside in plan.items()]


def keys_at(db, level):
    return sorted((db.keys.find_one({"_id": "levels"}, {level: 1}) or {}).get(level, []))


def totals_by_key(db, level, start, end, keys=None, fields=None):
    """{key: aggregate over the days [start, end]} for the given keys of a
    level (every key the level has had when None; those without data in
    the range have count 0). `fields` limits the aggregate to those paths.

    A whole month comes from its month bucket, a partial one from the month
    bucket minus the days outside the range when that reads fewer
    documents; a dirty month always from its day buckets.
    """
    plan = _months(start, end)
    if keys is None:
        keys = keys_at(db, level)
    if not keys or not plan:
        return {}
    dirty = {doc["_id"] for doc in _find_ids(
        db.dirty_months, [_bucket_id(level, k, m) for k in keys for m, _, _ in plan], {"_id": 1})}
    add_months, add_days, subtract_days = [], [], []
    for key in keys:
        for month, inside, outside in plan:
            month_id = _bucket_id(level, key, month)
            if month_id not in dirty and len(outside) < len(inside):
                add_months.append(month_id)
                subtract_days.extend(_bucket_id(level, key, d) for d in outside)
            else:
                add_days.extend(_bucket_id(level, key, d) for d in inside)
    result = {key: {"count": 0} for key in keys}
    projection = dict.fromkeys(["key", "count"] + list(fields), 1) if fields else {"counted": 0}
    for ids, collection, sign in ((add_months, db.months, 1), (add_days, db.buckets, 1),
                                  (subtract_days, db.buckets, -1)):
        for bucket in _find_ids(collection, ids, projection):
            _add(result[bucket["key"]], _content(bucket), sign)
    return {key: _without_zeros(total) for key, total in result.items()}


def totals(db, level, key, start, end):
    """The aggregate of one entity over the days [start, end]."""
    return totals_by_key(db, level, start, end, [key]).get(key, {"count": 0})


# --- recount -----------------------------------------------------------------
def recount(facts):
    """Day buckets rebuilt from source records, for comparison with the
    incremental state: {bucket id: aggregate}."""
    rebuilt = {}
    for fact in facts:
        day = bangkok_day(fact["submitted_at"])
        inc = increments(fact)
        for level, key in bucket_keys(fact):
            add_increments(rebuilt.setdefault(_bucket_id(level, key, day), {"count": 0}), inc)
    return rebuilt


def add_increments(aggregate, inc):
    """Apply `increments()` (dotted paths) to an aggregate held in memory."""
    for path, value in inc.items():
        node = aggregate
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = node.get(leaf, 0) + value
    return aggregate


def differences(db, facts):
    """Bucket ids whose stored aggregate differs from a recount (none, when
    every event was applied exactly once): day buckets against the source,
    and clean month buckets against their days."""
    rebuilt = recount(facts)
    stored = {doc["_id"]: merge([doc]) for doc in db.buckets.find({}, {"counted": 0})}
    wrong = {bucket for bucket in set(rebuilt) | set(stored)
             if rebuilt.get(bucket) != stored.get(bucket)}
    dirty = {doc["_id"] for doc in db.dirty_months.find({}, {"_id": 1})}
    months = {}
    for bucket_id, aggregate in rebuilt.items():
        prefix, day = bucket_id.rsplit("|", 1)
        _add(months.setdefault(prefix + "|" + day[:7], {"count": 0}), aggregate)
    for doc in db.months.find({}):
        if doc["_id"] not in dirty and merge([doc]) != months.get(doc["_id"]):
            wrong.add(doc["_id"])
    for month_id in set(months) - dirty - {doc["_id"] for doc in db.months.find({}, {"_id": 1})}:
        wrong.add(month_id)
    return sorted(wrong)
