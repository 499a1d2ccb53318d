"""Idempotent creation of service points: one point per officer and key,
even when two identical requests race."""
import pytest

from services.common import fields
from services.common.errors import Conflict, ValidationFailed
from services.common.storage import ensure_indexes
from services.registry import points, schemas, store

POINT = {"name_th": "สำนักงาน", "name_en": "Office", "address": "ที่อยู่", "province_code": "10",
         "location": {"lat": 13.75, "lon": 100.5}}
OFFICER = {"sub": "acc-1", "username": "one", "role": "officer", "agency_id": "ag-1"}
COLLEAGUE = {"sub": "acc-2", "username": "two", "role": "officer", "agency_id": "ag-1"}


@pytest.fixture
def storage(database):
    ensure_indexes(database, store.INDEXES)
    database.agencies.insert_one({"_id": "ag-1", "status": "approved"})
    return store.RegistryStore(database)


def test_a_repeat_returns_the_first_point_and_another_body_is_a_conflict(storage):
    data = schemas.load(schemas.ServicePointCreate, POINT)
    first = points.create(storage, OFFICER, data, idempotency_key="phone-1234-abcd")
    again = points.create(storage, OFFICER, data, idempotency_key="phone-1234-abcd")
    assert again.pop("replayed") is True and again == first
    assert storage.count_points() == 1
    with pytest.raises(Conflict) as caught:
        points.create(storage, OFFICER, dict(data, name_en="Other"),
                      idempotency_key="phone-1234-abcd")
    assert caught.value.error_code == "IDEMPOTENCY_KEY_REUSED"
    # another officer's key is another request
    points.create(storage, COLLEAGUE, data, idempotency_key="phone-1234-abcd")
    points.create(storage, OFFICER, data)
    points.create(storage, OFFICER, data)
    assert storage.count_points() == 4


def test_two_racing_requests_create_one_point(storage, monkeypatch):
    """Both requests look for the key before either has written: the
    unique index decides, and the loser answers with the winner's point."""
    data = schemas.load(schemas.ServicePointCreate, POINT)
    winner = points.create(storage, OFFICER, data, idempotency_key="race-key-0001")
    looked = []

    def not_yet_written(storage_, scope, fingerprint):
        looked.append(scope)
        return None
    monkeypatch.setattr(points, "find_replay", not_yet_written)
    loser = points.create(storage, OFFICER, data, idempotency_key="race-key-0001")
    assert len(looked) == 1 and loser["id"] == winner["id"] and loser["replayed"]
    # a racing request with another body under the same key is refused
    with pytest.raises(Conflict) as caught:
        points.create(storage, OFFICER, dict(data, name_en="Other"),
                      idempotency_key="race-key-0001")
    assert caught.value.error_code == "IDEMPOTENCY_KEY_REUSED" and len(looked) == 2
    assert storage.count_points() == 1


@pytest.mark.parametrize("key", ["short", "a" * 129, "has space in it", "ключ-12345", 12345678])
def test_bad_keys_name_the_header(key):
    with pytest.raises(ValidationFailed) as caught:
        fields.idempotency_key(key)
    assert caught.value.details["fields"]["Idempotency-Key"]


def test_feedback_keeps_the_same_key_rule_until_it_imports_the_shared_one():
    # services/feedback/ is changed elsewhere; this keeps the two from drifting
    from services.feedback import schemas as feedback_schemas
    assert feedback_schemas.IDEMPOTENCY_KEY.regex.pattern == fields.IDEMPOTENCY_KEY.regex.pattern
