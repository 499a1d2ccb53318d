"""The registry's audit trail: who changed what, before and after, newest first."""
import pytest

from services.common.errors import Forbidden
from services.common.storage import ensure_indexes
from services.registry import accounts, audit, points, schemas, store

POINT = {"name_th": "สำนักงาน", "name_en": "Office", "address": "ที่อยู่", "province_code": "10",
         "location": {"lat": 13.75, "lon": 100.5}}
BOSS = {"sub": "acc-boss", "username": "boss", "role": "officer", "agency_id": "ag-1",
        "agency_admin": True}
OFFICER = {"sub": "acc-1", "username": "one", "role": "officer", "agency_id": "ag-1"}
STRANGER = {"sub": "acc-9", "username": "nine", "role": "officer", "agency_id": "ag-2",
            "agency_admin": True}
PAGE = {"limit": 50, "offset": 0}


@pytest.fixture
def storage(database):
    ensure_indexes(database, store.INDEXES)
    for agency_id in ("ag-1", "ag-2"):
        database.agencies.insert_one({"_id": agency_id, "status": "approved"})
    return store.RegistryStore(database)


def test_diff_keeps_only_changed_fields():
    doc = {"name_en": "Office", "phone": "021234567", "services": [
        {"service_code": "A-AAA", "declared": True, "declared_at": "t1"},
        {"service_code": "B-BBB", "declared": False, "declared_at": None}]}
    before, after = audit.diff(doc, {"name_en": "Office", "phone": "029999999", "services": [
        {"service_code": "A-AAA", "declared": True, "declared_at": "t2"},
        {"service_code": "C-CCC", "declared": False, "declared_at": None}]})
    assert before == {"phone": "021234567",
                      "services": {"B-BBB": {"service_code": "B-BBB", "declared": False}}}
    assert after == {"phone": "029999999",
                     "services": {"C-CCC": {"service_code": "C-CCC", "declared": False}}}


def test_point_changes_are_audited_newest_first_and_only_for_the_agency(storage):
    point = points.create(storage, OFFICER, schemas.load(schemas.ServicePointCreate, POINT))
    points.update(storage, OFFICER, point["id"], {"name_en": "Renamed", "name_th": "สำนักงาน"})
    points.set_services(storage, OFFICER, point["id"], {"services": []})
    points.close(storage, OFFICER, point["id"])
    with pytest.raises(Forbidden):
        points.update(storage, STRANGER, point["id"], {"name_en": "Mine"})

    trail = accounts.audit_trail(storage, BOSS, "ag-1", PAGE)
    assert [e["action"] for e in trail["results"]] == [
        "point.close", "point.services", "point.update", "point.create"]
    close, services, update, create = trail["results"]
    assert update["before"] == {"name_en": "Office"} and update["after"] == {"name_en": "Renamed"}
    assert update["actor"] == {"account_id": "acc-1", "username": "one", "role": "officer"}
    assert create["before"] == {} and create["after"]["location"] == POINT["location"]
    assert create["after"]["pin"]["method"] == "typed"
    assert close["before"]["status"] == "open" and close["after"]["status"] == "closed"
    assert services["before"] == services["after"] == {}  # an empty list declared again
    assert trail["total"] == 4
    assert accounts.audit_trail(storage, BOSS, "ag-1",
                                {"limit": 1, "offset": 1})["results"] == [services]

    for actor in (OFFICER, STRANGER):
        with pytest.raises(Forbidden):
            accounts.audit_trail(storage, actor, "ag-1", PAGE)
    assert accounts.audit_trail(storage, STRANGER, "ag-2", PAGE)["results"] == []
