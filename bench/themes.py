"""Comment themes from the theme buckets against computing them by scanning
and segmenting the raw comments, at two sizes (`python -m bench.reporting
--themes`; see bench/README.md).

For each size, a fresh embedded database (or --mongo-uri) gets what
reporting would hold after a recount of generated published comments over
the 365 days ending 2026-11-24 across the satisfaction benchmark's 536
points (8 agencies, 77 provinces): `theme_comments` (what the views read of
a comment), the theme day buckets built by the code the recount runs
(`theme_buckets.rebuild`) and the month documents `ThemeStore.compact`
derives from them (its `month_documents`), a month at a time. Building
segments every comment once; clauses repeat in generated text, so the build
caches segmentation by clause (the answers are the same; only the build is
faster). The scan never caches. On the embedded store the documents are
placed in bulk (see `put`; `check_bulk` compares them with the service's
own write path at 2,000 comments) and only the day buckets of the months
the timed ranges read by day are kept (see `load`). The raw comments are
compact tuples in per-scope lists for the scan (see `Lists`), not
documents: they are the feedback service's, and a million of them in the
embedded store cost gigabytes that no report reads.

Comments are generated from ~70 clause templates on queues, staff, copies,
parking, fees, the system, facilities and praise, with their numbers, plus,
in one comment in three, one of 60,000 clauses of 2-3 words drawn (Zipf)
from 6,000 words of PyThaiNLP's dictionary: the long tail of a real
vocabulary, so month documents hold tens of thousands of terms and the
national ones split into parts.

Timed (alternating rounds, every size in turn): an agency's themes over 365
days against the rest of the country; a point's themes over the last 30
days; what the agency's unhappy say over 365 days; a point's rising themes
over the last 30 days (against the 30 before). The scan of each: the
scope's comments of the range and the reference's taken from the lists,
each segmented (`themes.terms`) and counted into a bucket in
memory, then the same statistics; the run checks the rows are identical.
Segmenting a million comments takes ~10-20 minutes on this machine, so a
scan that segments more than --scan-sample comments segments an even
sample of them and the segmentation time is extrapolated linearly to all;
the printout says which. At 10,000 both are measured, so the extrapolation
can be compared with a real scan.
"""
import bisect
import functools
import gc
import os
import random
import statistics
import time
import uuid
from datetime import datetime, time as clock, timedelta

import bson

from bench.reporting import AGENCIES, END, POINTS, PROVINCES, _p99, dirty_markers
from services.common.embedded_store import MAX_DOCUMENT_BYTES, is_embedded_collection
from services.common.storage import get_client
from services.reporting import rating_buckets, theme_buckets, themes
from services.reporting.store.themes import ThemeStore

os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

