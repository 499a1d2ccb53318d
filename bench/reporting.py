"""Report latency from the pre-aggregated buckets against computing the
same report by scanning the raw feedback, at two sizes.

    python -m bench.reporting                          # 10,000 and 1,000,000 records
    python -m bench.reporting --sizes 10000 100000 --rounds 20 --scan-rounds 3
    python -m bench.reporting --themes                 # comment themes (bench/themes.py)

For each size, a fresh embedded database (mongomock-ng, the default
storage; or --mongo-uri) gets generated feedback spread over the 365 days
ending 2026-11-24 across 536 points (8 agencies, 77 provinces, 3 services
each): the raw records in `feedback` (as the feedback service stores them)
and their day buckets, counted by the same code the service runs
(`rating_buckets.recount`), then compacted by `AggregateStore.compact` into month
buckets, month-to-date totals and level summaries. Loading is bulk; the
per-event path is exercised by the tests.

Every size is loaded first, into the same process; the reports from the
buckets are then timed in alternating rounds (each size in turn, 10 calls
of a report or 2 of a ranking per round), so drift in the machine's speed
and the process's heap state weigh on every size alike. Median and p99 of
all calls (the scan: of --scan-rounds runs):
* point report: one point, the last 30 days (with its trend), as the
  service answers it (the ranking prior cached, as the service does);
* agency report: one agency over the last 365 days;
* national ranking: every point over the last 365 days, prior included.
The baseline comes after every bucket timing (a full garbage collection
before each): the service's own report code fed by aggregates summed from
the raw records of the range, found as a MongoDB user would find them,
through an index on (point, submitted_at), (agency, submitted_at) or
submitted_at (TimeIndex: two binary searches and a slice of the records
in time order; the embedded store has no secondary indexes). The run
checks that both answers are identical in every field (trend, means,
channels, drivers, breaches, prior...), and prints the first differences.

Targets (issue 6): at 1,000,000 records each report's median within 1.5x
of its median at 10,000, and at least 50x faster than the scan.
"""
import argparse
import bisect
import gc
import random
import statistics
import time
import uuid
from datetime import date, datetime, time as clock, timedelta

from bench.common import p99
from bench.machine import describe
from services.common.storage import ensure_indexes, get_client
from services.reporting import rating_buckets, reports, stats
from services.reporting.store import aggregates
from services.reporting.store.aggregates import AggregateStore

END = date(2026, 11, 24)
POINTS, AGENCIES, SERVICES = 536, 8, ("DOPA-ID-NEW", "DOPA-HOUSE-MOVE", "DLT-LICENCE-RENEW")
CHANNELS = ("walk_in", "online", "phone")
PROVINCES = ["{:02d}".format(c) for c in (list(range(10, 28)) + list(range(30, 50)) +
                                          list(range(50, 59)) + list(range(60, 68)) +
                                          list(range(70, 78)) + list(range(80, 87)) +
                                          list(range(90, 97)))][:77]


def generate(n, seed=1):
    rng = random.Random(seed)
    provinces = PROVINCES
    points = [("sp-{:04d}".format(i), "ag-{}".format(i % AGENCIES), provinces[i % len(provinces)],
               rng.uniform(0.5, 1.5)) for i in range(POINTS)]
    weights = [p[3] for p in points]
    chosen = rng.choices(points, weights=weights, k=n)
    for i, (point, agency, province, quality) in enumerate(chosen):
        base = min(5, max(1, round(rng.gauss(3.2 + quality, 1.0))))
        answers = {"satisfaction": base}
        for driver in rating_buckets.DRIVERS:
            if rng.random() < 0.6:
                answers[driver] = min(5, max(1, base + rng.choice((-1, 0, 0, 1))))
        day = END - timedelta(days=rng.randrange(365))
        yield {"feedback_id": "fb-{:08d}".format(i), "service_point_id": point,
               "agency_id": agency, "province_code": province,
               "service_code": rng.choice(SERVICES), "channel": rng.choice(CHANNELS),
               "answers": answers, "verified": rng.random() < 0.4,
               "zero_copy_breaches": [{"document": "ทะเบียนบ้าน", "reason": "government_issued"}]
               if rng.random() < 0.05 else [],
               "submitted_at": datetime.combine(day, clock(rng.randrange(8, 17)),
                                                rating_buckets.BANGKOK).isoformat()}


