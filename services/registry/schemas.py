"""Input schemas of the registry: used by the gateway at the edge and again by
the registry for RPC callers (one definition, two checks)."""
import re
from datetime import datetime, timedelta, timezone

from marshmallow import (Schema, ValidationError, fields, validate,
                         validates, validates_schema)

from services.common import schemas as common_schemas
from services.common.fields import (IsoDate, ProvinceCode, QueryFloat, QueryInteger, StrictBoolean,
                                    StrictFloat, StrictInteger, Text, ThaiPhone, with_bounds)
from services.common import thai
from services.common.schemas import ID_PATTERN, SERVICE_CODE_PATTERN, Location, StrictSchema

load = common_schemas.load  # the registry's own callers say schemas.load

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,31}$"
MAX_SERVICES_PER_POINT = 100
MAX_DOCUMENTS_PER_SERVICE = 50


class Username(fields.String):
    default_error_messages = {
        "username": "3-32 characters: lower-case letters a-z, digits, dot, dash "
                    "or underscore, starting with a letter or digit."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with_bounds(self, pattern=USERNAME_PATTERN)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(USERNAME_PATTERN, value):
            raise self.make_error("username")
        return value


class Password(fields.String):
    default_error_messages = {
        "length": "Must be 10 to 128 characters.",
        "weak": "Must not be only spaces, nor one repeated character."}
    MIN_LENGTH, MAX_LENGTH = 10, 128

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with_bounds(self, minLength=self.MIN_LENGTH, maxLength=self.MAX_LENGTH)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not self.MIN_LENGTH <= len(value) <= self.MAX_LENGTH:
            raise self.make_error("length")
        if not value.strip() or len(set(value)) == 1:
            raise self.make_error("weak")
        return value


class AgencyRegistration(StrictSchema):
    name_th = Text(required=True, max_length=200)
    name_en = Text(required=True, max_length=200)
    ministry = Text(required=True, max_length=200)
    contact_email = fields.Email(required=True, validate=validate.Length(max=254))
    username = Username(required=True)
    password = Password(required=True)

    @validates_schema
    def password_not_username(self, data, **kwargs):
        if data.get("password") and data.get("password") == data.get("username"):
            raise ValidationError("Must differ from the username.", "password")


class OfficerCreate(StrictSchema):
    username = Username(required=True)
    password = Password(required=True)
    full_name = Text(max_length=200)
    agency_admin = StrictBoolean(load_default=False)


class TokenRequest(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


PIN_METHODS = ("gps", "drag", "typed")
MAX_PIN_ACCURACY_M = 10_000
# a phone's clock may run a little fast; a pin older than a month is not
# "pinned on site" any more, whatever the phone says
PIN_CLOCK_SKEW = timedelta(minutes=5)
PIN_MAX_AGE = timedelta(days=30)


class AwareTimestamp(fields.AwareDateTime):
    """An ISO 8601 date and time with its time zone (a phone's local time
    without an offset cannot be placed on the timeline); loaded as UTC ISO
    text, so the loaded form travels over RPC as it is (like IsoDate)."""
    default_error_messages = {
        "invalid": "Must be an ISO 8601 date and time with a time zone, "
                   "e.g. 2026-03-01T09:30:00+07:00.",
        "invalid_awareness": "Give the time zone, e.g. +07:00 or Z."}
    MAX_LENGTH = 40

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)
        # within the last 30 days (Pin.recent) no pattern can say
        with_bounds(self, maxLength=self.MAX_LENGTH)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > self.MAX_LENGTH:
            raise self.make_error("invalid")
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(timezone.utc).isoformat()


class Pin(StrictSchema):
    """How the officer placed the pin: the phone's GPS fix (with its
    accuracy), a drag on the map, or typed coordinates."""
    method = fields.String(required=True, validate=validate.OneOf(
        PIN_METHODS, error="One of: gps, drag, typed."))
    accuracy_m = StrictFloat(validate=validate.Range(
        min=0, max=MAX_PIN_ACCURACY_M, error="Must be between 0 and 10,000 metres."))
    captured_at = AwareTimestamp()

    @validates("captured_at")
    def recent(self, value, **kwargs):
        now = datetime.now(timezone.utc)
        value = datetime.fromisoformat(value)
        if value > now + PIN_CLOCK_SKEW:
            raise ValidationError("Must not be more than 5 minutes in the future "
                                  "(check the phone's clock).")
        if value < now - PIN_MAX_AGE:
            raise ValidationError("Must be within the last 30 days.")

    @validates_schema
    def gps_has_accuracy(self, data, **kwargs):
        if data.get("method") == "gps" and "accuracy_m" not in data:
            raise ValidationError("Required when method is gps.", "accuracy_m")


class ServicePointFields(StrictSchema):
    name_th = Text(max_length=200)
    name_en = Text(max_length=200)
    address = Text(max_length=500, multiline=True)
    province_code = ProvinceCode()
    location = fields.Nested(Location)
    opening_hours = Text(max_length=200)
    phone = ThaiPhone()
    # how `location` was captured; without it a location counts as typed
    pin = fields.Nested(Pin)


def pin_outside_province(location, province_code):
    """The field message for `location` when the pin cannot belong to
    `province_code`, or None. (The Thai of it is in i18n.)"""
    if not location or not province_code or thai.province(province_code) is None:
        return None
    if thai.pin_fits_province(location["lat"], location["lon"], province_code):
        return None
    chosen = thai.province_names(province_code)
    found = thai.province_at(location["lat"], location["lon"])
    if found is None:
        return "The pin is far from the chosen province {} ({}).".format(
            chosen["name_en"], province_code)
    return "The pin lies in {} ({}), not in the chosen province {} ({}).".format(
        thai.province_names(found)["name_en"], found, chosen["name_en"], province_code)


class ServicePointCreate(ServicePointFields):
    name_th = Text(required=True, max_length=200)
    name_en = Text(required=True, max_length=200)
    address = Text(required=True, max_length=500, multiline=True)
    province_code = ProvinceCode(required=True)
    location = fields.Nested(Location, required=True)

    @validates_schema
    def pin_in_province(self, data, **kwargs):
        message = pin_outside_province(data.get("location"), data.get("province_code"))
        if message:
            raise ValidationError(message, "location")


class ServicePointUpdate(ServicePointFields):
    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")

    @validates_schema
    def pin_with_location(self, data, **kwargs):
        if "pin" in data and "location" not in data:
            raise ValidationError("Send the location this pin is for.", "pin")


class DocumentRequirement(StrictSchema):
    name_th = Text(required=True, max_length=200)
    name_en = Text(max_length=200)
    government_issued = StrictBoolean(required=True)
    copy_required = StrictBoolean(required=True)
    copy_reason = Text(max_length=500, multiline=True)
    copy_planned_end_date = IsoDate()

    @validates_schema
    def copy_justified(self, data, **kwargs):
        if data.get("copy_required"):
            errors = {}
            if not data.get("copy_reason"):
                errors["copy_reason"] = ["Say why a copy is still demanded."]
            if not data.get("copy_planned_end_date"):
                errors["copy_planned_end_date"] = [
                    "Give the date the agency plans to stop demanding the copy."]
            if errors:
                raise ValidationError(errors)
        elif data.get("copy_required") is False:
            for key in ("copy_reason", "copy_planned_end_date"):
                if key in data:
                    raise ValidationError("Only when copy_required is true.", key)


class OfferedServiceInput(StrictSchema):
    service_code = fields.String(
        required=True, validate=validate.Regexp(
            SERVICE_CODE_PATTERN, error="Not a service code (e.g. DOPA-ID-NEW)."))
    # null or absent: offered, but its documents are not declared yet
    documents = fields.List(fields.Nested(DocumentRequirement), allow_none=True,
                            validate=validate.Length(max=MAX_DOCUMENTS_PER_SERVICE))


class ServicesDeclaration(StrictSchema):
    services = fields.List(fields.Nested(OfferedServiceInput), required=True,
                           validate=validate.Length(max=MAX_SERVICES_PER_POINT))

    @validates("services")
    def unique_codes(self, services, **kwargs):
        codes = [s.get("service_code") for s in services if s.get("service_code")]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValidationError("Each service once; repeated: {}.".format(
                ", ".join(duplicates)))


class ServicePointQuery(StrictSchema):
    agency_id = fields.String(validate=validate.Regexp(ID_PATTERN))
    province_code = ProvinceCode()
    status = fields.String(validate=validate.OneOf(["open", "closed", "all"]),
                           load_default="open")
    limit = QueryInteger(validate=validate.Range(min=1, max=200), load_default=50)
    offset = QueryInteger(validate=validate.Range(min=0, max=1_000_000), load_default=0)


class ProvinceAtQuery(Location):
    """?lat=&lon= of a pin on the officer's map: the same bounds and land
    test as a point's location, read from a query string."""
    lat = with_bounds(QueryFloat(required=True, validate=validate.Range(min=-90, max=90)),
                      minimum=thai.LAT_MIN, maximum=thai.LAT_MAX)
    lon = with_bounds(QueryFloat(required=True, validate=validate.Range(min=-180, max=180)),
                      minimum=thai.LON_MIN, maximum=thai.LON_MAX)


class CatalogueQuery(StrictSchema):
    q = Text(max_length=100, allow_blank=True, load_default="")
    limit = QueryInteger(validate=validate.Range(min=1, max=100), load_default=20)


class AgencyQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))


