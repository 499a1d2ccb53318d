"""What every benchmark shares: the local RabbitMQ vhost it makes and
deletes, the ports it listens on, percentiles, time formatting and the
PASS/MISS lines. The machine description is bench/machine.py.

Two environment variables let several people benchmark on one machine
without meeting (both optional):

* CFZ_BENCH_VHOST_PREFIX (default "cfz-bench-"): every vhost a benchmark
  makes is this prefix, the benchmark's name, its pid and a random suffix;
* CFZ_BENCH_PORTS ("18300-18399"): the range ports are taken from, else any
  free port the kernel gives.
"""
import math
import os
import random
import socket
import sys
import time
import uuid
from urllib.parse import quote, urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AMQP = "pyamqp://guest:guest@127.0.0.1:5672/"
RABBIT_API = "http://127.0.0.1:15672"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
BENCH_ADMIN = {"username": "admin", "password": "bench-admin-password-2569"}
BENCH_JWT_SECRET = "bench-only-secret-not-for-production-0123456789"


def check_local(url, what):
    """Benchmarks talk only to this machine."""
    host = urlparse(url.replace("pyamqp://", "http://").replace("amqp://", "http://")
                    .replace("mongodb://", "http://")).hostname
    if host not in LOCAL_HOSTS:
        raise SystemExit("{} must be on 127.0.0.1 (got {})".format(what, host))


# --- ports ------------------------------------------------------------------------
def _port_range():
    text = os.environ.get("CFZ_BENCH_PORTS", "").strip()
    if not text:
        return None
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def free_port():
    """A port on 127.0.0.1 nobody listens on, from CFZ_BENCH_PORTS if set.
    (Free when asked; a benchmark binds it at once.)"""
    span = _port_range()
    if span is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    low, high = span
    ports = list(range(low, high + 1))
    random.shuffle(ports)  # two benchmarks started together rarely pick the same
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in CFZ_BENCH_PORTS={}".format(
        os.environ["CFZ_BENCH_PORTS"]))


# --- RabbitMQ ---------------------------------------------------------------------
class Vhost:
    """A fresh vhost on the local RabbitMQ (management API), deleted at the
    end: `amqp` is its URI."""

    def __init__(self, name, amqp=AMQP, rabbit_api=RABBIT_API):
        import requests
        self.api = requests.Session()
        self.api.trust_env = False  # never through a proxy: 127.0.0.1 only
        self.api.auth = ("guest", "guest")
        self.base = rabbit_api.rstrip("/")
        prefix = os.environ.get("CFZ_BENCH_VHOST_PREFIX", "cfz-bench-")
        self.name = "{}{}-{}-{}".format(prefix, name, os.getpid(), uuid.uuid4().hex[:6])
        self.amqp = amqp.rstrip("/") + "/" + self.name
        self.created = False

    def _url(self, what="vhosts"):
        return "{}/api/{}/{}".format(self.base, what, quote(self.name, safe=""))

    def overview(self):
        """The broker's /api/overview (raises when the API does not answer)."""
        response = self.api.get(self.base + "/api/overview", timeout=10)
        response.raise_for_status()
        return response.json()

    def create(self):
        self.api.put(self._url(), timeout=10).raise_for_status()
        self.created = True
        self.api.put(self._url("permissions") + "/guest",
                     json={"configure": ".*", "write": ".*", "read": ".*"},
                     timeout=10).raise_for_status()
        return self

    def delete(self):
        if self.created:
            try:
                self.api.delete(self._url(), timeout=10)
                self.created = False
            except Exception as exc:
                print("warning: could not delete vhost {}: {}".format(self.name, exc),
                      file=sys.stderr)


def rabbit_problem(rabbit_api=RABBIT_API):
    """None when the management API answers, else a sentence saying how to
    get it."""
    import requests
    try:
        s = requests.Session()
        s.trust_env = False
        s.get(rabbit_api.rstrip("/") + "/api/overview", auth=("guest", "guest"),
              timeout=5).raise_for_status()
        return None
    except Exception as exc:
        return ("RabbitMQ's management API at {} does not answer ({}); start RabbitMQ with "
                "rabbitmq_management (README: Getting RabbitMQ)".format(rabbit_api, exc))


# --- statistics and formatting ---------------------------------------------------
def percentile(sorted_values, q):
    """The q-th percentile (0-100) of already sorted values, interpolated
    linearly; None for no values."""
    if not len(sorted_values):
        return None
    k = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def p99(samples):
    return percentile(sorted(samples), 99)


def summary(samples):
    """median, p99, mean and n of some samples."""
    values = sorted(samples)
    return {"median": percentile(values, 50), "p99": percentile(values, 99),
            "mean": sum(values) / len(values) if values else None, "n": len(values)}


def fmt_time(seconds):
    """µs, ms or s, whichever reads best."""
    if seconds is None:
        return "-"
    if abs(seconds) < 1e-3:
        return "{:.1f} µs".format(seconds * 1e6)
    if abs(seconds) < 1:
        return "{:.2f} ms".format(seconds * 1e3)
    return "{:.2f} s".format(seconds)


def fmt(value, spec="{:.1f}"):
    return "-" if value is None else spec.format(value)


def spread(values, show=fmt_time):
    """"lowest-highest" of per-round figures (the spread a reader needs)."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return "{}–{}".format(show(min(values)), show(max(values)))


def verdict(ok):
    return "PASS" if ok else "MISS"


class Targets:
    """The issue's targets of one run: each line names the figure, the
    target and PASS/MISS; `passed` is all of them."""

    def __init__(self, out=print):
        self.out = out
        self.results = []

    def check(self, name, ok, figure, target):
        self.results.append((name, ok))
        self.out("  {:<58} {} (target {}) — {}".format(name, figure, target, verdict(ok)))
        return ok

    def unmeasured(self, name, why):
        self.results.append((name, None))
        self.out("  {:<58} not measured: {}".format(name, why))

    @property
    def passed(self):
        return all(ok for _, ok in self.results if ok is not None)


def now_text():
    import datetime
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


class Clock:
    """Seconds since the benchmark started, for progress lines."""

    def __init__(self, out=lambda text: print(text, flush=True)):
        self.started = time.perf_counter()
        self.out = out

    def elapsed(self):
        return time.perf_counter() - self.started

    def progress(self, text):
        self.out("[{:5.0f} s] {}".format(self.elapsed(), text))
