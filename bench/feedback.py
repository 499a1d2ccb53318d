"""Feedback submissions per second through the gateway, side by side with a
trivial nameko HTTP→RPC round trip (the framework's own ceiling).

    python -m bench.feedback                                # 20 s, 8 clients, 3 s warm-up
    python -m bench.feedback --seconds 20 --concurrency 8 --warmup 3
    python -m bench.feedback --profile                      # profile even on PASS
    python -m bench.feedback --no-profile                   # never profile

What runs where (the machine has 2 cores; nothing is pinned):

* the ceiling: a subprocess (`--serve-echo PORT`) running two nameko
  services, `bench_echo` (`@rpc echo(body) -> {"ok": true}`) and
  `bench_echo_gateway` (`POST /echo`: parse the JSON body, RPC it to
  bench_echo, answer its JSON). It runs first, alone, and is stopped before
  the stack starts (two services with @http entrypoints in one process would
  share the requests).
* the feedback stack: this process, with eventlet patched first, one
  nameko ServiceRunner with RegistryService, FeedbackService and
  GatewayService on the embedded store (or --mongo-uri), a fresh RabbitMQ
  vhost, a unique database prefix, cheap argon2 and the per-client rate
  limit raised to 1000000/minute so the figure is throughput, not 429s.
  An approved agency and a point declaring DOPA-ID-NEW are made over HTTP.
* the load generator: a separate, unpatched process (`--load-gen SPEC`),
  the same for both targets: N OS threads, one requests.Session each
  (keep-alive), posting for the warm-up then the measured seconds, the same
  seeded bodies (answers, a Thai comment with a phone number for the
  redaction, copies_requested) with a unique Idempotency-Key each, one
  perf_counter pair around each request. It also samples the CPU time of
  the server, of RabbitMQ (beam.smp) and of itself at the window's edges.

Throughput counts the expected answers (201 / 200) completed inside the
measured window; latency is over the same requests; anything else is an
error and is reported. When the feedback path misses the target (or with
--profile) a further few seconds of the same load run with a sampling
profiler in the server process (SIGPROF every 2 ms of CPU time records the
interrupted stack; cProfile cannot follow greenlet switches and py-spy is
not installed), not counted in the figures. At the end the feedback documents in the store are counted
against the 201 answers (they must be equal).

Talks only to 127.0.0.1 (RabbitMQ, its management API, the servers it
starts) and stops by itself. Exit status 0 when the run completed, whatever
PASS/MISS says; 2 when stored documents and 201 answers differ or a phone
number shows in a public comment; 1 when the run could not be made.
"""
import sys

# The load generator runs plain OS threads; every other mode runs nameko, so
# eventlet patches the standard library before anything else is imported.
_LOAD_GEN = "--load-gen" in sys.argv
if not _LOAD_GEN:
    import eventlet
    eventlet.monkey_patch()

import argparse  # noqa: E402
import collections  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402
from urllib.parse import quote, urlparse  # noqa: E402

from bench.machine import describe  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AMQP = "pyamqp://guest:guest@127.0.0.1:5672/"
RABBIT_API = "http://127.0.0.1:15672"
TARGET_RATIO = 0.5
SERVICE_CODE = "DOPA-ID-NEW"
BENCH_ADMIN = {"username": "admin", "password": "bench-admin-password-2569"}
BENCH_JWT_SECRET = "bench-only-secret-not-for-production-0123456789"
LOCAL_HOSTS = ("127.0.0.1", "localhost")

AGENCY = {"name_th": "สำนักงานทะเบียนอำเภอเมืองเชียงใหม่ (ทดสอบสมรรถนะ)",
          "name_en": "Mueang Chiang Mai Registration Office (benchmark)",
          "ministry": "กระทรวงมหาดไทย", "contact_email": "bench-feedback@example.go.th",
          "username": "bench-feedback-officer", "password": "bench feedback password 2569"}
POINT = {"name_th": "ที่ว่าการอำเภอเมืองเชียงใหม่",
         "name_en": "Mueang Chiang Mai District Office",
         "address": "ถนนช้างเผือก ตำบลศรีภูมิ อำเภอเมืองเชียงใหม่",
         "province_code": "50", "location": {"lat": 18.7953, "lon": 98.9862},
         "opening_hours": "จ.-ศ. 08:30-16:30", "phone": "053-112-345"}
SERVICES = {"services": [{"service_code": SERVICE_CODE, "documents": [
    {"name_th": "สูติบัตร", "name_en": "Birth certificate", "government_issued": True,
     "copy_required": False},
    {"name_th": "รูปถ่าย", "government_issued": False, "copy_required": True,
     "copy_reason": "ใช้ติดแฟ้ม", "copy_planned_end_date": "2027-06-30"}]}]}
# Each carries a phone number in one of the usual Thai forms (all masked).
COMMENTS = [
    "เจ้าหน้าที่บริการดีมาก ไม่ต้องถ่ายสำเนาบัตรประชาชนแล้ว ติดต่อกลับได้ที่ 081-234-5678",
    "รอคิวนานประมาณ 40 นาที แต่เจ้าหน้าที่สุภาพ โทรไปที่ 02 123 4567 ไม่มีคนรับสาย",
    "ยังถูกขอสำเนาทะเบียนบ้านอยู่ ทั้งที่ประกาศว่าไม่ต้องใช้แล้ว เบอร์ผม 0891234567",
    "สะดวก รวดเร็ว ได้บัตรภายใน 15 นาที ขอบคุณครับ ติดต่อ +66 86 555 1234",
]
COPIES = ["สูติบัตร", "รูปถ่าย", "สำเนาทะเบียนบ้าน"]


