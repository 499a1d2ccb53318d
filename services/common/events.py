"""Event contracts: every event the suite publishes, in one place.

An event has a name, a source service, a payload schema and a schema version.
Every payload carries `event_id` (uuid4), `occurred_at` (UTC ISO 8601),
`version` and the entity's own id. Consumers must be idempotent: publishing
twice is allowed (the outbox is at-least-once).

Added later, optional (older producers' events lack them): `correlation_id`
(the request or chain of work the event belongs to), `causation_id` (the
event whose handling produced it) and, while tracing is on, `traceparent`
(W3C trace context). See docs/observability.md.

The `office_*` wire names predate the name "service point"; they stay (the
wire format only gains fields), everything in code says service point.
Why schemas and not dataclasses: docs/adr/0009-event-contracts.md.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common import actor, context, tracing


class EventBase(Schema):
    # Consumers tolerate fields added by newer producers of the same version.
    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    occurred_at = fields.AwareDateTime(required=True, format="iso")
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    correlation_id = fields.String(allow_none=True)
    causation_id = fields.String(allow_none=True)
    traceparent = fields.String(allow_none=True)


class Location(Schema):
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)


class DocumentStatus(Schema):
    class Meta:
        unknown = EXCLUDE
    name_th = fields.String(required=True)
    name_en = fields.String(allow_none=True)
    government_issued = fields.Boolean(required=True)
    copy_required = fields.Boolean(required=True)
    # when a copy is still demanded: the date the agency plans to stop (ISO)
    copy_planned_end_date = fields.String(allow_none=True, load_default=None)


class OfferedService(Schema):
    class Meta:
        unknown = EXCLUDE
    service_code = fields.String(required=True)
    declared = fields.Boolean(required=True)
    zero_copy = fields.Boolean(allow_none=True)
    documents = fields.List(fields.Nested(DocumentStatus), allow_none=True)


class PinProvenance(Schema):
    """How the point's location was captured (gps, drag or typed); who
    placed it stays in the registry."""
    class Meta:
        unknown = EXCLUDE
    method = fields.String(required=True, validate=validate.OneOf(["gps", "drag", "typed"]))
    accuracy_m = fields.Float(allow_none=True, load_default=None)
    captured_at = fields.String(allow_none=True, load_default=None)
    pinned_at = fields.String(allow_none=True, load_default=None)


class ServicePointEvent(EventBase):
    id = fields.String(required=True)
    agency_id = fields.String(required=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    province_code = fields.String(required=True)
    location = fields.Nested(Location, required=True)
    # for consumers that show the point (geo's nearby results)
    address = fields.String(allow_none=True)
    opening_hours = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["open", "closed"]))
    services = fields.List(fields.Nested(OfferedService), required=True)
    # added later: absent from older producers' events, null for points
    # pinned before provenance was kept
    pin = fields.Nested(PinProvenance, allow_none=True, load_default=None)
    entity_version = fields.Integer(required=True)


class ServicePointClosed(EventBase):
    id = fields.String(required=True)
    agency_id = fields.String(required=True)
    entity_version = fields.Integer(required=True)


class ServicesChanged(EventBase):
    id = fields.String(required=True)
    agency_id = fields.String(required=True)
    services = fields.List(fields.Nested(OfferedService), required=True)
    entity_version = fields.Integer(required=True)


class ZeroCopyBreach(Schema):
    class Meta:
        unknown = EXCLUDE
    document = fields.String(required=True)
    # "declared_no_copy": the point said it no longer demands this copy;
    # "government_issued": the state issued it, so no copy may be demanded
    reason = fields.String(required=True, validate=validate.OneOf(
        ["declared_no_copy", "government_issued", "undeclared_document"]))


class EventActor(Schema):
    """Who made a change, as their verified token named them: for the
    registry's audit trail (docs/adr/0011-audit-trail.md). An officer's or
    administrator's account; consumers must not publish it."""
    class Meta:
        unknown = EXCLUDE
    account_id = fields.String(allow_none=True, load_default=None)
    username = fields.String(allow_none=True, load_default=None)
    role = fields.String(allow_none=True, load_default=None)


def actor_of(who):
    """An EventActor from an Actor or a verified token's claims (None for
    no one)."""
    who = actor.actor_of(who)
    if not who.authenticated:
        return None
    return {"account_id": who.account_id, "username": who.username, "role": who.role}


