"""Reporting's copy of a complaint without storage: its stored form and what
it is compared on (`store.complaints.ComplaintCopies` keeps it), and who
may read an overdue list.
"""
from datetime import datetime, timezone

from services.common.actor import require_staff
from services.common.errors import Forbidden
from services.reporting.rating_buckets import bangkok_day

FIELDS = ("tracking_code", "category", "service_point_id", "agency_id", "province_code",
          "status", "filed_at", "filed_day", "sla_due_at", "closed_at",
          "resolution_rating", "pmoc_reference", "entity_version")
DATETIMES = ("filed_at", "sla_due_at", "closed_at")


def utc(value):
    """An aware UTC datetime at MongoDB's millisecond precision, from a
    datetime (naive means UTC, as a non-tz-aware client returns) or an ISO
    string; None stays None. Makes stored and source values comparable."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def copy_of(payload):
    """The stored form of a complaint payload (event or source record)."""
    doc = {name: payload.get(name) for name in FIELDS if name != "filed_day"}
    for name in DATETIMES:
        doc[name] = utc(doc[name])
    doc["filed_day"] = bangkok_day(doc["filed_at"])
    return doc


def comparable(doc):
    return {name: (utc(doc.get(name)) if name in DATETIMES else doc.get(name))
            for name in FIELDS}


def check_overdue_access(actor, level, key):
    """Who may read an overdue list: administrators any, an officer only
    their own agency's (level "agency", their agency id)."""
    actor = require_staff(actor)
    if actor.is_system_admin:
        return
    if level != "agency" or not actor.is_officer_of(key):
        raise Forbidden("Officers see their own agency's complaints: level=agency&id="
                        + str(actor.agency_id), code="OTHER_AGENCY")
