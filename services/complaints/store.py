"""Complaints in the complaints service's own database, behind ComplaintStore
(ADR 12): the one module of the service that issues queries.

One document per complaint holds its public record, status history, relay
state and pending events (the outbox): a change and the events it implies
are one single-document update, guarded by `entity_version`. The
complainant's contact details live apart, in `contacts` (keyed by complaint
id), and appear only in the handling agency's view and the relay to PMOC.
"""
import hashlib
import json
import uuid
from datetime import datetime, timezone

from pymongo.errors import DuplicateKeyError

from services.common import events, redaction
from services.common.actor import require_may_act_for, require_staff
from services.common.errors import Conflict, NotFound
from services.common.outbox import outbox_entry, push_events
from services.common.ratelimit import RateLimits
from services.common.storage import Repository
from services.complaints import categories, lifecycle, tracking

INDEXES = {
    "complaints": [
        ([("tracking_code", 1)], {"unique": True, "name": "tracking_code"}),
        ([("idempotency_key", 1)], {"unique": True, "name": "idempotency_key"}),
        ([("relay.state", 1), ("relay.next_attempt_at", 1)], {"name": "relay_due"}),
        ([("agency_id", 1), ("status", 1)], {"name": "agency_status"}),
        ([("category", 1), ("filed_at", -1)], {"name": "category_filed"}),
        ([("filed_at", -1)], {"name": "filed"}),
        ([("outbox.event_id", 1)], {"name": "outbox", "sparse": True}),
        ([("relay.audit_at", 1)], {"name": "relay_audit", "sparse": True}),
    ],
}
PENDING, RELAYED_STATE, DEAD_LETTER = "pending", "relayed", "dead_letter"
MAX_UPDATE_ATTEMPTS = 5
MAX_KEPT_ERRORS = 5


def now_utc():
    return datetime.now(timezone.utc)


def _iso(value):
    return value.isoformat() if value else None


def _request_hash(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False,
                                     default=str).encode("utf-8")).hexdigest()


def complaint_id_for(idempotency_key):
    """A client's idempotency key always names the same complaint id, so a
    retried request (even one racing the first) can only find, never add."""
    return "cmp-" + hashlib.sha256(("cfz-complaint:" + idempotency_key).encode()).hexdigest()[:20]


# --- events ------------------------------------------------------------------
def event_payload(doc, previous_status=None, changed_at=None, change=None):
    """`change`: the history entry this event announces, if any; its
    account and (redacted) note go to the audit trail."""
    change = change or {}
    return {
        "complaint_id": doc["_id"], "tracking_code": doc["tracking_code"],
        "category": doc["category"], "service_point_id": doc.get("service_point_id"),
        "agency_id": doc.get("agency_id"), "province_code": doc.get("province_code"),
        "status": doc["status"], "previous_status": previous_status,
        "filed_at": doc["filed_at"].isoformat(),
        "changed_at": (changed_at or doc["updated_at"]).isoformat(),
        "sla_due_at": doc["due_at"].isoformat(),
        "pmoc_reference": (doc.get("relay") or {}).get("reference"),
        "resolution_rating": doc.get("rating"),
        "closed_at": _iso(doc.get("closed_at")),
        "entity_version": doc["entity_version"],
        "actor": change.get("account"), "note": redaction.public_text(change.get("note")),
    }


def _event(name, doc, previous_status, now, change=None):
    return outbox_entry(name, events.new_event(
        name, event_payload(doc, previous_status, now, change), now=now))


# --- views -------------------------------------------------------------------
def _replay(existing, request_hash):
    if existing.get("request_hash") != request_hash:
        raise Conflict("This Idempotency-Key was used for a different complaint.",
                       {"header": "Idempotency-Key"}, code="IDEMPOTENCY_KEY_REUSED")
    return public_view(existing)


def relay_status(doc):
    return (doc.get("relay") or {}).get("state")


