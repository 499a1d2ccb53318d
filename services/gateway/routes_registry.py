"""Gateway routes of the registry: agencies, accounts, tokens, service
points, the services they offer, rollout and the catalogue."""
import re

from services.common import thai
from services.common.config import get_int
from services.common.errors import validation_error
from services.common.fields import idempotency_key
from services.gateway.http import api, json_response, query_dict
from services.gateway.webserver import http
from services.registry import schemas

# a whole catalogue is larger than an ordinary request
CATALOGUE_BODY_FACTOR = 64

# (method, path, summary, body schema, query schema, auth, tag) for OpenAPI
OPERATIONS = [
    ("post", "/api/v1/agencies", "Register an agency and its first officer (pending approval)",
     schemas.AgencyRegistration, None, False, "agencies"),
    ("get", "/api/v1/admin/agencies", "List agencies (system administrator)", None,
     schemas.AgencyQuery, True, "agencies"),
    ("post", "/api/v1/admin/agencies/{agency_id}/approve", "Approve an agency (system administrator)",
     None, None, True, "agencies"),
    ("post", "/api/v1/admin/agencies/{agency_id}/reject",
     "Reject a pending registration with a reason its officer is shown (system administrator)",
     schemas.AgencyRejection, None, True, "agencies"),
    ("post", "/api/v1/agencies/{agency_id}/officers", "Add an officer (agency administrator)",
     schemas.OfficerCreate, None, True, "agencies"),
    ("get", "/api/v1/agencies/{agency_id}/officers",
     "The agency's officer accounts (agency administrator)", None, None, True, "agencies"),
    ("get", "/api/v1/agencies/{agency_id}/audit",
     "Who changed the agency's public information, when, before and after, newest first "
     "(agency administrator, system administrator)", None, schemas.AuditQuery, True, "agencies"),
    ("post", "/api/v1/admin/accounts/{account_id}/disable",
     "Disable an account: no more logins, its tokens refused (system administrator, or the "
     "agency administrator for its officers)", None, None, True, "agencies"),
    ("post", "/api/v1/auth/token", "Log in: a bearer token", schemas.TokenRequest, None, False, "auth"),
    ("post", "/api/v1/service-points", "Pin a service point (officer)",
     schemas.ServicePointCreate, None, True, "service points"),
    ("get", "/api/v1/service-points", "List service points", None, schemas.ServicePointQuery, False,
     "service points"),
    ("get", "/api/v1/service-points/{point_id}", "A service point", None, None, False, "service points"),
    ("patch", "/api/v1/service-points/{point_id}", "Change a service point (officer)",
     schemas.ServicePointUpdate, None, True, "service points"),
    ("delete", "/api/v1/service-points/{point_id}", "Close a service point (officer)",
     None, None, True, "service points"),
    ("put", "/api/v1/service-points/{point_id}/services",
     "Declare the services offered and their documents and copies (officer)",
     schemas.ServicesDeclaration, None, True, "service points"),
    ("get", "/api/v1/service-points/{point_id}/services", "Services offered at a point",
     None, None, False, "service points"),
    ("get", "/api/v1/rollout", "Points pinned and surveyed per agency or province",
     None, schemas.CoverageQuery, False, "reports"),
    ("get", "/api/v1/provinces", "The 77 provinces: official code, Thai and English names",
     None, None, False, "catalogue"),
    ("get", "/api/v1/services", "Search the Citizen's Manual catalogue (Thai or English)",
     None, schemas.CatalogueQuery, False, "catalogue"),
    ("get", "/api/v1/services/{service_code}", "A catalogue entry: steps, documents, fee, time, law",
     None, None, False, "catalogue"),
    ("post", "/api/v1/admin/catalogue", "Import catalogue entries (cfz-catalogue/1, administrator)",
     schemas.CatalogueImport, None, True, "catalogue"),
]
# request headers each operation reads, for OpenAPI
HEADERS = {("post", "/api/v1/service-points"): {
    "Idempotency-Key": "Retry safely: a repeat with the same key by the same officer "
                       "answers with the first point (header Idempotent-Replayed: true); "
                       "the same key with another body is 409"}}
