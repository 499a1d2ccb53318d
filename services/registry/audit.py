"""The registry's audit trail: who changed public information, when, and
what the changed fields were before and after.

Plain module. An entry is written right after the change it records (the
change is one atomic single-document write; MongoDB without transactions
cannot write both at once, so a crash between the two can lose an entry,
never invent one). Ids start with the time in nanoseconds, so id order is
newest first within an agency even for entries in the same millisecond.
"""
import time
import uuid
from datetime import date, datetime, timezone

from services.common.actor import actor_of

INDEXES = {"audit": [([("agency_id", 1), ("_id", -1)], {"name": "agency_newest"})]}


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


def record(db, actor, action, entity_type, entity_id, agency_id, before=None, after=None,
           now=None):
    actor = actor_of(actor)
    entry = {"_id": _entry_id(), "agency_id": agency_id,
             "at": now or datetime.now(timezone.utc),
             "actor": {"account_id": actor.account_id, "username": actor.username,
                       "role": actor.role},
             "action": action, "entity": {"type": entity_type, "id": entity_id},
             "before": jsonable(before or {}), "after": jsonable(after or {})}
    db.audit.insert_one(entry)
    return entry


def entry_view(doc):
    return {"id": doc["_id"], "at": jsonable(doc["at"]), "agency_id": doc["agency_id"],
            "actor": doc["actor"], "action": doc["action"], "entity": doc["entity"],
            "before": doc["before"], "after": doc["after"]}


def list_entries(db, agency_id, limit=50, offset=0):
    """An agency's entries, newest first (authorisation is the caller's)."""
    criteria = {"agency_id": agency_id}
    cursor = db.audit.find(criteria).sort("_id", -1).skip(offset).limit(limit)
    return {"results": [entry_view(d) for d in cursor],
            "total": db.audit.count_documents(criteria), "limit": limit, "offset": offset}
