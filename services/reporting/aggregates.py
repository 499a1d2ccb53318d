"""Feedback aggregates in day buckets, each feedback counted exactly once
per bucket (plain module; see docs/adr/0002-reporting-aggregates.md).

A feedback adds to one bucket per level - point x service, point, agency,
province, nation - for its Asia/Bangkok day. Each bucket update is one
atomic conditional write that also remembers the feedback's id, so an event
applied twice, or redelivered after a crash half-way through its buckets,
changes each bucket once. Reports merge the buckets of a date range.
"""
from datetime import date, datetime, timedelta, timezone

from pymongo.errors import DuplicateKeyError

BANGKOK = timezone(timedelta(hours=7))
DRIVERS = ("trust", "ease", "efficiency", "staff", "transparency")
LEVELS = ("point_service", "point", "agency", "province", "nation")
INDEXES = {"buckets": [([("level", 1), ("key", 1), ("day", 1)], {"name": "lookup"}),
                       ([("level", 1), ("day", 1)], {"name": "by_level"})]}


def bangkok_day(moment):
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(BANGKOK).date().isoformat()


def bucket_keys(fact):
    """(level, key) of every bucket one feedback belongs to."""
    point = fact["service_point_id"]
    return [("point_service", "{}|{}".format(point, fact.get("service_code") or "-")),
            ("point", point), ("agency", fact["agency_id"]),
            ("province", fact["province_code"]), ("nation", "TH")]


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
        inc["breaches.total"] = inc.get("breaches.total", 0) + 1
        reason = "breaches.by_reason." + breach["reason"]
        inc[reason] = inc.get(reason, 0) + 1
    return inc


def apply_feedback(db, fact):
    """Count one feedback (a feedback_submitted payload) in each of its
    buckets once; the number of buckets this call changed."""
    day = bangkok_day(fact["submitted_at"])
    inc = increments(fact)
    changed = 0
    for level, key in bucket_keys(fact):
        try:
            result = db.buckets.update_one(
                {"_id": "|".join((level, key, day)), "counted": {"$ne": fact["feedback_id"]}},
                {"$inc": inc, "$push": {"counted": fact["feedback_id"]},
                 "$setOnInsert": {"level": level, "key": key, "day": day}},
                upsert=True)
        except DuplicateKeyError:  # the bucket exists and has counted it
            continue
        changed += 1 if (result.modified_count or result.upserted_id is not None) else 0
    return changed


def _add(target, source):
    for key, value in source.items():
        if isinstance(value, dict):
            _add(target.setdefault(key, {}), value)
        else:
            target[key] = target.get(key, 0) + value


def merge(buckets):
    """Sum buckets into one aggregate (ids and bucket labels left out)."""
    total = {"count": 0}
    for bucket in buckets:
        _add(total, {k: v for k, v in bucket.items()
                     if k not in ("_id", "counted", "level", "key", "day")})
    return total


def days(start, end):
    if end < start:
        return []
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def totals(db, level, key, start, end):
    """The aggregate of one entity over the days [start, end]."""
    return merge(db.buckets.find({"level": level, "key": key, "day": {"$in": days(start, end)}},
                                 {"counted": 0}))


def recount(facts):
    """Buckets rebuilt from source records, for comparison with the
    incremental state: {bucket id: aggregate}."""
    rebuilt = {}
    for fact in facts:
        day = bangkok_day(fact["submitted_at"])
        inc = increments(fact)
        for level, key in bucket_keys(fact):
            bucket = rebuilt.setdefault("|".join((level, key, day)), {"count": 0})
            for path, value in inc.items():
                node = bucket
                *parents, leaf = path.split(".")
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = node.get(leaf, 0) + value
    return rebuilt


def differences(db, facts):
    """Bucket ids whose stored aggregate differs from a recount (none, when
    every event was applied exactly once)."""
    rebuilt = recount(facts)
    stored = {doc["_id"]: merge([doc]) for doc in db.buckets.find({}, {"counted": 0})}
    return sorted(bucket for bucket in set(rebuilt) | set(stored)
                  if rebuilt.get(bucket) != stored.get(bucket))


def parse_day(value):
    return date.fromisoformat(value)
