"""Agencies and their officer accounts; system administrators.

Plain module: functions take the registry's pymongo Database.
"""
import uuid
from datetime import datetime, timezone

from pymongo.errors import DuplicateKeyError

from services.common import auth
from services.common.actor import (actor_of, require_any_admin, require_may_act_for,
                                   require_may_administer, require_system_admin)
from services.common.errors import Conflict, Forbidden, NotFound, Unauthorized
from services.registry import audit, throttle

INDEXES = {
    "accounts": [([("username", 1)], {"unique": True, "name": "username_unique"}),
                 ([("agency_id", 1)], {"name": "agency"})],
    "agencies": [([("status", 1)], {"name": "status"})],
    **throttle.INDEXES,
}


def _now():
    return datetime.now(timezone.utc)


def new_id(prefix):
    return "{}-{}".format(prefix, uuid.uuid4().hex[:16])


def require_officer_of(actor, agency_id):
    """Admins may act on every agency; officers only on their own."""
    return require_may_act_for(actor, agency_id, "This belongs to another agency.")


def _username_taken():
    return Conflict("That username is taken.",
                    {"fields": {"username": ["Already taken."]}}, code="USERNAME_TAKEN")


def ensure_admin(db, passwords, username, password):
    """Create the first system administrator once (from CFZ_ADMIN_*)."""
    if db.accounts.find_one({"username": username}, {"_id": 1}):
        return False
    try:
        db.accounts.insert_one({
            "_id": new_id("acc"), "username": username,
            "password_hash": passwords.hash(password), "role": "admin",
            "agency_id": None, "agency_admin": False, "status": "active",
            "created_at": _now()})
    except DuplicateKeyError:
        return False
    return True


def _iso(value):
    return value.isoformat() if value else None


def agency_view(doc):
    return {"id": doc["_id"], "name_th": doc["name_th"], "name_en": doc["name_en"],
            "ministry": doc["ministry"], "contact_email": doc["contact_email"],
            "status": doc["status"], "created_at": doc["created_at"].isoformat(),
            "approved_at": _iso(doc.get("approved_at")),
            "rejected_at": _iso(doc.get("rejected_at")),
            "rejection_reason": doc.get("rejection_reason")}


def account_view(doc):
    return {"id": doc["_id"], "username": doc["username"], "role": doc["role"],
            "agency_id": doc.get("agency_id"), "agency_admin": bool(doc.get("agency_admin")),
            "full_name": doc.get("full_name"), "status": doc["status"],
            "created_at": _iso(doc.get("created_at")), "disabled_at": _iso(doc.get("disabled_at"))}


def register_agency(db, passwords, data):
    """Create a pending agency and its first officer (the agency admin).

    A taken username is said so (the officer must choose another); the
    service counts every registration against a per-client limit first, so
    this cannot be used to list accounts quickly (docs/adr/0005-abuse.md).

    The account is inserted first: its unique username index is the
    arbiter of conflicts. A crash before the agency insert leaves an account
    whose agency does not exist, which cannot log in and holds only its name.
    """
    if db.accounts.find_one({"username": data["username"]}, {"_id": 1}):
        raise _username_taken()
    agency_id = new_id("ag")
    now = _now()
    password_hash = passwords.hash(data["password"])
    try:
        db.accounts.insert_one({
            "_id": new_id("acc"), "username": data["username"],
            "password_hash": password_hash, "role": "officer",
            "agency_id": agency_id, "agency_admin": True, "status": "active",
            "created_at": now})
    except DuplicateKeyError:
        raise _username_taken()
    doc = {"_id": agency_id, "name_th": data["name_th"], "name_en": data["name_en"],
           "ministry": data["ministry"], "contact_email": data["contact_email"],
           "status": "pending", "created_at": now, "approved_at": None}
    db.agencies.insert_one(doc)
    return {"agency": agency_view(doc), "username": data["username"]}


