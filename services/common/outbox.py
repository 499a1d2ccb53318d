"""Transactional outbox without multi-document transactions.

A write and the events it implies are stored in the *same document*, in one
atomic single-document update: the entity carries its pending events in an
`outbox` array. A timer publishes pending events (publisher confirms) and
removes each one once the broker has it. A crash after the write and before
the publish leaves the events in the document; a crash after the publish and
before the removal publishes them again, which consumers tolerate.
"""
import logging
from datetime import datetime, timezone

log = logging.getLogger(__name__)

OUTBOX_FIELD = "outbox"
# Matches documents with at least one pending event; can use the sparse
# index on outbox.event_id, so the timer does not scan every entity.
PENDING_FILTER = {OUTBOX_FIELD + ".event_id": {"$exists": True}}


def outbox_entry(event_name, payload):
    # queued_at: when it was written, for the backlog's age (a backdated
    # event's occurred_at says nothing about how long it has waited)
    return {"event_id": payload["event_id"], "name": event_name,
            "payload": payload, "queued_at": datetime.now(timezone.utc).isoformat()}


def push_events(update, entries):
    """Add `$push` of outbox entries to a Mongo update document."""
    if entries:
        update.setdefault("$push", {})[OUTBOX_FIELD] = {"$each": list(entries)}
    return update


def flush(collection, dispatch, limit=500, on_failure=None):
    """Publish pending events of `collection` in write order; return how
    many were published.

    `dispatch(name, payload)` must raise if the broker did not confirm.
    Events of one document are published in order, so a consumer sees an
    entity's versions in sequence (it must still cope with redelivery).
    Published events are removed in one update at the end of the round: a
    crash before it publishes them again, which consumers tolerate.
    `on_failure()` is called when a publish fails and cuts the round short.
    """
    published = {}  # document id -> event ids the broker confirmed
    try:
        for doc in collection.find(PENDING_FILTER, {OUTBOX_FIELD: 1}).limit(limit):
            for entry in doc[OUTBOX_FIELD]:
                dispatch(entry["name"], entry["payload"])
                published.setdefault(doc["_id"], []).append(entry["event_id"])
    except Exception:
        log.exception("outbox: publishing failed; the rest waits for the next round")
        if on_failure is not None:
            on_failure()
    finally:
        if published:
            event_ids = [event_id for ids in published.values() for event_id in ids]
            collection.update_many(
                {"_id": {"$in": list(published)}},
                {"$pull": {OUTBOX_FIELD: {"event_id": {"$in": event_ids}}}})
    return sum(len(ids) for ids in published.values())


def pending_count(collection):
    return collection.count_documents(PENDING_FILTER)


def _queued_at(entry):
    at = entry.get("queued_at") or (entry.get("payload") or {}).get("occurred_at")
    try:
        return datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return None


def backlog(collection, now=None):
    """(events waiting, seconds the oldest has waited or 0): the whole
    collection's, whichever replica asks."""
    now = now or datetime.now(timezone.utc)
    count, oldest = 0, None
    for doc in collection.find(PENDING_FILTER, {OUTBOX_FIELD + ".queued_at": 1,
                                                OUTBOX_FIELD + ".payload.occurred_at": 1}):
        for entry in doc.get(OUTBOX_FIELD) or ():
            count += 1
            at = _queued_at(entry)
            if at is not None and (oldest is None or at < oldest):
                oldest = at
    return count, max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
