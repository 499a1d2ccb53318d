"""The PMOC client against the stand-in over real HTTP on 127.0.0.1, and the
gateway's complaints routes against their OpenAPI operations."""
import inspect

import pytest
import requests

from services.complaints import relay
from services.complaints.pmoc_sim import PmocSimulator

FORM = {"service_code": "OTHER", "lat": "13.75", "long": "100.5", "description": "ทดสอบ"}


@pytest.fixture
def sim():
    simulator = PmocSimulator(api_key="k").start()
    yield simulator
    simulator.stop()


def test_client_and_stand_in_honour_the_idempotency_key(sim):
    client = relay.PmocClient(sim.url, "k", timeout=2)
    first = client.submit(FORM, "cfz-cmp-1")
    assert client.submit(FORM, "cfz-cmp-1") == first
    second = client.submit(FORM, "cfz-cmp-2")
    assert second != first
    snapshot = sim.snapshot()
    assert snapshot["stats"]["stored"] == 2 and snapshot["stats"]["replayed"] == 1
    assert client.statuses([first, second]) == {first: ("open", None), second: ("open", None)}
    sim.set_status(first, "closed", "เสร็จ")
    assert client.statuses([first])[first] == ("closed", "เสร็จ")
    listed = requests.get(sim.url + "/requests.json", params={"service_request_id": first}).json()
    assert listed[0]["service_request_id"] == first


def test_client_classifies_failures(sim):
    with pytest.raises(relay.RelayError) as refused:
        relay.PmocClient(sim.url, "wrong", timeout=2).submit(FORM, "cfz-x")
    assert not refused.value.retryable and "403" in refused.value.reason
    with pytest.raises(relay.RelayError) as bad:
        relay.PmocClient(sim.url, "k", timeout=2).submit({"service_code": "OTHER"}, "cfz-y")
    assert not bad.value.retryable and "400" in bad.value.reason
    sim.set_faults(fail_rate=1.0, fail_status=503)
    with pytest.raises(relay.RelayError) as unavailable:
        relay.PmocClient(sim.url, "k", timeout=2).submit(FORM, "cfz-z")
    assert unavailable.value.retryable and "503" in unavailable.value.reason
    sim.set_faults(timeout_rate=1.0, hang_seconds=1.0)
    with pytest.raises(relay.RelayError) as slow:
        relay.PmocClient(sim.url, "k", timeout=0.2).submit(FORM, "cfz-t")
    assert slow.value.retryable and "timeout" in slow.value.reason
    sim.set_faults()
    # the lost answer's request was stored: a retry finds it, no duplicate
    reference = relay.PmocClient(sim.url, "k", timeout=2).submit(FORM, "cfz-t")
    assert sim.snapshot()["stats"]["stored"] == 1 and reference == "PMOC-0000001"
    sim.stop()
    with pytest.raises(relay.RelayError) as down:
        relay.PmocClient(sim.url, "k", timeout=0.5).submit(FORM, "cfz-d")
    assert down.value.retryable and "connection failed" in down.value.reason
    sim.start()  # the same port again
    assert relay.PmocClient(sim.url, "k", timeout=2).submit(FORM, "cfz-d")


def test_stand_in_control_endpoints(sim):
    assert requests.post(sim.url + "/_sim/faults", json={"fail_rate": 1.0}).json()["fail_rate"] == 1.0
    assert requests.post(sim.url + "/requests.json", data=dict(FORM, api_key="k")).status_code == 500
    requests.post(sim.url + "/_sim/faults", json={})
    created = requests.post(sim.url + "/requests.json", data=dict(FORM, api_key="k"))
    assert created.status_code == 201
    request_id = created.json()[0]["service_request_id"]
    changed = requests.post(sim.url + "/_sim/requests/{}/status".format(request_id),
                            json={"status": "closed"}).json()
    assert changed["status"] == "closed"
    assert requests.get(sim.url + "/_sim/stats").json()["stats"]["failed"] == 1
    assert len(requests.get(sim.url + "/services.json").json()) == 10


def test_openapi_operations_match_the_complaints_routes():
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    from nameko.web.handlers import HttpRequestHandler
    from openapi_spec_validator import validate

    from services.gateway import openapi, routes_complaints
    routes = set()
    for _, method in inspect.getmembers(routes_complaints.ComplaintsRoutes, inspect.isfunction):
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpRequestHandler) and entrypoint.url.startswith("/api/v1"):
                path = entrypoint.url.replace("<string:", "{").replace(">", "}")
                for verb in entrypoint.method.split(","):
                    routes.add((verb.lower(), path))
    document = openapi.document(routes_complaints.ComplaintsRoutes)
    assert routes == {(m, p) for p, ops in document["paths"].items() for m in ops}
    validate(document)
    assert "/api/v1/complaints/{tracking_code}" in document["paths"]
