"""OpenTelemetry traces: spans for HTTP requests, RPC calls (both ends),
event handling and PMOC calls, exported by OTLP.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (`setup_from_env`, called by
`cfz run`) or a test installs a tracer provider (`install`). When off,
`span` hands back one shared no-op context manager and nothing else runs,
and the OpenTelemetry packages (the `tracing` extra) need not be
installed: this module imports them only when tracing is turned on.

Context travels as a W3C `traceparent` string: in nameko's context data
through RPC (`TRACEPARENT`, a message header), in an event's payload
(`traceparent`, added only while tracing is on) through the outbox, and in
the HTTP header of the same name into the gateway.
"""
import contextlib
import logging
import os

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"
_NOOP = contextlib.nullcontext()
_state = {"tracer": None, "provider": None, "api": None}


def enabled():
    return _state["tracer"] is not None


def install(provider):
    """Trace with this SDK TracerProvider (tests: an in-memory exporter)."""
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
    _state.update(provider=provider, tracer=provider.get_tracer("cfz"),
                  api=(trace, otel_context, TraceContextTextMapPropagator()))


def uninstall():
    provider = _state["provider"]
    _state.update(tracer=None, provider=None, api=None)
    return provider


def setup_from_env(service_name, environ=None):
    """Turn tracing on when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans are
    batched and sent by OTLP over HTTP (the exporter reads the other OTEL_*
    settings itself). Returns whether tracing is on."""
    environ = os.environ if environ is None else environ
    if not environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or enabled():
        return enabled()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry packages are not "
                    "installed (pip install 'cfz[tracing]'): tracing stays off")
        return False
    attributes = {}
    if not environ.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = service_name
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    install(provider)
    log.info("tracing: spans go to %s", environ["OTEL_EXPORTER_OTLP_ENDPOINT"])
    return True


def shutdown():
    provider = uninstall()
    if provider is not None and hasattr(provider, "shutdown"):
        provider.shutdown()


def _kind(name):
    trace = _state["api"][0]
    return getattr(trace.SpanKind, name.upper())


def _parent_context(traceparent):
    if not traceparent:
        return None
    return _state["api"][2].extract({TRACEPARENT: traceparent})


def span(name, kind="internal", parent=None, attributes=None):
    """A context manager: a span (current inside the block) whose parent is
    the `parent` traceparent, else the current span; a no-op when off."""
    tracer = _state["tracer"]
    if tracer is None:
        return _NOOP
    return tracer.start_as_current_span(name, context=_parent_context(parent),
                                        kind=_kind(kind), attributes=attributes)


def start(name, kind="internal", parent=None, attributes=None):
    """A span made current until `finish(handle)` (for work whose start and
    end are in different hooks, like a nameko worker's setup and result);
    None when off."""
    tracer = _state["tracer"]
    if tracer is None:
        return None
    trace, otel_context, _ = _state["api"]
    started = tracer.start_span(name, context=_parent_context(parent), kind=_kind(kind),
                                attributes=attributes)
    token = otel_context.attach(trace.set_span_in_context(started))
    return started, token


def finish(handle, error=None, status_text=None):
    if handle is None:
        return
    started, token = handle
    trace, otel_context, _ = _state["api"]
    if error is not None:
        started.record_exception(error)
        started.set_status(trace.Status(trace.StatusCode.ERROR, status_text or type(error).__name__))
    elif status_text:
        started.set_status(trace.Status(trace.StatusCode.ERROR, status_text))
    started.end()
    try:
        otel_context.detach(token)
    except Exception:  # detached in another context: the span is ended anyway
        pass


def set_attributes(**attributes):
    if _state["tracer"] is None:
        return
    current = _state["api"][0].get_current_span()
    for key, value in attributes.items():
        if value is not None:
            current.set_attribute(key, value)


def current_traceparent():
    """The current span's W3C traceparent, or None (off, or no span)."""
    if _state["tracer"] is None:
        return None
    carrier = {}
    _state["api"][2].inject(carrier)
    return carrier.get(TRACEPARENT)