class AuditQuery(StrictSchema):
    limit = QueryInteger(validate=validate.Range(min=1, max=200), load_default=50)
    offset = QueryInteger(validate=validate.Range(min=0, max=1_000_000), load_default=0)


class AgencyRejection(StrictSchema):
    # shown to the agency's officer when they try to log in
    reason = Text(required=True, max_length=500, multiline=True)


class CoverageQuery(StrictSchema):
    group_by = fields.String(validate=validate.OneOf(["agency", "province"]),
                             load_default="province")


# --- catalogue import format (cfz-catalogue/1; see docs/catalogue-format.md) ---
class LegalBasis(StrictSchema):
    name_th = Text(required=True, max_length=300)
    name_en = Text(max_length=300)


class ProcessingTime(StrictSchema):
    amount = StrictFloat(required=True, validate=validate.Range(min=0, max=10000))
    unit = fields.String(required=True, validate=validate.OneOf(
        ["minutes", "hours", "days", "working_days"]))


class CatalogueStep(StrictSchema):
    order = StrictInteger(required=True, validate=validate.Range(min=1, max=100))
    description_th = Text(required=True, max_length=1000, multiline=True)
    description_en = Text(max_length=1000, multiline=True)
    duration_minutes = StrictFloat(validate=validate.Range(min=0, max=100000))


