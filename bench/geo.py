"""Nearest-10 benchmark: our SpatialIndex vs brute force vs PostGIS, and the
whole suite over HTTP.

    python -m bench.geo                                  # defaults below
    python -m bench.geo --sizes 10000 100000 --queries 2000 --http-queries 500
    python -m bench.geo --no-http --no-postgis           # in-process engines only

For each size: seeded points over Thailand (bench.geodata), the same seeded
query points for every engine, single-threaded, one `time.perf_counter()`
pair around each call; median and p99 per query, build time, and a check of
every engine's answers against brute force. Our index and PostGIS run
`--rounds` alternating rounds over the same queries (all samples pooled) so
that a busy machine slows both alike. Prints a table, the ratios and the
issue's targets (PASS/MISS). Talks only to 127.0.0.1 (PostgreSQL, RabbitMQ
and the gateway it starts) and stops by itself. See bench/README.md.

Exit status: 0 when the run completed (whatever PASS/MISS says); 2 when our
index's answers differ from brute force (a correctness bug, not a figure).
"""
import argparse
import datetime
from collections import Counter
import json
import math
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

import numpy as np

from bench._echo import EchoServer
from bench.common import AMQP, RABBIT_API, ROOT, Vhost, fmt_time, free_port, rabbit_problem, summary
from bench.machine import describe, load_average

from bench import geodata
from services.common import thai
from services.geo import store
from services.geo.index import EARTH_RADIUS_KM, Filters, SpatialIndex

K = 10
WARMUP = 50
TARGET_SIZE = 100_000
TARGET_VS_POSTGIS = 5.0
TARGET_VS_BRUTE = 100.0
TARGET_HTTP_VS_ECHO = 1.5  # nearby through the gateway against the HTTP→RPC echo, median
TARGET_FILTERED = 2.0   # a filtered query's median and p99 within this of the unfiltered one's
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
# one parameter, used twice ($1 in both places)
PG_QUERY = ("SELECT id, ST_Distance(geog, %(q)s::geography) FROM pts "
            "ORDER BY geog <-> %(q)s::geography LIMIT 10")
HOW_TO_POSTGIS = ("  To include PostGIS: apt-get install postgresql postgis "
                  "(Debian 12: postgresql-15-postgis-3), then pg_ctlcluster 15 main start;\n"
                  "  the benchmark connects as postgres to 127.0.0.1:5432 (trust auth, or "
                  "give --pg-dsn) and needs `pip install 'psycopg[binary]'`.")


# --- timing ---------------------------------------------------------------------
def timed_queries(nearest, qlat, qlon, warm_lat, warm_lon):
    """Call nearest(lat, lon) for each query point: (per-call seconds,
    results). Warm-up calls on other points first, untimed."""
    for lat, lon in zip(warm_lat, warm_lon):
        nearest(lat, lon)
    perf = time.perf_counter
    times, results = [], []
    for lat, lon in zip(qlat, qlon):
        t = perf()
        found = nearest(lat, lon)
        times.append(perf() - t)
        results.append(found)
    return times, results


def rank_of(point_id):
    return int(point_id[3:], 16)  # ids are sp-<zero-padded hex of the row>


class Engine:
    """A built engine: `nearest(lat, lon)` and `answers(result)` ->
    (ranks, distances in km)."""

    def __init__(self, name, build, nearest, answers):
        self.name, self.build, self.nearest, self.answers = name, build, nearest, answers
        self.times, self.round_medians, self.ranks, self.dist = [], [], None, None

    def run(self, qlat, qlon, warm):
        times, found = timed_queries(self.nearest, qlat, qlon, *warm)
        self.times += times
        self.round_medians.append(float(np.median(times)))
        if self.ranks is None:  # answers of the first round are checked
            answers = [self.answers(r) for r in found]
            self.ranks = [a[0] for a in answers]
            self.dist = [a[1] for a in answers]


