"""Feedback: submission, the Zero Copy check, publication and moderation.

feedback's persistence (ADR 12): `FeedbackStore` holds the service's
database and is the only place that queries it; its methods take the point
as the registry describes it. Each write carries its event in the same
document (outbox). The module's plain functions shape answers and check
rules without a database.
"""
import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone

from pymongo.errors import DuplicateKeyError

from services.common import events
from services.common.actor import require_may_act_for, require_staff
from services.common.errors import Conflict, NotFound, RateLimited, ValidationFailed
from services.common.outbox import outbox_entry, push_events
from services.common.ratelimit import RateLimits
from services.common.storage import Repository
from services.common.text import nfc
from services.common import redaction
from services.feedback import moderation

INDEXES = {
    "feedback": [
        ([("token_jti", 1)], {"name": "one_rating_per_token", "unique": True,
                              "partialFilterExpression": {"token_jti": {"$type": "string"}}}),
        ([("idempotency_key", 1)], {
            "name": "idempotency", "unique": True,
            "partialFilterExpression": {"idempotency_key": {"$type": "string"}}}),
        ([("service_point_id", 1), ("comment_status", 1), ("submitted_at", -1)],
         {"name": "public"}),
        ([("agency_id", 1), ("comment_status", 1)], {"name": "moderation"}),
        ([("comment_status", 1), ("_id", 1)], {"name": "published_by_id"}),
        ([("outbox.event_id", 1)], {"name": "outbox", "sparse": True}),
    ],
    "visit_issues": [
        ([("code", 1), ("day", 1), ("client", 1)], {"name": "per_code_day"}),
        ([("expires_at", 1)], {"name": "expiry", "expireAfterSeconds": 0}),
    ],
}


def _now():
    return datetime.now(timezone.utc)