# --- request bodies (the same for both targets) --------------------------------------
def make_request(rnd, key):
    """(body bytes, headers) of one realistic rating."""
    body = {"service_code": SERVICE_CODE, "channel": "walk_in",
            "answers": {q: rnd.randint(1, 5) for q in (
                "satisfaction", "trust", "ease", "efficiency", "staff", "transparency")},
            "copies_requested": rnd.sample(COPIES, rnd.randint(0, len(COPIES))),
            "comment": rnd.choice(COMMENTS)}
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return data, {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}


# --- CPU accounting (Linux /proc) ---------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid):
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_seconds():
    """(busy, total) CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def find_rabbitmq_pid():
    """The local RabbitMQ node (beam.smp), only to read its CPU time."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/{}/comm".format(name)) as f:
                    if f.read().strip() == "beam.smp":
                        return int(name)
            except OSError:
                continue
    return None


def cpu_sample(pids):
    times = os.times()
    sample = {"load generator": times.user + times.system}
    for label, pid in pids.items():
        if pid:
            sample[label] = proc_cpu_seconds(pid)
    sample["machine"] = machine_busy_seconds()[0]
    return sample


# --- the load generator (separate, unpatched process) -------------------------------
def percentile(sorted_values, q):
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def load_gen_main(spec_path):
    import requests

    with open(spec_path) as f:
        spec = json.load(f)
    n = spec["concurrency"]
    perf = time.perf_counter
    begin = perf() + 0.5  # every thread starts at the same moment
    measure_start = begin + spec["warmup"]
    end = measure_start + spec["seconds"]
    records = [[] for _ in range(n)]
    body_bytes = []

    def worker(i):
        session = requests.Session()
        session.trust_env = False  # never through a proxy: 127.0.0.1 only
        rnd = random.Random("{}-{}".format(spec["seed"], i))
        out = records[i]
        seq = 0
        while perf() < begin:
            time.sleep(0.001)
        while perf() < end:
            seq += 1
            data, headers = make_request(rnd, "{}-{:02d}-{:07d}".format(spec["key_prefix"], i, seq))
            if i == 0 and seq <= 200:
                body_bytes.append(len(data))
            t0 = perf()
            try:
                response = session.post(spec["url"], data=data, headers=headers,
                                        timeout=spec["timeout"])
                status = response.status_code
                response.content  # noqa: B018 - read the whole answer
            except requests.RequestException as exc:
                status = type(exc).__name__
            out.append((t0, perf(), status))
        session.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, measure_start - perf()))
    cpu0, t_cpu0 = cpu_sample(spec["pids"]), perf()
    time.sleep(max(0.0, end - perf()))
    cpu1, t_cpu1 = cpu_sample(spec["pids"]), perf()
    for t in threads:
        t.join()

    expected = spec["expected_status"]
    window = [r for rs in records for r in rs if measure_start < r[1] <= end]
    latencies = sorted(t1 - t0 for t0, t1, s in window if s == expected)
    errors = collections.Counter(str(s) for _, _, s in window if s != expected)
    everything = [r for rs in records for r in rs]
    slices = spec["slices"]
    width = spec["seconds"] / slices
    per_slice = [0] * slices
    for t0, t1, s in window:
        if s == expected:
            per_slice[min(slices - 1, int((t1 - measure_start) / width))] += 1
    elapsed = t_cpu1 - t_cpu0
    cpu = {label: (cpu1[label] - cpu0[label]) / elapsed
           for label in cpu1 if cpu0.get(label) is not None and cpu1.get(label) is not None}
    result = {
        "ok": len(latencies), "rps": len(latencies) / spec["seconds"],
        "median_ms": percentile(latencies, 50) * 1e3 if latencies else None,
        "p99_ms": percentile(latencies, 99) * 1e3 if latencies else None,
        "mean_ms": sum(latencies) / len(latencies) * 1e3 if latencies else None,
        "max_ms": latencies[-1] * 1e3 if latencies else None,
        "errors": dict(errors), "error_count": sum(errors.values()),
        "slices_rps": [c / width for c in per_slice],
        "ok_before_window": sum(1 for _, t1, s in everything if t1 <= measure_start and s == expected),
        "ok_after_window": sum(1 for _, t1, s in everything if t1 > end and s == expected),
        "ok_all": sum(1 for _, _, s in everything if s == expected),
        "errors_all": dict(collections.Counter(str(s) for _, _, s in everything if s != expected)),
        "sent_all": len(everything),
        "body_bytes": (min(body_bytes), max(body_bytes), sum(body_bytes) / len(body_bytes))
        if body_bytes else None,
        "cpu": cpu, "pid": os.getpid(), "threads": n,
    }
    with open(spec["out"], "w") as f:
        json.dump(result, f)
    return 0