# --- engines ----------------------------------------------------------------------
def build_index(indexed_points):
    """Upsert IndexedPoint objects, then rebuild (the build time is both)."""
    t0 = time.perf_counter()
    index = SpatialIndex()
    for p in indexed_points:
        index.upsert(p)
    index.rebuild()
    build = time.perf_counter() - t0
    engine = Engine("our index (SpatialIndex)", build, lambda lat, lon: index.nearest(lat, lon, K),
                    lambda r: ([rank_of(p.id) for p, _ in r], [d for _, d in r]))
    engine.index = index
    return engine


def _haversine(lat_rad, lon_rad, cos_lat, lats_rad, lons_rad, cos_lats):
    # the same expression as services.geo.index._haversine_rows, so that
    # equal inputs give bit-identical distances and ties compare equal
    a = (np.sin((lats_rad - lat_rad) / 2) ** 2
         + cos_lat * cos_lats * np.sin((lons_rad - lon_rad) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def build_brute(lat_list, lon_list, partition=False, rows_of=None, name=None):
    """Haversine to every point, then np.lexsort by (distance, id) and the
    first 10. With partition=True (informational): np.argpartition first,
    then lexsort of the points no farther than the 10th. `rows_of`: the
    rows (in id order) these points are of all points, for a filter's
    brute force over the points it keeps."""
    t0 = time.perf_counter()
    lats_rad = np.radians(np.array(lat_list, dtype=float))
    lons_rad = np.radians(np.array(lon_list, dtype=float))
    cos_lats = np.cos(lats_rad)
    rank = np.arange(len(lat_list))  # row order is id order
    build = time.perf_counter() - t0

    def nearest(lat, lon):
        la, lo = math.radians(lat), math.radians(lon)
        d = _haversine(la, lo, math.cos(la), lats_rad, lons_rad, cos_lats)
        if partition:
            kth = d[np.argpartition(d, K - 1)[K - 1]]
            rows = np.flatnonzero(d <= kth)
            order = rows[np.lexsort((rows, d[rows]))[:K]]
        else:
            order = np.lexsort((rank, d))[:K]
        return order, d[order]
    name = name or ("brute force (argpartition)*" if partition else "brute force (numpy, lexsort)")
    if rows_of is not None:
        return Engine(name, build, nearest, lambda r: (rows_of[r[0]].tolist(), r[1].tolist()))
    return Engine(name, build, nearest, lambda r: (r[0].tolist(), r[1].tolist()))


def filter_cases(indexed):
    """The filtered queries timed: (label, Filters, rows of the points the
    filter keeps) — the most offered service, the least offered (a few
    thousand of 100,000 points), Zero Copy at every service, and the least
    offered service with Zero Copy."""
    offered = Counter(code for p in indexed for code in p.services)
    most, least = offered.most_common()[0][0], offered.most_common()[-1][0]
    cases = [("{} (most offered)".format(most), Filters(service_code=most)),
             ("{} (least offered)".format(least), Filters(service_code=least)),
             ("zero_copy (all services)", Filters(zero_copy=True)),
             ("{} + zero_copy".format(least), Filters(service_code=least, zero_copy=True))]
    out = []
    for label, filters in cases:
        rows = np.array([row for row, p in enumerate(indexed) if filters.accepts(p)], dtype=np.intp)
        out.append((label, filters, rows))
    return out


def filtered_engine(index_engine, filters, label, lat, lon):
    """The index with a filter; its build time is the first filtered query
    (the filter's own tree is made then, and kept until the next rebuild)."""
    index = index_engine.index
    t0 = time.perf_counter()
    index.nearest(lat, lon, K, filters=filters)
    build = time.perf_counter() - t0
    return Engine("index | " + label, build,
                  lambda lat, lon: index.nearest(lat, lon, K, filters=filters),
                  lambda r: ([rank_of(p.id) for p, _ in r], [d for _, d in r]))


class PostGIS:
    """A scratch database with PostGIS on 127.0.0.1, dropped at the end."""

    def __init__(self, dsn):
        self.dsn = dsn
        self.admin = self.conn = None
        self.dbname = "cfz_bench_geo_{}_{}".format(os.getpid(), uuid.uuid4().hex[:6])
        self.version = None
        self.plans = {}

    def open(self):
        """None when ready, else why PostGIS cannot be used."""
        try:
            import psycopg
        except ImportError:
            return "psycopg is not installed (pip install 'psycopg[binary]')"
        from psycopg import sql
        try:
            self.admin = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
        except Exception as exc:
            return "cannot connect to PostgreSQL ({}): {}".format(self.dsn, str(exc).strip())
        try:
            self.admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))
            self.conn = psycopg.connect(self.dsn, dbname=self.dbname, connect_timeout=5)
            self.conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            self.conn.commit()
            row = self.conn.execute("SELECT current_setting('server_version'), "
                                    "postgis_lib_version()").fetchone()
            self.version = "PostgreSQL {}, PostGIS {}".format(*row)
        except Exception as exc:
            self.close()
            return "PostGIS is not available: {}".format(str(exc).strip().splitlines()[0])
        return None

    def close(self):
        from psycopg import sql
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.admin is not None:
            try:
                self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.dbname)))
            finally:
                self.admin.close()
                self.admin = None

    def build(self, ids, lat_list, lon_list):
        """COPY the points in, GiST index, ANALYZE (the build time is all
        three); queries use one persistent connection and a prepared
        statement."""
        conn = self.conn
        conn.execute("DROP TABLE IF EXISTS pts")
        conn.execute("CREATE TABLE pts (id text PRIMARY KEY, geog geography(Point, 4326))")
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy("COPY pts (id, geog) FROM STDIN") as copy:
                for point_id, lat, lon in zip(ids, lat_list, lon_list):
                    copy.write_row((point_id, "SRID=4326;POINT({!r} {!r})".format(lon, lat)))
            cur.execute("CREATE INDEX pts_geog ON pts USING GIST (geog)")
            cur.execute("ANALYZE pts")
        conn.commit()
        build = time.perf_counter() - t0
        self.plans[len(ids)] = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN " + PG_QUERY, {"q": "SRID=4326;POINT(100.5 13.75)"}).fetchall())
        conn.commit()
        cur = conn.cursor()

        def nearest(lat, lon):
            wkt = "SRID=4326;POINT({!r} {!r})".format(lon, lat)
            cur.execute(PG_QUERY, {"q": wkt}, prepare=True)
            return cur.fetchall()
        return Engine("PostGIS (GiST, prepared)", build, nearest,
                      lambda rows: ([rank_of(i) for i, _ in rows], [d / 1000.0 for _, d in rows]))


