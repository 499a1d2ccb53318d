"""The registry's persistence: every query it makes, in one place (ADR 12).

`RegistryStore` offers the operations the registry's rules need, grouped by
collection below: accounts, agencies, points, catalogue, audit, login
throttle. Rate limits and the open data files are the common mixins. The
domain modules (accounts, points, catalogue, audit, throttle, opendata,
demo) decide; this module only reads and writes.

Writes keep their guards here: an agency changes status only from pending,
an account is disabled only while active, and a point is written only at
the version it was read at, its events (the outbox) in the same
single-document update.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common import opendata_store, ratelimit
from services.common.opendata_store import OpenDataFiles
from services.common.outbox import push_events
from services.common.ratelimit import RateLimits
from services.common.storage import Repository

INDEXES = {
    "accounts": [([("username", 1)], {"unique": True, "name": "username_unique"}),
                 ([("agency_id", 1)], {"name": "agency"})],
    "agencies": [([("status", 1)], {"name": "status"})],
    "login_throttle": [([("expires_at", 1)], {"name": "expiry", "expireAfterSeconds": 0})],
    "points": [([("agency_id", 1), ("status", 1)], {"name": "agency_status"}),
               ([("province_code", 1), ("status", 1)], {"name": "province_status"}),
               ([("outbox.event_id", 1)], {"name": "outbox", "sparse": True}),
               # one point per officer and Idempotency-Key, even when two
               # identical requests race (sparse: points created without one)
               ([("idempotency_scope", 1)], {"name": "idempotency", "unique": True,
                                             "sparse": True})],
    "catalogue": [([("search.names", 1)], {"name": "names"})],
    "audit": [([("agency_id", 1), ("_id", -1)], {"name": "agency_newest"})],
    **ratelimit.INDEXES,
    **opendata_store.INDEXES,
}
NO_PASSWORD = {"password_hash": 0}
NO_OUTBOX = {"outbox": 0}


class RegistryStore(Repository, RateLimits, OpenDataFiles):
    """The registry's persistence: accounts, agencies, service points, the
    catalogue, the audit trail and the login throttle's counters."""

    # --- accounts -------------------------------------------------------------
    def username_taken(self, username):
        return self._db.accounts.find_one({"username": username}, {"_id": 1}) is not None

    def insert_account(self, doc):
        """False when the username is taken: the unique username index is
        the arbiter of conflicts, even between two racing registrations."""
        try:
            self._db.accounts.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def account_by_username(self, username):
        """The whole account, its password hash too (to log in), or None."""
        return self._db.accounts.find_one({"username": username})

    def account_token_state(self, account_id):
        """What decides whether the account's tokens are honoured (its status
        and token version), or None."""
        return self._db.accounts.find_one({"_id": account_id},
                                          {"status": 1, "token_version": 1})

    def account(self, account_id):
        """The account without its password hash, or None."""
        return self._db.accounts.find_one({"_id": account_id}, NO_PASSWORD)

    def officers_of(self, agency_id):
        """The agency's accounts (without password hashes), oldest first."""
        return list(self._db.accounts.find({"agency_id": agency_id}, NO_PASSWORD)
                    .sort("created_at", 1))

    def disable_active_account(self, account_id, by, at):
        """Disable the account and end its tokens (the token version moves
        on); True if it was active."""
        result = self._db.accounts.update_one(
            {"_id": account_id, "status": "active"},
            {"$set": {"status": "disabled", "disabled_at": at, "disabled_by": by},
             "$inc": {"token_version": 1}})
        return result.modified_count == 1

    # --- agencies -------------------------------------------------------------
    def agency(self, agency_id):
        return self._db.agencies.find_one({"_id": agency_id})

    def insert_agency(self, doc):
        self._db.agencies.insert_one(doc)

    def approve_pending_agency(self, agency_id, by, at):
        """True if the agency was pending and is approved now (only from
        pending: an approval racing a rejection cannot undo it)."""
        result = self._db.agencies.update_one({"_id": agency_id, "status": "pending"},
                                              {"$set": {"status": "approved", "approved_at": at,
                                                        "approved_by": by}})
        return result.modified_count == 1

    def reject_pending_agency(self, agency_id, by, at, reason):
        """True if the agency was pending and is rejected now."""
        result = self._db.agencies.update_one(
            {"_id": agency_id, "status": "pending"},
            {"$set": {"status": "rejected", "rejected_at": at, "rejected_by": by,
                      "rejection_reason": reason}})
        return result.modified_count == 1

    def agencies(self, status=None):
        """The agencies (of `status`, if given), oldest first."""
        query = {"status": status} if status else {}
        return list(self._db.agencies.find(query).sort("created_at", 1))

    def agency_approved(self, agency_id):
        return self._db.agencies.find_one({"_id": agency_id, "status": "approved"},
                                          {"_id": 1}) is not None

    def agency_names(self, agency_id):
        """The agency's name_th and name_en, or None."""
        return self._db.agencies.find_one({"_id": agency_id}, {"name_th": 1, "name_en": 1})

    def approved_agencies(self):
        """Approved agencies by id: their names and ministry (for open data)."""
        return {doc["_id"]: doc for doc in self._db.agencies.find(
            {"status": "approved"}, {"name_th": 1, "name_en": 1, "ministry": 1})}

    def demo_agencies_loaded(self):
        return self._db.agencies.find_one({"demo": True}, {"_id": 1}) is not None

    def mark_demo_agency(self, agency_id):
        self._db.agencies.update_one({"_id": agency_id}, {"$set": {"demo": True}})

    # --- service points -------------------------------------------------------
    def point(self, point_id):
        """The point without its outbox, or None."""
        return self._db.points.find_one({"_id": point_id}, NO_OUTBOX)

    def point_by_idempotency_scope(self, scope):
        """The point a request with this scope (account and key) created, or None."""
        return self._db.points.find_one({"idempotency_scope": scope}, NO_OUTBOX)

    def insert_point(self, doc):
        """Store a new point with its first events (in `doc["outbox"]`); None,
        or, when a point with the same idempotency scope is stored already
        (an identical request raced this one and won), that point."""
        try:
            self._db.points.insert_one(doc)
        except DuplicateKeyError:
            earlier = (self.point_by_idempotency_scope(doc["idempotency_scope"])
                       if doc.get("idempotency_scope") else None)
            if earlier is None:
                raise
            return earlier
        return None

    def update_point_at_version(self, point_id, version, fields, outbox_entries):
        """Set `fields` and append the events to the point's outbox in one
        single-document update, if the point is still at `version`; True if
        written (False: someone else changed it meanwhile)."""
        update = push_events({"$set": fields}, outbox_entries)
        result = self._db.points.update_one({"_id": point_id, "entity_version": version}, update)
        return result.modified_count == 1

    def points_page(self, status=None, agency_id=None, province_code=None, offset=0, limit=50):
        """(points without outboxes in id order, how many match); None or
        empty criteria match every point."""
        criteria = {}
        if status:
            criteria["status"] = status
        if agency_id:
            criteria["agency_id"] = agency_id
        if province_code:
            criteria["province_code"] = province_code
        total = self._db.points.count_documents(criteria)
        cursor = (self._db.points.find(criteria, NO_OUTBOX).sort("_id", 1)
                  .skip(offset).limit(limit))
        return list(cursor), total

    def open_points(self, after_id=None, limit=None, without=("outbox",)):
        """Open points in id order (after `after_id`, at most `limit`), the
        fields `without` left out; a cursor (open data reads every point)."""
        criteria = {"status": "open"}
        if after_id:
            criteria["_id"] = {"$gt": after_id}
        cursor = self._db.points.find(criteria, {name: 0 for name in without}).sort("_id", 1)
        return cursor if limit is None else cursor.limit(limit)

    def open_point_counts(self, by):
        """Per value of the field `by` (agency_id, province_code), in order:
        open points ("pinned"), how many are surveyed and how many all-Zero-Copy."""
        return list(self._db.points.aggregate([
            {"$match": {"status": "open"}},
            {"$group": {"_id": "$" + by, "pinned": {"$sum": 1},
                        "surveyed": {"$sum": {"$cond": ["$surveyed", 1, 0]}},
                        "zero_copy": {"$sum": {"$cond": ["$zero_copy", 1, 0]}}}},
            {"$sort": {"_id": 1}},
        ]))

    def count_points(self):
        return self._db.points.count_documents({})

    # --- catalogue ------------------------------------------------------------
    def upsert_catalogue_entry(self, doc):
        """Store the entry under its code; True if it replaced one."""
        result = self._db.catalogue.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        return bool(result.matched_count)

    def count_catalogue(self):
        return self._db.catalogue.count_documents({})

    def catalogue_entries(self, fields=None):
        """Every entry (only `fields`, when given)."""
        return self._db.catalogue.find({}, {name: 1 for name in fields} if fields else None)

    def catalogue_entry(self, service_code):
        return self._db.catalogue.find_one({"_id": service_code})

    def catalogue_entries_by_code(self, codes):
        """The entries for `codes`, by code (missing codes are absent)."""
        return {doc["_id"]: doc for doc in self._db.catalogue.find({"_id": {"$in": list(codes)}})}

    def catalogue_entries_not_indexed_by(self, search_version):
        return list(self._db.catalogue.find({"search.v": {"$ne": search_version}}))

    def set_catalogue_search(self, service_code, search):
        self._db.catalogue.update_one({"_id": service_code}, {"$set": {"search": search}})

    # --- audit trail ----------------------------------------------------------
    def insert_audit_entry(self, entry):
        self._db.audit.insert_one(entry)

    def insert_audit_entry_once(self, entry):
        """False when an entry with its id is stored already."""
        try:
            self._db.audit.insert_one(entry)
        except DuplicateKeyError:
            return False
        return True

    def audit_entries(self, agency_id, limit, offset):
        """(an agency's entries newest first, how many it has)."""
        criteria = {"agency_id": agency_id}
        cursor = self._db.audit.find(criteria).sort("_id", -1).skip(offset).limit(limit)
        return list(cursor), self._db.audit.count_documents(criteria)

    # --- login throttle -------------------------------------------------------
    def throttle_counters(self, ids):
        """The stored counters of these keys, by key."""
        return {doc["_id"]: doc for doc in self._db.login_throttle.find({"_id": {"$in": ids}})}

    def throttle_counter(self, key_id):
        return self._db.login_throttle.find_one({"_id": key_id})

    def forget_throttle_counter(self, key_id, failures):
        """Delete the counter if it still holds `failures` (conditional: a
        concurrent failure may have renewed it)."""
        self._db.login_throttle.delete_one({"_id": key_id, "failures": failures})

    def count_throttle_failure(self, key_id, at):
        """One more failure of the key; the counter after it."""
        return self._db.login_throttle.find_one_and_update(
            {"_id": key_id}, {"$inc": {"failures": 1}, "$set": {"last_failure_at": at}},
            upsert=True, return_document=ReturnDocument.AFTER)

    def extend_throttle_counter(self, key_id, expires_at, locked_until=None):
        """Keep the counter until `expires_at` at least, and locked until
        `locked_until` at least (when given)."""
        update = {"$max": {"expires_at": expires_at}}
        if locked_until is not None:
            update["$max"]["locked_until"] = locked_until
        self._db.login_throttle.update_one({"_id": key_id}, update)

    def clear_throttle_counters(self, ids):
        self._db.login_throttle.delete_many({"_id": {"$in": ids}})

    def remember_known_client(self, known_id, expires_at):
        self._db.login_throttle.update_one({"_id": known_id},
                                           {"$set": {"expires_at": expires_at}}, upsert=True)