def get_agency(db, agency_id):
    doc = db.agencies.find_one({"_id": agency_id})
    if doc is None:
        raise NotFound("No such agency.", {"agency_id": agency_id})
    return doc


def approve_agency(db, actor, agency_id):
    """Approve a pending agency (again: nothing changes)."""
    actor = require_system_admin(actor)
    doc = get_agency(db, agency_id)
    if doc["status"] == "approved":
        return agency_view(doc)
    # only from pending: an approval racing a rejection cannot undo it
    result = db.agencies.update_one({"_id": agency_id, "status": "pending"},
                                    {"$set": {"status": "approved", "approved_at": _now(),
                                              "approved_by": actor.account_id}})
    after = get_agency(db, agency_id)
    if result.modified_count != 1 and after["status"] != "approved":
        raise _rejected(after)
    if result.modified_count == 1:
        audit.record(db, actor, "agency.approve", "agency", agency_id, agency_id,
                     *audit.diff(doc, {"status": "approved"}))
    return agency_view(after)


def _rejected(doc):
    return Conflict("The agency's registration was rejected; it must register again.",
                    {"reason": doc.get("rejection_reason")}, code="AGENCY_REJECTED")


def reject_agency(db, actor, agency_id, reason):
    """Reject a pending registration with a reason the officer is shown
    when logging in. Final: a rejected agency registers again."""
    actor = require_system_admin(actor)
    doc = get_agency(db, agency_id)
    if doc["status"] == "rejected":
        raise _rejected(doc)
    result = db.agencies.update_one(
        {"_id": agency_id, "status": "pending"},
        {"$set": {"status": "rejected", "rejected_at": _now(), "rejected_by": actor.account_id,
                  "rejection_reason": reason}})
    if result.modified_count != 1:
        raise Conflict("Only a pending registration can be rejected.",
                       {"status": get_agency(db, agency_id)["status"]}, code="AGENCY_NOT_PENDING")
    audit.record(db, actor, "agency.reject", "agency", agency_id, agency_id,
                 *audit.diff(doc, {"status": "rejected", "rejection_reason": reason}))
    return agency_view(get_agency(db, agency_id))


def list_agencies(db, actor, status=None):
    require_system_admin(actor)
    query = {"status": status} if status else {}
    return [agency_view(d) for d in db.agencies.find(query).sort("created_at", 1)]


def authenticate(db, passwords, secret, ttl_seconds, username, password, client=None,
                 limits=None):
    """A bearer token for the right password. With `limits` (throttle
    settings) failed logins lock the account and the client for a while
    (services/registry/throttle.py); an unknown username is answered and
    timed like a wrong password (a dummy hash is checked)."""
    attempt = throttle.Attempt(secret, username, client, limits) if limits else None
    if attempt:
        throttle.check(db, attempt)
    account = db.accounts.find_one({"username": username})
    if not passwords.verify(account["password_hash"] if account else None, password):
        if attempt:
            throttle.record_failure(db, attempt)
        raise Unauthorized("Wrong username or password.", code="INVALID_CREDENTIALS")
    if attempt:
        throttle.record_success(db, attempt)
    if account["status"] != "active":
        raise Forbidden("This account is disabled.", code="ACCOUNT_DISABLED")
    if account["role"] == "officer":
        agency = db.agencies.find_one({"_id": account["agency_id"]})
        if agency is None or agency["status"] == "pending":
            raise Forbidden("The agency is waiting for approval by a system "
                            "administrator.", code="ACCOUNT_PENDING")
        if agency["status"] == "rejected":
            raise Forbidden("The agency's registration was rejected.",
                            {"reason": agency.get("rejection_reason")}, code="ACCOUNT_REJECTED")
        if agency["status"] != "approved":
            raise Forbidden("The agency's registration was not approved.",
                            code="AGENCY_NOT_APPROVED")
    claims = {"sub": account["_id"], "username": account["username"],
              "role": account["role"], "agency_id": account["agency_id"],
              "agency_admin": bool(account.get("agency_admin")),
              auth.TOKEN_VERSION: account.get("token_version", 0)}
    token = auth.issue_token(secret, ttl_seconds, claims)
    return {"access_token": token, "token_type": "Bearer",
            "expires_in": int(ttl_seconds)}


