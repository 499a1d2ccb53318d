"""Gateway routes of the geo service: nearby, map box, polygon, resync."""
from nameko.rpc import RpcProxy

from services.common.errors import NotFound, validation_error
from services.gateway.http import api, json_response, query_dict
from services.gateway.webserver import http
from services.geo import schemas as geo_schemas
from services.common.schemas import load

OPERATIONS = [
    ("get", "/api/v1/service-points/nearby",
     "The k nearest open points (great-circle), optionally offering a service, Zero Copy only",
     None, geo_schemas.NearbyQuery, False, "geo"),
    ("get", "/api/v1/service-points/bbox", "Open points in a bounding box, paged (map view)",
     None, geo_schemas.BboxQuery, False, "geo"),
    ("post", "/api/v1/service-points/within", "Open points inside a GeoJSON polygon",
     geo_schemas.PolygonQuery, None, False, "geo"),
    ("post", "/api/v1/admin/geo/resync", "Resynchronise geo from the registry (administrator)",
     None, None, True, "geo"),
]
CREATES = set()


class GeoRoutes:
    geo = RpcProxy("geo")

    @http("GET", "/api/v1/service-points/nearby")
    @api
    def nearby(self, request):
        query = load(geo_schemas.NearbyQuery, query_dict(request))
        self._require_catalogue_code(query)
        return json_response(self._call(self.geo, "nearby", query))

    @http("GET", "/api/v1/service-points/bbox")
    @api
    def in_bbox(self, request):
        query = load(geo_schemas.BboxQuery, query_dict(request))
        self._require_catalogue_code(query)
        # the map asks again on every pan: a minute of caching spares phones
        return json_response(self._call(self.geo, "within_bbox", query),
                             headers={"Cache-Control": "public, max-age=60"})

    @http("POST", "/api/v1/service-points/within")
    @api
    def in_polygon(self, request):
        query = self._body(request, geo_schemas.PolygonQuery)
        self._require_catalogue_code(query)
        return json_response(self._call(self.geo, "within_polygon", query))

    @http("POST", "/api/v1/admin/geo/resync")
    @api
    def geo_resync(self, request):
        self._require_admin(request)
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

