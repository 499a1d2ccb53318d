"""Gateway routes of the geo service: nearby, map box, polygon, resync."""
from nameko.rpc import RpcProxy

from services.common.errors import NotFound, validation_error
from services.gateway.http import json_response, query_dict
from services.gateway.entrypoint import route
from services.geo import schemas as geo_schemas
from services.common.schemas import load


class GeoRoutes:
    geo = RpcProxy("geo")

    @route("GET", "/api/v1/service-points/nearby", tag="geo", query=geo_schemas.NearbyQuery,
           summary="The k nearest open points (great-circle), optionally offering a service, "
                   "Zero Copy only")
    def nearby(self, request):
        query = load(geo_schemas.NearbyQuery, query_dict(request))
        self._require_catalogue_code(query)
        return json_response(self._call(self.geo, "nearby", query))

    @route("GET", "/api/v1/service-points/bbox", tag="geo", query=geo_schemas.BboxQuery,
           summary="Open points in a bounding box, paged (map view)")
    def in_bbox(self, request):
        query = load(geo_schemas.BboxQuery, query_dict(request))
        self._require_catalogue_code(query)
        # the map asks again on every pan: a minute of caching spares phones
        return json_response(self._call(self.geo, "within_bbox", query),
                             headers={"Cache-Control": "public, max-age=60"})

    @route("POST", "/api/v1/service-points/within", tag="geo", body=geo_schemas.PolygonQuery,
           summary="Open points inside a GeoJSON polygon")
    def in_polygon(self, request):
        query = self._body(request, geo_schemas.PolygonQuery)
        self._require_catalogue_code(query)
        return json_response(self._call(self.geo, "within_polygon", query))

    @route("POST", "/api/v1/admin/geo/resync", tag="geo", auth=True,
           summary="Resynchronise geo from the registry (administrator)")
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

