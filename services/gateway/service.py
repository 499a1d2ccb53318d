"""gateway: the only service with HTTP entrypoints.

It checks input at the edge with the owning service's schemas, verifies
bearer tokens, calls RPC with a bounded wait and maps errors to HTTP. The
routes of each backing service live in their own module (routes_*.py) as a
mixin; this class puts them together with health, OpenAPI and the web UI.
"""
import mimetypes
import os

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.common.errors import NotFound, ServiceUnavailable
from services.gateway import openapi
from services.gateway.base import GatewayBase
from services.gateway.http import api, json_response
from services.gateway.routes_complaints import ComplaintsRoutes
from services.gateway.routes_feedback import FeedbackRoutes
from services.gateway.routes_geo import GeoRoutes
from services.gateway.routes_registry import RegistryRoutes
from services.gateway.routes_reporting import ReportingRoutes
from services.gateway.webserver import http

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")
READY_TIMEOUT = 2.0


def _leaflet_dir():
    import xstatic.pkg.leaflet as leaflet
    return leaflet.BASE_DIR


class GatewayService(RegistryRoutes, GeoRoutes, FeedbackRoutes, ComplaintsRoutes, ReportingRoutes,
                     GatewayBase):
    name = "gateway"

    # --- health ------------------------------------------------------------
    @http("GET", "/healthz")
    def healthz(self, request):
        return json_response({"status": "ok"})

    @http("GET", "/readyz")
    @api
    def readyz(self, request):
        """Every service the gateway calls must answer its health RPC."""
        pending = {}
        status = {}
        for attribute, service in backing_services().items():
            try:
                pending[service] = getattr(self, attribute).health.call_async()
            except UnknownService:
                status[service] = "not running"
        for service, reply in pending.items():
            status[service] = "timeout"
            with eventlet.Timeout(READY_TIMEOUT, False):
                reply.result()
                status[service] = "ok"
        if any(v != "ok" for v in status.values()):
            raise ServiceUnavailable("Some services do not answer.", {"services": status},
                                     code="NOT_READY")
        return json_response({"status": "ready", "services": status})

    @http("GET", "/api/v1/openapi.json")
    def openapi_document(self, request):
        return json_response(openapi.document())

    # --- anything else under /api is a JSON 404 ---------------------------
    @http("GET,POST,PUT,PATCH,DELETE", "/api/<path:rest>")
    @api
    def unknown(self, request, rest):
        raise NotFound("No endpoint {} /api/{}.".format(request.method, rest),
                       code="NO_SUCH_ENDPOINT")

    # --- web UI ------------------------------------------------------------
    @http("GET", "/")
    def index(self, request):
        return self._file(STATIC_DIR, "index.html")

    @http("GET", "/feedback")
    def feedback_form(self, request):
        """The form a counter's QR code opens."""
        return self._file(STATIC_DIR, "feedback.html")

    @http("GET", "/dashboard")
    def dashboard(self, request):
        """Executives' dashboard over the report endpoints."""
        return self._file(STATIC_DIR, "dashboard.html")

    @http("GET", "/static/<path:path>")
    def static(self, request, path):
        return self._file(STATIC_DIR, path)

    @http("GET", "/vendor/leaflet/<path:path>")
    def leaflet(self, request, path):
        return self._file(_leaflet_dir(), path)

    def _file(self, base, path):
        if "\x00" in path:  # the file system refuses it (ValueError): not ours to serve
            return Response("Not found", status=404, mimetype="text/plain")
        full = os.path.realpath(os.path.join(base, path))
        if not full.startswith(os.path.realpath(base) + os.sep) or not os.path.isfile(full):
            return Response("Not found", status=404, mimetype="text/plain")
        with open(full, "rb") as f:
            body = f.read()
        mimetype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        return Response(body, mimetype=mimetype,
                        headers={"Cache-Control": "public, max-age=300"})


def backing_services():
    """attribute name -> service name, for every RpcProxy of the gateway."""
    return {name: value.target_service for name, value in vars_of(GatewayService).items()
            if isinstance(value, RpcProxy)}


def vars_of(cls):
    found = {}
    for klass in reversed(cls.__mro__):
        found.update(vars(klass))
    return found
