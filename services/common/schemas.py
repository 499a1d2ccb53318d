"""What every service's input schemas share (plain module): strict schemas,
id and service-code patterns, a location in Thailand, and `load`, which
turns marshmallow's errors into a ValidationFailed with field messages.
Services share these contracts rather than each other's schema modules."""
from marshmallow import RAISE, Schema, ValidationError, validate, validates_schema

from services.common import thai
from services.common.errors import validation_error
from services.common.fields import StrictFloat, with_bounds

SERVICE_CODE_PATTERN = r"^[A-Z][A-Z0-9-]{2,39}$"
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class Location(StrictSchema):
    # the OpenAPI bounds are Thailand's box (thai.LAT_MIN...): what a pin
    # must at least satisfy, so a client can check before it sends; the
    # land/coast test below is finer and stays a 400 with a reason
    lat = with_bounds(StrictFloat(required=True, validate=validate.Range(min=-90, max=90)),
                      minimum=thai.LAT_MIN, maximum=thai.LAT_MAX)
    lon = with_bounds(StrictFloat(required=True, validate=validate.Range(min=-180, max=180)),
                      minimum=thai.LON_MIN, maximum=thai.LON_MAX)

    @validates_schema
    def in_thailand(self, data, **kwargs):
        if "lat" in data and "lon" in data and not thai.in_thailand(data["lat"], data["lon"]):
            raise ValidationError(
                "The pin must lie in Thailand (lat about 5.6-20.5, lon 97.3-105.7, "
                "on Thai land or its coast).", "_schema")


def load(schema_cls, data, partial=False):
    """Validate `data`; ValidationFailed with field messages on any error."""
    if not isinstance(data, dict):
        raise validation_error({"_schema": ["Send a JSON object."]})
    try:
        return schema_cls().load(data, partial=partial)
    except ValidationError as exc:
        raise validation_error(exc.messages)
