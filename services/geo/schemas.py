"""Query schemas of the geo service (the gateway validates with them too)."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.common.fields import ProvinceCode, QueryFloat, QueryInteger
from services.common.schemas import ID_PATTERN, SERVICE_CODE_PATTERN

MAX_K = 100
MAX_PAGE = 1000


class QueryBoolean(fields.Boolean):
    truthy = {"true", "1", True}
    falsy = {"false", "0", False}
    default_error_messages = {"invalid": "Must be true or false."}


class Filters(Schema):
    class Meta:
        unknown = RAISE

    service_code = fields.String(validate=validate.Regexp(
        SERVICE_CODE_PATTERN, error="Not a service code (e.g. DOPA-ID-NEW)."))
    zero_copy = QueryBoolean(load_default=False)
    agency_id = fields.String(validate=validate.Regexp(ID_PATTERN))
    province_code = ProvinceCode()


class NearbyQuery(Filters):
    lat = QueryFloat(required=True, validate=validate.Range(min=-90, max=90))
    lon = QueryFloat(required=True, validate=validate.Range(min=-180, max=180))
    k = QueryInteger(load_default=10, validate=validate.Range(min=1, max=MAX_K))
    radius_km = QueryFloat(validate=validate.Range(min=0, max=2000, min_inclusive=False))


class BboxQuery(Filters):
    south = QueryFloat(required=True, validate=validate.Range(min=-90, max=90))
    west = QueryFloat(required=True, validate=validate.Range(min=-180, max=180))
    north = QueryFloat(required=True, validate=validate.Range(min=-90, max=90))
    east = QueryFloat(required=True, validate=validate.Range(min=-180, max=180))
    limit = QueryInteger(load_default=500, validate=validate.Range(min=1, max=MAX_PAGE))
    offset = QueryInteger(load_default=0, validate=validate.Range(min=0, max=10_000_000))

    @validates_schema
    def ordered(self, data, **kwargs):
        errors = {}
        if "south" in data and "north" in data and data["south"] > data["north"]:
            errors["north"] = ["Must not be south of `south`."]
        if "west" in data and "east" in data and data["west"] > data["east"]:
            errors["east"] = ["Must not be west of `west` (boxes across the 180th meridian "
                              "are not supported)."]
        if errors:
            raise ValidationError(errors)


class Position(fields.List):
    """A GeoJSON position [lon, lat]."""

    def __init__(self, **kwargs):
        # [lon, lat]: OpenAPI 3.0 cannot bound each place, so both within -180..180
        super().__init__(fields.Float(allow_nan=False, metadata={"minimum": -180, "maximum": 180}),
                         validate=validate.Length(min=2, max=2), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list) and any(isinstance(v, bool) or not isinstance(v, (int, float))
                                           for v in value):
            raise ValidationError("Each position is [lon, lat] in numbers.")
        position = super()._deserialize(value, attr, data, **kwargs)
        if len(position) != 2:  # the Length validator runs only after this method
            raise ValidationError("Each position is [lon, lat]: two numbers.")
        if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
            raise ValidationError("Longitude within -180..180, latitude within -90..90.")
        return position


class PolygonQuery(Schema):
    """A GeoJSON Polygon (outer ring, optional holes) and filters."""
    class Meta:
        unknown = RAISE

    type = fields.String(required=True, validate=validate.Equal("Polygon", error="Must be \"Polygon\"."))
    coordinates = fields.List(fields.List(Position(), validate=validate.Length(min=4, max=5000)),
                              required=True, validate=validate.Length(min=1, max=50))
    service_code = fields.String(validate=validate.Regexp(SERVICE_CODE_PATTERN))
    zero_copy = fields.Boolean(load_default=False)
    agency_id = fields.String(validate=validate.Regexp(ID_PATTERN))
    province_code = ProvinceCode()
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=5000), strict=True)

    @validates_schema
    def valid_polygon(self, data, **kwargs):
        from shapely.geometry import Polygon
        rings = data.get("coordinates")
        if not rings:
            return
        if any(ring[0] != ring[-1] for ring in rings):
            raise ValidationError("Each ring must end where it starts.", "coordinates")
        polygon = Polygon(rings[0], rings[1:])
        if not polygon.is_valid or polygon.area == 0:
            raise ValidationError("The polygon is not valid (self-intersecting or empty).",
                                  "coordinates")
