"""A token is honoured only while its account is active and at the token's version."""
import pytest

from services.common import auth
from services.common.errors import Unauthorized
from services.registry import accounts, store

SECRET = "unit-test-secret-0123456789-0123456789"


@pytest.fixture
def db(database):
    database.accounts.insert_one({"_id": "acc-1", "username": "one", "role": "officer",
                                  "agency_id": "ag-1", "status": "active"})
    return database


@pytest.fixture
def storage(db):
    return store.RegistryStore(db)


def token(**claims):
    return auth.issue_token(SECRET, 3600, dict({"sub": "acc-1", "role": "officer"}, **claims))


def test_tokens_from_before_the_version_claim_still_work(storage):
    assert accounts.verify_actor(storage, SECRET, token())["sub"] == "acc-1"


@pytest.mark.parametrize("change,claims", [
    ({"$set": {"token_version": 1}}, {"tv": 0}),   # ended, e.g. disabled then enabled again
    ({"$set": {"status": "disabled"}}, {"tv": 0}),
    ({"$set": {"_unused": 1}}, {"tv": 5}),          # a version the account never had
])
def test_ended_tokens_are_refused(db, storage, change, claims):
    db.accounts.update_one({"_id": "acc-1"}, change)
    with pytest.raises(Unauthorized) as caught:
        accounts.verify_actor(storage, SECRET, token(**claims))
    assert caught.value.error_code == "TOKEN_REVOKED"


def test_a_token_of_an_unknown_account_is_refused(storage):
    with pytest.raises(Unauthorized):
        accounts.verify_actor(storage, SECRET, token(sub="acc-gone"))
