"""Input schemas of the feedback service (the gateway checks with them too)."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from services.common.fields import QueryInteger, StrictInteger, Text
from services.feedback import questionnaire
from services.common.schemas import ID_PATTERN, SERVICE_CODE_PATTERN

MAX_COMMENT = 1000
MAX_COPIES = 20


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def _score(required=False):
    return StrictInteger(required=required, validate=validate.Range(
        min=1, max=5, error="Must be a whole number from 1 to 5."))


class Answers(StrictSchema):
    """Version 1 of the questionnaire; any other key is refused."""
    satisfaction = _score(required=True)
    trust = _score()
    ease = _score()
    efficiency = _score()
    staff = _score()
    transparency = _score()


class FeedbackSubmission(StrictSchema):
    service_code = fields.String(allow_none=True, validate=validate.Regexp(
        SERVICE_CODE_PATTERN, error="Not a service code (e.g. DOPA-ID-NEW)."))
    channel = fields.String(load_default="walk_in", validate=validate.OneOf(
        questionnaire.channel_codes(), error="One of: walk_in, online, phone."))
    answers = fields.Nested(Answers, required=True)
    copies_requested = fields.List(Text(max_length=200), load_default=list,
                                   validate=validate.Length(max=MAX_COPIES))
    comment = Text(max_length=MAX_COMMENT, multiline=True, allow_blank=True, allow_none=True)
    visit_token = fields.String(allow_none=True, validate=validate.Length(min=10, max=2000))
    questionnaire_version = StrictInteger(load_default=questionnaire.CURRENT_VERSION,
                                          validate=validate.OneOf(sorted(questionnaire.QUESTIONNAIRES)))
    # Honeypot: hidden in the form, so people leave it empty and bots fill it.
    website = fields.String(allow_none=True, metadata={"maxLength": 0})

    @validates("website")
    def honeypot(self, value, **kwargs):
        if value:
            raise ValidationError("Leave this field empty.")

    @validates("copies_requested")
    def distinct(self, value, **kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("Name each document once.")


class VisitTokenRequest(StrictSchema):
    # the counter's code is hex (tokens.counter_code); anything else is not
    # it, and never reaches hmac.compare_digest, which raises on non-ASCII
    code = fields.String(required=True, validate=[
        validate.Length(min=8, max=64),
        validate.Regexp(r"^[0-9a-f]+$", error="Not this counter's code.")])
    device_id = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_-]{8,64}$", error="8-64 letters, digits, - or _."))
    service_code = fields.String(allow_none=True, validate=validate.Regexp(SERVICE_CODE_PATTERN))


class VisitTokenStatusQuery(StrictSchema):
    visit_token = fields.String(required=True, validate=validate.Length(min=20, max=2000))


class QrQuery(StrictSchema):
    kind = fields.String(load_default="counter", validate=validate.OneOf(["counter", "single"]))
    format = fields.String(load_default="png", validate=validate.OneOf(["png", "svg"]))
    service_code = fields.String(validate=validate.Regexp(SERVICE_CODE_PATTERN))


class PublicListQuery(StrictSchema):
    limit = QueryInteger(load_default=20, validate=validate.Range(min=1, max=100))
    offset = QueryInteger(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class ModerationQueueQuery(PublicListQuery):
    agency_id = fields.String(validate=validate.Regexp(ID_PATTERN))


class ModerationDecision(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(["publish", "reject"]))
    note = Text(max_length=500, multiline=True, allow_blank=True)
    # a moderator may also mask what the automatic redaction missed
    comment = Text(max_length=MAX_COMMENT, multiline=True)

    @validates_schema
    def edit_only_when_publishing(self, data, **kwargs):
        if data.get("comment") and data.get("decision") != "publish":
            raise ValidationError("An edited comment is only kept when publishing.", "comment")


IDEMPOTENCY_KEY = validate.Regexp(r"^[A-Za-z0-9_.:-]{8,128}$",
                                  error="8-128 letters, digits or . _ : -")