# --- the whole suite over HTTP ------------------------------------------------------
class Stack:
    """bench._geo_stack in a subprocess: registry + geo + gateway with the
    points loaded, on a fresh RabbitMQ vhost and database prefix."""

    def __init__(self, args, points_path, checksum, log_path):
        self.vhost = Vhost("geo", args.amqp, args.rabbit_api)
        self.port = free_port()
        self.points_path, self.seed, self.checksum = points_path, args.seed, checksum
        self.log_path = log_path
        self.proc = None
        self.lines = queue.Queue()

    def start(self):
        self.vhost.create()
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._geo_stack", "--points", self.points_path,
             "--seed", str(self.seed), "--port", str(self.port), "--amqp", self.vhost.amqp,
             "--db-prefix", "cfzbench_{}_".format(uuid.uuid4().hex[:8]),
             "--checksum", self.checksum],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("@@"):
                self.lines.put(json.loads(line[2:]))
        self.lines.put({"kind": "exited"})

    def expect(self, kind, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError("the stack did not say {!r} within {} s (log: {})".format(
                    kind, timeout, self.log_path))
            if msg["kind"] == kind:
                return msg
            if msg["kind"] in ("error", "exited"):
                raise RuntimeError("the stack failed:\n{}\n(log: {})".format(
                    msg.get("traceback", "exited early"), self.log_path))

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.send("quit")
                    self.proc.wait(timeout=60)
                except Exception:
                    pass
            if self.proc.poll() is None:
                self.proc.kill()  # our own child, by its handle
                self.proc.wait(timeout=10)
            self.log.close()
        self.vhost.delete()


def bench_http(args, pts, qlat, qlon, warm, tmpdir, measure_lag):
    """Start the stack, time GET /api/v1/service-points/nearby; with
    measure_lag, then the event-to-index lag of one PATCH."""
    import requests
    points_path = os.path.join(tmpdir, "points-{}.npz".format(pts.n))
    pts.save(points_path)
    stack = Stack(args, points_path, geodata.checksum(pts),
                  os.path.join(tmpdir, "stack-{}.log".format(pts.n)))
    result = {}
    try:
        stack.start()
        ready = stack.expect("ready", 900)
        result.update(stack_up=ready["stack_up_s"], load=ready["load_s"],
                      follow=ready["follow_s"], build=ready["load_s"] + ready["follow_s"])
        base = "http://127.0.0.1:{}".format(stack.port)
        session = requests.Session()
        session.trust_env = False

        def nearest(lat, lon, k=K):
            r = session.get(base + "/api/v1/service-points/nearby",
                            params={"lat": repr(lat), "lon": repr(lon), "k": k}, timeout=60)
            r.raise_for_status()
            return r.json()["results"]
        engine = Engine("HTTP gateway→geo ({} q)".format(len(qlat)), result["build"], nearest,
                        lambda r: ([rank_of(x["service_point"]["id"]) for x in r],
                                   [x["distance_km"] for x in r]))
        # the ceiling in the same run: the trivial HTTP→RPC echo, the same
        # client, alternating with nearby in rounds of the same queries
        echo = EchoServer(stack.vhost.amqp, tmpdir)
        echo.start()
        try:
            def echo_call(lat, lon):
                r = session.post(echo.url, json={"lat": lat, "lon": lon, "k": K}, timeout=60)
                r.raise_for_status()
                return r.json()
            rounds = max(1, args.rounds)
            chunks = [(qlat[i::rounds], qlon[i::rounds]) for i in range(rounds)]
            echo_times, echo_rounds, found = [], [], {}
            order = [q for i in range(rounds) for q in range(i, len(qlat), rounds)]
            timed_queries(echo_call, [], [], *warm)
            engine.round_medians = []
            for i, (la, lo) in enumerate(chunks):
                times, _ = timed_queries(echo_call, la, lo, [], [])
                echo_times += times
                echo_rounds.append(summary(times)["median"])
                times, answers = timed_queries(nearest, la, lo, *warm) if i == 0 else \
                    timed_queries(nearest, la, lo, [], [])
                engine.times += times
                engine.round_medians.append(summary(times)["median"])
                for q, a in zip(order[len(found):], answers):
                    found[q] = a
            answers = [engine.answers(found[q]) for q in range(len(qlat))]
            engine.ranks = [a[0] for a in answers]
            engine.dist = [a[1] for a in answers]
            result["echo"] = {"times": echo_times, "rounds": echo_rounds}
        finally:
            echo.stop()
        result["engine"] = engine

        if measure_lag:
            # event-to-index lag: move one point, wait until nearby shows it there
            stack.send("lag")
            stack.expect("lag-ready", 120)
            token = session.post(base + "/api/v1/auth/token", json=ready["admin"],
                                 timeout=60).json()["access_token"]
            (lat,), (lon,) = geodata._uniform_land(random.Random("move-{}".format(args.seed)), 1)
            moved = ready["move_id"]
            assert nearest(lat, lon, 1)[0]["service_point"]["id"] != moved
            t0 = time.perf_counter()
            r = session.patch(base + "/api/v1/service-points/" + moved,
                              json={"location": {"lat": lat, "lon": lon},
                                    "province_code": thai.province_at(lat, lon)},
                              headers={"Authorization": "Bearer " + token}, timeout=120)
            r.raise_for_status()
            patched = time.perf_counter() - t0
            polls = 0
            while True:
                polls += 1
                first = nearest(lat, lon, 1)
                if first and first[0]["service_point"]["id"] == moved:
                    break
                if time.perf_counter() - t0 > 300:
                    raise RuntimeError("the moved point did not show in nearby within 300 s")
                time.sleep(0.01)
            seen = time.perf_counter() - t0
            stack.send("metrics")
            metrics = stack.expect("metrics", 60)
            result["lag"] = {"patch": patched, "visible": seen, "polls": polls,
                             "events": metrics["event_lag_count"],
                             "histogram_mean": (metrics["event_lag_sum_s"] / metrics["event_lag_count"]
                                                if metrics["event_lag_count"] else None)}
        stack.send("quit")
        stack.expect("bye", 120)
    finally:
        stack.stop()
    return result


# --- comparison and report -----------------------------------------------------------
def compare(reference, other):
    """(exact order matches, same-set matches, max |distance diff| km over
    points both found)."""
    exact = same_set = 0
    max_diff = 0.0
    for ref_r, ref_d, r, d in zip(reference.ranks, reference.dist, other.ranks, other.dist):
        exact += ref_r == r
        same_set += set(ref_r) == set(r)
        ref = dict(zip(ref_r, ref_d))
        for rank, dist in zip(r, d):
            if rank in ref:
                max_diff = max(max_diff, abs(ref[rank] - dist))
    return exact, same_set, max_diff


def machine():
    import scipy
    return describe("numpy {}".format(np.__version__), "scipy {}".format(scipy.__version__))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.geo", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=2000,
                        help="timed queries per engine, round and size (default 2000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of our index and PostGIS over the same "
                             "queries, samples pooled (default 3); brute force runs once")
    parser.add_argument("--http-queries", type=int, default=500,
                        help="timed HTTP queries per size (default 500; the first N of the "
                             "same query points; 0 skips HTTP)")
    parser.add_argument("--lag-size", type=int, default=None,
                        help="the size at which to measure the event-to-index lag once "
                             "(default: the smallest size; 0 skips it)")
    parser.add_argument("--seed", type=int, default=2569)
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-filters", action="store_true",
                        help="skip the filtered nearest-10 queries")
    parser.add_argument("--no-partition", action="store_true",
                        help="skip the informational argpartition brute force")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the HTTP stack's logs (kept anyway when it fails)")
    parser.add_argument("--pg-dsn", default=PG_DSN)
    parser.add_argument("--amqp", default=AMQP, help="RabbitMQ (a fresh vhost is made on it)")
    parser.add_argument("--rabbit-api", default=RABBIT_API, help="RabbitMQ management API")
    args = parser.parse_args(argv)
    lag_size = min(args.sizes) if args.lag_size is None else args.lag_size
    started = time.perf_counter()

    def out(*parts, **kw):
        print(*parts, flush=True, **kw)

    def progress(text):
        out("[{:5.0f} s] {}".format(time.perf_counter() - started, text))

    out("Nearest-{} benchmark — {}".format(
        K, datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")))
    out("Machine: {}; load average at start {}".format(machine(), load_average()))
    qlat, qlon = geodata.queries(args.queries, args.seed)
    wlat, wlon = geodata.queries(WARMUP, args.seed + 1)
    qlat, qlon, warm = qlat.tolist(), qlon.tolist(), (wlat.tolist(), wlon.tolist())
    out("Queries: {} per engine and size, the same seeded points for every engine (half "
        "uniform over Thai land, half near city centres); {} untimed warm-up queries first; "
        "single-threaded; perf_counter around each call; index and PostGIS: {} alternating "
        "rounds, samples pooled.".format(args.queries, WARMUP, args.rounds))

    postgis = None
    if not args.no_postgis:
        postgis = PostGIS(args.pg_dsn)
        problem = postgis.open()
        if problem:
            out("PostGIS: skipped — " + problem + "\n" + HOW_TO_POSTGIS)
            postgis = None
        else:
            out("PostGIS: {} (scratch database {}, dropped at the end)".format(
                postgis.version, postgis.dbname))
    http_problem = None
    if args.no_http or args.http_queries <= 0:
        http_problem = "not asked for"
    else:
        http_problem = rabbit_problem(args.rabbit_api)
        if http_problem:
            out("HTTP: skipped — " + http_problem)
    out("")

    rows = []       # (size, engine name, build, summary, agreement text)
    medians = {}    # size -> {engine key: median}
    mismatches = 0
    notes = []
    failed = False
    tmpdir = tempfile.mkdtemp(prefix="cfz-bench-geo-")
    try:
        for size in args.sizes:
            pts = geodata.Points(size, args.seed)
            bundles = geodata.service_bundles(geodata.starter_catalogue_entries(), args.seed)
            _, docs = geodata.documents(pts, "ag-bench", bundles, keep_registry=False)
            indexed = [store.indexed_point(d) for d in docs]  # as geo's follower makes them
            del docs
            lat_list, lon_list = pts.lat.tolist(), pts.lon.tolist()
            progress("{:,} points generated".format(size))
            m = medians.setdefault(size, {})

            brute = build_brute(lat_list, lon_list)
            brute.run(qlat, qlon, warm)
            progress("{:,}: brute force done".format(size))
            index = build_index(indexed)
            cases = [] if args.no_filters else filter_cases(indexed)
            del indexed
            filtered = [(label, filtered_engine(index, f, label, warm[0][0], warm[1][0]),
                         build_brute([lat_list[i] for i in rows], [lon_list[i] for i in rows],
                                     rows_of=rows, name="brute force | " + label), len(rows))
                        for label, f, rows in cases]
            for _, _, fbrute, _ in filtered:
                fbrute.run(qlat, qlon, warm)
            pg = postgis.build(pts.ids, lat_list, lon_list) if postgis is not None else None
            for _ in range(args.rounds):
                index.run(qlat, qlon, warm)
                if pg is not None:
                    pg.run(qlat, qlon, warm)
                for _, fengine, _, _ in filtered:
                    fengine.run(qlat, qlon, warm)
            progress("{:,}: index{}{} done".format(size, " and PostGIS" if pg else "",
                                                   " and filtered" if filtered else ""))

            exact, _, _ = compare(brute, index)
            bad = args.queries - exact
            mismatches += bad
            rows.append((size, index, "{}/{} identical{}".format(
                exact, args.queries, "" if not bad else "  <-- MISMATCH")))
            shown = 0
            for q, (a, b) in enumerate(zip(brute.ranks, index.ranks)):
                if a != b and shown < 5:
                    shown += 1
                    notes.append("index mismatch at {:,} points, query {} ({}, {}): brute force "
                                 "{} {} vs index {} {}".format(size, q, qlat[q], qlon[q], a,
                                                               brute.dist[q], b, index.dist[q]))
            rows.append((size, brute, "reference"))
            m["index"], m["brute"] = summary(index.times)["median"], summary(brute.times)["median"]
            m["index_p99"] = summary(index.times)["p99"]
            m["index_rounds"] = index.round_medians
            m["filtered"] = []
            for label, fengine, fbrute, kept in filtered:
                exact, _, _ = compare(fbrute, fengine)
                bad = args.queries - exact
                mismatches += bad
                rows.append((size, fengine, "{}/{} identical to its brute force{}".format(
                    exact, args.queries, "" if not bad else "  <-- MISMATCH")))
                rows.append((size, fbrute, "reference ({:,} points kept)".format(kept)))
                fs = summary(fengine.times)
                m["filtered"].append((label, kept, fs["median"], fs["p99"], fengine.round_medians,
                                      summary(fbrute.times)["median"]))
            if not args.no_partition:
                part = build_brute(lat_list, lon_list, partition=True)
                part.run(qlat, qlon, warm)
                exact, _, _ = compare(brute, part)
                rows.append((size, part, "{}/{} identical".format(exact, args.queries)))
                m["brute_partition"] = summary(part.times)["median"]
            if pg is not None:
                exact, same, diff = compare(brute, pg)
                rows.append((size, pg, "order {}/{}, set {}/{}; max |Δd| {:.3f} km".format(
                    exact, args.queries, same, args.queries, diff)))
                m["postgis"] = summary(pg.times)["median"]
                m["postgis_rounds"] = pg.round_medians
                if "Index Scan" not in postgis.plans[size]:
                    notes.append("PostGIS plan at {:,} uses no index:\n{}".format(
                        size, postgis.plans[size]))
            if args.rounds > 1:
                notes.append("per-round medians at {:,}: index {}{}".format(
                    size, " / ".join(fmt_time(x) for x in index.round_medians),
                    "; PostGIS " + " / ".join(fmt_time(x) for x in pg.round_medians) if pg else ""))

            if http_problem is None:
                n = min(args.http_queries, args.queries)
                try:
                    http = bench_http(args, pts, qlat[:n], qlon[:n],
                                      (warm[0][:20], warm[1][:20]), tmpdir, size == lag_size)
                    engine = http["engine"]
                    exact, _, _ = compare(brute, engine)  # zip stops at n
                    rows.append((size, engine, "{}/{} identical".format(exact, n)))
                    m["http"] = summary(engine.times)["median"]
                    m["http_p99"] = summary(engine.times)["p99"]
                    m["http_rounds"] = engine.round_medians
                    m["echo"] = summary(http["echo"]["times"])
                    m["echo_rounds"] = http["echo"]["rounds"]
                    notes.append(
                        "HTTP at {:,} points: stack up with no points {:.1f} s; bulk load into the "
                        "embedded stores {:.1f} s + handing the documents to geo's index {:.1f} s "
                        "(the 'build' column; the tree itself is built by the first, untimed, "
                        "query)".format(size, http["stack_up"], http["load"], http["follow"]))
                    if "lag" in http:
                        lag = http["lag"]
                        notes.append(
                            "event→index lag at {:,} points (one PATCH of a location through the "
                            "gateway; registry outbox at its default 0.5 s): the PATCH answered in "
                            "{:.2f} s; nearby showed the point at its new place {:.2f} s after the "
                            "PATCH was sent ({} poll(s)); geo's cfz_event_lag_seconds "
                            "(occurred_at → index) {} over {:.0f} event(s)".format(
                                size, lag["patch"], lag["visible"], lag["polls"],
                                fmt_time(lag["histogram_mean"]), lag["events"]))
                except Exception as exc:
                    failed = True
                    notes.append("HTTP at {:,} points FAILED: {}".format(size, exc))
                    traceback.print_exc()
                progress("{:,}: HTTP done".format(size))
            del brute, index, pg, filtered
    finally:
        if postgis is not None:
            postgis.close()
        if failed or args.keep_logs:
            notes.append("the HTTP stack's logs are in " + tmpdir)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)

    # --- report ---------------------------------------------------------------------
    out("")
    head = "{:>9}  {:<46} {:>10} {:>10} {:>10} {:>7}  {}".format(
        "points", "engine", "build", "median", "p99", "samples", "answers vs brute force")
    out(head)
    out("-" * len(head))
    last = None
    for size, engine, agree in rows:
        if last is not None and size != last:
            out("")
        last = size
        s = summary(engine.times)
        out("{:>9,}  {:<46} {:>10} {:>10} {:>10} {:>7}  {}".format(
            size, engine.name, fmt_time(engine.build), fmt_time(s["median"]), fmt_time(s["p99"]),
            s["n"], agree))
    if not args.no_partition:
        out("")
        out("* informational: a stronger brute force (argpartition, then lexsort of the "
            "nearest); not the target's baseline.")
    out("")
    out("Ratios (median latency; how many times lower ours is):")
    for size in args.sizes:
        m = medians.get(size, {})
        if "index" not in m:
            continue
        parts = []
        if "postgis" in m:
            parts.append("vs PostGIS {:.1f}×".format(m["postgis"] / m["index"]))
        parts.append("vs brute force {:.0f}×".format(m["brute"] / m["index"]))
        if "brute_partition" in m:
            parts.append("vs argpartition brute force {:.0f}×".format(
                m["brute_partition"] / m["index"]))
        if "http" in m:
            parts.append("(an HTTP nearby takes {:.0f}× the index call)".format(
                m["http"] / m["index"]))
        out("  {:>9,} points: index {} — {}".format(size, fmt_time(m["index"]), "; ".join(parts)))
    out("")
    out("Targets (issue): at {:,} points the index's median nearest-{} latency should be "
        "≥{:g}× lower than PostGIS's and ≥{:g}× lower than brute force's.".format(
            TARGET_SIZE, K, TARGET_VS_POSTGIS, TARGET_VS_BRUTE))
    m = medians.get(TARGET_SIZE)
    if m is None:
        out("  not measured (add {} to --sizes)".format(TARGET_SIZE))
    else:
        if "postgis" in m:
            r = m["postgis"] / m["index"]
            out("  vs PostGIS:     {:.1f}× (index {} vs PostGIS {}) — {}".format(
                r, fmt_time(m["index"]), fmt_time(m["postgis"]),
                "PASS" if r >= TARGET_VS_POSTGIS else
                "MISS (the index would need to be {:.1f}× faster)".format(TARGET_VS_POSTGIS / r)))
        else:
            out("  vs PostGIS:     not measured (PostGIS unavailable or --no-postgis)")
        r = m["brute"] / m["index"]
        out("  vs brute force: {:.0f}× (index {} vs brute force {}) — {}".format(
            r, fmt_time(m["index"]), fmt_time(m["brute"]),
            "PASS" if r >= TARGET_VS_BRUTE else
            "MISS (the index would need to be {:.1f}× faster)".format(TARGET_VS_BRUTE / r)))
    if m is not None and "postgis_rounds" in m:
        per_round = [p / i for i, p in zip(m["index_rounds"], m["postgis_rounds"])]
        worst = min(per_round)
        out("  vs PostGIS in every round: {} — {}".format(
            " / ".join("{:.1f}×".format(x) for x in per_round),
            "PASS" if worst >= TARGET_VS_POSTGIS else "MISS (worst round {:.1f}×)".format(worst)))
    for size in args.sizes:
        f = medians.get(size, {})
        if not f.get("filtered"):
            continue
        target = size == TARGET_SIZE
        out("  {:,} points: filtered nearest-{} within {:g}× of the unfiltered query (median "
            "{}, p99 {}), median and p99{}:".format(
                size, K, TARGET_FILTERED, fmt_time(f["index"]), fmt_time(f["index_p99"]),
                "" if target else " (informational: the target is at {:,})".format(TARGET_SIZE)))
        for label, kept, median, p99_, rounds, brute_median in f["filtered"]:
            rm, rp = median / f["index"], p99_ / f["index_p99"]
            ok = rm <= TARGET_FILTERED and rp <= TARGET_FILTERED
            out("    {:<34} {:>7,} points: median {} ({:.2f}×), p99 {} ({:.2f}×); round "
                "medians {}; its brute force {}{}".format(
                    label, kept, fmt_time(median), rm, fmt_time(p99_), rp,
                    " / ".join(fmt_time(x) for x in rounds), fmt_time(brute_median),
                    " — " + ("PASS" if ok else "MISS") if target else ""))
    for size in args.sizes:
        f = medians.get(size, {})
        if "echo" not in f:
            continue
        ratio = f["http"] / f["echo"]["median"]
        out("  {:,} points: nearby over HTTP {} median, p99 {} vs the HTTP→RPC echo {} median, "
            "p99 {} (same client, alternating rounds: nearby {}; echo {}): {:.2f}× median, "
            "{:.2f}× p99 (target ≤ {:g}× median){}".format(
                size, fmt_time(f["http"]), fmt_time(f["http_p99"]), fmt_time(f["echo"]["median"]),
                fmt_time(f["echo"]["p99"]), " / ".join(fmt_time(x) for x in f["http_rounds"]),
                " / ".join(fmt_time(x) for x in f["echo_rounds"]), ratio,
                f["http_p99"] / f["echo"]["p99"], TARGET_HTTP_VS_ECHO,
                " — " + ("PASS" if ratio <= TARGET_HTTP_VS_ECHO else "MISS")
                if size == TARGET_SIZE else " (informational)"))
    out("  index vs brute force answers (filtered ones included): {} mismatching queries{}".format(
        mismatches, "" if mismatches == 0 else "  <-- BUG"))
    if notes:
        out("")
        out("Notes:")
        for note in notes:
            out("  - " + note)
    out("")
    out("Total run time {:.0f} s; load average at the end {}.".format(
        time.perf_counter() - started, load_average()))
    return 2 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
