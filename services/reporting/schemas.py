"""Query schemas of the reporting service (the gateway checks with them too)."""
from datetime import date, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.common import thai
from services.common.fields import IsoDate, QueryInteger

MAX_DAYS = 400
DEFAULT_DAYS = 30


class ReportQuery(Schema):
    class Meta:
        unknown = RAISE

    start = IsoDate(data_key="from")
    end = IsoDate(data_key="to")
    min_sample = QueryInteger(load_default=30, validate=validate.Range(min=1, max=100000))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))

    @validates_schema
    def sensible_range(self, data, **kwargs):
        date_range(data, thai.today())


def date_range(query, today):
    """(start, end) dates; the last 30 days up to `today` by default; at
    most MAX_DAYS, whichever bound was given (a lone `from` in the year 191
    once asked for 1,835 years of daily rows)."""
    end = date.fromisoformat(query["end"]) if query.get("end") else today
    start = date.fromisoformat(query["start"]) if query.get("start") else end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise ValidationError({"to": ["Must not be before `from`."]})
    if (end - start).days >= MAX_DAYS:
        field = "to" if query.get("end") else "from"
        raise ValidationError({field: ["At most {} days in one report.".format(MAX_DAYS)]})
    return start, end


class RankingQuery(ReportQuery):
    level = fields.String(load_default="service_point", validate=validate.OneOf(
        ["service_point", "agency", "province"]))
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000))


class GroupedQuery(ReportQuery):
    group_by = fields.String(load_default="agency", validate=validate.OneOf(["agency", "province"]))


class RolloutQuery(GroupedQuery):
    # one agency or province: its series over [from, to] as well
    id = fields.String(validate=validate.Length(min=1, max=100))


class OverdueQuery(Schema):
    class Meta:
        unknown = RAISE

    level = fields.String(load_default="nation", validate=validate.OneOf(
        ["service_point", "agency", "province", "nation"]))
    id = fields.String(validate=validate.Length(min=1, max=100))
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000))

    @validates_schema
    def needs_id(self, data, **kwargs):
        if data.get("level", "nation") != "nation" and not data.get("id"):
            raise ValidationError("Required for this level.", "id")


class AlertsQuery(Schema):
    class Meta:
        unknown = RAISE

    scope = fields.String(validate=validate.OneOf(["point", "agency"]))
    entity_id = fields.String(validate=validate.Length(min=1, max=100))
    limit = QueryInteger(load_default=50, validate=validate.Range(min=1, max=500))


class ThemesQuery(ReportQuery):
    """Comment themes of one scope over [from, to]."""
    level = fields.String(load_default="nation", validate=validate.OneOf(
        ["service_point", "agency", "province", "nation"]))
    id = fields.String(validate=validate.Length(min=1, max=100))
    limit = QueryInteger(load_default=20, validate=validate.Range(min=1, max=100))
    # comments that must mention a term before it can be a theme: never one
    min_count = QueryInteger(load_default=3, validate=validate.Range(min=2, max=100000))

    @validates_schema
    def needs_id(self, data, **kwargs):
        if data.get("level", "nation") != "nation" and not data.get("id"):
            raise ValidationError("Required for this level.", "id")
        if data.get("level") == "province" and data.get("id") and thai.province(data["id"]) is None:
            raise ValidationError("Not an official province code.", "id")
