"""Gateway routes of the registry: agencies, accounts, tokens, service
points, the services they offer, rollout and the catalogue."""
import re

from services.common import thai
from services.common.config import get_int
from services.common.errors import validation_error
from services.common.fields import idempotency_key
from services.gateway.http import json_response, query_dict
from services.gateway.entrypoint import route
from services.registry import schemas

# a whole catalogue is larger than an ordinary request
CATALOGUE_BODY_FACTOR = 64


class RegistryRoutes:
    # self.registry: the RpcProxy of GatewayBase (tokens are checked with it too)

    @route("POST", "/api/v1/agencies", tag="agencies", creates=True,
           body=schemas.AgencyRegistration,
           summary="Register an agency and its first officer (pending approval)")
    def register_agency(self, request):
        data = self._body(request, schemas.AgencyRegistration)
        with self.password_slots.slot():
            return json_response(self._call(self.registry, "register_agency", data,
                                            self._client(request)), 201)

    @route("GET", "/api/v1/admin/agencies", tag="agencies", auth=True, query=schemas.AgencyQuery,
           summary="List agencies (system administrator)")
    def list_agencies(self, request):
        token = self._token(request)
        query = schemas.load(schemas.AgencyQuery, query_dict(request))
        return json_response({"results": self._call(self.registry, "list_agencies", token,
                                                    query.get("status"))})

    @route("POST", "/api/v1/admin/agencies/<string:agency_id>/approve", tag="agencies", auth=True,
           summary="Approve an agency (system administrator)")
    def approve_agency(self, request, agency_id):
        token = self._token(request)
        return json_response(self._call(self.registry, "approve_agency", token, agency_id))

    @route("POST", "/api/v1/admin/agencies/<string:agency_id>/reject", tag="agencies", auth=True,
           body=schemas.AgencyRejection,
           summary="Reject a pending registration with a reason its officer is shown (system "
                   "administrator)")
    def reject_agency(self, request, agency_id):
        token = self._token(request)
        data = self._body(request, schemas.AgencyRejection)
        return json_response(self._call(self.registry, "reject_agency", token, agency_id, data))

    @route("GET", "/api/v1/agencies/<string:agency_id>/officers", tag="agencies", auth=True,
           summary="The agency's officer accounts (agency administrator)")
    def list_officers(self, request, agency_id):
        token = self._token(request)
        return json_response({"results": self._call(self.registry, "list_officers",
                                                    token, agency_id)})

    @route("GET", "/api/v1/agencies/<string:agency_id>/audit", tag="agencies", auth=True,
           query=schemas.AuditQuery,
           summary="Who changed the agency's public information, when, before and after, "
                   "newest first (agency administrator, system administrator)")
    def audit_trail(self, request, agency_id):
        token = self._token(request)
        query = schemas.load(schemas.AuditQuery, query_dict(request))
        return json_response(self._call(self.registry, "audit_trail", token, agency_id, query))

    @route("POST", "/api/v1/admin/accounts/<string:account_id>/disable", tag="agencies", auth=True,
           summary="Disable an account: no more logins, its tokens refused (system "
                   "administrator, or the agency administrator for its officers)")
    def disable_account(self, request, account_id):
        token = self._token(request)
        return json_response(self._call(self.registry, "disable_account", token, account_id))

    @route("POST", "/api/v1/agencies/<string:agency_id>/officers", tag="agencies", auth=True,
           creates=True, body=schemas.OfficerCreate,
           summary="Add an officer (agency administrator)")
    def add_officer(self, request, agency_id):
        token = self._token(request)
        data = self._body(request, schemas.OfficerCreate)
        return json_response(self._call(self.registry, "add_officer", token, agency_id, data), 201)

    @route("POST", "/api/v1/auth/token", tag="auth", body=schemas.TokenRequest,
           summary="Log in: a bearer token")
    def token(self, request):
        data = self._body(request, schemas.TokenRequest)
        with self.password_slots.slot():
            return json_response(self._call(self.registry, "authenticate", data["username"],
                                            data["password"], self._client(request)))

    # --- service points ----------------------------------------------------
    @route("POST", "/api/v1/service-points", tag="service points", auth=True, creates=True,
           body=schemas.ServicePointCreate,
           headers={"Idempotency-Key": "Retry safely: a repeat with the same key by the same "
                                       "officer answers with the first point (header "
                                       "Idempotent-Replayed: true); the same key with another "
                                       "body is 409"},
           summary="Pin a service point (officer)")
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

    @route("GET", "/api/v1/service-points", tag="service points", query=schemas.ServicePointQuery,
           summary="List service points")
    def list_service_points(self, request):
        query = schemas.load(schemas.ServicePointQuery, query_dict(request))
        return json_response(self._call(self.registry, "list_service_points", query))

    @route("GET", "/api/v1/service-points/<string:point_id>", tag="service points",
           summary="A service point")
    def get_service_point(self, request, point_id):
        return json_response(self._call(self.registry, "get_service_point", point_id))

    @route("PATCH", "/api/v1/service-points/<string:point_id>", tag="service points", auth=True,
           body=schemas.ServicePointUpdate, summary="Change a service point (officer)")
    def update_service_point(self, request, point_id):
        token = self._token(request)
        data = self._body(request, schemas.ServicePointUpdate)
        return json_response(self._call(self.registry, "update_service_point",
                                        token, point_id, data))

    @route("DELETE", "/api/v1/service-points/<string:point_id>", tag="service points", auth=True,
           summary="Close a service point (officer)")
    def close_service_point(self, request, point_id):
        token = self._token(request)
        return json_response(self._call(self.registry, "close_service_point", token, point_id))

    @route("PUT", "/api/v1/service-points/<string:point_id>/services", tag="service points",
           auth=True, body=schemas.ServicesDeclaration,
           summary="Declare the services offered and their documents and copies (officer)")
    def set_services(self, request, point_id):
        token = self._token(request)
        data = self._body(request, schemas.ServicesDeclaration)
        return json_response(self._call(self.registry, "set_services", token, point_id, data))

    @route("GET", "/api/v1/service-points/<string:point_id>/services", tag="service points",
           summary="Services offered at a point")
    def get_services(self, request, point_id):
        point = self._call(self.registry, "get_service_point", point_id)
        return json_response({"id": point["id"], "services": point["services"],
                              "surveyed": point["surveyed"], "zero_copy": point["zero_copy"]})

    @route("GET", "/api/v1/rollout", tag="reports", query=schemas.CoverageQuery,
           summary="Points pinned and surveyed per agency or province")
    def rollout(self, request):
        query = schemas.load(schemas.CoverageQuery, query_dict(request))
        return json_response(self._call(self.registry, "coverage", query["group_by"]))

    # --- Citizen's Manual catalogue ---------------------------------------
    @route("GET", "/api/v1/provinces", tag="catalogue",
           summary="The 77 provinces: official code, Thai and English names")
    def provinces(self, request):
        """For the officer's form: official codes and names (geothai)."""
        provinces = [thai.province_names(code) for code in thai.province_codes()]
        return json_response({"results": provinces}, headers={"Cache-Control": "public, max-age=86400"})

    @route("GET", "/api/v1/provinces/at", tag="catalogue", query=schemas.ProvinceAtQuery,
           summary="The province a pin lies in (null when none is near)")
    def province_at(self, request):
        """For the officer's map: the province under the pin, as it moves."""
        query = schemas.load(schemas.ProvinceAtQuery, query_dict(request))
        code = thai.province_at(query["lat"], query["lon"])
        return json_response({"lat": query["lat"], "lon": query["lon"],
                              "province": thai.province_names(code) if code else None},
                             headers={"Cache-Control": "public, max-age=86400"})

    @route("GET", "/api/v1/services", tag="catalogue", query=schemas.CatalogueQuery,
           summary="Search the Citizen's Manual catalogue (Thai or English)")
    def search_catalogue(self, request):
        query = schemas.load(schemas.CatalogueQuery, query_dict(request))
        return json_response(self._call(self.registry, "search_catalogue",
                                        query["q"], query["limit"]))

    @route("GET", "/api/v1/services/<string:service_code>", tag="catalogue",
           summary="A catalogue entry: steps, documents, fee, time, law")
    def get_catalogue_entry(self, request, service_code):
        return json_response(self._call(self.registry, "get_catalogue_entry", service_code))

    @route("POST", "/api/v1/admin/catalogue", body_limit_factor=CATALOGUE_BODY_FACTOR,
           tag="catalogue", auth=True, body=schemas.CatalogueImport,
           summary="Import catalogue entries (cfz-catalogue/1, administrator)")
    def import_catalogue(self, request):
        token = self._token(request)
        data = self._json(request, CATALOGUE_BODY_FACTOR * get_int(self.config, "CFZ_MAX_BODY_BYTES"))
        schemas.load(schemas.CatalogueImport, data)
        return json_response(self._call(self.registry, "import_catalogue", token, data))

