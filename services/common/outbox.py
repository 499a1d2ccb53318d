"""Transactional outbox without multi-document transactions.

A write and the events it implies are stored in the *same document*, in one
atomic single-document update: the entity carries its pending events in an
`outbox` array. The worker that made the write publishes them at once,
right after it (`take_pushed` says which); a timer publishes whatever a
crash or a failed publish left behind. A crash after the write and before
the publish leaves the events in the document; a crash after the publish
and before the removal publishes them again, which consumers tolerate
(they apply by entity version or count by id).

Order per entity: a publisher first *claims* a document (one atomic update
marks its pending entries with a claim id and a lease), publishes the
entries in array order, and removes them only with its claim. While a
claim is live nobody else claims the document, so a worker and the timer,
or two replicas, never publish one entity's events side by side, and a
later event never overtakes an earlier one. Events pushed while a claim is
held stay unclaimed; the holder looks again after removing its own and
publishes them too (the writer's own claim failed). A crashed holder's
lease runs out and the timer takes the document over.
"""
import logging
import time
import uuid
from datetime import datetime, timezone

from greenlet import getcurrent
from pymongo import ReturnDocument

log = logging.getLogger(__name__)

OUTBOX_FIELD = "outbox"
# Matches documents with at least one pending event; can use the sparse
# index on outbox.event_id, so the timer does not scan every entity.
PENDING_FILTER = {OUTBOX_FIELD + ".event_id": {"$exists": True}}
# on each pending entry while a publisher holds its document:
# {"id": claim id, "until": Unix time the lease ends}
CLAIM = "claim"
# longer than a publish can take (connect, send, wait for the confirms),
# short enough that a crashed holder's events wait little
LEASE_SECONDS = 30.0
# rounds of "someone pushed while we held the claim" one publish follows
# before leaving the rest to the timer (a hot entity cannot hold a worker)
MAX_HANDOVERS = 5
# a worker that queued more events than this (the demo load, an import)
# leaves them all to the timer: finding its documents by event id costs
# documents x ids per claim on the embedded store (a full scan each), which
# at the demo's 1,000 events held the process's CPU for minutes
MAX_REMEMBERED = 100
_PUSHED = "cfz_outbox_pushed"


def outbox_entry(event_name, payload):
    # queued_at: when it was written, for the backlog's age (a backdated
    # event's occurred_at says nothing about how long it has waited)
    entry = {"event_id": payload["event_id"], "name": event_name,
             "payload": payload, "queued_at": datetime.now(timezone.utc).isoformat()}
    _remember(entry["event_id"])
    return entry


def _remember(event_id):
    # on the green thread: a nameko worker is one, so a worker's own
    # events are the ones it queued (see services/common/context.py)
    thread = getcurrent()
    pushed = getattr(thread, _PUSHED, None)
    if pushed is None:
        pushed = []
        setattr(thread, _PUSHED, pushed)
    if len(pushed) <= MAX_REMEMBERED:  # one more marks "too many"
        pushed.append(event_id)


def take_pushed():
    """The ids of the events this green thread queued since it last asked
    (whether or not their write succeeded: a failed write's match nothing);
    none when it queued more than MAX_REMEMBERED (the timer's then)."""
    thread = getcurrent()
    pushed = getattr(thread, _PUSHED, None) or []
    setattr(thread, _PUSHED, [])
    return pushed if len(pushed) <= MAX_REMEMBERED else []


def push_events(update, entries):
    """Add `$push` of outbox entries to a Mongo update document."""
    if entries:
        update.setdefault("$push", {})[OUTBOX_FIELD] = {"$each": list(entries)}
    return update


def _unclaimed(now):
    return {"$not": {"$elemMatch": {CLAIM + ".until": {"$gt": now}}}}


def _selector(event_ids, now):
    """Documents nobody holds that have pending events (of `event_ids`)."""
    if event_ids is None:
        return dict(PENDING_FILTER, **{OUTBOX_FIELD: _unclaimed(now)})
    return dict(PENDING_FILTER, **{OUTBOX_FIELD: dict(
        _unclaimed(now), **{"$elemMatch": {"event_id": {"$in": list(event_ids)}}})})


