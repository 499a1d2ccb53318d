"""gateway: the only service with HTTP entrypoints.

It checks input at the edge with the owning service's schemas, verifies
bearer tokens, calls RPC with a bounded wait and maps errors to HTTP.
"""
import mimetypes
import os
import re

import eventlet
from nameko.dependency_providers import Config
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Response

from services.common import auth, rpc
from services.common.config import get_float, get_int
from services.common.errors import Forbidden, NotFound, ServiceUnavailable, validation_error
from services.common.metrics import Metrics
from services.gateway import openapi
from services.gateway.http import api, bearer_token, json_response, query_dict, read_json
from services.geo import schemas as geo_schemas
from services.registry import schemas

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")
# Services /readyz expects to answer; grows as services are added.
READY_SERVICES = ("registry", "geo")
READY_TIMEOUT = 2.0


def _leaflet_dir():
    import xstatic.pkg.leaflet as leaflet
    return leaflet.BASE_DIR


class GatewayService:
    name = "gateway"

    registry = RpcProxy("registry")
    geo = RpcProxy("geo")
    config = Config()
    metrics = Metrics()

    # --- helpers -----------------------------------------------------------
    def _call(self, proxy, method, *args, **kwargs):
        return rpc.call(proxy, method, *args,
                        timeout=get_float(self.config, "CFZ_RPC_TIMEOUT"), **kwargs)

    def _body(self, request, schema_cls):
        data = read_json(request, get_int(self.config, "CFZ_MAX_BODY_BYTES"))
        return schemas.load(schema_cls, data)

    def _token(self, request):
        """The caller's bearer token, checked here so a bad token is a 401
        before any body is read; the owning service checks it again."""
        token = bearer_token(request)
        auth.verify_token(self.config["CFZ_JWT_SECRET"], token)
        return token

    # --- health ------------------------------------------------------------
    @http("GET", "/healthz")
    def healthz(self, request):
        return json_response({"status": "ok"})

    @http("GET", "/readyz")
    @api
    def readyz(self, request):
        proxies = {"registry": self.registry, "geo": self.geo}
        pending = {}
        status = {}
        for name in READY_SERVICES:
            try:
                pending[name] = proxies[name].health.call_async()
            except UnknownService:
                status[name] = "not running"
        for name, reply in pending.items():
            status[name] = "timeout"
            with eventlet.Timeout(READY_TIMEOUT, False):
                reply.result()
                status[name] = "ok"
        if any(v != "ok" for v in status.values()):
            raise ServiceUnavailable("Some services do not answer.", {"services": status},
                                     code="NOT_READY")
        return json_response({"status": "ready", "services": status})

    @http("GET", "/api/v1/openapi.json")
    def openapi_document(self, request):
        return json_response(openapi.document())

    # --- agencies, accounts, tokens ---------------------------------------
    @http("POST", "/api/v1/agencies")
    @api
    def register_agency(self, request):
        data = self._body(request, schemas.AgencyRegistration)
        return json_response(self._call(self.registry, "register_agency", data), 201)

    @http("GET", "/api/v1/admin/agencies")
    @api
    def list_agencies(self, request):
        token = self._token(request)
        query = schemas.load(schemas.AgencyQuery, query_dict(request))
        return json_response({"results": self._call(self.registry, "list_agencies", token,
                                                    query.get("status"))})

    @http("POST", "/api/v1/admin/agencies/<string:agency_id>/approve")
    @api
    def approve_agency(self, request, agency_id):
        token = self._token(request)
        return json_response(self._call(self.registry, "approve_agency", token, agency_id))

    @http("POST", "/api/v1/agencies/<string:agency_id>/officers")
    @api
    def add_officer(self, request, agency_id):
        token = self._token(request)
        data = self._body(request, schemas.OfficerCreate)
        return json_response(self._call(self.registry, "add_officer", token, agency_id, data), 201)

    @http("POST", "/api/v1/auth/token")
    @api
    def token(self, request):
        data = self._body(request, schemas.TokenRequest)
        return json_response(self._call(self.registry, "authenticate",
                                        data["username"], data["password"]))

    # --- service points ----------------------------------------------------
    @http("POST", "/api/v1/service-points")
    @api
    def create_service_point(self, request):
        token = self._token(request)
        data = read_json(request, get_int(self.config, "CFZ_MAX_BODY_BYTES"))
        agency_id = data.pop("agency_id", None)  # administrators name the agency
        if agency_id is not None and not (isinstance(agency_id, str)
                                          and re.fullmatch(schemas.ID_PATTERN, agency_id)):
            raise validation_error({"agency_id": ["Not an agency id."]})
        data = schemas.load(schemas.ServicePointCreate, data)
        point = self._call(self.registry, "create_service_point", token, data, agency_id)
        return json_response(point, 201, {"Location": "/api/v1/service-points/" + point["id"]})

    @http("GET", "/api/v1/service-points")
    @api
    def list_service_points(self, request):
        query = schemas.load(schemas.ServicePointQuery, query_dict(request))
        return json_response(self._call(self.registry, "list_service_points", query))

    @http("GET", "/api/v1/service-points/nearby")
    @api
    def nearby(self, request):
        query = schemas.load(geo_schemas.NearbyQuery, query_dict(request))
        self._require_catalogue_code(query)
        return json_response(self._call(self.geo, "nearby", query))

    @http("GET", "/api/v1/service-points/bbox")
    @api
    def in_bbox(self, request):
        query = schemas.load(geo_schemas.BboxQuery, query_dict(request))
        self._require_catalogue_code(query)
        return json_response(self._call(self.geo, "within_bbox", query))

    @http("POST", "/api/v1/service-points/within")
    @api
    def in_polygon(self, request):
        query = self._body(request, geo_schemas.PolygonQuery)
        self._require_catalogue_code(query)
        return json_response(self._call(self.geo, "within_polygon", query))

    @http("POST", "/api/v1/admin/geo/resync")
    @api
    def geo_resync(self, request):
        claims = auth.verify_token(self.config["CFZ_JWT_SECRET"], bearer_token(request))
        if claims.get("role") != "admin":
            raise Forbidden("Only a system administrator may do this.")
        return json_response(self._call(self.geo, "resync"))

    def _require_catalogue_code(self, query):
        """Unknown service codes are the caller's mistake (400), not an
        empty result."""
        code = query.get("service_code")
        if code:
            try:
                self._call(self.registry, "get_catalogue_entry", code)
            except NotFound:
                raise validation_error({"service_code": [
                    "Not in the Citizen's Manual catalogue (see /api/v1/services)."]})

    @http("GET", "/api/v1/service-points/<string:point_id>")
    @api
    def get_service_point(self, request, point_id):
        return json_response(self._call(self.registry, "get_service_point", point_id))

    @http("PATCH", "/api/v1/service-points/<string:point_id>")
    @api
    def update_service_point(self, request, point_id):
        token = self._token(request)
        data = self._body(request, schemas.ServicePointUpdate)
        return json_response(self._call(self.registry, "update_service_point",
                                        token, point_id, data))

    @http("DELETE", "/api/v1/service-points/<string:point_id>")
    @api
    def close_service_point(self, request, point_id):
        token = self._token(request)
        return json_response(self._call(self.registry, "close_service_point", token, point_id))

    @http("PUT", "/api/v1/service-points/<string:point_id>/services")
    @api
    def set_services(self, request, point_id):
        token = self._token(request)
        data = self._body(request, schemas.ServicesDeclaration)
        return json_response(self._call(self.registry, "set_services", token, point_id, data))

    @http("GET", "/api/v1/service-points/<string:point_id>/services")
    @api
    def get_services(self, request, point_id):
        point = self._call(self.registry, "get_service_point", point_id)
        return json_response({"id": point["id"], "services": point["services"],
                              "surveyed": point["surveyed"], "zero_copy": point["zero_copy"]})

    @http("GET", "/api/v1/rollout")
    @api
    def rollout(self, request):
        query = schemas.load(schemas.CoverageQuery, query_dict(request))
        return json_response(self._call(self.registry, "coverage", query["group_by"]))

    # --- Citizen's Manual catalogue ---------------------------------------
    @http("GET", "/api/v1/services")
    @api
    def search_catalogue(self, request):
        query = schemas.load(schemas.CatalogueQuery, query_dict(request))
        return json_response(self._call(self.registry, "search_catalogue",
                                        query["q"], query["limit"]))

    @http("GET", "/api/v1/services/<string:service_code>")
    @api
    def get_catalogue_entry(self, request, service_code):
        return json_response(self._call(self.registry, "get_catalogue_entry", service_code))

    @http("POST", "/api/v1/admin/catalogue")
    @api
    def import_catalogue(self, request):
        token = self._token(request)
        # a whole catalogue is larger than an ordinary request
        data = read_json(request, 64 * get_int(self.config, "CFZ_MAX_BODY_BYTES"))
        schemas.load(schemas.CatalogueImport, data)
        return json_response(self._call(self.registry, "import_catalogue", token, data))

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

    @http("GET", "/static/<path:path>")
    def static(self, request, path):
        return self._file(STATIC_DIR, path)

    @http("GET", "/vendor/leaflet/<path:path>")
    def leaflet(self, request, path):
        return self._file(_leaflet_dir(), path)

    def _file(self, base, path):
        full = os.path.realpath(os.path.join(base, path))
        if not full.startswith(os.path.realpath(base) + os.sep) or not os.path.isfile(full):
            return Response("Not found", status=404, mimetype="text/plain")
        with open(full, "rb") as f:
            body = f.read()
        mimetype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        return Response(body, mimetype=mimetype,
                        headers={"Cache-Control": "public, max-age=300"})