# --- the ceiling: a trivial nameko HTTP→RPC pair (its own process) ------------------
def echo_services():
    from nameko.rpc import RpcProxy, rpc
    from nameko.web.handlers import http
    from werkzeug.wrappers import Response

    class Echo:
        name = "bench_echo"

        @rpc
        def echo(self, body):
            return {"ok": True}

    class EchoGateway:
        name = "bench_echo_gateway"
        echo = RpcProxy("bench_echo")

        @http("POST", "/echo")
        def post(self, request):
            body = json.loads(request.get_data())
            return Response(json.dumps(self.echo.echo(body)), status=200,
                            mimetype="application/json")

    return Echo, EchoGateway


def serve_echo_main(port, amqp):
    from eventlet import tpool
    from nameko.runners import ServiceRunner

    runner = ServiceRunner({"AMQP_URI": amqp, "WEB_SERVER_ADDRESS": "127.0.0.1:{}".format(port)})
    for cls in echo_services():
        runner.add_service(cls)
    runner.start()
    while True:  # until the parent says quit or goes away
        line = tpool.execute(sys.stdin.readline)  # a real thread: the hub keeps serving
        if not line or line.strip() == "quit":
            break
    with eventlet.Timeout(30, False):
        runner.stop()
        return 0
    runner.kill()
    return 0