def _claim(collection, selector, claim_id, now, lease_seconds):
    """One document's pending entries, claimed; None if none is free."""
    return collection.find_one_and_update(
        selector,
        {"$set": {OUTBOX_FIELD + ".$[]." + CLAIM: {"id": claim_id,
                                                   "until": now + lease_seconds}}},
        projection={OUTBOX_FIELD: 1}, return_document=ReturnDocument.AFTER)


def _release(collection, doc_id, claim_id, event_ids):
    """Remove the published entries under our claim; True if others were
    pushed meanwhile (ours to publish next)."""
    after = collection.find_one_and_update(
        {"_id": doc_id, OUTBOX_FIELD + "." + CLAIM + ".id": claim_id},
        {"$pull": {OUTBOX_FIELD: {"event_id": {"$in": event_ids}}}},
        projection={OUTBOX_FIELD + ".event_id": 1}, return_document=ReturnDocument.AFTER)
    return bool(after and after.get(OUTBOX_FIELD))


def _unclaim(collection, doc_ids, claim_id):
    collection.update_many(
        {"_id": {"$in": doc_ids}, OUTBOX_FIELD + "." + CLAIM + ".id": claim_id},
        {"$unset": {OUTBOX_FIELD + ".$[]." + CLAIM: ""}})


def flush(collection, publish, limit=500, on_failure=None, event_ids=None,
          clock=time.time, lease_seconds=LEASE_SECONDS):
    """Publish pending events of `collection` in write order; return how
    many were published.

    Every pending event, up to about `limit` (the timer), or only those of
    the documents holding `event_ids` (a worker after its write).
    `publish([(name, payload), ...])` publishes a batch and must raise
    unless the broker confirmed all of it. Documents are claimed first (see
    above), their events published in one batch, then removed. A failed
    batch is released for the next try and cuts the round short;
    `on_failure()` is called then.
    """
    if event_ids is not None and not event_ids:
        return 0
    claim_id = uuid.uuid4().hex
    claimed, count = [], 0
    selector = _selector(event_ids, clock())
    # one query finds the candidates, then each is claimed by its _id: a
    # claim by the whole selector would scan again per document (on the
    # embedded store a full copy of the pending documents each time)
    candidates = [doc["_id"] for doc in collection.find(selector, {"_id": 1}).limit(limit)]
    for doc_id in candidates:
        if count >= limit:
            break
        doc = _claim(collection, dict(selector, _id=doc_id), claim_id, clock(), lease_seconds)
        if doc is None:
            continue  # taken by another publisher meanwhile
        claimed.append(doc)
        count += len(doc[OUTBOX_FIELD])
        time.sleep(0)  # green under nameko: the embedded store is pure CPU
    published = 0
    for _ in range(1 + MAX_HANDOVERS):
        if not claimed:
            break
        try:
            publish([(entry["name"], entry["payload"])
                     for doc in claimed for entry in doc[OUTBOX_FIELD]])
        except Exception:
            log.exception("outbox: publishing failed; the events wait for the next round")
            _unclaim(collection, [doc["_id"] for doc in claimed], claim_id)
            if on_failure is not None:
                on_failure()
            return published
        handed_over = []
        for doc in claimed:
            ids = [entry["event_id"] for entry in doc[OUTBOX_FIELD]]
            published += len(ids)
            time.sleep(0)  # as above: let the other green threads run
            if _release(collection, doc["_id"], claim_id, ids):
                again = _claim(collection, dict(PENDING_FILTER, _id=doc["_id"],
                                                **{OUTBOX_FIELD: _unclaimed(clock())}),
                               claim_id, clock(), lease_seconds)
                if again is not None and again.get(OUTBOX_FIELD):
                    handed_over.append(again)
        claimed = handed_over
    if claimed:  # followed long enough: the timer takes the rest
        _unclaim(collection, [doc["_id"] for doc in claimed], claim_id)
    return published


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
