"""The one rule of who may do what (services/common/actor.py), as a table:
each caller against each requirement, with the answer a user would get
(allowed, 401 or 403 with its code)."""
import dataclasses

import pytest

from services.common import actor as rule
from services.common import auth
from services.common.errors import Forbidden, Unauthorized

SECRET = "a-test-secret-of-at-least-32-bytes"

CALLERS = {
    "anonymous": None,
    "empty claims": {},
    "system admin": {"sub": "acc-root", "username": "root", "role": "admin", "agency_id": None},
    "officer of A": {"sub": "acc-a", "role": "officer", "agency_id": "ag-A"},
    "agency admin of A": {"sub": "acc-aa", "role": "officer", "agency_id": "ag-A",
                          "agency_admin": True},
    "officer of B": {"sub": "acc-b", "role": "officer", "agency_id": "ag-B"},
    "agency admin of B": {"sub": "acc-bb", "role": "officer", "agency_id": "ag-B",
                          "agency_admin": True},
    "officer without agency": {"sub": "acc-n", "role": "officer", "agency_id": None},
    "unknown role": {"sub": "acc-x", "role": "citizen", "agency_id": "ag-A"},
}

REQUIREMENTS = {
    "system admin": lambda a: rule.require_system_admin(a),
    "staff": lambda a: rule.require_staff(a),
    "any admin": lambda a: rule.require_any_admin(a),
    "act for A": lambda a: rule.require_may_act_for(a, "ag-A"),
    "administer A": lambda a: rule.require_may_administer(a, "ag-A"),
    "act for no agency": lambda a: rule.require_may_act_for(a, None),
}

OK, E401, E403, OTHER = "ok", 401, 403, "OTHER_AGENCY"

# caller -> the answer for each requirement, in REQUIREMENTS' order
TABLE = {
    "anonymous":              (E401, E401, E401, E401, E401, E401),
    "empty claims":           (E401, E401, E401, E401, E401, E401),
    "system admin":           (OK,   OK,   OK,   OK,   OK,   OK),
    "officer of A":           (E403, OK,   E403, OK,   E403, E403),
    "agency admin of A":      (E403, OK,   OK,   OK,   OK,   E403),
    "officer of B":           (E403, OK,   E403, OTHER, OTHER, E403),
    "agency admin of B":      (E403, OK,   OK,   OTHER, OTHER, E403),
    "officer without agency": (E403, OK,   E403, OTHER, OTHER, E403),
    "unknown role":           (E403, E403, E403, E403, E403, E403),
}


def _answer(requirement, claims):
    try:
        requirement(claims)
    except Unauthorized as exc:
        assert exc.status == 401 and exc.error_code == "UNAUTHORIZED"
        return E401
    except Forbidden as exc:
        assert exc.status == 403
        return OTHER if exc.error_code == "OTHER_AGENCY" else E403
    return OK


@pytest.mark.parametrize("caller", sorted(TABLE))
def test_the_rule_as_a_table(caller):
    got = tuple(_answer(requirement, CALLERS[caller]) for requirement in REQUIREMENTS.values())
    assert dict(zip(REQUIREMENTS, got)) == dict(zip(REQUIREMENTS, TABLE[caller]))


def test_the_same_answer_from_claims_and_from_an_actor():
    for claims in CALLERS.values():
        for requirement in REQUIREMENTS.values():
            assert _answer(requirement, claims) == _answer(
                requirement, rule.Actor.from_claims(claims))


def test_an_other_agency_refusal_names_the_agency():
    with pytest.raises(Forbidden) as refused:
        rule.require_may_act_for(CALLERS["officer of B"], "ag-A", "Not yours.")
    assert refused.value.details == {"agency_id": "ag-A"}
    assert refused.value.message == "Not yours."


def test_an_actor_cannot_be_changed():
    officer = rule.Actor.from_claims(CALLERS["officer of A"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        officer.role = "admin"
    assert rule.actor_of(officer) is officer


def test_a_token_becomes_an_actor_and_no_token_an_anonymous_one():
    token = auth.issue_token(SECRET, 60, CALLERS["agency admin of A"])
    actor = auth.verified_actor(SECRET, token)
    assert actor == rule.Actor(account_id="acc-aa", role="officer", agency_id="ag-A",
                               agency_admin=True)
    assert auth.verified_actor(SECRET, None) is rule.ANONYMOUS
    assert auth.verified_actor(SECRET, "") is rule.ANONYMOUS
    with pytest.raises(Unauthorized):
        auth.verified_actor(SECRET, token + "x")
    with pytest.raises(Unauthorized):
        auth.verified_actor("another-secret-of-at-least-32-bytes", token)