# --- helpers of the benchmark process (patched) -------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def green_wait(proc, timeout, what):
    """Wait for a child without blocking the hub (the stack keeps serving)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()  # our own child, by its handle
            raise RuntimeError("{} did not finish within {:.0f} s".format(what, timeout))
        eventlet.sleep(0.1)
    return proc.returncode


def run_load(args, url, expected_status, key_prefix, server_pid, rabbit_pid, workdir, name,
             seconds, warmup):
    spec = {"url": url, "expected_status": expected_status, "key_prefix": key_prefix,
            "concurrency": args.concurrency, "seconds": seconds, "warmup": warmup,
            "timeout": args.request_timeout, "seed": args.seed, "slices": args.slices,
            "pids": {"server": server_pid, "RabbitMQ": rabbit_pid},
            "out": os.path.join(workdir, name + "-result.json")}
    spec_path = os.path.join(workdir, name + "-spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    log_path = os.path.join(workdir, name + "-loadgen.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bench.feedback", "--load-gen", spec_path],
                                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
        code = green_wait(proc, warmup + seconds + 2 * args.request_timeout + 60,
                          "the load generator")
    if code != 0:
        with open(log_path) as f:
            raise RuntimeError("the load generator failed ({}):\n{}".format(code, f.read()[-3000:]))
    with open(spec["out"]) as f:
        return json.load(f)


class Rabbit:
    """A fresh vhost on the local RabbitMQ, deleted at the end."""

    def __init__(self, args):
        import requests
        self.api = requests.Session()
        self.api.trust_env = False
        self.api.auth = ("guest", "guest")
        self.base = args.rabbit_api.rstrip("/")
        self.vhost = "cfz-bench-feedback-{}-{}".format(os.getpid(), uuid.uuid4().hex[:6])
        self.amqp = args.amqp.rstrip("/") + "/" + self.vhost
        self.created = False

    def overview(self):
        response = self.api.get(self.base + "/api/overview", timeout=10)
        response.raise_for_status()
        return response.json()

    def create(self):
        name = quote(self.vhost, safe="")
        self.api.put("{}/api/vhosts/{}".format(self.base, name), timeout=10).raise_for_status()
        self.created = True
        self.api.put("{}/api/permissions/{}/guest".format(self.base, name),
                     json={"configure": ".*", "write": ".*", "read": ".*"},
                     timeout=10).raise_for_status()

    def delete(self):
        if self.created:
            try:
                self.api.delete("{}/api/vhosts/{}".format(self.base, quote(self.vhost, safe="")),
                                timeout=10)
            except Exception as exc:
                print("warning: could not delete vhost {}: {}".format(self.vhost, exc),
                      file=sys.stderr)


class EchoServer:
    def __init__(self, amqp, workdir):
        self.port = free_port()
        self.amqp = amqp
        self.log_path = os.path.join(workdir, "echo-server.log")
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.feedback", "--serve-echo", str(self.port),
             "--amqp", self.amqp],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT)
        import requests
        session = requests.Session()
        session.trust_env = False
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("the echo server exited ({}); log: {}".format(
                    self.proc.returncode, self.log_path))
            try:
                if session.post(self.url, json={"ping": 1}, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the echo server did not answer within 60 s; log: "
                                   + self.log_path)
            eventlet.sleep(0.2)

    @property
    def url(self):
        return "http://127.0.0.1:{}/echo".format(self.port)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
                self.proc.stdin.close()
                green_wait(self.proc, 40, "the echo server's stop")
            except Exception:
                if self.proc.poll() is None:
                    self.proc.kill()  # our own child, by its handle
                    green_wait(self.proc, 10, "the echo server")
        self.log.close()


def stack_config(args, rabbit, port, db_prefix):
    from services.common.config import nameko_config
    settings = dict(
        AMQP_URI=rabbit.amqp, MONGO_URI=args.mongo_uri, CFZ_DB_PREFIX=db_prefix,
        GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(port), CFZ_METRICS_PORT="0",
        CFZ_ENV="development", CFZ_JWT_SECRET=BENCH_JWT_SECRET,
        CFZ_ADMIN_USERNAME=BENCH_ADMIN["username"], CFZ_ADMIN_PASSWORD=BENCH_ADMIN["password"],
        CFZ_ARGON2_TIME_COST="1", CFZ_ARGON2_MEMORY_KIB="1024",
        CFZ_FEEDBACK_RATE_LIMIT="1000000/minute", CFZ_DEMO_DATA="0", CFZ_STARTER_CATALOGUE="1",
        CFZ_PUBLIC_URL="http://127.0.0.1:{}".format(port))
    # {}: the caller's CFZ_* environment does not leak in; every other
    # setting (RPC timeout, outbox interval, body limit) keeps its default
    return nameko_config({}, **settings)


class Api:
    def __init__(self, base):
        import requests
        self.base = base
        self.session = requests.Session()
        self.session.trust_env = False

    def call(self, method, path, expect, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        response = self.session.request(method, self.base + path, headers=headers, timeout=60,
                                        **kwargs)
        if response.status_code != expect:
            raise RuntimeError("{} {} answered {} (expected {}): {}".format(
                method, path, response.status_code, expect, response.text[:500]))
        return response

    def token(self, username, password):
        return self.call("POST", "/api/v1/auth/token", 200,
                         json={"username": username, "password": password}).json()["access_token"]


def set_up_point(api):
    """An approved agency and an open point declaring DOPA-ID-NEW, over HTTP."""
    deadline = time.monotonic() + 60
    while True:
        try:
            admin = api.token(**BENCH_ADMIN)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            eventlet.sleep(0.2)
    agency = api.call("POST", "/api/v1/agencies", 201, json=AGENCY).json()["agency"]
    api.call("POST", "/api/v1/admin/agencies/{}/approve".format(agency["id"]), 200, token=admin)
    officer = api.token(AGENCY["username"], AGENCY["password"])
    point = api.call("POST", "/api/v1/service-points", 201, json=POINT, token=officer).json()
    api.call("PUT", "/api/v1/service-points/{}/services".format(point["id"]), 200,
             json=SERVICES, token=officer)
    return point["id"]


def entrypoint_totals():
    """(service, entrypoint) -> (seconds, calls) from the services' own
    cfz_entrypoint_duration_seconds histogram (this process)."""
    from services.common.metrics import ENTRYPOINT_LATENCY
    totals = collections.defaultdict(lambda: [0.0, 0.0])
    for metric in ENTRYPOINT_LATENCY.collect():
        for s in metric.samples:
            key = (s.labels.get("service"), s.labels.get("entrypoint"))
            if s.name.endswith("_sum"):
                totals[key][0] = s.value
            elif s.name.endswith("_count"):
                totals[key][1] = s.value
    return dict(totals)


def events_published(event):
    from services.common.metrics import EVENTS_PUBLISHED
    total = 0.0
    for metric in EVENTS_PUBLISHED.collect():
        for s in metric.samples:
            if s.name.endswith("_total") and s.labels.get("event") == event:
                total += s.value
    return int(total)


# --- sampling profiler (py-spy is not available) ------------------------------------
class Sampler:
    """A CPU-time sampling profiler for this (the server's) process.

    SIGPROF fires every `interval` seconds of the process's CPU time
    (ITIMER_PROF), and the handler records the interrupted Python stack of
    the main thread, where eventlet runs every greenlet (HTTP, RPC
    consumers, timers). Idle time in epoll costs no CPU and is not sampled;
    a C call (a syscall, json, re) is charged to the Python frame calling it.
    """

    def __init__(self, interval):
        self.interval = interval
        self.samples = 0
        self.no_project = 0
        self.leaf = collections.Counter()
        self.leaf_functions = collections.Counter()
        self.inclusive = collections.Counter()
        self.store_calls = collections.Counter()
        self.in_store = 0
        self._previous = None

    def start(self):
        import signal
        self._previous = signal.signal(signal.SIGPROF, self._handler)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self):
        import signal
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, self._previous or signal.SIG_DFL)

    def _handler(self, signum, frame):
        if frame is not None:
            self._record(frame)

    def _record(self, frame):
        self.samples += 1
        code = frame.f_code
        self.leaf[package_of(code.co_filename)] += 1
        self.leaf_functions["{}:{}".format(short_path(code.co_filename), code.co_name)] += 1
        seen = set()
        outer_store = None
        inner_project = None
        f = frame
        while f is not None:
            filename = f.f_code.co_filename
            if filename.startswith(SERVICES_DIR):
                key = "{}:{}".format(os.path.relpath(filename, ROOT), f.f_code.co_name)
                seen.add(key)
                if inner_project is None:
                    inner_project = key
            elif "/mongomock_ng/" in filename and inner_project is None:
                outer_store = f.f_code.co_name  # the outermost one below our code
            f = f.f_back
        if not seen:
            self.no_project += 1
        for key in seen:
            self.inclusive[key] += 1
        if outer_store is not None:
            self.in_store += 1
            self.store_calls["{} → {}".format(inner_project or "?", outer_store)] += 1


SERVICES_DIR = os.path.join(ROOT, "services") + os.sep
PACKAGES = [("/mongomock_ng/", "mongomock-ng (embedded store)"),
            ("/kombu/", "kombu/amqp (AMQP client)"), ("/amqp/", "kombu/amqp (AMQP client)"),
            ("/vine/", "kombu/amqp (AMQP client)"), ("/nameko/", "nameko"),
            ("/eventlet/", "eventlet (hub, wsgi, green I/O)"), ("/werkzeug/", "werkzeug"),
            ("/marshmallow/", "marshmallow"), ("/prometheus_client/", "prometheus_client"),
            ("/bson/", "bson"), ("/pymongo/", "pymongo"), ("/jwt/", "PyJWT")]


def short_path(filename):
    if filename.startswith(ROOT + os.sep):
        return os.path.relpath(filename, ROOT)
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    return os.path.basename(filename)


def package_of(filename):
    if filename.startswith(SERVICES_DIR):
        return "project code (services/)"
    for needle, label in PACKAGES:
        if needle in filename:
            return label
    if "site-packages" in filename:
        return "other: " + filename.split("site-packages/", 1)[1].split("/", 1)[0]
    base = os.path.basename(filename)
    return "stdlib: " + (os.path.basename(os.path.dirname(filename)) if base == "__init__.py"
                         else base)


# --- report helpers -----------------------------------------------------------------
def fmt(value, spec="{:.1f}"):
    return "-" if value is None else spec.format(value)


def machine():
    from importlib.metadata import version
    versions = []
    for dist in ("nameko", "eventlet", "kombu", "requests", "mongomock-ng"):
        try:
            versions.append("{} {}".format(dist, version(dist)))
        except Exception:
            pass
    return describe(", ".join(versions))


def check_local(url, what):
    host = urlparse(url.replace("pyamqp://", "http://").replace("mongodb://", "http://")).hostname
    if host not in LOCAL_HOSTS:
        raise SystemExit("{} must be on 127.0.0.1 (got {})".format(what, host))


# --- the benchmark ------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.feedback",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="measured seconds per target (default 20)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="concurrent clients, the same for both targets (default 8)")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="untimed seconds of the same load first (default 3)")
    parser.add_argument("--slices", type=int, default=4,
                        help="report requests/s in this many slices of the window (default 4)")
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=2569)
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument("--profile", action="store_true",
                         help="profile the feedback server even when it meets the target")
    profile.add_argument("--no-profile", action="store_true", help="never profile")
    parser.add_argument("--profile-seconds", type=float, default=8.0,
                        help="seconds of extra load under the sampling profiler (default 8)")
    parser.add_argument("--amqp", default=AMQP, help="RabbitMQ (a fresh vhost is made on it)")
    parser.add_argument("--rabbit-api", default=RABBIT_API, help="RabbitMQ management API")
    parser.add_argument("--mongo-uri", default="mongomock://",
                        help="storage of the stack (default: the embedded mongomock://; "
                             "a MongoDB must be on 127.0.0.1)")
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--load-gen", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.load_gen:
        return load_gen_main(args.load_gen)
    if args.serve_echo:
        return serve_echo_main(args.serve_echo, args.amqp)
    if args.concurrency < 1 or args.seconds <= 0 or args.warmup < 0 or args.slices < 1:
        parser.error("--concurrency, --seconds and --slices must be positive")
    check_local(args.amqp, "--amqp")
    check_local(args.rabbit_api, "--rabbit-api")
    if not args.mongo_uri.startswith("mongomock://"):
        check_local(args.mongo_uri, "--mongo-uri")

    import logging
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    out = print
    out("Feedback submission throughput vs the nameko HTTP→RPC ceiling — {}".format(
        datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")))
    out("Machine: " + machine())

    rabbit = Rabbit(args)
    try:
        overview = rabbit.overview()
    except Exception as exc:
        out("cannot run: RabbitMQ's management API at {} does not answer ({}); start RabbitMQ "
            "with rabbitmq_management (README: Getting RabbitMQ)".format(args.rabbit_api, exc))
        return 1
    rabbit_pid = find_rabbitmq_pid()
    out("RabbitMQ {} (Erlang {}), beam.smp pid {}; storage: {}".format(
        overview.get("rabbitmq_version"), overview.get("erlang_version"), rabbit_pid or "?",
        "embedded mongomock-ng (in this process)" if args.mongo_uri.startswith("mongomock://")
        else args.mongo_uri))
    out("Load: {} clients, {:g} s warm-up then {:g} s measured per target, the same generator, "
        "bodies and keys for both.".format(args.concurrency, args.warmup, args.seconds))
    b0, t0 = machine_busy_seconds()
    eventlet.sleep(2.0)
    b1, t1 = machine_busy_seconds()
    quiet = (b1 - b0) / max(1e-9, t1 - t0) * (os.cpu_count() or 1)
    out("Before the run, other processes kept the machine {:.0f}% busy (of {}%){}".format(
        100 * quiet, 100 * (os.cpu_count() or 1),
        "." if quiet < 0.15 else ": NOT QUIET, the figures below share the CPU with them."))
    out("", flush=True)

    workdir = tempfile.mkdtemp(prefix="cfz-bench-feedback-")
    failed = False
    results = {}
    runner = None
    config = None
    run_id = uuid.uuid4().hex[:8]
    notes = []
    try:
        rabbit.create()

        # 1. the ceiling, alone
        echo = EchoServer(rabbit.amqp, workdir)
        out("[echo ceiling: starting the echo server (subprocess)]", flush=True)
        try:
            echo.start()
            out("[echo ceiling: {} pid {}; measuring {:g}+{:g} s]".format(
                echo.url, echo.proc.pid, args.warmup, args.seconds), flush=True)
            results["echo"] = run_load(args, echo.url, 200, "bench-{}-e".format(run_id),
                                       echo.proc.pid, rabbit_pid, workdir, "echo",
                                       args.seconds, args.warmup)
            results["echo"]["server_pid"] = echo.proc.pid
        finally:
            echo.stop()
        out("[echo ceiling: done, echo server stopped]", flush=True)

        # 2. the real stack, in this process
        from nameko.runners import ServiceRunner

        from services.common.storage import database_name, get_client
        from services.feedback.service import FeedbackService
        from services.gateway.service import GatewayService
        from services.registry.service import RegistryService

        port = free_port()
        db_prefix = "cfzbench_fb_{}_".format(run_id)
        config = stack_config(args, rabbit, port, db_prefix)
        t0 = time.perf_counter()
        runner = ServiceRunner(config)
        for cls in (RegistryService, FeedbackService, GatewayService):
            runner.add_service(cls)
        runner.start()
        base = "http://127.0.0.1:{}".format(port)
        api = Api(base)
        point_id = set_up_point(api)
        # one submission by hand: the path works and answers as expected
        data, headers = make_request(random.Random(args.seed), "bench-{}-setup-0".format(run_id))
        first = api.call("POST", "/api/v1/service-points/{}/feedback".format(point_id), 201,
                         data=data, headers=headers).json()
        setup_ok = 1
        stack_up = time.perf_counter() - t0
        feedback_url = base + "/api/v1/service-points/{}/feedback".format(point_id)
        out("[feedback: stack up in {:.1f} s (registry + feedback + gateway, this process, pid "
            "{}); point {}; first answer {}]".format(stack_up, os.getpid(), point_id,
                                                     json.dumps(first, ensure_ascii=False)),
            flush=True)
        out("[feedback: measuring {:g}+{:g} s]".format(args.warmup, args.seconds), flush=True)
        steps_before = entrypoint_totals()
        results["feedback"] = run_load(args, feedback_url, 201, "bench-{}-f".format(run_id),
                                       os.getpid(), rabbit_pid, workdir, "feedback",
                                       args.seconds, args.warmup)
        steps_after = entrypoint_totals()
        results["feedback"]["server_pid"] = os.getpid()
        out("[feedback: done]", flush=True)

        fb, ce = results["feedback"], results["echo"]
        ratio = fb["rps"] / ce["rps"] if ce["rps"] else 0.0
        passed = ratio >= TARGET_RATIO

        # 3. where the time goes (not counted in the figures)
        sampler = None
        profile_result = None
        if (args.profile or not passed) and not args.no_profile and args.profile_seconds > 0:
            out("[profile: {:g} s more of the same load with a stack sampler in the server "
                "process]".format(args.profile_seconds), flush=True)
            sampler = Sampler(0.002)
            sampler.start()
            try:
                profile_result = run_load(args, feedback_url, 201, "bench-{}-p".format(run_id),
                                          os.getpid(), rabbit_pid, workdir, "profile",
                                          args.profile_seconds, 0.0)
            finally:
                sampler.stop()
            out("[profile: done]", flush=True)

        # 4. the store against the answers; redaction of what is public
        fb_db = get_client(config["MONGO_URI"])[database_name(config, "feedback")]
        eventlet.sleep(0)
        stored = fb_db.feedback.count_documents({})
        answers_201 = setup_ok + fb["ok_all"] + (profile_result["ok_all"] if profile_result else 0)
        pending = fb_db.feedback.count_documents({"outbox.event_id": {"$exists": True}})
        published_events = events_published("feedback_submitted")
        phones = ("081-234-5678", "02 123 4567", "0891234567", "+66 86 555 1234")
        unmasked = fb_db.feedback.count_documents(
            {"comment_public": {"$regex": "|".join(re.escape(p) for p in phones)}})
        flagged = fb_db.feedback.count_documents({"pii_found": "phone"})
        public = api.call("GET", "/api/v1/service-points/{}/feedback".format(point_id), 200,
                          params={"limit": 100}).json()
        leaked = [c for c in public["results"]
                  if any(p in (c.get("comment") or "") for p in phones)]
    except Exception:
        failed = True
        traceback.print_exc()
        out("\nThe run failed (logs kept in {}).".format(workdir))
    finally:
        if runner is not None:
            with eventlet.Timeout(60, False):
                runner.stop()
                runner = None
            if runner is not None:
                runner.kill()
        if config is not None and not config["MONGO_URI"].startswith("mongomock://"):
            try:
                from services.common.storage import get_client
                client = get_client(config["MONGO_URI"])
                for name in client.list_database_names():
                    if name.startswith(config["CFZ_DB_PREFIX"]):
                        client.drop_database(name)
            except Exception as exc:
                out("warning: could not drop the benchmark databases: {}".format(exc))
        rabbit.delete()
        if not failed:
            shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        return 1

    # --- report ---------------------------------------------------------------------
    rows = [("feedback: POST /api/v1/service-points/{id}/feedback", fb),
            ("ceiling:  POST /echo (nameko HTTP→RPC→reply)", ce)]
    out("")
    out("Results: {} concurrent clients, {:g} s measured after {:g} s warm-up, per target".format(
        args.concurrency, args.seconds, args.warmup))
    head = "{:<53} {:>8} {:>10} {:>9} {:>9} {:>8} {:>7}".format(
        "target", "req/s", "median ms", "p99 ms", "mean ms", "max ms", "errors")
    out(head)
    out("-" * len(head))
    for label, r in rows:
        out("{:<53} {:>8.1f} {:>10} {:>9} {:>9} {:>8} {:>7}".format(
            label, r["rps"], fmt(r["median_ms"], "{:.2f}"), fmt(r["p99_ms"], "{:.2f}"),
            fmt(r["mean_ms"], "{:.2f}"), fmt(r["max_ms"], "{:.1f}"), r["error_count"]))
    out("")
    out("Throughput ratio feedback / ceiling: {:.3f} ({:.1f} / {:.1f} req/s); target ≥ {:.2f} — {}"
        .format(ratio, fb["rps"], ce["rps"], TARGET_RATIO,
                "PASS" if passed else "MISS (needs {:.1f}× more)".format(TARGET_RATIO / ratio)
                if ratio else "MISS"))
    if fb["median_ms"] and ce["median_ms"]:
        out("Median latency: feedback {:.1f}× the ceiling's; p99 {:.1f}×.".format(
            fb["median_ms"] / ce["median_ms"], fb["p99_ms"] / ce["p99_ms"]))
    for label, r in rows:
        if r["errors"]:
            out("  errors of {}: {}".format(label.split(":")[0], r["errors"]))
    out("")
    out("Requests/s in {} slices of the measured window (does it hold up?):".format(args.slices))
    for label, r in rows:
        out("  {:<9} {}".format(label.split(":")[0], "  ".join(
            "{:.1f}".format(v) for v in r["slices_rps"])))
    before = setup_ok + fb["ok_before_window"]
    out("  stored feedback documents: {} at the start of the measured window, {} at its end "
        "(the embedded store's lookups grow with the collection)".format(
            before, before + fb["ok"]) if args.mongo_uri.startswith("mongomock://") else
        "  stored feedback documents: {} at the start of the measured window, {} at its end"
        .format(before, before + fb["ok"]))
    out("")
    out("What ran where (2 cores, no pinning; CPU over the measured window, % of one core):")
    cpu_head = "  {:<9} {:>15} {:>15} {:>9} {:>16} {:>14}".format(
        "target", "server process", "load generator", "RabbitMQ", "other processes",
        "whole machine")
    out(cpu_head)
    for label, r in rows:
        c = r["cpu"]
        ours = sum(c.get(k) or 0.0 for k in ("server", "load generator", "RabbitMQ"))
        out("  {:<9} {:>14}% {:>14}% {:>8}% {:>15}% {:>8}% / {}%".format(
            label.split(":")[0], fmt(c.get("server") and c["server"] * 100, "{:.0f}"),
            fmt(c.get("load generator") * 100, "{:.0f}"),
            fmt(c.get("RabbitMQ") and c["RabbitMQ"] * 100, "{:.0f}"),
            fmt(max(0.0, c.get("machine") - ours) * 100, "{:.0f}"),
            fmt(c.get("machine") * 100, "{:.0f}"), 100 * (os.cpu_count() or 1)))
        if c.get("machine") - ours > 0.15:
            notes.append("During the {} window other processes (not this benchmark, not "
                         "RabbitMQ) used {:.0f}% of a core: that figure is contaminated.".format(
                             label.split(":")[0], 100 * (c.get("machine") - ours)))
    per_request = {label.split(":")[0]: (r["cpu"].get("server") or 0) / r["rps"] * 1e3
                   for label, r in rows if r["rps"]}
    out("  server CPU per answered request: feedback {} ms, ceiling {} ms".format(
        fmt(per_request.get("feedback"), "{:.1f}"), fmt(per_request.get("ceiling"), "{:.1f}")))
    out("  server (feedback): this benchmark process, pid {}: RegistryService, FeedbackService and "
        "GatewayService in one nameko ServiceRunner (eventlet){}.".format(
            fb["server_pid"], ", with the embedded store" if args.mongo_uri.startswith(
                "mongomock://") else ""))
    out("  server (ceiling):  a subprocess, pid {}: bench_echo + bench_echo_gateway in one "
        "ServiceRunner; run first, stopped before the stack started.".format(ce["server_pid"]))
    out("  load generator:    a separate unpatched process per target (pids {} and {}), {} OS "
        "threads with a requests.Session each (keep-alive); bodies {}–{} bytes.".format(
            fb["pid"], ce["pid"], args.concurrency, *(fb["body_bytes"] or (0, 0))[:2]))
    out("  RabbitMQ:          beam.smp pid {}, vhost {} (deleted at the end).".format(
        rabbit_pid or "?", rabbit.vhost))

    d = {k: (steps_after.get(k, [0, 0])[0] - steps_before.get(k, [0, 0])[0],
             steps_after.get(k, [0, 0])[1] - steps_before.get(k, [0, 0])[1])
         for k in steps_after}

    def mean_ms(service, entrypoint):
        seconds, calls = d.get((service, entrypoint), (0, 0))
        return (seconds / calls * 1e3, int(calls)) if calls else (None, 0)
    gw, fbs, reg = (mean_ms("gateway", "submit_feedback"), mean_ms("feedback", "submit"),
                    mean_ms("registry", "get_service_point"))
    flush_ms, flushes = mean_ms("feedback", "publish_outbox")
    out("")
    out("Inside the feedback server (its own cfz_entrypoint_duration_seconds over the phase, "
        "warm-up included; wall time, each includes the next):")
    out("  gateway submit_feedback {} ms ({} calls) ⊃ feedback submit {} ms ⊃ registry "
        "get_service_point {} ms; feedback's outbox timer {} ms a round ({} rounds)".format(
            fmt(gw[0], "{:.2f}"), gw[1], fmt(fbs[0], "{:.2f}"), fmt(reg[0], "{:.2f}"),
            fmt(flush_ms, "{:.1f}"), flushes))

    if sampler is not None and sampler.samples:
        n = sampler.samples
        out("")
        out("Where the feedback server's CPU time goes (SIGPROF sampler every 2 ms of CPU, "
            "{:g} s more of the same load, {} samples; {:.1f} req/s meanwhile with {}→{} stored "
            "documents, server process at {}% of a core; not in the figures above):".format(
                args.profile_seconds, n, profile_result["rps"], stored - profile_result["ok_all"],
                stored, fmt((profile_result["cpu"].get("server") or 0) * 100, "{:.0f}")))
        out("  by package of the innermost Python frame (% of all samples):")
        for label, count in sampler.leaf.most_common(8):
            out("    {:<40} {:>5.1f}%".format(label, 100 * count / n))
        out("  hottest functions (innermost Python frame, % of all samples):")
        for key, count in sampler.leaf_functions.most_common(8):
            out("    {:<60} {:>5.1f}%".format(key, 100 * count / n))
        out("  by project function on the stack (inclusive, % of all samples; none of ours: "
            "{:.1f}%):".format(100 * sampler.no_project / n))
        for key, count in sampler.inclusive.most_common(14):
            out("    {:<60} {:>5.1f}%".format(key, 100 * count / n))
        if sampler.store_calls:
            out("  embedded-store calls by caller (inclusive, % of all samples; all store calls: "
                "{:.1f}%):".format(100 * sampler.in_store / n))
            for key, count in sampler.store_calls.most_common(8):
                out("    {:<70} {:>5.1f}%".format(key, 100 * count / n))
        store_share = sampler.in_store / n
        if profile_result["rps"] and profile_result["cpu"].get("server"):
            cpu_ms = profile_result["cpu"]["server"] / profile_result["rps"] * 1e3
            out("  server CPU per submission meanwhile: {:.1f} ms, of which {:.1f} ms outside the "
                "embedded store (the ceiling: {} ms per request in all)".format(
                    cpu_ms, cpu_ms * (1 - store_share), fmt(per_request.get("ceiling"), "{:.1f}")))
        if store_share > 0.3:
            notes.append(
                "{:.0f}% of the feedback server's CPU samples are inside mongomock-ng, the embedded "
                "store: it has no real indexes, so every find_one, unique-index check on insert "
                "and update by _id scans the whole collection, and each submission costs more as "
                "feedback accumulates (see the slices). Measure with a real MongoDB on 127.0.0.1 "
                "(--mongo-uri) before reading the ratio as the services' own cost.".format(
                    100 * store_share))

    out("")
    out("Store vs answers: {} feedback documents stored, {} answers 201 (setup 1, load {}{}) — {}"
        .format(stored, answers_201, fb["ok_all"],
                ", profile {}".format(profile_result["ok_all"]) if profile_result else "",
                "equal" if stored == answers_201 else "DIFFERENT  <-- BUG"))
    other = {k: v for r in ([fb] + ([profile_result] if profile_result else []))
             for k, v in r["errors_all"].items()}
    if other:
        out("  non-201 answers over the whole feedback phase (warm-up and tail included): {}"
            .format(other))
    out("Outbox: {} feedback_submitted events published, {} documents still pending at the end."
        .format(published_events, pending))
    out("Redaction: phone number found and masked in {} of {} stored comments; {} public texts "
        "still show one; {} published comments read back over HTTP, {} showing one{}.".format(
            flagged, stored, unmasked, len(public["results"]), len(leaked),
            "" if not (leaked or unmasked) else "  <-- LEAK"))
    if notes:
        out("")
        out("Notes:")
        for note in notes:
            out("  - " + note)
    out("")
    out("Total run time {:.0f} s.".format(time.perf_counter() - started))
    return 2 if stored != answers_201 or leaked or unmasked else 0


if __name__ == "__main__":
    sys.exit(main())
