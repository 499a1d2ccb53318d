"""Prometheus metrics, and the dependency provider every service has that
sees every entrypoint (RPC, event handler, timer, HTTP).

One `/metrics` HTTP port per process (`start_metrics_server`), shared by all
service containers in that process; series are labelled by service. A
process exports only the metrics of the services it runs: the metrics every
service shares are labelled by service (no series until one records), and a
service's own metrics are made with `service_metric`, which registers them
only when a container of that service starts. docs/observability.md lists
every metric.
"""
import logging
import time
from datetime import datetime, timezone

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, make_wsgi_app
from werkzeug.wrappers import Response

from services.common import context, outbox, tracing
from services.common.errors import EXPECTED

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

ENTRYPOINT_CALLS = Counter(
    "cfz_entrypoint_calls_total", "Entrypoint calls by outcome",
    ["service", "entrypoint", "outcome"])
ENTRYPOINT_LATENCY = Histogram(
    "cfz_entrypoint_duration_seconds", "Entrypoint latency",
    ["service", "entrypoint"], buckets=LATENCY_BUCKETS)
RPC_CALLS = Counter(
    "cfz_rpc_calls_total", "RPC calls made, by the calling service, target, method and outcome "
    "(success, rejected, error, timeout)", ["service", "target", "method", "outcome"])
RPC_LATENCY = Histogram(
    "cfz_rpc_call_duration_seconds", "RPC calls made: time until the answer (or the timeout)",
    ["service", "target"], buckets=LATENCY_BUCKETS)
EVENT_HANDLER_CALLS = Counter(
    "cfz_event_handler_calls_total", "Events handled, by outcome (success, rejected, error)",
    ["service", "event", "outcome"])
EVENT_LAG = Histogram(
    "cfz_event_lag_seconds", "From an event's occurred_at to its handler having applied it",
    ["service", "event"], buckets=LAG_BUCKETS)
EVENTS_PUBLISHED = Counter(
    "cfz_events_published_total", "Events published from the outbox", ["service", "event"])
OUTBOX_PUBLISH_FAILURES = Counter(
    "cfz_outbox_publish_failures_total", "Outbox rounds cut short by a failed publish "
    "(the rest waits for the next round)", ["service"])
OUTBOX_PENDING = Gauge(
    "cfz_outbox_pending_events", "Events waiting in the service's outbox (database-wide: "
    "every replica reports the same; use max by (service))", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "cfz_outbox_oldest_pending_age_seconds", "Age of the oldest event waiting in the outbox, "
    "0 when none (database-wide: use max by (service))", ["service"])
TIMER_LAST_SUCCESS = Gauge(
    "cfz_timer_last_success_timestamp_seconds", "When each timer last completed without error "
    "(Unix time)", ["service", "timer"])
MONGO_UP = Gauge(
    "cfz_mongo_up", "1 when the service's database answered its last ping, else 0", ["service"])

# the backlog gauges read every pending document: at most this often, so
# a long backlog (a bulk load, a broker outage) does not slow every round
BACKLOG_EVERY_SECONDS = 2.0
_backlog_read_at = {}  # service -> time.monotonic() of the last read
_service_metrics = {}  # service name -> metrics only that service exports
_registered = set()
_server_started = []


_children = {}


def child(metric, *labels):
    """metric.labels(*labels), remembered: labels() validates and locks on
    every call, and the hot paths ask for the same few series again and
    again (label values here come from code, never from clients)."""
    key = (id(metric), labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


def service_metric(service, metric):
    """`metric` (made with registry=None) exported only by processes that
    run `service`: registered when its first container starts."""
    _service_metrics.setdefault(service, []).append(metric)
    return metric


def register_service_metrics(service):
    for metric in _service_metrics.get(service, ()):
        if id(metric) not in _registered:
            REGISTRY.register(metric)
            _registered.add(id(metric))


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


def publish_outbox(service, collections, send, event_ids=None):
    """Publish `service`'s pending events: all of them (its timer) or those
    of the documents holding `event_ids` (the worker that wrote them, at
    once); count what was published and what failed, and set the backlog
    gauges. `send([(name, payload), ...])` publishes a batch with one wait
    for the broker's confirms (services/common/outbox_publisher.py).
    Returns how many events were published."""
    def publish(batch):
        if tracing.enabled():
            spans = [tracing.start("publish {}".format(name), kind="producer",
                                   parent=payload.get(tracing.TRACEPARENT),
                                   attributes={"cfz.service": service,
                                               "cfz.event_id": payload["event_id"]})
                     for name, payload in batch]
            try:
                send(batch)
            except Exception as exc:
                for span in reversed(spans):  # detached in the reverse order
                    tracing.finish(span, error=exc)
                raise
            for span in reversed(spans):
                tracing.finish(span)
        else:
            send(batch)
        for name, _ in batch:
            child(EVENTS_PUBLISHED, service, name).inc()

    failures = child(OUTBOX_PUBLISH_FAILURES, service)
    sent = sum(outbox.flush(collection, publish, on_failure=failures.inc, event_ids=event_ids)
               for collection in collections)
    if event_ids is not None:
        return sent  # the backlog gauges are the timer's
    now = time.monotonic()
    if now - _backlog_read_at.get(service, float("-inf")) >= BACKLOG_EVERY_SECONDS:
        _backlog_read_at[service] = now
        backlogs = [outbox.backlog(collection) for collection in collections]
        OUTBOX_PENDING.labels(service).set(sum(count for count, _ in backlogs))
        OUTBOX_OLDEST_AGE.labels(service).set(max([age for _, age in backlogs] or [0.0]))
    return sent


def outcome_of(exc_info):
    if exc_info is None:
        return "success"
    if isinstance(exc_info[1], EXPECTED):
        return "rejected"
    return "error"


def _result_outcome(result, exc_info):
    """An HTTP route answers its errors as responses: a 5xx is an error and
    a 4xx a rejection, never a success."""
    if exc_info is None and isinstance(result, Response):
        if result.status_code >= 500:
            return "error"
        if result.status_code >= 400:
            return "rejected"
    return outcome_of(exc_info)


def event_lag_seconds(payload, now=None):
    """Seconds since the event's occurred_at, or None if it has none."""
    try:
        occurred = datetime.fromisoformat(payload["occurred_at"])
    except (TypeError, KeyError, ValueError):
        return None
    return ((now or datetime.now(timezone.utc)) - occurred).total_seconds()


class _Worker:
    __slots__ = ("started", "kind", "span")

    def __init__(self, started, kind, span):
        self.started = started
        self.kind = kind
        self.span = span


def _kind_of(entrypoint):
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Timer):
        return "timer"
    if isinstance(entrypoint, Rpc):
        return "rpc"
    return "http"


