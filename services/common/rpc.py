"""RPC calls with a bounded wait, counted and traced.

nameko 2.x's in-service RpcProxy waits forever for a reply; callers here wait
at most `timeout` seconds and get ServiceUnavailable instead of a hang.
Every call counts in cfz_rpc_calls_total{service,target,method,outcome}
and cfz_rpc_call_duration_seconds; the request and correlation ids travel
with it in nameko's context data (message headers), as does the span's
trace context while tracing is on.
"""
import time

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.exceptions import UnknownService

from services.common import tracing
from services.common.errors import ServiceUnavailable
from services.common.metrics import RPC_CALLS, RPC_LATENCY, child, outcome_of


# what publishing a request raises while RabbitMQ cannot be reached (kombu
# retries a few seconds first): a 503, not a 500 from every route
BROKER_ERRORS = (OperationalError, AmqpConnectionError, OSError)


def broker_unavailable():
    return ServiceUnavailable("The message broker cannot be reached; try again shortly.",
                              {"broker": "unreachable"}, code="BROKER_UNAVAILABLE")


def call(proxy, method, *args, timeout=10.0, **kwargs):
    """proxy.method(*args, **kwargs), bounded by `timeout` seconds."""
    service = getattr(proxy, "service_name", "?")
    worker_ctx = getattr(proxy, "worker_ctx", None)
    caller = getattr(worker_ctx, "service_name", None) or "standalone"
    started = time.perf_counter()
    outcome = "timeout"
    with tracing.span("rpc {}.{}".format(service, method), kind="client",
                      attributes={"rpc.service": service, "rpc.method": method}):
        try:
            reply = _send(worker_ctx, getattr(proxy, method), args, kwargs)
            with eventlet.Timeout(timeout, False):
                try:
                    result = reply.result()
                except Exception as exc:
                    outcome = outcome_of((type(exc), exc, None))
                    raise
                outcome = "success"
                return result
        except BROKER_ERRORS:
            outcome = "error"
            raise broker_unavailable()
        except UnknownService:
            outcome = "error"
            raise ServiceUnavailable(
                "The {} service is not running.".format(service),
                {"service": service})
        finally:
            child(RPC_CALLS, caller, service, method, outcome).inc()
            child(RPC_LATENCY, caller, service).observe(time.perf_counter() - started)
        raise ServiceUnavailable(
            "The {} service did not answer within {:g} s.".format(service, timeout),
            {"service": service, "timeout_seconds": timeout})


def _send(worker_ctx, method_proxy, args, kwargs):
    """call_async, with the client span's trace context in the headers."""
    traceparent = tracing.current_traceparent()
    if traceparent is None or worker_ctx is None:
        return method_proxy.call_async(*args, **kwargs)
    before = worker_ctx.data.get(tracing.TRACEPARENT)
    worker_ctx.data[tracing.TRACEPARENT] = traceparent
    try:
        return method_proxy.call_async(*args, **kwargs)
    finally:
        if before is None:
            worker_ctx.data.pop(tracing.TRACEPARENT, None)
        else:
            worker_ctx.data[tracing.TRACEPARENT] = before


def pages(call, page_size, id_field="id"):
    """Every page of a paged source: `call(after_id, limit)` answers records
    in id order after `after_id`; a short page is the last one."""
    after = None
    while True:
        page = call(after, page_size)
        yield page
        if len(page) < page_size:
            return
        after = page[-1][id_field]


def call_pages(proxy, method, page_size, id_field="id", timeout=10.0):
    """Every page of a paged RPC (`method(after_id, limit)`), each call
    bounded by `timeout` seconds."""
    return pages(lambda after, limit: call(proxy, method, after, limit, timeout=timeout),
                 page_size, id_field)
