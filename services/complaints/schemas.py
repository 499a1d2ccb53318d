"""Input schemas of the complaints service: used by the gateway at the edge
and again by the service for RPC callers."""
import re

from marshmallow import ValidationError, fields, validate, validates_schema

from services.common.fields import (QueryInteger, StrictBoolean, StrictInteger, Text, ThaiPhone,
                                    with_bounds)
from services.complaints import categories, lifecycle
from services.common.schemas import ID_PATTERN, Location, StrictSchema

MAX_DESCRIPTION = 4000  # Open311's limit
MAX_MEDIA = 5
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{8,128}$"
# the longest typed tracking code (spaces, dashes) tracking.normalise reads
TRACKING_CODE_MAX_LENGTH = 40


class Category(fields.String):
    default_error_messages = {"category": "Not a complaint category; choose one of: {codes}."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with_bounds(self, enum=list(categories.codes()))

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if categories.get(value) is None:
            raise self.make_error("category", codes=", ".join(categories.codes()))
        return value


class MediaUrl(fields.Url):
    MAX_LENGTH = 1000

    def __init__(self, **kwargs):
        super().__init__(schemes={"https", "http"}, require_tld=True, **kwargs)
        with_bounds(self, maxLength=self.MAX_LENGTH)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and len(value) > self.MAX_LENGTH:
            raise ValidationError("Must be at most {} characters.".format(self.MAX_LENGTH))
        return super()._deserialize(value, attr, data, **kwargs)


class Contact(StrictSchema):
    first_name = Text(max_length=100)
    last_name = Text(max_length=100)
    phone = ThaiPhone()
    email = fields.Email(validate=validate.Length(max=254))

    @validates_schema
    def reachable(self, data, **kwargs):
        if data and not (data.get("phone") or data.get("email")):
            raise ValidationError("Give a phone number or an e-mail address "
                                  "(or leave contact out).", "_schema")


class ComplaintCreate(StrictSchema):
    category = Category(required=True)
    description = Text(required=True, max_length=MAX_DESCRIPTION, multiline=True)
    service_point_id = fields.String(validate=validate.Regexp(ID_PATTERN, error="Not a service point id."))
    location = fields.Nested(Location)
    address = Text(max_length=500, multiline=True)
    media_urls = fields.List(MediaUrl(), validate=validate.Length(max=MAX_MEDIA),
                             load_default=list)
    contact = fields.Nested(Contact)
    anonymous = StrictBoolean(load_default=False)

    @validates_schema
    def somewhere(self, data, **kwargs):
        if not (data.get("service_point_id") or data.get("location") or data.get("address")):
            raise ValidationError("Say where: a service_point_id, a location {lat, lon} "
                                  "or an address.", "_schema")


class StatusChange(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(
        lifecycle.OFFICER_TARGETS, error="One of: " + ", ".join(lifecycle.OFFICER_TARGETS) + "."))
    note = Text(max_length=2000, multiline=True)

    @validates_schema
    def note_when_closing(self, data, **kwargs):
        if data.get("status") in (lifecycle.REJECTED, lifecycle.FORWARDED) and not data.get("note"):
            raise ValidationError("Say why (the complainant reads it).", "note")


class Rating(StrictSchema):
    rating = StrictInteger(required=True, validate=validate.Range(min=1, max=5))
    comment = Text(max_length=1000, multiline=True)


class Reopen(StrictSchema):
    reason = Text(required=True, max_length=2000, multiline=True)


class OfficerQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(sorted(lifecycle.STATUSES)))
    overdue = fields.String(validate=validate.OneOf(["true", "false"]))
    limit = QueryInteger(validate=validate.Range(min=1, max=200), load_default=50)
    offset = QueryInteger(validate=validate.Range(min=0, max=1_000_000), load_default=0)


class DeadLetterRetry(StrictSchema):
    complaint_ids = fields.List(fields.String(validate=validate.Regexp(ID_PATTERN)),
                                validate=validate.Length(min=1, max=1000))


def idempotency_key(value):
    """A client's Idempotency-Key header value, checked (None when absent)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, value):
        from services.common.errors import validation_error
        raise validation_error({"Idempotency-Key": [
            "8-128 characters: letters, digits, dot, dash, underscore or colon "
            "(a UUID is ideal)."]})
    return value