NEGATIVE = [
    "รอคิวนาน{n}ชั่วโมง", "คิวยาวมาก", "บัตรคิวหมดตั้งแต่เช้า", "เปิดช่องบริการแค่{n}ช่อง",
    "เจ้าหน้าที่พูดจาไม่สุภาพ", "เจ้าหน้าที่เล่นโทรศัพท์", "พนักงานหน้าบึ้ง ไม่ยิ้มเลย",
    "ถามอะไรก็ไม่ตอบ", "ต้องถ่ายเอกสารสำเนาบัตรประชาชนเอง", "ให้ไปถ่ายเอกสารร้านข้างนอก",
    "ถ่ายเอกสารหน้าละ{n}บาท", "เรียกสำเนาทะเบียนบ้านทั้งที่มีตัวจริง", "ที่จอดรถไม่พอ",
    "ที่จอดรถเต็มตั้งแต่เช้า", "ต้องจอดริมถนน", "ค่าธรรมเนียมแพงเกินไป", "ไม่มีใบเสร็จ",
    "เก็บค่าธรรมเนียมเพิ่ม{n}บาท", "ระบบล่มทั้งวัน", "ระบบคิวออนไลน์ใช้ไม่ได้",
    "ห้องน้ำสกปรก", "แอร์ไม่เย็น", "ป้ายบอกทางไม่ชัดเจน", "โทรไปไม่มีคนรับสาย",
    "ปิดพักเที่ยงนาน", "แนะนำเอกสารไม่ครบ ต้องมาใหม่{n}รอบ", "กรอกแบบฟอร์มซ้ำหลายรอบ",
    "เสียเวลามาก", "ต้องลางานมาอีกวัน", "ไม่มีทางลาดสำหรับรถเข็น",
]
NEUTRAL = [
    "รอไม่นานเท่าไหร่", "เจ้าหน้าที่สุภาพ แต่ขั้นตอนเยอะ", "ควรเพิ่มช่องบริการช่วงพักเที่ยง",
    "ข้อมูลบนเว็บไซต์ไม่ตรงกับเอกสารที่ขอ", "ที่นั่งรอไม่พอช่วงเช้า", "โดยรวมพอใช้",
    "ใช้เวลา{n}นาที", "ที่จอดรถน้อยไปหน่อย", "ควรมีป้ายบอกขั้นตอน",
]
POSITIVE = [
    "บริการดีมาก", "เจ้าหน้าที่ยิ้มแย้มแจ่มใส", "บริการรวดเร็ว ได้บัตรใน{n}นาที",
    "ประทับใจการบริการ", "ขอบคุณเจ้าหน้าที่ที่ช่วยอธิบาย", "สถานที่สะอาด",
    "ไม่ต้องใช้สำเนาแล้ว สะดวกมาก", "ระบบคิวออนไลน์ใช้งานง่าย", "เจ้าหน้าที่ใจดี",
    "ช่วยกรอกแบบฟอร์มให้ผู้สูงอายุ", "แนะนำเอกสารครบถ้วน", "มีที่จอดรถเพียงพอ",
]
PARTICLES = ["", "", "", " ค่ะ", " ครับ", " นะคะ", "มากกก", " ๆ"]
# half the comments of one point's last two weeks name a new problem
RISING_POINT, RISING_DAYS, RISING_PROBLEM = "sp-0007", 14, "เครื่องออกบัตรคิวเสีย"
TAIL_WORDS = 6000
TAIL_PHRASES = 60000  # distinct long-tail clauses (the build segments each once)


def _tail_words(rng):
    from pythainlp.corpus import thai_words
    words = sorted(w for w in thai_words() if 2 <= len(w) <= 8 and " " not in w)
    return rng.sample(words, TAIL_WORDS)


