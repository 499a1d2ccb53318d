"""Agencies and their officer accounts; system administrators.

Plain module: functions take the registry's repository (store.RegistryStore).
"""
import uuid
from datetime import datetime, timezone

from services.common import auth
from services.common.actor import (actor_of, require_any_admin, require_may_act_for,
                                   require_may_administer, require_system_admin)
from services.common.errors import Conflict, Forbidden, NotFound, Unauthorized
from services.registry import audit, throttle


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


def ensure_admin(storage, passwords, username, password):
    """Create the first system administrator once (from CFZ_ADMIN_*)."""
    if storage.username_taken(username):
        return False
    return storage.insert_account({
        "_id": new_id("acc"), "username": username,
        "password_hash": passwords.hash(password), "role": "admin",
        "agency_id": None, "agency_admin": False, "status": "active",
        "created_at": _now()})


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


def register_agency(storage, passwords, data):
    """Create a pending agency and its first officer (the agency admin).

    A taken username is said so (the officer must choose another); the
    service counts every registration against a per-client limit first, so
    this cannot be used to list accounts quickly (docs/adr/0005-abuse.md).

    The account is inserted first: its unique username index is the
    arbiter of conflicts. A crash before the agency insert leaves an account
    whose agency does not exist, which cannot log in and holds only its name.
    """
    if storage.username_taken(data["username"]):
        raise _username_taken()
    agency_id = new_id("ag")
    now = _now()
    password_hash = passwords.hash(data["password"])
    if not storage.insert_account({
            "_id": new_id("acc"), "username": data["username"],
            "password_hash": password_hash, "role": "officer",
            "agency_id": agency_id, "agency_admin": True, "status": "active",
            "created_at": now}):
        raise _username_taken()
    doc = {"_id": agency_id, "name_th": data["name_th"], "name_en": data["name_en"],
           "ministry": data["ministry"], "contact_email": data["contact_email"],
           "status": "pending", "created_at": now, "approved_at": None}
    storage.insert_agency(doc)
    return {"agency": agency_view(doc), "username": data["username"]}


def get_agency(storage, agency_id):
    doc = storage.agency(agency_id)
    if doc is None:
        raise NotFound("No such agency.", {"agency_id": agency_id})
    return doc


def approve_agency(storage, actor, agency_id):
    """Approve a pending agency (again: nothing changes)."""
    actor = require_system_admin(actor)
    doc = get_agency(storage, agency_id)
    if doc["status"] == "approved":
        return agency_view(doc)
    # only from pending: an approval racing a rejection cannot undo it
    approved = storage.approve_pending_agency(agency_id, actor.account_id, _now())
    after = get_agency(storage, agency_id)
    if not approved and after["status"] != "approved":
        raise _rejected(after)
    if approved:
        audit.record(storage, actor, "agency.approve", "agency", agency_id, agency_id,
                     *audit.diff(doc, {"status": "approved"}))
    return agency_view(after)


def _rejected(doc):
    return Conflict("The agency's registration was rejected; it must register again.",
                    {"reason": doc.get("rejection_reason")}, code="AGENCY_REJECTED")


def reject_agency(storage, actor, agency_id, reason):
    """Reject a pending registration with a reason the officer is shown
    when logging in. Final: a rejected agency registers again."""
    actor = require_system_admin(actor)
    doc = get_agency(storage, agency_id)
    if doc["status"] == "rejected":
        raise _rejected(doc)
    if not storage.reject_pending_agency(agency_id, actor.account_id, _now(), reason):
        raise Conflict("Only a pending registration can be rejected.",
                       {"status": get_agency(storage, agency_id)["status"]},
                       code="AGENCY_NOT_PENDING")
    audit.record(storage, actor, "agency.reject", "agency", agency_id, agency_id,
                 *audit.diff(doc, {"status": "rejected", "rejection_reason": reason}))
    return agency_view(get_agency(storage, agency_id))


def list_agencies(storage, actor, status=None):
    require_system_admin(actor)
    return [agency_view(d) for d in storage.agencies(status)]


def authenticate(storage, passwords, secret, ttl_seconds, username, password, client=None,
                 limits=None):
    """A bearer token for the right password. With `limits` (throttle
    settings) failed logins lock the account and the client for a while
    (services/registry/throttle.py); an unknown username is answered and
    timed like a wrong password (a dummy hash is checked)."""
    attempt = throttle.Attempt(secret, username, client, limits) if limits else None
    if attempt:
        throttle.check(storage, attempt)
    account = storage.account_by_username(username)
    if not passwords.verify(account["password_hash"] if account else None, password):
        if attempt:
            throttle.record_failure(storage, attempt)
        raise Unauthorized("Wrong username or password.", code="INVALID_CREDENTIALS")
    if attempt:
        throttle.record_success(storage, attempt)
    if account["status"] != "active":
        raise Forbidden("This account is disabled.", code="ACCOUNT_DISABLED")
    if account["role"] == "officer":
        agency = storage.agency(account["agency_id"])
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


def verify_actor(storage, secret, token):
    """The claims of a token that is genuine, unexpired and still honoured:
    its account is active and has not ended its tokens since (token version).

    The one place a token is checked against its account; the registry
    answers every other service through `check_token`."""
    claims = auth.verify_token(secret, token)
    account = storage.account_token_state(claims["sub"])
    if (account is None or account["status"] != "active"
            or claims.get(auth.TOKEN_VERSION, 0) != account.get("token_version", 0)):
        raise Unauthorized("This token is no longer valid; log in again.",
                           code="TOKEN_REVOKED")
    return claims


def require_agency_admin(actor, agency_id):
    """A system administrator, or the agency's own administrator."""
    return require_may_administer(actor, agency_id)


def list_officers(storage, actor, agency_id):
    require_agency_admin(actor, agency_id)
    get_agency(storage, agency_id)
    return [account_view(d) for d in storage.officers_of(agency_id)]


def disable_account(storage, actor, account_id):
    """End an account: it cannot log in and its tokens stop working (the
    token version moves on). A system administrator disables anyone but
    themselves; an agency administrator, the officers of their agency."""
    actor = actor_of(actor)
    doc = storage.account(account_id)
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
    if storage.disable_active_account(account_id, actor.account_id, _now()):
        audit.record(storage, actor, "account.disable", "account", account_id, doc.get("agency_id"),
                     {"status": doc["status"], "username": doc["username"]},
                     {"status": "disabled", "username": doc["username"]})
    return account_view(storage.account(account_id))


def audit_trail(storage, actor, agency_id, query):
    """The agency's audit trail, for its administrator and system administrators."""
    require_agency_admin(actor, agency_id)
    get_agency(storage, agency_id)
    return audit.list_entries(storage, agency_id, query["limit"], query["offset"])


def add_officer(storage, passwords, actor, agency_id, data):
    """An agency administrator (or a system administrator) adds an officer."""
    require_agency_admin(actor, agency_id)
    if get_agency(storage, agency_id)["status"] != "approved":
        raise Conflict("The agency is not approved yet.", code="AGENCY_NOT_APPROVED")
    if storage.username_taken(data["username"]):
        raise _username_taken()
    account = {"_id": new_id("acc"), "username": data["username"],
               "password_hash": passwords.hash(data["password"]), "role": "officer",
               "agency_id": agency_id, "agency_admin": bool(data.get("agency_admin")),
               "full_name": data.get("full_name"), "status": "active",
               "created_at": _now()}
    if not storage.insert_account(account):
        raise _username_taken()
    return {"id": account["_id"], "username": account["username"],
            "agency_id": agency_id, "agency_admin": account["agency_admin"]}