def _history_view(entry):
    view = lifecycle.status_view(entry["status"])
    view.update({"at": _iso(entry["at"]), "note": entry.get("note"),
                 "by": entry.get("by"), "previous_status": entry.get("previous_status")})
    return view


def _common_view(doc, now):
    now = now or now_utc()
    category = categories.get(doc["category"]) or {}
    view = {
        "category": doc["category"], "category_th": category.get("name_th"),
        "category_en": category.get("name_en"),
        "description": doc["description"], "media_urls": doc.get("media_urls", []),
        "service_point_id": doc.get("service_point_id"), "agency_id": doc.get("agency_id"),
        "agency_name_th": doc.get("agency_name_th"), "agency_name_en": doc.get("agency_name_en"),
        "point_name_th": doc.get("point_name_th"), "point_name_en": doc.get("point_name_en"),
        "province_code": doc.get("province_code"),
        "location": doc.get("location"), "address": doc.get("address"),
        "anonymous": doc.get("anonymous", False),
        "filed_at": _iso(doc["filed_at"]), "updated_at": _iso(doc["updated_at"]),
        "closed_at": _iso(doc.get("closed_at")),
        "sla_days": doc["sla_days"], "expected_at": _iso(doc["due_at"]),
        "overdue": lifecycle.is_overdue(doc["status"], doc["due_at"], now),
        "pmoc_reference": (doc.get("relay") or {}).get("reference"),
        "relay_status": relay_status(doc),
        "history": [_history_view(h) for h in doc.get("history", [])],
        "rating": doc.get("rating"),
        "can_rate": doc["status"] in (lifecycle.RESOLVED, lifecycle.REJECTED),
        "can_reopen": lifecycle.can_reopen(doc, now),
        "entity_version": doc["entity_version"],
    }
    view.update(lifecycle.status_view(doc["status"]))
    return view


def public_view(doc, now=None):
    """What anyone holding the tracking code sees (it is shared on LINE,
    read aloud, typed at a counter): no contact details, and personal data
    masked from every text the citizen or an officer wrote."""
    view = _common_view(doc, now)
    view["description"] = redaction.public_text(view["description"])
    view["address"] = redaction.public_text(view["address"])
    view["media_urls"] = redaction.public_urls(view["media_urls"])
    for entry in view["history"]:
        entry["note"] = redaction.public_text(entry["note"])
    view["tracking_code"] = doc["tracking_code"]
    view["complaint_id"] = doc["_id"]
    return view


def _status_fields(doc, target, now):
    fields = {"status": target}
    if target in lifecycle.CLOSED:
        fields["closed_at"] = now
    return fields


def require_handler(actor, doc):
    """System administrators act on every complaint; officers only on their
    own agency's."""
    return require_may_act_for(actor, doc.get("agency_id"),
                               "This complaint is handled by another agency.")


def _open311_criteria(parsed):
    """A Mongo filter for parsed GET filters."""
    if "ids" in parsed:
        return {"_id": {"$in": parsed["ids"]}}
    found = {"filed_at": {"$gte": parsed["start"], "$lte": parsed["end"]}}
    if parsed["service_codes"]:
        found["category"] = {"$in": parsed["service_codes"]}
    if parsed["statuses"]:
        wanted = [s for s in lifecycle.STATUSES
                  if lifecycle.open311_status(s) in parsed["statuses"]]
        found["status"] = {"$in": wanted}
    return found


