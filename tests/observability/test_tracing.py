"""OpenTelemetry spans, with the SDK's in-memory exporter: one complaint
makes one trace from the HTTP request through the RPC to the event its
consumer handles; the PMOC call has its span and sends its context."""
import uuid

import pytest
import requests

from services.common import tracing
from services.complaints.pmoc_sim import PmocSimulator
from services.complaints.service import ComplaintsService
from services.gateway.service import GatewayService
from services.registry.service import RegistryService
from services.reporting.service import ReportingService
from tests.e2e.test_complaints_flow import FAST, complaint_body
from tests.helpers import wait_for

sdk = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind  # noqa: E402


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = sdk.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    yield exporter
    tracing.uninstall()


def test_a_complaint_is_one_trace_from_http_to_its_consumer_and_pmoc(spans, runner_factory,
                                                                     config):
    with PmocSimulator() as pmoc:
        runner = runner_factory(dict(config, PMOC_URL=pmoc.url, **FAST), RegistryService,
                                ComplaintsService, ReportingService, GatewayService)
        runner.start()
        parent_trace = "{:032x}".format(uuid.uuid4().int)
        filed = requests.post(
            "http://{}/api/v1/complaints".format(config["WEB_SERVER_ADDRESS"]),
            json=complaint_body(), timeout=30,
            headers={"traceparent": "00-{}-{:016x}-01".format(parent_trace, 7)})
        assert filed.status_code == 201, filed.text

        def named(name):
            return [s for s in spans.get_finished_spans() if s.name == name]
        assert wait_for(lambda: named("event reporting.on_complaint_filed")
                        and named("PMOC submit"), timeout=30)
        received = [h for r in pmoc.snapshot()["requests"] for h in r["received_headers"]]

    server = named("HTTP POST")[0]
    route = named("http gateway.file_complaint")[0]
    client = [s for s in named("rpc complaints.file_complaint") if s.kind == SpanKind.CLIENT][0]
    handled = [s for s in named("rpc complaints.file_complaint") if s.kind == SpanKind.SERVER][0]
    consumer = named("event reporting.on_complaint_filed")[0]
    # the caller's trace continues through every hop, each the child of the one before
    trace_id = int(parent_trace, 16)
    for span in (server, route, client, handled, consumer):
        assert span.context.trace_id == trace_id, span.name
    assert server.parent.span_id == 7
    assert route.parent.span_id == server.context.span_id
    assert handled.parent.span_id == client.context.span_id
    assert consumer.kind == SpanKind.CONSUMER
    assert server.attributes["http.route"] == "/api/v1/complaints"
    assert server.attributes["http.response.status_code"] == 201
    # the relay's call to PMOC: a client span whose context PMOC received
    pmoc_span = named("PMOC submit")[0]
    assert pmoc_span.kind == SpanKind.CLIENT
    assert pmoc_span.attributes["http.response.status_code"] == 201
    assert any(h.get("traceparent", "").split("-")[1:3] == [
        "{:032x}".format(pmoc_span.context.trace_id), "{:016x}".format(pmoc_span.context.span_id)]
        for h in received), received
    assert named("publish complaint_filed")[0].kind == SpanKind.PRODUCER
