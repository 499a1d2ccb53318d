"""The gateway's error boundary (services/gateway/entrypoint.py): every route
goes through it, and what a route raises reaches the caller as the JSON
error body, never nameko's plain-text 500. A web-only nameko container (no
broker) serves a few routes that fail on purpose."""
import inspect
import logging
import os

import pytest
import requests
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler

from services.common.config import nameko_config
from services.common.errors import Busy, NotFound, Unauthorized
from services.common.metrics import ENTRYPOINT_CALLS, Metrics
from services.gateway.entrypoint import Route, route
from services.gateway.http import json_response
from services.gateway.routes_complaints import open311_errors
from services.gateway.service import GatewayService


class Failing:
    name = "gateway"
    metrics = Metrics()

    @route("GET", "/api/v1/boom")
    def boom(self, request):
        raise KeyError("secret internals")

    @route("GET", "/api/v1/busy")
    def busy(self, request):
        raise Busy("Busy; try again.", {"retry_after_seconds": 3}, code="HASHING_BUSY")

    @route("GET", "/api/v1/locked")
    def locked(self, request):
        raise Unauthorized("Log in first.", code="MISSING_TOKEN")

    @route("GET", "/api/v1/not-a-response")
    def not_a_response(self, request):
        return {"a": "dict"}  # nameko refuses it after the worker: still JSON

    @route("GET", "/api/v1/fine")
    def fine(self, request):
        return json_response({"ok": True})

    @route("GET", "/open311/v2/boom.json", errors=open311_errors)
    def open311_boom(self, request):
        raise ZeroDivisionError()

    @route("GET", "/open311/v2/missing.json", errors=open311_errors)
    def open311_missing(self, request):
        raise NotFound("No such request.")


@pytest.fixture
def failing(container_factory, web_config):
    config = nameko_config(dict(os.environ))
    config.update(web_config)
    container = container_factory(Failing, config)
    container.start()
    return container


@pytest.fixture
def base(failing, web_config):
    return "http://" + web_config["WEB_SERVER_ADDRESS"]


def calls(entrypoint, outcome):
    return ENTRYPOINT_CALLS.labels("gateway", entrypoint, outcome)._value.get()


def test_an_unexpected_exception_is_a_json_500_with_the_error_body_and_is_logged(base, caplog):
    before = calls("boom", "error")
    with caplog.at_level(logging.ERROR, logger="services.gateway.entrypoint"):
        answer = requests.get(base + "/api/v1/boom", headers={"X-Request-ID": "req-boom-1"},
                              timeout=10)
    assert answer.status_code == 500
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["error"] == "INTERNAL" and body["details"] == {}
    assert body["message"].startswith("Something went wrong") and body["message_th"]
    assert "secret internals" not in answer.text and "KeyError" not in answer.text
    assert answer.headers["X-Request-ID"] == "req-boom-1"
    assert calls("boom", "error") == before + 1  # counted as our error, as before
    logged = [r for r in caplog.records if "unhandled error in boom" in r.getMessage()]
    assert logged and logged[0].exc_info[0] is KeyError  # with its traceback


def test_expected_errors_keep_their_status_body_and_headers(base):
    before = calls("locked", "rejected")
    busy = requests.get(base + "/api/v1/busy", timeout=10)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "3"
    assert busy.json()["error"] == "HASHING_BUSY"
    assert busy.json()["details"] == {"retry_after_seconds": 3}
    locked = requests.get(base + "/api/v1/locked", timeout=10)
    assert locked.status_code == 401 and locked.headers["WWW-Authenticate"] == 'Bearer realm="cfz"'
    assert locked.json()["error"] == "MISSING_TOKEN" and locked.json()["message_th"]
    assert calls("locked", "rejected") == before + 1  # a 4xx is a rejection, not a crash
    assert requests.get(base + "/api/v1/fine", timeout=10).json() == {"ok": True}


def test_what_escapes_the_worker_is_json_too(base):
    answer = requests.get(base + "/api/v1/not-a-response", timeout=10)
    assert answer.status_code == 500 and answer.json()["error"] == "INTERNAL"


def test_a_request_while_the_process_stops_is_a_503_to_retry_not_a_500(failing, base):
    # nameko's own flag while it kills the container (a service died, or a
    # second signal): it refuses every new worker with ContainerBeingKilled,
    # and for a second or so the web server still accepts connections
    failing._being_killed = True
    try:
        answer = requests.get(base + "/api/v1/fine", timeout=10)
    finally:
        failing._being_killed = False
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
    assert answer.json()["error"] == "SHUTTING_DOWN"
    assert answer.json()["message_th"].startswith("ระบบกำลังเริ่มทำงานใหม่")


def test_open311_routes_answer_the_spec_error_array(base):
    boom = requests.get(base + "/open311/v2/boom.json", timeout=10)
    assert boom.status_code == 500 and boom.json()[0]["code"] == 500
    missing = requests.get(base + "/open311/v2/missing.json", timeout=10)
    assert missing.status_code == 404 and missing.json()[0]["description"] == "No such request."


def gateway_entrypoints():
    for name, handler in inspect.getmembers(GatewayService, inspect.isfunction):
        for entrypoint in getattr(handler, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpRequestHandler):
                yield name, handler, entrypoint


def test_every_gateway_route_is_bound_through_the_route_entrypoint():
    found = list(gateway_entrypoints())
    assert len(found) > 80  # every API route, page and file
    not_routes = [name for name, _, entrypoint in found if type(entrypoint) is not Route]
    assert not_routes == []
    # and each was declared with `route`, which wraps the handler in the
    # boundary of its own error format
    unbounded = [name for name, handler, entrypoint in found
                 if getattr(handler, "error_boundary", None) is not entrypoint.errors]
    assert unbounded == []