CREATES = {("post", "/api/v1/agencies"), ("post", "/api/v1/agencies/{agency_id}/officers"),
           ("post", "/api/v1/service-points")}


class RegistryRoutes:
    # self.registry: the RpcProxy of GatewayBase (tokens are checked with it too)

    @http("POST", "/api/v1/agencies")
    @api
    def register_agency(self, request):
        data = self._body(request, schemas.AgencyRegistration)
        with self.password_slots.slot():
            return json_response(self._call(self.registry, "register_agency", data,
                                            self._client(request)), 201)

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

    @http("POST", "/api/v1/admin/agencies/<string:agency_id>/reject")
    @api
    def reject_agency(self, request, agency_id):
        token = self._token(request)
        data = self._body(request, schemas.AgencyRejection)
        return json_response(self._call(self.registry, "reject_agency", token, agency_id, data))

    @http("GET", "/api/v1/agencies/<string:agency_id>/officers")
    @api
    def list_officers(self, request, agency_id):
        token = self._token(request)
        return json_response({"results": self._call(self.registry, "list_officers",
                                                    token, agency_id)})

    @http("GET", "/api/v1/agencies/<string:agency_id>/audit")
    @api
    def audit_trail(self, request, agency_id):
        token = self._token(request)
        query = schemas.load(schemas.AuditQuery, query_dict(request))
        return json_response(self._call(self.registry, "audit_trail", token, agency_id, query))

    @http("POST", "/api/v1/admin/accounts/<string:account_id>/disable")
    @api
    def disable_account(self, request, account_id):
        token = self._token(request)
        return json_response(self._call(self.registry, "disable_account", token, account_id))

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
        with self.password_slots.slot():
            return json_response(self._call(self.registry, "authenticate", data["username"],
                                            data["password"], self._client(request)))

    # --- service points ----------------------------------------------------
    @http("POST", "/api/v1/service-points")
    @api
    def create_service_point(self, request):
        token = self._token(request)
        key = idempotency_key(request.headers.get("Idempotency-Key"))
        data = self._json(request)
        agency_id = data.pop("agency_id", None)  # administrators name the agency
        if agency_id is not None and not (isinstance(agency_id, str)
                                          and re.fullmatch(schemas.ID_PATTERN, agency_id)):
            raise validation_error({"agency_id": ["Not an agency id."]})
        data = schemas.load(schemas.ServicePointCreate, data)
        point = self._call(self.registry, "create_service_point", token, data, agency_id, key)
        headers = {"Location": "/api/v1/service-points/" + point["id"]}
        if point.pop("replayed", False):
            headers["Idempotent-Replayed"] = "true"
        return json_response(point, 201, headers)

    @http("GET", "/api/v1/service-points")
    @api
    def list_service_points(self, request):
        query = schemas.load(schemas.ServicePointQuery, query_dict(request))
        return json_response(self._call(self.registry, "list_service_points", query))

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
    @http("GET", "/api/v1/provinces")
    @api
    def provinces(self, request):
        """For the officer's form: official codes and names (geothai)."""
        provinces = [thai.province_names(code) for code in thai.province_codes()]
        return json_response({"results": provinces}, headers={"Cache-Control": "public, max-age=86400"})

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

    @http("POST", "/api/v1/admin/catalogue", body_limit_factor=CATALOGUE_BODY_FACTOR)
    @api
    def import_catalogue(self, request):
        token = self._token(request)
        data = self._json(request, CATALOGUE_BODY_FACTOR * get_int(self.config, "CFZ_MAX_BODY_BYTES"))
        schemas.load(schemas.CatalogueImport, data)
        return json_response(self._call(self.registry, "import_catalogue", token, data))