def request_fingerprint(point_id, data):
    """What makes two submissions 'the same request' for an idempotency key."""
    material = json.dumps({"point": point_id, "data": {k: v for k, v in data.items()
                                                        if k != "visit_token"}},
                          sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def zero_copy_breaches(point, service_code, copies_requested):
    """Compare the copies a citizen was asked for with what the point declared.

    A copy is a breach when the point declared it no longer demands it, when
    the document is government-issued (the 2018 resolution), or when the
    document is not among those the point declared for the service at all.
    """
    declared = {}
    for service in point.get("services", []):
        if service_code and service["service_code"] != service_code:
            continue
        for document in service.get("documents") or []:
            declared.setdefault(nfc(document["name_th"]), document)
            if document.get("name_en"):
                declared.setdefault(nfc(document["name_en"]), document)
    breaches = []
    for name in copies_requested:
        document = declared.get(nfc(name))
        if document is None:
            breaches.append({"document": name, "reason": "undeclared_document"})
        elif document["government_issued"]:
            breaches.append({"document": name, "reason": "government_issued"})
        elif not document["copy_required"]:
            breaches.append({"document": name, "reason": "declared_no_copy"})
    return breaches


def check_service(point, service_code):
    if point.get("status") != "open":
        raise Conflict("This service point is closed.", code="POINT_CLOSED")
    offered = {s["service_code"] for s in point.get("services", [])}
    if service_code and service_code not in offered:
        raise ValidationFailed("This point does not offer that service.",
                               {"fields": {"service_code": ["Not offered at this service point."]}})


def fact_of(doc):
    """A stored rating as its feedback_submitted payload: what reporting
    counts, and recounts from."""
    return {"feedback_id": doc["_id"], "service_point_id": doc["service_point_id"],
            "agency_id": doc["agency_id"], "province_code": doc["province_code"],
            "service_code": doc["service_code"], "channel": doc["channel"],
            "answers": doc["answers"], "questionnaire_version": doc["questionnaire_version"],
            "verified": doc["verified"], "has_comment": bool(doc["comment_original"]),
            "copies_requested": doc["copies_requested"],
            "zero_copy_breaches": doc["zero_copy_breaches"],
            "submitted_at": doc["submitted_at"].isoformat()}


def public_view(doc):
    return {"feedback_id": doc["_id"], "comment": doc["comment_public"],
            "satisfaction": doc["answers"]["satisfaction"], "service_code": doc["service_code"],
            "channel": doc["channel"], "verified": doc["verified"],
            "submitted_at": doc["submitted_at"].isoformat()}


def _require_moderator(actor, agency_id):
    """System administrators, and officers of the point's agency."""
    return require_may_act_for(actor, agency_id,
                               "Only moderators of the point's agency may do this.")


def moderation_view(doc):
    """What a moderator sees: the original too (for audit), never public."""
    return dict(public_view(doc), comment_original=doc["comment_original"],
                service_point_id=doc["service_point_id"], abusive_terms=doc["abusive_terms"],
                pii_found=doc["pii_found"], comment_status=doc["comment_status"],
                moderation=doc.get("moderation"))


# --- comments redacted by older rules ------------------------------------------
SWEEP_NOTE = ("ระบบปิดบังข้อมูลส่วนบุคคลเพิ่มตามกฎใหม่ / "
              "personal data masked again by the improved redaction")
SYSTEM_MODERATOR = {"account_id": None, "username": None, "role": "system"}


class FeedbackStore(Repository, RateLimits):
    """feedback's persistence: the ratings (`feedback`, each carrying its
    events), the counter tokens issued (`visit_issues`) and, by the mixin,
    the rate limits."""

    def find_replay(self, idempotency_key, fingerprint):
        """The earlier answer to a retried request, or None for a new one."""
        if not idempotency_key:
            return None
        doc = self._db.feedback.find_one({"idempotency_key": idempotency_key},
                                         {"request_hash": 1, "comment_status": 1})
        if doc is None:
            return None
        if doc["request_hash"] != fingerprint:
            raise Conflict("This Idempotency-Key was used for a different submission.",
                           code="IDEMPOTENCY_KEY_REUSED")
        return {"feedback_id": doc["_id"], "comment_status": doc["comment_status"],
                "replayed": True}

    def submit(self, point, data, token_claims=None, idempotency_key=None, client=None,
               now=None, replay_checked=False):
        """Store one rating (and its event); the answer the citizen gets.

        `replay_checked`: the caller already looked for an earlier answer to
        this key (a concurrent retry is still caught by the unique index)."""
        fingerprint = request_fingerprint(point["id"], data)
        replay = None if replay_checked else self.find_replay(idempotency_key, fingerprint)
        if replay:
            return replay
        service_code = data.get("service_code") or (token_claims or {}).get("svc")
        check_service(point, service_code)
        now = now or _now()
        comment = (data.get("comment") or "").strip()
        public, pii = redaction.redact(comment) if comment else ("", [])
        abusive = moderation.abusive_terms(comment) if comment else []
        status = "none" if not comment else ("pending" if abusive else "published")
        breaches = zero_copy_breaches(point, service_code, data.get("copies_requested", []))
        doc = {
            "_id": "fb-" + uuid.uuid4().hex[:20],
            "service_point_id": point["id"], "agency_id": point["agency_id"],
            "province_code": point["province_code"], "service_code": service_code,
            "channel": data["channel"], "answers": data["answers"],
            "questionnaire_version": data["questionnaire_version"],
            "verified": token_claims is not None,
            "token_jti": token_claims["jti"] if token_claims else None,
            "token_kind": token_claims["typ"] if token_claims else None,
            "idempotency_key": idempotency_key, "request_hash": fingerprint,
            "client": client,
            "copies_requested": data.get("copies_requested", []), "zero_copy_breaches": breaches,
            # the original is kept for audit and never shown publicly
            "comment_original": comment or None, "comment_public": public or None,
            "pii_found": pii, "abusive_terms": abusive, "comment_status": status,
            "redaction": redaction.RULES if comment else None,
            "submitted_at": now, "moderation": None,
        }
        payload = fact_of(doc)
        # what reporting's comment themes read: only text that is public now
        payload["comment_public"] = public if status == "published" else None
        doc["outbox"] = [outbox_entry("feedback_submitted",
                                      events.new_event("feedback_submitted", payload))]
        try:
            self._db.feedback.insert_one(doc)
        except DuplicateKeyError as exc:
            if "one_rating_per_token" in str(exc) or (token_claims and self._db.feedback.find_one(
                    {"token_jti": token_claims["jti"]}, {"_id": 1})):
                raise Conflict("This visit has already been rated.",
                               {"fields": {"visit_token": ["Already used."]}}, code="TOKEN_USED")
            replay = self.find_replay(idempotency_key, fingerprint)  # a concurrent retry won
            if replay:
                return replay
            raise
        return {"feedback_id": doc["_id"], "comment_status": status, "verified": doc["verified"],
                "zero_copy_breaches": breaches, "replayed": False}

    def has_idempotency_key(self, idempotency_key):
        """Whether a rating was stored under this key (the demo's first
        rating says the demo is loaded)."""
        return self._db.feedback.find_one({"idempotency_key": idempotency_key},
                                          {"_id": 1}) is not None

    def count_ratings(self):
        return self._db.feedback.count_documents({})

    def facts(self, after_id=None, limit=1000):
        """A page of every rating's fact, in id order, for a recount."""
        criteria = {"_id": {"$gt": after_id}} if after_id else {}
        return [fact_of(doc) for doc in
                self._db.feedback.find(criteria, {"outbox": 0}).sort("_id", 1).limit(limit)]

    def published_comments(self, after_id=None, limit=500):
        """A page of the published comments (redacted text) in id order: what
        reporting's comment themes recount from."""
        criteria = {"comment_status": "published"}
        if after_id:
            criteria["_id"] = {"$gt": after_id}
        docs = self._db.feedback.find(criteria, {
            "service_point_id": 1, "agency_id": 1, "province_code": 1, "submitted_at": 1,
            "answers.satisfaction": 1, "comment_public": 1}).sort("_id", 1).limit(limit)
        return [{"feedback_id": doc["_id"], "service_point_id": doc["service_point_id"],
                 "agency_id": doc["agency_id"], "province_code": doc["province_code"],
                 "submitted_at": doc["submitted_at"].isoformat(),
                 "satisfaction": doc["answers"]["satisfaction"],
                 "comment_public": doc["comment_public"]}
                for doc in docs]

    def count_issue(self, jti, point_id, service_code, client, day, per_client, per_code,
                    retry_after):
        """Count a newly minted counter token (`jti`) against the code's limits
        for `day`: a device scanning again gets its same token and counts once.
        Inserted first and withdrawn past a limit, so racing scans cannot all
        slip under it. RateLimited (429) past either limit."""
        code_key = "{}|{}".format(point_id, service_code or "")
        try:
            self._db.visit_issues.insert_one({"_id": jti, "code": code_key, "client": client,
                                              "day": day,
                                              "expires_at": _now() + timedelta(days=2)})
        except DuplicateKeyError:
            return
        by_client = self._db.visit_issues.count_documents({"code": code_key, "day": day,
                                                           "client": client})
        by_code = self._db.visit_issues.count_documents({"code": code_key, "day": day})
        if by_client > per_client or by_code > per_code:
            self._db.visit_issues.delete_one({"_id": jti})
            message = ("This device's connection has taken today's visit tokens for this counter."
                       if by_client > per_client
                       else "This counter's code has issued today's visit tokens.")
            raise RateLimited(message + " You can still rate without one.",
                              {"retry_after_seconds": retry_after}, code="VISIT_TOKEN_LIMIT")

    def token_used(self, jti):
        return self._db.feedback.find_one({"token_jti": jti}, {"_id": 1}) is not None

    def list_public(self, point_id, limit=20, offset=0):
        criteria = {"service_point_id": point_id, "comment_status": "published"}
        total = self._db.feedback.count_documents(criteria)
        docs = self._db.feedback.find(criteria).sort(
            [("submitted_at", -1), ("_id", 1)]).skip(offset).limit(limit)
        return {"results": [public_view(d) for d in docs], "total": total,
                "limit": limit, "offset": offset}

    def moderation_queue(self, actor, agency_id=None, limit=20, offset=0):
        actor = require_staff(actor)
        if not actor.is_system_admin:
            agency_id = actor.agency_id
            _require_moderator(actor, agency_id)
        criteria = {"comment_status": "pending"}
        if agency_id:
            criteria["agency_id"] = agency_id
        total = self._db.feedback.count_documents(criteria)
        docs = self._db.feedback.find(criteria).sort(
            [("submitted_at", 1), ("_id", 1)]).skip(offset).limit(limit)
        return {"results": [moderation_view(d) for d in docs], "total": total}

    def moderate(self, actor, feedback_id, decision):
        doc = self._db.feedback.find_one({"_id": feedback_id}, {"outbox": 0})
        if doc is None or doc["comment_status"] == "none":
            raise NotFound("No such comment.", {"feedback_id": feedback_id})
        actor = _require_moderator(actor, doc["agency_id"])
        status = "published" if decision["decision"] == "publish" else "rejected"
        fields = {"comment_status": status,
                  "moderation": {"decision": status, "by": actor.account_id,
                                 "at": _now().isoformat(), "note": decision.get("note")}}
        if decision.get("comment"):
            # an edited text is redacted again: a moderator's edit is public
            fields["comment_public"] = redaction.redact(decision["comment"])[0]
            fields["redaction"] = redaction.RULES
        event = events.new_event("feedback_moderated", {
            "feedback_id": feedback_id, "service_point_id": doc["service_point_id"],
            "agency_id": doc["agency_id"], "decision": status,
            # added for comment themes: where and when, and the text now public
            "province_code": doc["province_code"], "submitted_at": doc["submitted_at"].isoformat(),
            "satisfaction": doc["answers"]["satisfaction"],
            "moderated_at": fields["moderation"]["at"],
            "comment_public": fields.get("comment_public", doc["comment_public"])
            if status == "published" else None,
            # added for the audit trail: who, and the redacted text and status before
            "moderator": events.actor_of(actor), "previous_status": doc["comment_status"],
            "previous_comment": doc["comment_public"],
            "note": redaction.public_text(decision.get("note"))})
        update = push_events({"$set": fields}, [outbox_entry("feedback_moderated", event)])
        self._db.feedback.update_one({"_id": feedback_id}, update)
        return moderation_view(dict(doc, **fields))

    def redact_again(self, after=None, limit=200, now=None):
        """Redact again, a page at a time in id order, the comments whose
        stored public text came from older redaction rules (redaction.RULES
        differs). The public text itself is redacted again, so a moderator's
        edit stays; a published comment that changes gets a feedback_moderated
        event (decision unchanged, by the system) so reporting's themes and
        examples and the registry's audit trail follow; a pending or rejected
        one changes silently (nothing public). Returns (last id seen, or None
        when the page was the last; comments changed)."""
        now = (now or _now()).isoformat()
        criteria = {"comment_status": {"$ne": "none"}}
        if after:
            criteria["_id"] = {"$gt": after}
        docs = list(self._db.feedback.find(criteria, {"outbox": 0}).sort("_id", 1).limit(limit))
        current, changed = [], 0
        for doc in docs:
            if doc.get("redaction") == redaction.RULES:
                continue
            old = doc.get("comment_public")
            new, found = redaction.redact(old if old is not None else doc["comment_original"] or "")
            if (new or None) == old:
                current.append(doc["_id"])
                continue
            fields = {"comment_public": new or None, "redaction": redaction.RULES,
                      "pii_found": sorted(set(doc.get("pii_found") or []) | set(found))}
            outbox = []
            if doc["comment_status"] == "published":
                outbox = [outbox_entry("feedback_moderated", events.new_event(
                    "feedback_moderated", {
                        "feedback_id": doc["_id"], "service_point_id": doc["service_point_id"],
                        "agency_id": doc["agency_id"], "decision": "published",
                        "province_code": doc["province_code"],
                        "submitted_at": doc["submitted_at"].isoformat(),
                        "satisfaction": doc["answers"]["satisfaction"], "moderated_at": now,
                        "comment_public": fields["comment_public"],
                        "moderator": SYSTEM_MODERATOR, "previous_status": "published",
                        "previous_comment": old, "note": SWEEP_NOTE}))]
            # guarded: a moderator's decision meanwhile wins; the next sweep looks again
            result = self._db.feedback.update_one(
                {"_id": doc["_id"], "comment_status": doc["comment_status"], "comment_public": old},
                push_events({"$set": fields}, outbox))
            changed += result.modified_count
        if current:
            self._db.feedback.update_many(
                {"_id": {"$in": current}, "redaction": {"$ne": redaction.RULES}},
                {"$set": {"redaction": redaction.RULES}})
        return (docs[-1]["_id"] if len(docs) == limit else None), changed
