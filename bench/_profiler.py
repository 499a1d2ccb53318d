"""A CPU-time sampling profiler for a benchmark's server process (py-spy is
not installed; cProfile cannot follow greenlet switches)."""
import collections
import os

from bench.common import ROOT

SERVICES_DIR = os.path.join(ROOT, "services") + os.sep
PACKAGES = [("/mongomock_ng/", "mongomock-ng (embedded store)"),
            ("/kombu/", "kombu/amqp (AMQP client)"), ("/amqp/", "kombu/amqp (AMQP client)"),
            ("/vine/", "kombu/amqp (AMQP client)"), ("/nameko/", "nameko"),
            ("/eventlet/", "eventlet (hub, wsgi, green I/O)"), ("/werkzeug/", "werkzeug"),
            ("/marshmallow/", "marshmallow"), ("/prometheus_client/", "prometheus_client"),
            ("/bson/", "bson"), ("/pymongo/", "pymongo"), ("/jwt/", "PyJWT")]


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

