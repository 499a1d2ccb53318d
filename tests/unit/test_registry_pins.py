"""Pin provenance: how a point's location was captured, checked at the
edge and kept with who placed it and when."""
from datetime import datetime, timedelta, timezone

import pytest

from services.common import events
from services.common.errors import ValidationFailed
from services.common.storage import ensure_indexes
from services.registry import points, schemas, store

POINT = {"name_th": "สำนักงาน", "name_en": "Office", "address": "ที่อยู่", "province_code": "10",
         "location": {"lat": 13.75, "lon": 100.5}}
OFFICER = {"sub": "acc-1", "username": "officer-one", "role": "officer", "agency_id": "ag-1"}


def ago(**delta):
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


@pytest.fixture
def db(database):
    ensure_indexes(database, store.INDEXES)
    database.agencies.insert_one({"_id": "ag-1", "status": "approved"})
    return database


@pytest.fixture
def storage(db):
    return store.RegistryStore(db)


def field_errors(schema, data):
    with pytest.raises(ValidationFailed) as caught:
        schemas.load(schema, data)
    return caught.value.details["fields"]


@pytest.mark.parametrize("pin,field", [
    ({"method": "satellite"}, "method"),
    ({"method": "gps"}, "accuracy_m"),
    ({"method": "gps", "accuracy_m": -1}, "accuracy_m"),
    ({"method": "gps", "accuracy_m": 10_001}, "accuracy_m"),
    ({"method": "gps", "accuracy_m": "5"}, "accuracy_m"),
    ({"method": "drag", "captured_at": "2026-03-01T09:30:00"}, "captured_at"),
    ({"method": "drag", "captured_at": "yesterday"}, "captured_at"),
    ({"method": "drag", "captured_at": 1767225600}, "captured_at"),
    # times relative to when the test runs, not to when it was collected
    ({"method": "drag", "captured_at": {"minutes": -6}}, "captured_at"),
    ({"method": "drag", "captured_at": {"days": 31}}, "captured_at"),
    ({"method": "drag", "by": "someone"}, "by"),
])
def test_bad_pins_get_a_field_message(pin, field):
    if isinstance(pin.get("captured_at"), dict):
        pin = dict(pin, captured_at=ago(**pin["captured_at"]))
    errors = field_errors(schemas.ServicePointCreate, dict(POINT, pin=pin))
    assert errors["pin"][field]


def test_good_pins_pass():
    for pin in ({"method": "gps", "accuracy_m": 0, "captured_at": ago(minutes=-4)},
                {"method": "gps", "accuracy_m": 10_000, "captured_at": ago(days=29)},
                {"method": "drag"}, {"method": "typed", "accuracy_m": 25.5}):
        schemas.load(schemas.ServicePointCreate, dict(POINT, pin=pin))


def test_a_pin_without_its_location_is_refused():
    errors = field_errors(schemas.ServicePointUpdate, {"pin": {"method": "drag"}})
    assert errors["pin"]


def test_provenance_is_kept_shown_and_carried_in_events(db, storage):
    data = schemas.load(schemas.ServicePointCreate, dict(
        POINT, pin={"method": "gps", "accuracy_m": 8, "captured_at": ago(hours=1)}))
    created = points.create(storage, OFFICER, data)
    assert created["pin"]["method"] == "gps" and created["pin"]["accuracy_m"] == 8.0
    assert created["pin"]["pinned_by"] == {"account_id": "acc-1", "username": "officer-one"}
    assert created["pin"]["captured_at"].endswith("+00:00")

    public = points.point_view(points.get(storage, created["id"]))
    assert set(public["pin"]) == {"method", "accuracy_m", "captured_at", "pinned_at"}
    payload = db.points.find_one({"_id": created["id"]})["outbox"][0]["payload"]
    parsed = events.parse_event("office_registered", payload)
    assert parsed["pin"]["method"] == "gps" and "pinned_by" not in payload["pin"]

    # a moved pin without provenance was typed; other edits keep the pin
    renamed = points.update(storage, OFFICER, created["id"], {"name_en": "Renamed"})
    assert renamed["pin"]["method"] == "gps"
    moved = points.update(storage, OFFICER, created["id"],
                          {"location": {"lat": 13.76, "lon": 100.51}})
    assert moved["pin"]["method"] == "typed" and moved["pin"]["accuracy_m"] is None
    assert moved["pin"]["captured_at"] is None


def test_points_without_provenance_show_null_and_old_events_still_parse(db, storage):
    created = points.create(storage, OFFICER, schemas.load(schemas.ServicePointCreate, POINT))
    assert created["pin"]["method"] == "typed"
    db.points.update_one({"_id": created["id"]}, {"$unset": {"pin": ""}})
    assert points.point_view(points.get(storage, created["id"]))["pin"] is None
    old = events.new_event("office_updated", {
        k: v for k, v in points.office_payload(points.get(storage, created["id"])).items()
        if k != "pin"})
    assert events.parse_event("office_updated", old)["pin"] is None