def load(db, facts):
    started = time.perf_counter()
    batch = []
    for fact in facts:
        batch.append(dict(fact, _id=fact["feedback_id"],
                          submitted_at=datetime.fromisoformat(fact["submitted_at"])))
        if len(batch) == 10000:
            db.feedback.insert_many(batch)
            batch = []
    if batch:
        db.feedback.insert_many(batch)
    raw_seconds = time.perf_counter() - started
    started = time.perf_counter()
    counted = {}
    for doc in db.feedback.find({}, {"_id": 1, "submitted_at": 1, "service_point_id": 1,
                                     "service_code": 1, "agency_id": 1, "province_code": 1}):
        day = rating_buckets.bangkok_day(doc["submitted_at"])
        for level, key in rating_buckets.bucket_keys(doc):
            counted.setdefault("|".join((level, key, day)), []).append(doc["_id"])
    rebuilt = rating_buckets.recount(_facts(db.feedback.find({})))
    buckets = []
    for bucket_id, aggregate in rebuilt.items():
        level_key, day = bucket_id.rsplit("|", 1)
        level, key = level_key.split("|", 1)
        buckets.append(dict(aggregate, _id=bucket_id, level=level, key=key, day=day,
                            counted=counted[bucket_id]))
    for i in range(0, len(buckets), 10000):
        db.buckets.insert_many(buckets[i:i + 10000])
    ratings = AggregateStore(db)
    ratings.remember_keys(sorted({(b["level"], b["key"]) for b in buckets}))
    markers = dirty_markers(buckets)
    db.dirty_months.insert_many(markers)
    while ratings.compact(limit=100000):
        pass
    return raw_seconds, time.perf_counter() - started, len(buckets), len(markers)


def dirty_markers(buckets):
    """A dirty marker for every month of these day buckets (a bulk load's:
    no `days`, so compaction derives every day of the month)."""
    markers = {}
    for bucket in buckets:
        month_id = "|".join((bucket["level"], bucket["key"], bucket["day"][:7]))
        markers[month_id] = {"_id": month_id, "level": bucket["level"], "key": bucket["key"],
                             "month": bucket["day"][:7], "rev": 1}
    return list(markers.values())


def _facts(docs):
    for doc in docs:
        yield dict(doc, submitted_at=doc["submitted_at"].isoformat())


# --- the baseline: the same report from the raw records, through an index -----
class TimeIndex:
    """What an index on (field, submitted_at) gives a MongoDB user: the
    records of one key in time order, a range found by two binary searches
    and read as a slice. The embedded store has no secondary indexes (it
    would walk every document), so this stands in for one; it hands out the
    records themselves, where a MongoDB would decode a copy of each, so the
    baseline is if anything faster than a real one. field None: every
    record, by time (an index on submitted_at)."""

    def __init__(self, records, field):
        groups = {}
        for record in records:
            groups.setdefault(record[field] if field else None, []).append(record)
        self.times, self.records = {}, {}
        for key, rows in groups.items():
            rows.sort(key=lambda r: r["submitted_at"])
            self.times[key] = [r["submitted_at"] for r in rows]
            self.records[key] = rows

    def find(self, key, start, end):
        """The records of `key` in the Bangkok days [start, end]."""
        low = datetime.combine(start, clock(0), rating_buckets.BANGKOK)
        high = datetime.combine(end + timedelta(days=1), clock(0), rating_buckets.BANGKOK)
        times = self.times.get(key, [])
        return self.records.get(key, [])[bisect.bisect_left(times, low):
                                          bisect.bisect_left(times, high)]


def scanned_total(records):
    """The aggregate of some raw records, as the buckets would hold it."""
    total = {"count": 0}
    for record in records:
        rating_buckets.add_increments(total, rating_buckets.increments(record))
    return total


