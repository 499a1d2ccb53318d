"""gateway: the only service with HTTP entrypoints.

It checks input at the edge with the owning service's schemas, verifies
bearer tokens, calls RPC with a bounded wait and maps errors to HTTP. The
routes of each backing service live in their own module (routes_*.py) as a
mixin; this class puts them together with health, OpenAPI and the web UI.
"""
import html
import os
from types import SimpleNamespace

import eventlet
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.common import rpc
from services.common.errors import NotFound, ServiceUnavailable
from services.gateway import openapi
from services.gateway.base import GatewayBase
from services.gateway.http import api, json_response
from services.gateway.routes_complaints import ComplaintsRoutes
from services.gateway.routes_feedback import FeedbackRoutes
from services.gateway.routes_geo import GeoRoutes
from services.gateway.routes_opendata import OpenDataRoutes
from services.gateway.routes_registry import RegistryRoutes
from services.gateway.routes_reporting import ReportingRoutes
from services.gateway.static_files import StaticFiles
from services.gateway.webserver import http

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")
READY_TIMEOUT = 2.0


def _leaflet_dir():
    import xstatic.pkg.leaflet as leaflet
    return leaflet.BASE_DIR


class WebFiles(DependencyProvider):
    """The web app's files and Leaflet's, read once per process."""

    def setup(self):
        config = self.container.config
        substitutions = {"CFZ_TILE_URL": html.escape(config["CFZ_TILE_URL"]),
                         "CFZ_TILE_ATTRIBUTION": html.escape(config["CFZ_TILE_ATTRIBUTION"])}
        self.files = SimpleNamespace(app=StaticFiles(STATIC_DIR, substitutions),
                                     leaflet=StaticFiles(_leaflet_dir(), max_age=86400))

    def get_dependency(self, worker_ctx):
        return self.files


class GatewayService(RegistryRoutes, GeoRoutes, FeedbackRoutes, ComplaintsRoutes, ReportingRoutes,
                     OpenDataRoutes, GatewayBase):
    name = "gateway"
    web = WebFiles()

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
            except rpc.BROKER_ERRORS:
                status[service] = "broker unreachable"
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

    # --- web app: every page has its own address (shareable on LINE) -------
    @http("GET", "/")
    def index(self, request):
        return self.web.app.response(request, "index.html")

    @http("GET", "/services/<string:code>")
    def service_page(self, request, code):
        """A Citizen's Manual entry and the nearest points offering it."""
        return self.web.app.response(request, "service.html")

    @http("GET", "/points/<string:point_id>")
    def point_page(self, request, point_id):
        return self.web.app.response(request, "point.html")

    @http("GET", "/feedback")
    def feedback_form(self, request):
        """The rating form a counter's QR code or a point page opens."""
        return self.web.app.response(request, "feedback.html")

    @http("GET", "/complaints/new")
    def complaint_form(self, request):
        return self.web.app.response(request, "complaint.html")

    @http("GET", "/track")
    def track_form(self, request):
        return self.web.app.response(request, "track.html")

    @http("GET", "/track/<string:tracking_code>")
    def track_page(self, request, tracking_code):
        return self.web.app.response(request, "track.html")

    @http("GET", "/officer")
    def officer_home(self, request):
        """The officer app: one page script, one address per view."""
        return self.web.app.response(request, "officer.html")

    @http("GET", "/officer/<path:view>")
    def officer_view(self, request, view):
        return self.web.app.response(request, "officer.html")

    @http("GET", "/dashboard")
    def dashboard(self, request):
        """Executives' dashboard over the report endpoints."""
        return self.web.app.response(request, "dashboard.html")

    @http("GET", "/sw.js")
    def service_worker(self, request):
        # at the root, so it may keep every page of the app for offline use
        response = self.web.app.response(request, "sw.js")
        response.headers["Cache-Control"] = "no-cache"
        return response

    @http("GET", "/manifest.webmanifest")
    def manifest(self, request):
        return self.web.app.response(request, "manifest.webmanifest")

    @http("GET", "/static/<path:path>")
    def static(self, request, path):
        return self.web.app.response(request, path)

    @http("GET", "/vendor/leaflet/<path:path>")
    def leaflet(self, request, path):
        return self.web.leaflet.response(request, path)


def backing_services():
    """attribute name -> service name, for every RpcProxy of the gateway."""
    return {name: value.target_service for name, value in vars_of(GatewayService).items()
            if isinstance(value, RpcProxy)}


def vars_of(cls):
    found = {}
    for klass in reversed(cls.__mro__):
        found.update(vars(klass))
    return found