class CatalogueDocument(StrictSchema):
    name_th = Text(required=True, max_length=200)
    name_en = Text(max_length=200)
    government_issued = StrictBoolean(required=True)
    originals = StrictInteger(load_default=1, validate=validate.Range(min=0, max=20))
    copies = StrictInteger(load_default=0, validate=validate.Range(min=0, max=20))
    note_th = Text(max_length=500, allow_blank=True, multiline=True)
    note_en = Text(max_length=500, allow_blank=True, multiline=True)


class CatalogueEntry(StrictSchema):
    service_code = fields.String(required=True, validate=validate.Regexp(
        SERVICE_CODE_PATTERN, error="Not a service code (e.g. DOPA-ID-NEW)."))
    name_th = Text(required=True, max_length=300)
    name_en = Text(required=True, max_length=300)
    description_th = Text(max_length=2000, multiline=True, allow_blank=True)
    description_en = Text(max_length=2000, multiline=True, allow_blank=True)
    responsible_agency_th = Text(required=True, max_length=300)
    responsible_agency_en = Text(max_length=300)
    legal_basis = fields.List(fields.Nested(LegalBasis), load_default=list,
                              validate=validate.Length(max=20))
    fee_baht = StrictFloat(required=True, validate=validate.Range(min=0, max=10_000_000))
    fee_note_th = Text(max_length=500, allow_blank=True, multiline=True)
    fee_note_en = Text(max_length=500, allow_blank=True, multiline=True)
    processing_time = fields.Nested(ProcessingTime, required=True)
    steps = fields.List(fields.Nested(CatalogueStep), required=True,
                        validate=validate.Length(min=1, max=50))
    documents = fields.List(fields.Nested(CatalogueDocument), required=True,
                            validate=validate.Length(max=50))
    keywords_th = fields.List(Text(max_length=100), load_default=list,
                              validate=validate.Length(max=30))
    keywords_en = fields.List(Text(max_length=100), load_default=list,
                              validate=validate.Length(max=30))

    @validates("steps")
    def steps_in_order(self, steps, **kwargs):
        # a step missing its order was refused by its own field already
        if [s.get("order") for s in steps] != list(range(1, len(steps) + 1)):
            raise ValidationError("Steps must be numbered 1, 2, 3, ... in order.")


class CatalogueImport(StrictSchema):
    format = fields.String(required=True, validate=validate.Equal(
        "cfz-catalogue/1", error="Must be \"cfz-catalogue/1\"."))
    source_note_th = Text(max_length=1000, multiline=True, allow_blank=True)
    source_note_en = Text(max_length=1000, multiline=True, allow_blank=True)
    entries = fields.List(fields.Nested(CatalogueEntry), required=True,
                          validate=validate.Length(min=1, max=5000))

    @validates("entries")
    def unique_codes(self, entries, **kwargs):
        codes = [e.get("service_code") for e in entries if e.get("service_code")]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValidationError("Repeated service codes: {}.".format(", ".join(duplicates)))


