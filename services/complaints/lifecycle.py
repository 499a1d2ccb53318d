"""The complaint status model, SLA and the complainant's rights (plain module).

Thai complaint centres' states, mapped to Open311's open/closed:

    received -> relayed -> accepted -> in_progress -> resolved | rejected | forwarded
                                   (resolved -> reopened, once, within 30 days)

Every transition is kept in the complaint's history with its time, note and
who made it (an officer's account too, for the audit trail). Times are
timezone-aware UTC datetimes; every function takes `now`, so a test
controls the clock.
"""
from datetime import timedelta

from services.common.errors import Conflict, ValidationFailed

RECEIVED, RELAYED, ACCEPTED, IN_PROGRESS = "received", "relayed", "accepted", "in_progress"
RESOLVED, REJECTED, FORWARDED, REOPENED = "resolved", "rejected", "forwarded", "reopened"

STATUSES = {
    RECEIVED: ("รับเรื่องแล้ว", "Received"),
    RELAYED: ("ส่งต่อศูนย์บริการประชาชน 1111 แล้ว", "Relayed to the PMOC 1111 centre"),
    ACCEPTED: ("หน่วยงานรับเรื่องแล้ว", "Accepted by the agency"),
    IN_PROGRESS: ("อยู่ระหว่างดำเนินการ", "In progress"),
    RESOLVED: ("แก้ไขเสร็จสิ้น", "Resolved"),
    REJECTED: ("ไม่รับพิจารณา", "Rejected"),
    FORWARDED: ("ส่งต่อหน่วยงานอื่น", "Forwarded to another body"),
    REOPENED: ("เปิดเรื่องใหม่ตามคำขอผู้ร้องเรียน", "Reopened by the complainant"),
}
CLOSED = frozenset({RESOLVED, REJECTED, FORWARDED})
# What an officer (or PMOC) may move a complaint to, from each state.
_AGENCY_MOVES = {ACCEPTED, IN_PROGRESS, RESOLVED, REJECTED, FORWARDED}
TRANSITIONS = {
    RECEIVED: {RELAYED} | _AGENCY_MOVES,
    RELAYED: _AGENCY_MOVES,
    ACCEPTED: _AGENCY_MOVES - {ACCEPTED},
    IN_PROGRESS: {RESOLVED, REJECTED, FORWARDED},
    REOPENED: _AGENCY_MOVES,
    RESOLVED: {REOPENED},
    REJECTED: set(),
    FORWARDED: set(),
}
OFFICER_TARGETS = sorted(_AGENCY_MOVES)
REOPEN_WINDOW = timedelta(days=30)
MAX_REOPENS = 1


def open311_status(status):
    return "closed" if status in CLOSED else "open"


def status_view(status):
    name_th, name_en = STATUSES[status]
    return {"status": status, "status_th": name_th, "status_en": name_en,
            "open311_status": open311_status(status)}


def can_move(current, target):
    return target in TRANSITIONS.get(current, ())


def require_move(current, target):
    if target not in STATUSES:
        raise ValidationFailed("Unknown status.", {"fields": {"status": [
            "One of: {}.".format(", ".join(OFFICER_TARGETS))]}})
    if not can_move(current, target):
        allowed = sorted(TRANSITIONS.get(current, ()))
        raise Conflict("A complaint that is {} cannot become {}.".format(current, target),
                       {"status": current, "allowed": allowed}, code="INVALID_TRANSITION")


def history_entry(status, now, note=None, by=None, previous=None, account=None):
    """`by` is who in kind (citizen, agency, admin, relay, pmoc); `account`
    the officer's or administrator's account (events.actor_of), which the
    change's event carries to the audit trail and no view shows."""
    entry = {"status": status, "previous_status": previous, "at": now,
             "note": note, "by": by}
    if account:
        entry["account"] = account
    return entry


def sla_due(filed_at, days):
    """Expected resolution: `days` calendar days after filing."""
    return filed_at + timedelta(days=int(days))


def is_overdue(status, sla_due_at, now, reopened_due_at=None):
    """Open past its due date (a reopened complaint gets a fresh due date)."""
    if status in CLOSED:
        return False
    return now > (reopened_due_at or sla_due_at)


def resolved_late(doc):
    """For a closed complaint: was it closed after its due date?"""
    closed_at = doc.get("closed_at")
    return bool(closed_at and closed_at > effective_due(doc))


def effective_due(doc):
    return doc.get("reopened_due_at") or doc["sla_due_at"]


def check_rating(doc, rating):
    if doc["status"] not in (RESOLVED, REJECTED):
        raise Conflict("Rate a complaint once it is resolved or rejected.",
                       {"status": doc["status"]}, code="NOT_CLOSED")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed("Rate from 1 to 5.", {"fields": {"rating": ["Must be 1-5."]}})


def check_reopen(doc, now):
    if doc["status"] != RESOLVED:
        raise Conflict("Only a resolved complaint can be reopened.",
                       {"status": doc["status"]}, code="NOT_RESOLVED")
    if doc.get("reopen_count", 0) >= MAX_REOPENS:
        raise Conflict("A complaint can be reopened once.", code="ALREADY_REOPENED")
    resolved_at = doc.get("closed_at")
    if resolved_at is None or now - resolved_at > REOPEN_WINDOW:
        raise Conflict("A complaint can be reopened within 30 days of its resolution.",
                       {"resolved_at": resolved_at.isoformat() if resolved_at else None},
                       code="REOPEN_WINDOW_PASSED")


def can_reopen(doc, now):
    try:
        check_reopen(doc, now)
        return True
    except Conflict:
        return False