class Metrics(DependencyProvider):
    """Every entrypoint's calls, latency and outcome; for event handlers
    their outcome and lag, for timers their last success. It also binds the
    ids of each worker (services/common/context.py) for its log lines and
    the events it produces, and starts its span (services/common/tracing.py)."""

    def __init__(self):
        self.workers = {}

    def setup(self):
        self.service = self.container.service_name
        register_service_metrics(self.service)

    def worker_setup(self, worker_ctx):
        entrypoint = worker_ctx.entrypoint
        kind = _kind_of(entrypoint)
        data = worker_ctx.data
        ids = {"service": self.service, "entrypoint": entrypoint.method_name,
               "call_id": worker_ctx.call_id,
               "request_id": data.get("request_id"),
               "correlation_id": data.get("correlation_id")}
        parent = data.get(tracing.TRACEPARENT)
        if kind == "event":
            payload = worker_ctx.args[0] if worker_ctx.args else None
            if isinstance(payload, dict):
                # the event's own fields name its chain, whatever the headers say
                ids["correlation_id"] = payload.get("correlation_id") or ids["correlation_id"]
                ids["causation_id"] = payload.get("event_id")
                parent = payload.get(tracing.TRACEPARENT) or parent
                if ids["correlation_id"]:  # and the RPCs the handler makes
                    data["correlation_id"] = ids["correlation_id"]
        context.set_ids(**ids)
        span = tracing.start(
            "{} {}.{}".format(kind, self.service, entrypoint.method_name),
            kind={"event": "consumer", "rpc": "server"}.get(kind, "internal"), parent=parent,
            attributes={"cfz.service": self.service, "cfz.entrypoint": entrypoint.method_name,
                        "cfz.correlation_id": ids["correlation_id"] or ""}
        ) if tracing.enabled() and kind != "timer" else None
        self.workers[worker_ctx] = _Worker(time.perf_counter(), kind, span)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        worker = self.workers.pop(worker_ctx, None)
        name = worker_ctx.entrypoint.method_name
        outcome = _result_outcome(result, exc_info)
        child(ENTRYPOINT_CALLS, self.service, name, outcome).inc()
        if worker is None:
            return
        elapsed = time.perf_counter() - worker.started
        child(ENTRYPOINT_LATENCY, self.service, name).observe(elapsed)
        if worker.kind == "event":
            event = worker_ctx.entrypoint.event_type
            child(EVENT_HANDLER_CALLS, self.service, event, outcome).inc()
            if outcome == "success":
                lag = event_lag_seconds(worker_ctx.args[0]) if worker_ctx.args else None
                if lag is not None:
                    child(EVENT_LAG, self.service, event).observe(max(0.0, lag))
        elif worker.kind == "timer" and outcome == "success":
            child(TIMER_LAST_SUCCESS, self.service, name).set(time.time())
        if worker.kind != "timer" or outcome != "success":
            log.debug("%s %s.%s %s in %.1f ms", worker.kind, self.service, name, outcome,
                      elapsed * 1000)
        if worker.span is not None:
            tracing.finish(worker.span, exc_info[1] if exc_info else None,
                           None if outcome != "error" or exc_info else "error answer")

    def worker_teardown(self, worker_ctx):
        context.clear()

    def get_dependency(self, worker_ctx):
        return self