class ComplaintStore(Repository, RateLimits):
    """complaints' persistence: the complaints (each with its relay state
    and pending events) and their contact details, and the rate limits of
    filing (services/common/ratelimit.py)."""

    # --- filing ------------------------------------------------------------------
    def is_replay(self, idempotency_key):
        """Whether a complaint was filed with this key already (a retry, which
        is answered, not counted against the client's limit)."""
        return bool(idempotency_key) and self._db.complaints.find_one(
            {"idempotency_key": idempotency_key}, {"_id": 1}) is not None

    def file(self, data, point=None, agency=None, idempotency_key=None, sla=None, now=None,
             correlation_id=None):
        """File a complaint; the same idempotency key files it once.

        `data` is a loaded ComplaintCreate; `point`/`agency` are the registry's
        views (or None); `sla` is (default_days, {category: days});
        `correlation_id`, the filing request's, goes with its relay to PMOC.
        Returns (public view, created?).
        """
        now = now or now_utc()
        request_hash = _request_hash(data)
        if idempotency_key:
            existing = self._db.complaints.find_one({"idempotency_key": idempotency_key},
                                                    {"outbox": 0})
            if existing is not None:
                return _replay(existing, request_hash), False
            complaint_id = complaint_id_for(idempotency_key)
        else:
            complaint_id = "cmp-" + uuid.uuid4().hex[:20]
            idempotency_key = "auto-" + complaint_id
        default_days, overrides = sla or (15, {})
        days = categories.sla_days(data["category"], default_days, overrides)
        due = lifecycle.sla_due(now, days)
        contact = data.get("contact") or None
        doc = {
            "_id": complaint_id, "idempotency_key": idempotency_key, "request_hash": request_hash,
            "relay_key": "cfz-" + complaint_id,
            "category": data["category"], "description": data["description"],
            "media_urls": list(data.get("media_urls") or []),
            "service_point_id": None, "agency_id": None, "agency_name_th": None,
            "agency_name_en": None, "point_name_th": None, "point_name_en": None,
            "province_code": None,
            "location": data.get("location"), "address": data.get("address"),
            "anonymous": bool(data.get("anonymous")), "has_contact": bool(contact),
            "status": lifecycle.RECEIVED,
            "history": [lifecycle.history_entry(lifecycle.RECEIVED, now, by="citizen")],
            "filed_at": now, "updated_at": now, "closed_at": None,
            "sla_days": days, "sla_due_at": due, "due_at": due,
            "rating": None, "rating_comment": None, "rated_at": None, "reopen_count": 0,
            "entity_version": 1, "correlation_id": correlation_id,
            "relay": {"state": PENDING, "attempts": 0, "next_attempt_at": now,
                      "lease_id": None, "last_error": None, "errors": [], "reference": None,
                      "relayed_at": None, "dead_at": None, "pmoc_status": None,
                      "pmoc_status_notes": None, "synced_at": None},
        }
        if point is not None:
            doc.update({"service_point_id": point["id"], "agency_id": point["agency_id"],
                        "point_name_th": point.get("name_th"),
                        "point_name_en": point.get("name_en"),
                        "province_code": point.get("province_code")})
            if doc["location"] is None:
                doc["location"] = point.get("location")
            if doc["address"] is None:
                doc["address"] = point.get("address")
        if agency is not None:
            doc.update({"agency_name_th": agency.get("name_th"),
                        "agency_name_en": agency.get("name_en")})
        if contact:
            # written first: a crash in between leaves a private orphan, never a
            # public complaint without its contact details
            self._db.contacts.replace_one({"_id": complaint_id},
                                          dict(contact, _id=complaint_id, stored_at=now),
                                          upsert=True)
        for _ in range(5):
            doc["tracking_code"] = tracking.new_code()
            doc["outbox"] = [_event("complaint_filed", doc, None, now)]
            try:
                self._db.complaints.insert_one(doc)
                doc.pop("outbox")
                return public_view(doc, now), True
            except DuplicateKeyError:
                existing = self._db.complaints.find_one(
                    {"$or": [{"_id": complaint_id}, {"idempotency_key": idempotency_key}]},
                    {"outbox": 0})
                if existing is not None:  # a concurrent retry won
                    return _replay(existing, request_hash), False
                # else the tracking code collided (about 1 in 10^15): draw again
        raise Conflict("Could not file the complaint; try again.", code="TRY_AGAIN")

    # --- reading -----------------------------------------------------------------
    def complaint(self, complaint_id):
        """The complaint with this id (without its pending events), or None."""
        return self._db.complaints.find_one({"_id": complaint_id}, {"outbox": 0})

    def get(self, complaint_id):
        doc = self.complaint(complaint_id)
        if doc is None:
            raise NotFound("No such complaint.", {"id": complaint_id})
        return doc

    def get_by_tracking_code(self, code):
        canonical = tracking.normalise(code)
        doc = (self._db.complaints.find_one({"tracking_code": canonical}, {"outbox": 0})
               if canonical else None)
        if doc is None:
            raise NotFound("No complaint has this tracking code; check it and try again "
                           "(ไม่พบเรื่องร้องเรียนตามรหัสนี้).", {"tracking_code": code},
                           code="UNKNOWN_TRACKING_CODE")
        return doc

    def agency_view(self, doc, now=None):
        """What the handling agency sees: the original texts (it calls the
        citizen back) and contact details unless the complainant chose to stay
        anonymous; never the tracking code."""
        view = _common_view(doc, now)
        view["complaint_id"] = doc["_id"]
        view["rating_comment"] = doc.get("rating_comment")
        relay = doc.get("relay") or {}
        view["relay"] = {"state": relay.get("state"), "attempts": relay.get("attempts"),
                         "last_error": relay.get("last_error"),
                         "relayed_at": _iso(relay.get("relayed_at")),
                         "pmoc_status": relay.get("pmoc_status")}
        view["contact"] = None
        if doc.get("has_contact") and not doc.get("anonymous"):
            contact = self._db.contacts.find_one({"_id": doc["_id"]}) or {}
            view["contact"] = {k: contact.get(k)
                               for k in ("first_name", "last_name", "phone", "email")
                               if contact.get(k)}
        return view

    def contact_of(self, complaint_id):
        """Contact details for the relay (PMOC always receives them)."""
        contact = self._db.contacts.find_one({"_id": complaint_id}) or {}
        return {k: contact[k] for k in ("first_name", "last_name", "phone", "email")
                if contact.get(k)}

    def count(self):
        """How many complaints there are."""
        return self._db.complaints.count_documents({})

    def open311_requests(self, parsed, limit):
        """The complaints an Open311 GET requests.json asks for (`parsed`:
        open311.parse_query's filters), newest first, at most `limit`."""
        return list(self._db.complaints.find(_open311_criteria(parsed), {"outbox": 0})
                    .sort([("filed_at", -1), ("_id", 1)]).limit(limit))

    # --- changes -----------------------------------------------------------------
    def _apply(self, complaint_id, change, now, doc=None):
        """Version-guarded read-modify-write. `change(doc)` returns None (no
        change) or (fields to set, history entries, event names). A `doc` the
        caller already holds is tried first (a stale one just fails the guard)."""
        for _ in range(MAX_UPDATE_ATTEMPTS):
            doc = doc if doc is not None else self.get(complaint_id)
            result = change(doc)
            if result is None:
                return doc
            fields, history, event_names = result
            version = doc["entity_version"]
            # consumers copy a complaint by version from its events, so a change
            # no event announces (PMOC's bookkeeping) keeps the version: else
            # every copy would look stale to a recount
            bumped = version + 1 if event_names else version
            new = dict(doc, **fields, entity_version=bumped, updated_at=now)
            new["history"] = doc.get("history", []) + list(history)
            update = {"$set": dict(fields, entity_version=bumped, updated_at=now)}
            if history:
                update["$push"] = {"history": {"$each": list(history)}}
            push_events(update, [_event(name, new, doc["status"], now,
                                        history[-1] if history else None)
                                 for name in event_names])
            result = self._db.complaints.update_one(
                {"_id": complaint_id, "entity_version": version}, update)
            if result.modified_count == 1:
                return new
            doc = None
        raise Conflict("The complaint is being changed by someone else; try again.",
                       code="CONCURRENT_UPDATE")

    def change_status(self, actor, complaint_id, target, note=None, now=None):
        now = now or now_utc()

        def change(doc):
            handler = require_handler(actor, doc)
            lifecycle.require_move(doc["status"], target)
            by = "admin" if handler.is_system_admin else "agency"
            return (_status_fields(doc, target, now),
                    [lifecycle.history_entry(target, now, note, by, doc["status"],
                                             events.actor_of(actor))],
                    ["complaint_status_changed"])
        return self.agency_view(self._apply(complaint_id, change, now), now)

    def officer_get(self, actor, complaint_id, now=None):
        doc = self.get(complaint_id)
        require_handler(actor, doc)
        return self.agency_view(doc, now)

    def rate(self, code, rating, comment=None, now=None):
        now = now or now_utc()
        doc = self.get_by_tracking_code(code)

        def change(current):
            lifecycle.check_rating(current, rating)
            return ({"rating": rating, "rating_comment": comment, "rated_at": now}, [],
                    ["complaint_status_changed"])
        return public_view(self._apply(doc["_id"], change, now), now)

    def reopen(self, code, reason, sla=None, now=None):
        now = now or now_utc()
        doc = self.get_by_tracking_code(code)

        def change(current):
            lifecycle.check_reopen(current, now)
            return ({"status": lifecycle.REOPENED, "closed_at": None,
                     "reopen_count": current.get("reopen_count", 0) + 1,
                     "due_at": lifecycle.sla_due(now, current["sla_days"]),
                     "rating": None, "rating_comment": None, "rated_at": None},
                    [lifecycle.history_entry(lifecycle.REOPENED, now, reason, "citizen",
                                             current["status"])],
                    ["complaint_status_changed"])
        return public_view(self._apply(doc["_id"], change, now), now)

    def list_for_officer(self, actor, query, now=None):
        now = now or now_utc()
        criteria = {}
        actor = require_staff(actor)
        if not actor.is_system_admin:
            criteria["agency_id"] = actor.agency_id
        if query.get("status"):
            criteria["status"] = query["status"]
        if query.get("overdue") == "true":
            criteria["status"] = ({"$nin": sorted(lifecycle.CLOSED)} if "status" not in criteria
                                  else criteria["status"])
            criteria["due_at"] = {"$lt": now}
        elif query.get("overdue") == "false":
            criteria["$or"] = [{"status": {"$in": sorted(lifecycle.CLOSED)}},
                               {"due_at": {"$gte": now}}]
        total = self._db.complaints.count_documents(criteria)
        cursor = (self._db.complaints.find(criteria, {"outbox": 0})
                  .sort([("filed_at", -1), ("_id", 1)])
                  .skip(query.get("offset", 0)).limit(query.get("limit", 50)))
        return {"total": total, "results": [self.agency_view(d, now) for d in cursor]}

    # --- the relay's bookkeeping -------------------------------------------------
    def claim_due(self, now, lease_seconds, limit):
        """Take up to `limit` complaints due for relay. Claiming pushes the next
        attempt past the lease (compare-and-set on the due time, so two relays
        never hold one claim), and a crashed relay's claims come due again."""
        from datetime import timedelta
        due = list(self._db.complaints.find(
            {"relay.state": PENDING, "relay.next_attempt_at": {"$lte": now}},
            {"outbox": 0, "history": 0}).sort([("relay.next_attempt_at", 1), ("_id", 1)])
            .limit(limit))
        claimed = []
        lease_until = now + timedelta(seconds=lease_seconds)
        for doc in due:
            lease_id = uuid.uuid4().hex
            result = self._db.complaints.update_one(
                {"_id": doc["_id"], "relay.state": PENDING,
                 "relay.next_attempt_at": doc["relay"]["next_attempt_at"]},
                {"$set": {"relay.lease_id": lease_id, "relay.next_attempt_at": lease_until}})
            if result.modified_count == 1:
                doc["relay"].update(lease_id=lease_id, next_attempt_at=lease_until)
                claimed.append(doc)
        return claimed

    def record_relayed(self, complaint_id, reference, attempts, now=None, claimed=None,
                       duplicates=(), audit_at=None):
        """PMOC has the complaint: relayed, with its reference; one event.
        `claimed` is the document as claimed (saves a read when still current);
        `duplicates` are further PMOC requests found for it; `audit_at`, when
        to search PMOC for duplicates once more (after an unsure failure)."""
        now = now or now_utc()

        def change(doc):
            relay = dict(doc["relay"])
            if relay["state"] == RELAYED_STATE:
                return None  # another relay attempt got there first
            relay.update({"state": RELAYED_STATE, "reference": reference, "relayed_at": now,
                          "attempts": attempts, "lease_id": None, "dead_at": None,
                          "next_attempt_at": None})
            if duplicates:
                relay["duplicates"] = sorted(set(relay.get("duplicates") or []) | set(duplicates))
            if audit_at is not None:
                relay["audit_at"] = audit_at
            fields, history = {"relay": relay}, []
            if doc["status"] == lifecycle.RECEIVED:
                fields["status"] = lifecycle.RELAYED
                history.append(lifecycle.history_entry(
                    lifecycle.RELAYED, now, "PMOC reference {}".format(reference), "relay",
                    doc["status"]))
            return fields, history, ["complaint_relayed"]
        return self._apply(complaint_id, change, now, claimed)

    def record_failure(self, doc, error, retry_at, now=None, unsure=False):
        """A failed attempt: retry at `retry_at`, or dead-letter when it is None.
        `unsure`: PMOC may have stored it (the answer was lost), so the next
        attempt searches first; the first such moment is kept as `unsure_since`.
        Written only while this attempt still holds its claim."""
        now = now or now_utc()
        relay = doc["relay"]
        attempts = relay.get("attempts", 0) + 1
        errors = (list(relay.get("errors") or [])
                  + [{"at": now, "error": error}])[-MAX_KEPT_ERRORS:]
        fields = {"relay.attempts": attempts, "relay.last_error": error, "relay.errors": errors,
                  "relay.lease_id": None}
        if unsure and relay.get("unsure_since") is None:
            fields["relay.unsure_since"] = now
        if retry_at is None:
            fields.update({"relay.state": DEAD_LETTER, "relay.dead_at": now,
                           "relay.next_attempt_at": None})
        else:
            fields["relay.next_attempt_at"] = retry_at
        self._db.complaints.update_one({"_id": doc["_id"], "relay.lease_id": relay["lease_id"],
                                  "relay.state": PENDING}, {"$set": fields})
        return attempts

    def dead_letters(self, limit=100, offset=0):
        criteria = {"relay.state": DEAD_LETTER}
        total = self._db.complaints.count_documents(criteria)
        cursor = (self._db.complaints.find(criteria, {"outbox": 0, "history": 0, "description": 0})
                  .sort([("relay.dead_at", 1), ("_id", 1)]).skip(offset).limit(limit))
        return {"total": total, "results": [{
            "complaint_id": d["_id"], "category": d["category"], "agency_id": d.get("agency_id"),
            "filed_at": _iso(d["filed_at"]), "attempts": d["relay"].get("attempts"),
            "reason": d["relay"].get("last_error"), "dead_at": _iso(d["relay"].get("dead_at")),
            "errors": [{"at": _iso(e["at"]), "error": e["error"]}
                       for e in d["relay"].get("errors", [])],
        } for d in cursor]}

    def retry_dead_letters(self, complaint_ids=None, now=None):
        """Put dead letters back in the relay queue (all, or the named ones)."""
        now = now or now_utc()
        criteria = {"relay.state": DEAD_LETTER}
        if complaint_ids:
            criteria["_id"] = {"$in": list(complaint_ids)}
        result = self._db.complaints.update_many(criteria, {"$set": {
            "relay.state": PENDING, "relay.attempts": 0, "relay.next_attempt_at": now,
            "relay.lease_id": None, "relay.dead_at": None, "relay.retried_at": now}})
        return {"requeued": result.modified_count}

    def facts(self, after_id=None, limit=1000):
        """A page of every complaint as its latest event payload, in id order,
        for reporting's recount."""
        criteria = {"_id": {"$gt": after_id}} if after_id else {}
        return [event_payload(doc)
                for doc in self._db.complaints.find(criteria, {"outbox": 0, "history": 0})
                .sort("_id", 1).limit(limit)]

    def relay_counts(self):
        """Complaints by relay state, and how many are at PMOC more than once."""
        counts = {state: self._db.complaints.count_documents({"relay.state": state})
                  for state in (PENDING, RELAYED_STATE, DEAD_LETTER)}
        counts["duplicated_at_pmoc"] = self._db.complaints.count_documents(
            {"relay.duplicates.0": {"$exists": True}})
        return counts

    def due_for_audit(self, now, limit):
        """Relayed complaints whose second search for duplicates is due."""
        return list(self._db.complaints.find(
            {"relay.audit_at": {"$lte": now}, "relay.state": RELAYED_STATE},
            {"_id": 1, "relay": 1, "category": 1}).sort("relay.audit_at", 1).limit(limit))

    def record_audit(self, complaint_id, duplicates):
        """The second search is done; `duplicates` are kept on the complaint."""
        update = {"$unset": {"relay.audit_at": ""}}
        if duplicates:
            update["$addToSet"] = {"relay.duplicates": {"$each": list(duplicates)}}
        self._db.complaints.update_one({"_id": complaint_id}, update)

    def oldest_pending_age(self, now=None):
        """Seconds since the oldest complaint still waiting for its relay was
        filed (0 when none waits)."""
        oldest = self._db.complaints.find_one({"relay.state": PENDING}, {"filed_at": 1},
                                        sort=[("filed_at", 1)])
        if oldest is None:
            return 0.0
        return max(0.0, ((now or now_utc()) - oldest["filed_at"]).total_seconds())

    def to_sync(self, limit, after_id=None):
        """Relayed complaints still open here: PMOC may have moved them."""
        criteria = {"relay.state": RELAYED_STATE, "status": {"$nin": sorted(lifecycle.CLOSED)}}
        if after_id:
            criteria["_id"] = {"$gt": after_id}
        return list(self._db.complaints.find(criteria, {"_id": 1, "relay": 1, "status": 1,
                                                  "correlation_id": 1})
                    .sort("_id", 1).limit(limit))

    def apply_pmoc_status(self, complaint_id, pmoc_status, notes, now=None):
        """PMOC's view of a relayed complaint. PMOC closing it resolves it here
        (one complaint_status_changed); a new note is kept in the history."""
        now = now or now_utc()

        def change(doc):
            relay = dict(doc["relay"], pmoc_status=pmoc_status, pmoc_status_notes=notes,
                         synced_at=now)
            closing = pmoc_status == "closed" and doc["status"] not in lifecycle.CLOSED
            noted = notes and notes != doc["relay"].get("pmoc_status_notes")
            if not closing and not noted:
                if doc["relay"].get("pmoc_status") == pmoc_status:
                    return None
                return {"relay": relay}, [], []
            fields, history, names = {"relay": relay}, [], []
            if closing and lifecycle.can_move(doc["status"], lifecycle.RESOLVED):
                fields.update(_status_fields(doc, lifecycle.RESOLVED, now))
                history.append(lifecycle.history_entry(
                    lifecycle.RESOLVED, now, notes or "Closed at PMOC", "pmoc", doc["status"]))
                names.append("complaint_status_changed")
            elif noted:
                history.append(lifecycle.history_entry(doc["status"], now, notes, "pmoc",
                                                       doc["status"]))
            return fields, history, names
        return self._apply(complaint_id, change, now)
