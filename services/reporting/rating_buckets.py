"""Bucket maths of the feedback aggregates, without storage: which buckets a
feedback adds to and what it adds, merging buckets, month-to-date totals,
the days and months of a range, level summary rows, a recount in memory.
What is stored and how it is read is `store.aggregates.AggregateStore`
(see docs/adr/0002-reporting-aggregates.md).
"""
import calendar
import functools
from datetime import date, datetime, timedelta

import numpy as np

from services.common.thai import BANGKOK

DRIVERS = ("trust", "ease", "efficiency", "staff", "transparency")
LEVELS = ("point_service", "point", "agency", "province", "nation")
NATION = "TH"
LABELS = ("_id", "counted", "level", "key", "day", "month", "days")
# Levels that are ranked get level summaries: one document per level and
# month (and per level and day) holding every entity's count and
# satisfaction histogram as one packed array, so a ranking reads ~40
# documents, each in the same time however many entities have data in it.
SUMMARY_LEVELS = ("point", "agency", "province")
SUMMARY_FIELDS = ("count", "hist.satisfaction")
SCORES = (1, 2, 3, 4, 5)
SUMMARY_WIDTH = 1 + len(SCORES)  # a row: [count, n1, ..., n5]
SUMMARY_DTYPE = np.dtype("<i4")  # 24 bytes an entity; a count per entity and month fits


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


def period_id(level, key, period):
    return "|".join((level, key, period))


def add_aggregate(target, source, sign=1):
    for name, value in source.items():
        if isinstance(value, dict):
            add_aggregate(target.setdefault(name, {}), value, sign)
        else:
            target[name] = target.get(name, 0) + sign * value


def without_zeros(node):
    for name in list(node):
        value = node[name]
        if isinstance(value, dict):
            without_zeros(value)
            if not value:
                del node[name]
        elif value == 0 and name != "count":
            del node[name]
    return node


def bucket_content(bucket):
    return {k: v for k, v in bucket.items() if k not in LABELS}


def merge(buckets):
    """Sum buckets into one aggregate (ids and bucket labels left out)."""
    total = {"count": 0}
    for bucket in buckets:
        add_aggregate(total, bucket_content(bucket))
    return total


def tree_copy(node):
    return {name: tree_copy(value) if isinstance(value, dict) else value
            for name, value in node.items()}


def month_to_date(day_buckets):
    """[(day, aggregate of the month's buckets up to and including it)]
    for each day with a bucket, in day order."""
    running, out = {"count": 0}, []
    for bucket in sorted(day_buckets, key=lambda bucket: bucket["day"]):
        add_aggregate(running, bucket_content(bucket))
        out.append((bucket["day"], tree_copy(running)))
    return out


@functools.lru_cache(maxsize=1024)
def month_days(month):
    """The month's days as ISO strings (a tuple: cached, every report reads them)."""
    year, number = int(month[:4]), int(month[5:7])
    return tuple(date(year, number, d).isoformat()
                 for d in range(1, calendar.monthrange(year, number)[1] + 1))


def summary_entry(aggregate):
    """What a level summary holds of an entity: [count, n1, ..., n5] (the
    satisfaction histogram)."""
    hist = aggregate.get("hist", {}).get("satisfaction", {})
    return [aggregate.get("count", 0)] + [hist.get(str(score), 0) for score in SCORES]


def from_summary_entry(entry):
    """The aggregate `totals_by_key(fields=SUMMARY_FIELDS)` gives for an entry."""
    total = {"count": entry[0]}
    hist = {str(score): n for score, n in zip(SCORES, entry[1:]) if n}
    if hist:
        total["hist"] = {"satisfaction": hist}
    return total


def summary_rows(doc):
    """The rows of a level summary document, an (entities, 6) array that
    must only be read; entities after the last row have nothing."""
    packed = (doc or {}).get("rows") or b""
    return np.frombuffer(packed, dtype=SUMMARY_DTYPE).reshape(-1, SUMMARY_WIDTH)


def days(start, end):
    if end < start:
        return []
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


@functools.lru_cache(maxsize=4096)
def month_spans(start, end):
    """((month, first day in range, last day in range, whole month in range), ...)
    (a tuple: cached, every report reads them)."""
    out = []
    while start <= end:
        month_end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        last = min(end, month_end)
        out.append((start.isoformat()[:7], start, last, start.day == 1 and last == month_end))
        start = last + timedelta(days=1)
    return tuple(out)


def recount(facts):
    """Day buckets rebuilt from source records, for comparison with the
    incremental state: {bucket id: aggregate}."""
    rebuilt = {}
    for fact in facts:
        day = bangkok_day(fact["submitted_at"])
        inc = increments(fact)
        for level, key in bucket_keys(fact):
            add_increments(rebuilt.setdefault(period_id(level, key, day), {"count": 0}), inc)
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
