"""Query schemas of the reporting service (the gateway checks with them too)."""
from datetime import date, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

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
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError("Must not be before `from`.", "to")
            if (date.fromisoformat(end) - date.fromisoformat(start)).days >= MAX_DAYS:
                raise ValidationError("At most {} days in one report.".format(MAX_DAYS), "to")


def date_range(query, today):
    """(start, end) dates; the last 30 days up to `today` by default."""
    end = date.fromisoformat(query["end"]) if query.get("end") else today
    start = date.fromisoformat(query["start"]) if query.get("start") else end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise ValidationError({"from": ["Must not be after `to`."]})
    return start, end


class RankingQuery(ReportQuery):
    level = fields.String(load_default="service_point", validate=validate.OneOf(
        ["service_point", "agency", "province"]))
    limit = QueryInteger(load_default=100, validate=validate.Range(min=1, max=1000))
