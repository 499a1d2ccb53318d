"""Prometheus metrics: a dependency provider that times every entrypoint.

One `/metrics` HTTP port per process (`start_metrics_server`), shared by all
service containers in that process; series are labelled by service.
"""
import logging
import time

from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

from services.common.errors import EXPECTED

log = logging.getLogger(__name__)

ENTRYPOINT_CALLS = Counter(
    "cfz_entrypoint_calls_total", "Entrypoint calls by outcome",
    ["service", "entrypoint", "outcome"])
ENTRYPOINT_LATENCY = Histogram(
    "cfz_entrypoint_duration_seconds", "Entrypoint latency",
    ["service", "entrypoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
OUTBOX_PENDING = Gauge(
    "cfz_outbox_pending_documents", "Documents holding unpublished events",
    ["service", "collection"])
EVENTS_PUBLISHED = Counter(
    "cfz_events_published_total", "Events published from the outbox",
    ["service", "event"])

_server_started = []


def start_metrics_server(port, addr="127.0.0.1"):
    """Serve the process's /metrics once, on eventlet's WSGI server (the
    client's own threaded server does not run under eventlet's patching);
    port 0 disables it."""
    if not port or int(port) == 0 or _server_started:
        return
    import eventlet
    import eventlet.wsgi
    sock = eventlet.listen((addr, int(port)))
    eventlet.spawn_n(eventlet.wsgi.server, sock, make_wsgi_app(), log_output=False)
    _server_started.append(int(port))
    log.info("metrics on http://%s:%s/metrics", addr, port)


def outcome_of(exc_info):
    if exc_info is None:
        return "success"
    if isinstance(exc_info[1], EXPECTED):
        return "rejected"
    return "error"


class Metrics(DependencyProvider):
    """Records calls, latency and outcome of every entrypoint of a service."""

    def __init__(self):
        self.started = {}

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        start = self.started.pop(worker_ctx, None)
        service = self.container.service_name
        name = worker_ctx.entrypoint.method_name
        ENTRYPOINT_CALLS.labels(service, name, outcome_of(exc_info)).inc()
        if start is not None:
            ENTRYPOINT_LATENCY.labels(service, name).observe(
                time.perf_counter() - start)

    def get_dependency(self, worker_ctx):
        return self
