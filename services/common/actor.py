"""Who is calling, and the one rule of who may do what (plain module).

An `Actor` is made from a token's verified claims (`services/common/auth.py`
checks the signature and expiry; the registry also checks the account):
anonymous when there are none. Every service and the gateway decide with
its predicates and refuse with the `require_*` functions here, so a refusal
means the same everywhere:

- no identity (no token, or one that did not verify) -> `Unauthorized` (401):
  logging in may help;
- a known caller who may not do this -> `Forbidden` (403): logging in again
  will not help. Its code is `OTHER_AGENCY` when the caller is an officer
  of another agency, else `FORBIDDEN`.

Roles: a system administrator (`role` "admin") may act for every agency;
an officer (`role` "officer") acts for their own agency, and administers
it too when their account is the agency's administrator (`agency_admin`).
"""
from dataclasses import dataclass

from services.common.errors import Forbidden, Unauthorized

SYSTEM_ADMIN = "admin"
OFFICER = "officer"


@dataclass(frozen=True)
class Actor:
    account_id: str = None  # the token's `sub`
    username: str = None
    role: str = None
    agency_id: str = None
    agency_admin: bool = False

    @classmethod
    def from_claims(cls, claims):
        """The actor of verified claims; anonymous for None or empty claims."""
        if not claims:
            return ANONYMOUS
        return cls(account_id=claims.get("sub"), username=claims.get("username"),
                   role=claims.get("role"), agency_id=claims.get("agency_id"),
                   agency_admin=bool(claims.get("agency_admin")))

    @property
    def authenticated(self):
        return self.account_id is not None or self.role is not None

    @property
    def is_system_admin(self):
        return self.role == SYSTEM_ADMIN

    @property
    def is_officer(self):
        return self.role == OFFICER

    def is_officer_of(self, agency_id):
        # an entity without an agency belongs to no officer
        return self.is_officer and bool(agency_id) and self.agency_id == agency_id

    def is_agency_admin_of(self, agency_id):
        return self.is_officer_of(agency_id) and self.agency_admin

    @property
    def is_any_admin(self):
        """A system administrator or the administrator of some agency."""
        return self.is_system_admin or (self.is_officer and self.agency_admin)

    def may_act_for(self, agency_id):
        """A system administrator, or an officer of `agency_id`."""
        return self.is_system_admin or self.is_officer_of(agency_id)

    def may_administer(self, agency_id):
        """A system administrator, or the administrator of `agency_id`."""
        return self.is_system_admin or self.is_agency_admin_of(agency_id)


ANONYMOUS = Actor()


def actor_of(value):
    """An Actor from an Actor, verified claims (a dict) or None."""
    if isinstance(value, Actor):
        return value
    return Actor.from_claims(value)


def _require_identity(actor):
    if not actor.authenticated:
        raise Unauthorized("Log in first.", code="UNAUTHORIZED")


def _refuse(actor, agency_id, message):
    """Forbidden for a known actor; OTHER_AGENCY when an officer reached
    for another agency's business."""
    if actor.is_officer and agency_id and actor.agency_id != agency_id:
        raise Forbidden(message or "This belongs to another agency.",
                        {"agency_id": agency_id}, code="OTHER_AGENCY")
    raise Forbidden(message or "You may not do this.")


def require_authenticated(actor):
    actor = actor_of(actor)
    _require_identity(actor)
    return actor


def require_system_admin(actor, message=None):
    actor = require_authenticated(actor)
    if not actor.is_system_admin:
        raise Forbidden(message or "Only a system administrator may do this.")
    return actor


def require_staff(actor, message=None):
    """A system administrator or an officer of some agency."""
    actor = require_authenticated(actor)
    if not (actor.is_system_admin or actor.is_officer):
        raise Forbidden(message or "Officers and administrators only.")
    return actor


def require_any_admin(actor, message=None):
    """A system administrator or some agency's administrator (before the
    agency in question is known)."""
    actor = require_authenticated(actor)
    if not actor.is_any_admin:
        raise Forbidden(message or "Only an administrator may do this.")
    return actor


def require_may_act_for(actor, agency_id, message=None):
    """A system administrator, or an officer of `agency_id`."""
    actor = require_authenticated(actor)
    if not actor.may_act_for(agency_id):
        _refuse(actor, agency_id, message)
    return actor


def require_may_administer(actor, agency_id, message=None):
    """A system administrator, or the administrator of `agency_id`."""
    actor = require_may_act_for(actor, agency_id)
    if not actor.may_administer(agency_id):
        raise Forbidden(message or "Only the agency's administrator may do this.")
    return actor