def verify_actor(db, secret, token):
    """The claims of a token that is genuine, unexpired and still honoured:
    its account is active and has not ended its tokens since (token version).

    The one place a token is checked against its account; the registry
    answers every other service through `check_token`."""
    claims = auth.verify_token(secret, token)
    account = db.accounts.find_one({"_id": claims["sub"]},
                                   {"status": 1, "token_version": 1})
    if (account is None or account["status"] != "active"
            or claims.get(auth.TOKEN_VERSION, 0) != account.get("token_version", 0)):
        raise Unauthorized("This token is no longer valid; log in again.",
                           code="TOKEN_REVOKED")
    return claims


def require_agency_admin(actor, agency_id):
    """A system administrator, or the agency's own administrator."""
    return require_may_administer(actor, agency_id)


def list_officers(db, actor, agency_id):
    require_agency_admin(actor, agency_id)
    get_agency(db, agency_id)
    return [account_view(d) for d in
            db.accounts.find({"agency_id": agency_id}, {"password_hash": 0}).sort("created_at", 1)]


def disable_account(db, actor, account_id):
    """End an account: it cannot log in and its tokens stop working (the
    token version moves on). A system administrator disables anyone but
    themselves; an agency administrator, the officers of their agency."""
    actor = actor_of(actor)
    doc = db.accounts.find_one({"_id": account_id}, {"password_hash": 0})
    if doc is None:
        require_any_admin(actor, "Only an administrator may disable accounts.")
        raise NotFound("No such account.", {"account_id": account_id})
    if doc["role"] == "admin":
        require_system_admin(actor)
    else:
        require_agency_admin(actor, doc["agency_id"])
    if doc["_id"] == actor.account_id:
        raise Conflict("You cannot disable your own account.", code="CANNOT_DISABLE_SELF")
    if doc["status"] == "disabled":
        return account_view(doc)
    result = db.accounts.update_one(
        {"_id": account_id, "status": "active"},
        {"$set": {"status": "disabled", "disabled_at": _now(), "disabled_by": actor.account_id},
         "$inc": {"token_version": 1}})
    if result.modified_count == 1:
        audit.record(db, actor, "account.disable", "account", account_id, doc.get("agency_id"),
                     {"status": doc["status"], "username": doc["username"]},
                     {"status": "disabled", "username": doc["username"]})
    return account_view(db.accounts.find_one({"_id": account_id}, {"password_hash": 0}))


def audit_trail(db, actor, agency_id, query):
    """The agency's audit trail, for its administrator and system administrators."""
    require_agency_admin(actor, agency_id)
    get_agency(db, agency_id)
    return audit.list_entries(db, agency_id, query["limit"], query["offset"])


def add_officer(db, passwords, actor, agency_id, data):
    """An agency administrator (or a system administrator) adds an officer."""
    require_agency_admin(actor, agency_id)
    if get_agency(db, agency_id)["status"] != "approved":
        raise Conflict("The agency is not approved yet.", code="AGENCY_NOT_APPROVED")
    if db.accounts.find_one({"username": data["username"]}, {"_id": 1}):
        raise _username_taken()
    account = {"_id": new_id("acc"), "username": data["username"],
               "password_hash": passwords.hash(data["password"]), "role": "officer",
               "agency_id": agency_id, "agency_admin": bool(data.get("agency_admin")),
               "full_name": data.get("full_name"), "status": "active",
               "created_at": _now()}
    try:
        db.accounts.insert_one(account)
    except DuplicateKeyError:
        raise _username_taken()
    return {"id": account["_id"], "username": account["username"],
            "agency_id": agency_id, "agency_admin": account["agency_admin"]}