def generate(n, seed=1):
    """Published comments (what `feedback.published_comments` pages), seeded."""
    rng = random.Random(seed)
    planted = random.Random(seed + 2)  # its own stream: every other comment stays as it was
    tail = _tail_words(random.Random(seed + 1))
    weights = [1.0 / (rank + 1) for rank in range(len(tail))]  # Zipf
    phrases = ["".join(rng.choices(tail, weights=weights, k=rng.choice((2, 3))))
               for _ in range(TAIL_PHRASES)]
    provinces = PROVINCES
    points = [("sp-{:04d}".format(i), "ag-{}".format(i % AGENCIES), provinces[i % len(provinces)],
               rng.uniform(0.5, 1.5)) for i in range(POINTS)]
    chosen = rng.choices(points, weights=[p[3] for p in points], k=n)
    for i, (point, agency, province, quality) in enumerate(chosen):
        rating = min(5, max(1, round(rng.gauss(3.2 + quality, 1.0))))
        pool = NEGATIVE if rating <= 2 else NEUTRAL if rating == 3 else POSITIVE
        clauses = [rng.choice(pool).format(n=rng.randint(2, 9))
                   for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        if rng.random() < 0.15:  # the satisfied mention a problem too, and the other way round
            clauses.append(rng.choice(NEGATIVE + POSITIVE).format(n=rng.randint(2, 9)))
        if rng.random() < 0.33:
            clauses.append(rng.choice(phrases))
        day = END - timedelta(days=rng.randrange(365))
        if point == RISING_POINT and (END - day).days < RISING_DAYS and planted.random() < 0.5:
            clauses.append(RISING_PROBLEM)  # a new problem at one counter: the rising view's
        yield {"feedback_id": "fb-{:08d}".format(i), "service_point_id": point,
               "agency_id": agency, "province_code": province, "satisfaction": rating,
               "comment_public": " ".join(clauses) + rng.choice(PARTICLES),
               "submitted_at": datetime.combine(day, clock(rng.randrange(8, 17), rng.randrange(60)),
                                                rating_buckets.BANGKOK).isoformat()}


FIELDS = ("feedback_id", "service_point_id", "agency_id", "province_code", "satisfaction",
          "comment_public", "submitted_at")


def rss_mb():
    """This process's resident memory now, MB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def day_months(ranges):
    """The months a report of these ranges reads as days (not whole)."""
    return {month for start, end in ranges
            for month, _, _, full in rating_buckets.month_spans(start, end) if not full}


def put(collection, docs):
    """Insert `docs`. On the embedded store they are placed in its document
    map as its insert would hold them: mongomock-ng's insert validates,
    copies and re-walks every nested value (with our BSON checks, 5 walks),
    which at 1,000,000 comments costs more than the whole build; each
    document is BSON-encoded once instead, against MongoDB's 16 MiB limit.
    `check_bulk` compares the result with the service's write path. The
    largest encoded size, bytes."""
    largest = 0
    if not is_embedded_collection(collection):
        for i in range(0, len(docs), 1000):
            collection.insert_many(docs[i:i + 1000])
        return largest
    store = collection._store
    for doc in docs:
        size = len(bson.encode(doc))
        if size > MAX_DOCUMENT_BYTES:
            raise ValueError("{} is {:,} bytes, over MongoDB's 16 MiB".format(doc["_id"], size))
        largest = max(largest, size)
        store[doc["_id"]] = doc
    return largest


def month_documents(db, days):
    """What `ThemeStore.compact` derives from these day buckets (one month
    of every scope): its own code, given the days in memory."""
    scopes = {}
    for day in days:
        scopes.setdefault(theme_buckets.period_id(day["level"], day["key"], day["day"][:7]),
                          []).append(day)
    store = ThemeStore(db)
    return [doc for month_id, group in scopes.items()
            for doc in store.month_documents(month_id, themes.merge(group), group)]


def load(db, records, keep_days_of, bulk=True):
    """The store as the service would have it after a recount: the comments
    the views read (`theme_comments`), the day buckets `theme_buckets.rebuild`
    counts (the recount's code) and the month documents compaction derives
    from them, built a month at a time so only one month of buckets is in
    memory outside the store. The day buckets of the other months than
    `keep_days_of` are not stored: a report reads a clean month from its
    month document, never its days, and on the embedded store each day kept
    costs memory (bench/README.md). bulk=False: the service's write path
    (insert_many, dirty markers, `ThemeStore.compact`), every day kept.
    Returns the per-scope lists for the scan, the seconds to generate and
    to build, and what was built.

    The raw comments stay out of the store: the scan reads them from the
    lists (see Lists); the feedback service's copy is not reporting's."""
    started = time.perf_counter()
    by_month = {}
    for r in records:  # compact tuples: a million dicts cost twice the memory
        by_month.setdefault(r["submitted_at"][:7], []).append(tuple(r[f] for f in FIELDS))
    lists = Lists(row for rows in by_month.values() for row in rows)
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    original = themes._content
    themes._content = functools.lru_cache(maxsize=500000)(original)  # the build only
    built = {"days": 0, "kept": 0, "months": 0, "largest": 0}
    store = ThemeStore(db)
    try:
        for month in sorted(by_month):
            month_records = [dict(zip(FIELDS, row)) for row in by_month[month]]
            days = [dict(bucket, rev=1)
                    for bucket in theme_buckets.rebuild(month_records).values()]
            # what the views read of a comment: its example text, satisfaction and time
            comments = [{"_id": r["feedback_id"], "text": r["comment_public"],
                         "rating": r["satisfaction"], "at": themes.moment(r["submitted_at"])}
                        for r in month_records]
            built["days"] += len(days)
            if bulk:
                months = month_documents(db, days)
                built["months"] += sum(1 for doc in months if "parts" in doc)
                built["largest"] = max(built["largest"], put(db.theme_months, months),
                                       put(db.theme_comments, comments))
                if month in keep_days_of:
                    built["largest"] = max(built["largest"], put(db.theme_days, days))
                    built["kept"] += len(days)
            else:
                for i in range(0, len(days), 5000):
                    db.theme_days.insert_many(days[i:i + 5000])
                db.theme_comments.insert_many(comments)
                markers = dirty_markers(days)
                db.theme_dirty.insert_many(markers)
                while store.compact(limit=100000):
                    pass
                built["months"] += len(markers)
                built["kept"] += len(days)
            del days, month_records, comments
    finally:
        themes._content = original
    return lists, generate_s, time.perf_counter() - started, built


def check_bulk(size, seed, keep_days_of):
    """The bulk build against the service's write path on `size` comments:
    the same month documents, day buckets and comments (a list of what
    differs)."""
    client = get_client(None)
    stores = []
    for bulk in (True, False):
        db = client["bench_themes_check_" + uuid.uuid4().hex[:8]]
        load(db, generate(size, seed), keep_days_of, bulk=bulk)
        stores.append(db)
    differing, compared = [], 0
    for name in ("theme_months", "theme_comments", "theme_days"):
        # months by content: the two builds name their terms in another order
        mine = {doc["_id"]: (ThemeStore(stores[0]).unpacked(doc),
                             ThemeStore(stores[0]).packed_days(doc))
                for doc in stores[0][name].find({})}
        theirs = {doc["_id"]: (ThemeStore(stores[1]).unpacked(doc),
                               ThemeStore(stores[1]).packed_days(doc))
                  for doc in stores[1][name].find({})}
        if name == "theme_days":
            theirs = {i: doc for i, doc in theirs.items() if doc[0]["day"][:7] in keep_days_of}
        differing += ["{} {}".format(name, i) for i in sorted(set(mine) | set(theirs))
                      if mine.get(i) != theirs.get(i)]
        compared += len(theirs)
    for db in stores:
        client.drop_database(db.name)
    return differing, compared


# --- the scan ------------------------------------------------------------------
class Lists:
    """Per-scope comment lists in time order, as a (scope, submitted_at)
    index gives them: a range is two binary searches and a slice. The
    embedded store has no secondary indexes (a query walks every document),
    so the scan gets this instead: the strongest fair baseline, which pays
    only for reading, segmenting and counting the comments of the range.
    A row is (time, feedback id, satisfaction, published text)."""

    def __init__(self, records):
        self.lists = {}
        for fid, point, agency, province, rating, text, submitted_at in records:
            row = (themes.moment(submitted_at), fid, rating, text)
            for scope in (("point", point), ("agency", agency), ("province", province),
                          ("nation", "TH")):
                self.lists.setdefault(scope, []).append(row)
        for rows in self.lists.values():
            rows.sort(key=lambda row: (row[0], row[1]))
        self.times = {scope: [row[0] for row in rows] for scope, rows in self.lists.items()}

    def comments(self, level, key, start, end):
        low = themes.moment(datetime.combine(start, clock(0), rating_buckets.BANGKOK))
        high = themes.moment(datetime.combine(end + timedelta(days=1), clock(0),
                                              rating_buckets.BANGKOK))
        times, rows = self.times.get((level, key), []), self.lists.get((level, key), [])
        return rows[bisect.bisect_left(times, low):bisect.bisect_left(times, high)]


class Scan:
    """Read, segment, count: {read, segmented (comments), segment seconds,
    total comments} of the last run; `sample` bounds what is segmented."""

    def __init__(self, lists, sample):
        self.lists = lists
        self.sample = sample
        self.parts = []

    def bucket(self, level, key, start, end):
        started = time.perf_counter()
        rows = self.lists.comments(level, key, start, end)
        read = time.perf_counter() - started
        step = max(1, -(-len(rows) // self.sample)) if self.sample else 1
        chosen = rows[::step]
        bucket = themes.empty_bucket()
        started = time.perf_counter()
        for at, fid, rating, text in chosen:
            themes.add_comment(bucket, {"id": fid, "at": at, "rating": rating,
                                        "terms": themes.terms(text)})
        segment = time.perf_counter() - started
        self.parts.append((read, segment, len(chosen), len(rows)))
        return bucket, step == 1

    def run(self, fn):
        self.parts = []
        result, exact = fn(self)
        read = sum(p[0] for p in self.parts)
        measured = sum(p[1] for p in self.parts)
        extrapolated = sum(p[1] * p[3] / max(1, p[2]) for p in self.parts)
        comments = sum(p[3] for p in self.parts)
        return result, exact, read + measured, read + extrapolated, comments


def scan_view(view, level, key, start, end, limit=20):
    def fn(scan):
        from services.reporting.theme_buckets import NATION, together
        scope, exact = scan.bucket(level, key, start, end)
        more = limit * 3  # as the service: rows that count the same comments fold together
        if view == "themes":
            nation, exact_n = scan.bucket("nation", NATION, start, end)
            rows = themes.distinctive(scope, themes.subtract(nation, scope), more)
            exact = exact and exact_n
        elif view == "unhappy":
            rows = themes.unhappy(scope, more)
        else:
            length = (end - start).days + 1
            before, exact_b = scan.bucket(level, key, start - timedelta(days=length),
                                          start - timedelta(days=1))
            rows = themes.rising(scope, before, more)
            exact = exact and exact_b
        for row in rows:
            row["examples"] = [{"feedback_id": themes.example_id(e)}
                               for e in scope["ex"].get(row["term"], [])]
        return together(rows)[:limit], exact
    return fn



def _key(rows):
    return [(r["term"], r["count"], round(r["g2"] or 0, 9), r["mean_satisfaction"]) for r in rows]


def cases():
    month = (END - timedelta(days=29), END)
    year = (END - timedelta(days=364), END)
    return [("agency themes (365 days)", "themes", "agency", "ag-3", year),
            ("point themes (30 days)", "themes", "point", "sp-0007", month),
            ("agency unhappy (365 days)", "unhappy", "agency", "ag-3", year),
            ("point rising (30 days)", "rising", "point", RISING_POINT, month)]


def read_ranges():
    """Every range the timed cases read (a rising view also the period before)."""
    ranges = []
    for _, view, _, _, (start, end) in cases():
        ranges.append((start, end))
        if view == "rising":
            length = (end - start).days + 1
            ranges.append((start - timedelta(days=length), start - timedelta(days=1)))
    return ranges


def prepare(size, args):
    client = get_client(args.mongo_uri)
    db = client["bench_themes_" + uuid.uuid4().hex[:8]]
    lists, generate_s, build_s, built = load(db, generate(size, args.seed),
                                             day_months(read_ranges()))
    parts = sum(1 for _ in db.theme_months.find({"_id": {"$regex": r"\|p\d+$"}}, {"_id": 1}))
    print("  {:>9,} comments: generated in {:.1f} s; {:,} day buckets ({:,} of them stored) and "
          "{:,} month documents ({:,} more parts) built in {:.1f} s; largest document {:,} bytes; "
          "resident {:,.0f} MB".format(size, generate_s, built["days"], built["kept"],
                                       built["months"], parts, build_s, built["largest"], rss_mb()),
          flush=True)
    return client, db, lists


def run(args):
    sizes = sorted(set(args.sizes))
    if not args.mongo_uri:
        differing, checked = check_bulk(2000, args.seed, day_months(read_ranges()))
        print("  bulk build against the service's writes (rebuild, insert, compact) at 2,000 "
              "comments: {}".format("{:,} documents identical".format(checked) if not differing
                                    else "DIFFERENT: " + ", ".join(differing[:5])), flush=True)
        if differing:
            return 2
    gc.disable()  # a build makes ~10^8 objects that live to the end: collections only rescan them
    prepared = {size: prepare(size, args) for size in sizes}
    gc.collect()
    gc.freeze()  # the store and the lists: no collection walks them again
    gc.enable()
    print("  built; resident {:,.0f} MB".format(rss_mb()), flush=True)
    timed = {(size, c[0]): ([], [], None) for size in sizes for c in cases()}
    cpu_samples = {key: [] for key in timed}  # this process's CPU: the machine is shared
    for _ in range(args.rounds):
        for size in sizes:
            store = ThemeStore(prepared[size][1])
            for name, view, level, key, (start, end) in cases():
                samples, medians, _ = timed[(size, name)]
                this_round = []
                for _ in range(5):
                    started, cpu = time.perf_counter(), time.process_time()
                    result = store.report(view, level, key, start, end)
                    this_round.append(time.perf_counter() - started)
                    cpu_samples[(size, name)].append(time.process_time() - cpu)
                samples.extend(this_round)
                medians.append(statistics.median(this_round))
                timed[(size, name)] = (samples, medians, result)
    out = {}
    for size in sizes:
        client, db, lists = prepared[size]
        print("  {:>9,} comments (bucket figures from {} alternating rounds of 5 calls):".format(
            size, args.rounds))
        for name, view, level, key, (start, end) in cases():
            samples, medians, result = timed[(size, name)]
            gc.collect()
            scans = []
            for _ in range(args.scan_rounds):
                scan = Scan(lists, args.scan_sample)
                rows, exact, measured, estimated, comments = scan.run(
                    scan_view(view, level, key, start, end))
                scans.append((measured, estimated))
            identical = _key(rows) == _key(result["themes"]) if exact else None
            median = statistics.median(samples)
            scan_s = statistics.median(s[1] for s in scans)
            spread = (min(s[1] for s in scans), max(s[1] for s in scans))
            out[(size, name)] = {"median": median, "scan": scan_s, "identical": identical,
                                 "exact": exact}
            print("    {:<27} buckets {:>7.2f} ms (p99 {:>6.2f}; round medians {:.2f}-{:.2f}; "
                  "CPU {:.2f})   scan {:>10.1f} ms ({:.0f}-{:.0f}; {:,} comments{})   {:>7.0f}x   "
                  "{} ({} themes)".format(
                      name, median * 1e3, _p99(samples) * 1e3, min(medians) * 1e3,
                      max(medians) * 1e3, statistics.median(cpu_samples[(size, name)]) * 1e3, scan_s * 1e3, spread[0] * 1e3, spread[1] * 1e3,
                      comments, "" if exact else ", segmentation extrapolated from a sample of "
                      "{:,} per scope".format(args.scan_sample), scan_s / median,
                      "identical" if identical else "sampled: not compared" if identical is None
                      else "DIFFERENT", len(result["themes"])), flush=True)
        client.drop_database(db.name)
    small, large = sizes[0], sizes[-1]
    if small != large:
        print("\n  targets: at {:,}, >= 50x faster than the scan".format(large))
        for name, *_ in cases():
            growth = out[(large, name)]["median"] / out[(small, name)]["median"]
            speedup = out[(large, name)]["scan"] / out[(large, name)]["median"]
            print("    {:<27} growth {:>6.2f}x   vs scan {:>8.0f}x   {}".format(
                name, growth, speedup, "PASS" if speedup >= 50 else "MISS"))
    return 0