class Scan:
    """The service's own report code (reports.report, reports.rankings) fed
    by aggregates computed from the raw records through TimeIndex instead
    of from the buckets (it answers the AggregateStore's reads): the same
    statistics, so every field of the answer must come out identical."""
    FIELDS = {"point": "service_point_id", "agency": "agency_id"}

    def __init__(self, records):
        self.by = {level: TimeIndex(records, field) for level, field in self.FIELDS.items()}
        self.by_time = TimeIndex(records, None)

    def totals(self, level, key, start, end):
        if level == "nation":
            return scanned_total(self.by_time.find(None, start, end))
        return scanned_total(self.by[level].find(key, start, end))

    def totals_of_spans(self, level, key, spans, fields=None):
        return [self.totals(level, key, start, end) for start, end in spans]

    def totals_by_key(self, level, start, end, keys=None, fields=None):
        field = self.FIELDS[level]
        grouped = {}
        for record in self.by_time.find(None, start, end):
            if keys is None or record[field] in keys:
                rating_buckets.add_increments(grouped.setdefault(record[field], {"count": 0}),
                                              rating_buckets.increments(record))
        return grouped

    def call(self, function, *args, **kwargs):
        """`function` (a report) reading its aggregates from this scan."""
        return function(self, *args, **kwargs)


def differences(bucketed, scanned, path=""):
    """Where two answers differ: ["trend.periods[3].count: 4 != 5", ...]."""
    if isinstance(bucketed, dict) and isinstance(scanned, dict):
        found = []
        for name in sorted(set(bucketed) | set(scanned), key=str):
            found += differences(bucketed.get(name, "<absent>"), scanned.get(name, "<absent>"),
                                 "{}.{}".format(path, name) if path else str(name))
        return found
    if isinstance(bucketed, list) and isinstance(scanned, list) and len(bucketed) == len(scanned):
        found = []
        for i, (a, b) in enumerate(zip(bucketed, scanned)):
            found += differences(a, b, "{}[{}]".format(path, i))
        return found
    return [] if bucketed == scanned else ["{}: {!r} != {!r}".format(path, bucketed, scanned)]


# --- timing ------------------------------------------------------------------
CALLS_PER_ROUND = {"point report (30 days)": 10, "agency report (365 days)": 10,
                   "national ranking (365 days)": 2}


def prepare(size, args):
    """A fresh database with `size` records; the three reports as
    (name, from the buckets, by scanning) closures."""
    client = get_client(args.mongo_uri)
    db = client["bench_reporting_" + uuid.uuid4().hex[:8]]
    ensure_indexes(db, aggregates.INDEXES)
    db.feedback.create_index([("service_point_id", 1), ("submitted_at", 1)])
    db.feedback.create_index([("agency_id", 1), ("submitted_at", 1)])
    raw_s, bucket_s, n_buckets, n_months = load(db, generate(size, args.seed))
    started = time.perf_counter()
    scan = Scan([dict(fact, submitted_at=datetime.fromisoformat(fact["submitted_at"]))
                 for fact in generate(size, args.seed)])
    index_s = time.perf_counter() - started
    print("  {:>9,} records: raw load {:.1f} s; {:,} day buckets and {:,} month buckets "
          "built in {:.1f} s; the baseline's indexes in {:.1f} s".format(
              size, raw_s, n_buckets, n_months, bucket_s, index_s), flush=True)
    month = (END - timedelta(days=29), END)
    year = (END - timedelta(days=364), END)
    point, agency = "sp-0007", "ag-3"
    ratings = AggregateStore(db)
    prior_month = reports.prior(ratings, *month)
    prior_year = reports.prior(ratings, *year)
    cases = [
        ("point report (30 days)",
         lambda: reports.report(ratings, "point", point, *month, prior_value=prior_month),
         lambda: scan.call(reports.report, "point", point, *month, prior_value=prior_month)),
        ("agency report (365 days)",
         lambda: reports.report(ratings, "agency", agency, *year, prior_value=prior_year),
         lambda: scan.call(reports.report, "agency", agency, *year, prior_value=prior_year)),
        ("national ranking (365 days)",
         lambda: reports.rankings(ratings, "point", *year, limit=1000),
         lambda: scan.call(reports.rankings, "point", *year, limit=1000)),
    ]
    return client, db, cases


_p99 = p99  # bench/themes.py imports it under this name


