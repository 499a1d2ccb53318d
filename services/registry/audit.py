"""The registry's audit trail: who changed public information, when, and
what the changed fields were before and after.

Plain module. The registry's own changes (points, agencies, accounts): an
entry is written right after the change it records (the change is one
atomic single-document write; MongoDB without transactions cannot write
both at once, so a crash between the two can lose an entry, never invent
one). Other services' changes (moderation decisions, complaint status
changes) arrive as their events, which carry who, when, before and after;
an entry's id is made from the event's id, so a redelivered or replayed
event adds nothing (docs/adr/0011-audit-trail.md). Ids start with the time
in nanoseconds, so id order is newest first within an agency even for
entries in the same millisecond.
"""
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from services.common import events


def _entry_id():
    return "au-{:020d}-{}".format(time.time_ns(), uuid.uuid4().hex[:8])


def jsonable(value):
    """Stored values as the JSON an API answers with (datetimes as ISO)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _services_change(old, new):
    """Per service code, the offered services that changed (when a service
    was declared is not itself a change of what the point offers)."""
    def by_code(services):
        return {s["service_code"]: {k: v for k, v in s.items() if k != "declared_at"}
                for s in services or []}
    old, new = by_code(old), by_code(new)
    return ({code: s for code, s in old.items() if new.get(code) != s},
            {code: s for code, s in new.items() if old.get(code) != s})


def diff(doc, fields):
    """(before, after) holding only the fields of `fields` whose value differs from `doc`."""
    before, after = {}, {}
    for key, value in fields.items():
        old = doc.get(key)
        if key == "services":
            old, value = _services_change(old, value)
            if old or value:
                before[key], after[key] = old, value
        elif jsonable(old) != jsonable(value):
            before[key], after[key] = old, value
    return jsonable(before), jsonable(after)


def _entry(entry_id, at, actor, action, entity_type, entity_id, agency_id, before, after):
    """`actor`: an EventActor (account_id, username, role)."""
    actor = actor or {}
    return {"_id": entry_id, "agency_id": agency_id, "at": at,
            "actor": {k: actor.get(k) for k in ("account_id", "username", "role")},
            "action": action, "entity": {"type": entity_type, "id": entity_id},
            "before": jsonable(before or {}), "after": jsonable(after or {})}


def record(storage, actor, action, entity_type, entity_id, agency_id, before=None, after=None,
           now=None):
    """A change the registry made itself; `actor`: the verified claims."""
    entry = _entry(_entry_id(), now or datetime.now(timezone.utc), events.actor_of(actor),
                   action, entity_type, entity_id, agency_id, before, after)
    storage.insert_audit_entry(entry)
    return entry


# --- other services' changes, from their events -----------------------------
def _nanoseconds(at):
    return (at - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1) * 1000


def _parse_time(value, fallback):
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        return fallback
    return parsed


def moderation_entry(event):
    """A loaded feedback_moderated event as an entry: the comment's status
    and redacted text before and after, and the note. The original text is
    never in it (the event does not carry it): the agency administrator
    reads the trail, and the original may hold the citizen's phone number."""
    before = {"status": event.get("previous_status"), "comment": event.get("previous_comment")}
    after = {"status": event["decision"], "comment": event.get("comment_public")}
    if event.get("note"):
        after["note"] = event["note"]
    at = _parse_time(event.get("moderated_at"), event["occurred_at"])
    return _from_event(event, at, event.get("moderator"), "comment.moderate", "feedback",
                       event["feedback_id"], event["agency_id"], before, after)


def complaint_status_entry(event):
    """A loaded complaint_status_changed event as an entry when an officer
    or administrator made it (status before and after, the note); None for
    the complainant's rating or reopening and for PMOC closing it, which
    are not officers' actions."""
    if not event.get("actor") or event.get("status") == event.get("previous_status"):
        return None
    after = {"status": event["status"]}
    if event.get("note"):
        after["note"] = event["note"]
    return _from_event(event, event["changed_at"], event["actor"], "complaint.status",
                       "complaint", event["complaint_id"], event.get("agency_id"),
                       {"status": event.get("previous_status")}, after)


def _from_event(event, at, actor, action, entity_type, entity_id, agency_id, before, after):
    entry_id = "au-{:020d}-{}".format(_nanoseconds(at), event["event_id"].hex)
    return _entry(entry_id, at, actor, action, entity_type, entity_id, agency_id, before, after)


def record_entry(storage, entry):
    """Store an entry made from an event, once: True if it is new (the id
    comes from the event's, so a redelivered event finds it there)."""
    if entry is None:
        return False
    return storage.insert_audit_entry_once(entry)


def entry_view(doc):
    return {"id": doc["_id"], "at": jsonable(doc["at"]), "agency_id": doc["agency_id"],
            "actor": doc["actor"], "action": doc["action"], "entity": doc["entity"],
            "before": doc["before"], "after": doc["after"]}


def list_entries(storage, agency_id, limit=50, offset=0):
    """An agency's entries, newest first (authorisation is the caller's)."""
    found, total = storage.audit_entries(agency_id, limit, offset)
    return {"results": [entry_view(d) for d in found],
            "total": total, "limit": limit, "offset": offset}