class FeedbackSubmitted(EventBase):
    feedback_id = fields.String(required=True)
    service_point_id = fields.String(required=True)
    agency_id = fields.String(required=True)
    province_code = fields.String(required=True)
    service_code = fields.String(allow_none=True)
    channel = fields.String(required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    questionnaire_version = fields.Integer(required=True)
    verified = fields.Boolean(required=True)
    has_comment = fields.Boolean(required=True)
    copies_requested = fields.List(fields.String(), required=True)
    zero_copy_breaches = fields.List(fields.Nested(ZeroCopyBreach), required=True)
    submitted_at = fields.AwareDateTime(required=True, format="iso")
    # added for comment themes: the redacted comment when it is published at
    # once; None when there is none or it waits for moderation
    comment_public = fields.String(allow_none=True, load_default=None)


class FeedbackModerated(EventBase):
    feedback_id = fields.String(required=True)
    service_point_id = fields.String(required=True)
    agency_id = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["published", "rejected"]))
    # added for comment themes (absent from older producers' events): where
    # and when the comment was made, its satisfaction, when this decision was
    # taken (a later decision wins) and the redacted text now public (None
    # when rejected)
    province_code = fields.String(allow_none=True, load_default=None)
    submitted_at = fields.AwareDateTime(allow_none=True, format="iso", load_default=None)
    satisfaction = fields.Integer(allow_none=True, load_default=None)
    moderated_at = fields.String(allow_none=True, load_default=None)
    comment_public = fields.String(allow_none=True, load_default=None)
    # added for the audit trail (absent from older producers' events): who
    # decided, the comment's status before ("pending", or "published" /
    # "rejected" when decided again), its redacted text before (waiting or
    # published; never the original) and the moderator's note, redacted
    moderator = fields.Nested(EventActor, allow_none=True, load_default=None)
    previous_status = fields.String(allow_none=True, load_default=None)
    previous_comment = fields.String(allow_none=True, load_default=None)
    note = fields.String(allow_none=True, load_default=None)


# The complaint statuses the events carry that consumers must interpret:
# part of the contract, so reporting need not import the complaints service.
COMPLAINT_RESOLVED = "resolved"
COMPLAINT_CLOSED = frozenset({"resolved", "rejected", "forwarded"})


class ComplaintEvent(EventBase):
    complaint_id = fields.String(required=True)
    tracking_code = fields.String(required=True)
    category = fields.String(required=True)
    service_point_id = fields.String(allow_none=True)
    agency_id = fields.String(allow_none=True)
    province_code = fields.String(allow_none=True)
    status = fields.String(required=True)
    previous_status = fields.String(allow_none=True)
    filed_at = fields.AwareDateTime(required=True, format="iso")
    changed_at = fields.AwareDateTime(required=True, format="iso")
    sla_due_at = fields.AwareDateTime(required=True, format="iso")
    pmoc_reference = fields.String(allow_none=True)
    resolution_rating = fields.Integer(allow_none=True)
    # when it last became resolved, rejected or forwarded; None while open
    closed_at = fields.AwareDateTime(allow_none=True, format="iso", load_default=None)
    entity_version = fields.Integer(required=True)
    # added for the audit trail (absent from older producers' events): the
    # officer or administrator who made this change (None when the
    # complainant, the relay or PMOC did) and the note that came with it,
    # redacted as the tracking page shows it
    actor = fields.Nested(EventActor, allow_none=True, load_default=None)
    note = fields.String(allow_none=True, load_default=None)


class SatisfactionWindow(Schema):
    start = fields.String(required=True, data_key="from")
    end = fields.String(required=True, data_key="to")
    count = fields.Integer(required=True)
    csat = fields.Float(required=True)


class SatisfactionAlert(EventBase):
    alert_id = fields.String(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(["point", "agency"]))
    entity_id = fields.String(required=True)
    baseline = fields.Nested(SatisfactionWindow, required=True)
    current = fields.Nested(SatisfactionWindow, required=True)
    change = fields.Float(required=True)
    p_value = fields.Float(required=True)


@dataclass(frozen=True)
class EventSpec:
    name: str
    source: str
    schema: type
    version: int


EVENTS = {spec.name: spec for spec in [
    EventSpec("office_registered", "registry", ServicePointEvent, 1),
    EventSpec("office_updated", "registry", ServicePointEvent, 1),
    EventSpec("office_closed", "registry", ServicePointClosed, 1),
    EventSpec("services_changed", "registry", ServicesChanged, 1),
    EventSpec("feedback_submitted", "feedback", FeedbackSubmitted, 1),
    EventSpec("feedback_moderated", "feedback", FeedbackModerated, 1),
    EventSpec("complaint_filed", "complaints", ComplaintEvent, 1),
    EventSpec("complaint_relayed", "complaints", ComplaintEvent, 1),
    EventSpec("complaint_status_changed", "complaints", ComplaintEvent, 1),
    EventSpec("satisfaction_alert", "reporting", SatisfactionAlert, 1),
]}


class UnknownEvent(KeyError):
    pass


# One schema instance per event: building a marshmallow schema costs more
# than loading a payload with it, and a loaded schema keeps no state.
_SCHEMAS = {}


def _schema(event_spec):
    schema = _SCHEMAS.get(event_spec.name)
    if schema is None:
        schema = _SCHEMAS[event_spec.name] = event_spec.schema()
    return schema


def spec(name):
    try:
        return EVENTS[name]
    except KeyError:
        raise UnknownEvent(name)


def new_event(name, payload, now=None):
    """The payload with the common fields added, checked against its schema.

    Returns a JSON-ready dict; raises marshmallow.ValidationError when the
    producer's payload breaks the contract (a bug, not user input).
    """
    event_spec = spec(name)
    body = dict(payload)
    body["event_id"] = str(uuid.uuid4())
    body["occurred_at"] = (now or datetime.now(timezone.utc)).isoformat()
    body["version"] = event_spec.version
    body.update(context.event_fields())
    traceparent = tracing.current_traceparent()
    if traceparent:
        body[tracing.TRACEPARENT] = traceparent
    _schema(event_spec).load(body)  # validate only; keep the producer's form
    return body


def parse_event(name, payload):
    """A consumer's view of an event payload, validated."""
    return _schema(spec(name)).load(payload)