def time_buckets(prepared, rounds):
    """Every size's reports from the buckets, in alternating rounds (size
    after size, report after report, CALLS_PER_ROUND calls each): a machine
    that is busier for a while slows every size alike, and every size is
    read with the same process and heap. {(size, name): (samples, round
    medians, last result)}."""
    timed = {(size, name): ([], [], None) for size, (_, _, cases) in prepared.items()
             for name, _, _ in cases}
    gc.collect()
    for _ in range(rounds):
        for size, (_, _, cases) in prepared.items():
            for name, bucketed, _ in cases:
                samples, medians, _ = timed[(size, name)]
                this_round = []
                for _ in range(CALLS_PER_ROUND[name]):
                    started = time.perf_counter()
                    result = bucketed()
                    this_round.append(time.perf_counter() - started)
                samples.extend(this_round)
                medians.append(statistics.median(this_round))
                timed[(size, name)] = (samples, medians, result)
    return timed


def time_scans(prepared, timed, args):
    """The same reports by scanning the raw records, after all bucket
    timings (a scan deep-copies the raw records and churns the heap, which
    a service answering reports never does between two requests)."""
    out = {}
    for size, (client, db, cases) in prepared.items():
        print("  {:>9,} records (bucket figures from {} alternating rounds):".format(
            size, args.rounds))
        for name, _, scan in cases:
            samples, medians, result = timed[(size, name)]
            gc.collect()
            scan_samples = []
            for _ in range(args.scan_rounds):
                started = time.perf_counter()
                scanned = scan()
                scan_samples.append(time.perf_counter() - started)
            wrong = differences(result, scanned)  # every field of the answer
            same = not wrong
            for line in wrong[:5]:
                print("      DIFFERENT {}".format(line))
            median, scan_median = statistics.median(samples), statistics.median(scan_samples)
            out[(size, name)] = {"median": median, "scan_median": scan_median, "identical": same}
            print("    {:<28} buckets {:>7.2f} ms (p99 {:>6.2f}; round medians {:.2f}-{:.2f})"
                  "   scan {:>9.1f} ms   {:>6.0f}x   {}".format(
                      name, median * 1e3, _p99(samples) * 1e3, min(medians) * 1e3,
                      max(medians) * 1e3, scan_median * 1e3, scan_median / median,
                      "identical" if same else "DIFFERENT"), flush=True)
        client.drop_database(db.name)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 1000000])
    parser.add_argument("--rounds", type=int, default=None,
                        help="alternating rounds of bucket timings (default 100; --themes: 10)")
    parser.add_argument("--scan-rounds", type=int, default=2)
    parser.add_argument("--themes", action="store_true",
                        help="comment themes instead of the satisfaction reports (bench/themes.py)")
    parser.add_argument("--scan-sample", type=int, default=20000,
                        help="--themes: comments a scan segments per scope at most; more are "
                             "sampled and extrapolated (0: segment them all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mongo-uri", default=None, help="a real MongoDB (default: embedded)")
    args = parser.parse_args(argv)
    print(describe("storage: " + ("MongoDB " + args.mongo_uri if args.mongo_uri
                                  else "embedded (mongomock-ng)")))
    if args.themes:
        from bench import themes
        args.rounds = args.rounds or 10
        return themes.run(args)
    args.rounds = args.rounds or 100
    sizes = sorted(set(args.sizes))
    prepared = {size: prepare(size, args) for size in sizes}
    results = time_scans(prepared, time_buckets(prepared, args.rounds), args)
    small, large = sizes[0], sizes[-1]
    if small == large:
        return 0
    print("\n  targets: at {:,} within 1.5x of {:,}, and >= 50x faster than the scan".format(large, small))
    passed = True
    for name in CALLS_PER_ROUND:
        growth = results[(large, name)]["median"] / results[(small, name)]["median"]
        speedup = results[(large, name)]["scan_median"] / results[(large, name)]["median"]
        ok = growth <= 1.5 and speedup >= 50 and results[(large, name)]["identical"]
        passed &= ok
        print("    {:<28} growth {:>5.2f}x   vs scan {:>7.0f}x   {}".format(
            name, growth, speedup, "PASS" if ok else "MISS"))
    print("  overall: {}".format("PASS" if passed else "MISS"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
