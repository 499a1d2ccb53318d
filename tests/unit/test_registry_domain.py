"""Registry plain modules on the embedded store: catalogue, points, demo."""
import json
import unicodedata

import pytest

from services.common import thai
from services.common.auth import Passwords
from services.common.storage import ensure_indexes
from services.common.errors import Conflict, Forbidden, ValidationFailed
from services.registry import accounts, catalogue, demo, points, schemas, store

ADMIN = {"sub": "acc-admin", "role": "admin"}


@pytest.fixture
def db(database):
    ensure_indexes(database, store.INDEXES)
    return database


@pytest.fixture
def storage(db):
    registry = store.RegistryStore(db)
    catalogue.load_starter(registry)
    return registry


@pytest.fixture(scope="module")
def passwords():
    return Passwords(time_cost=1, memory_kib=1024)


def test_starter_catalogue_is_valid_and_large_enough():
    with open(catalogue.STARTER_PATH, encoding="utf-8") as f:
        data = json.load(f)
    loaded = schemas.CatalogueImport().load(data)
    assert len(loaded["entries"]) >= 20
    for entry in loaded["entries"]:
        assert entry["documents"] and entry["steps"]
        for text in (entry["name_th"], entry["responsible_agency_th"]):
            assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize("query,expected", [
    ("บัตรประชาชน", "DOPA-ID-"),
    ("ID card", "DOPA-ID-"),
    ("id CARD", "DOPA-ID-"),
    ("ทะเบียนบ้าน", "DOPA-HR-"),
    ("แจ้งเกิด", "DOPA-BIRTH-REG"),
    ("birth", "DOPA-BIRTH-REG"),
    ("passport", "MFA-PASSPORT-NEW"),
    ("หนังสือเดินทาง", "MFA-PASSPORT-NEW"),
    ("building permit", "DLA-BUILDING-PERMIT"),
    ("ภาษีรถ", "DLT-VEHICLE-TAX"),
])
def test_catalogue_search_finds_thai_and_english(storage, query, expected):
    results = catalogue.search(storage, query)["results"]
    assert results, query
    assert results[0]["service_code"].startswith(expected)


def test_catalogue_search_with_decomposed_thai_finds_the_same(storage):
    # "ำ" (SARA AM) can arrive decomposed as NIKHAHIT + SARA AA from some keyboards
    decomposed = "ทำบัตร".replace("ำ", "\u0e4d\u0e32")
    assert catalogue.search(storage, decomposed)["total"] == \
        catalogue.search(storage, "ทำบัตร")["total"]


def test_catalogue_search_no_match_and_empty_query(storage):
    assert catalogue.search(storage, "xyzzy-nothing")["results"] == []
    assert catalogue.search(storage, "", limit=100)["total"] == storage.count_catalogue()


def test_catalogue_import_is_all_or_nothing(storage):
    before = storage.count_catalogue()
    good = json.load(open(catalogue.STARTER_PATH, encoding="utf-8"))["entries"][0]
    bad = dict(good, service_code="NEW-ENTRY-1", steps=[{"order": 2, "description_th": "x"}])
    with pytest.raises(ValidationFailed) as error:
        catalogue.import_entries(storage, {
            "format": "cfz-catalogue/1",
            "entries": [dict(good, service_code="NEW-ENTRY-0"), bad]})
    assert "entries" in error.value.details["fields"]
    assert storage.count_catalogue() == before


def _approved_agency(storage, passwords, suffix):
    registration = accounts.register_agency(storage, passwords, {
        "name_th": "หน่วยงาน", "name_en": "Agency " + suffix, "ministry": "m",
        "contact_email": "a@b.go.th", "username": "user-" + suffix, "password": "password-" + suffix})
    agency_id = registration["agency"]["id"]
    accounts.approve_agency(storage, ADMIN, agency_id)
    return {"sub": "acc-" + suffix, "role": "officer", "agency_id": agency_id, "agency_admin": True}


POINT = {"name_th": "สำนักงาน", "name_en": "Office", "address": "ที่อยู่", "province_code": "10",
         "location": {"lat": 13.75, "lon": 100.5}}


def test_zero_copy_status_follows_declarations(db, storage, passwords):
    officer = _approved_agency(storage, passwords, "z")
    point = points.create(storage, officer, POINT)
    assert (point["surveyed"], point["zero_copy"]) == (False, False)

    decl = schemas.load(schemas.ServicesDeclaration, {"services": [
        {"service_code": "DOPA-ID-NEW", "documents": [
            {"name_th": "สูติบัตร", "government_issued": True, "copy_required": True,
             "copy_reason": "ระบบยังไม่เชื่อมโยง", "copy_planned_end_date": "2027-03-31"}]},
        {"service_code": "DOPA-BIRTH-REG"}]})
    result = points.set_services(storage, officer, point["id"], decl)
    id_card, birth = result["services"]
    assert id_card["declared"] and id_card["zero_copy"] is False and id_card["gov_copy_breaches"] == 1
    assert id_card["documents"][0]["copy_planned_end_date"] == "2027-03-31"
    assert birth["declared"] is False and birth["zero_copy"] is None
    assert (result["surveyed"], result["zero_copy"]) == (False, False)

    decl["services"][1]["documents"] = []
    decl["services"][0]["documents"] = [{"name_th": "สูติบัตร", "government_issued": True,
                                         "copy_required": False}]
    result = points.set_services(storage, officer, point["id"], decl)
    assert (result["surveyed"], result["zero_copy"]) == (True, True)
    assert result["entity_version"] == 3
    assert [e["name"] for e in db.points.find_one({"_id": point["id"]})["outbox"]] == [
        "office_registered", "services_changed", "services_changed"]


def test_closed_point_refuses_changes_and_leaves_coverage(storage, passwords):
    officer = _approved_agency(storage, passwords, "c")
    kept = points.create(storage, officer, POINT)
    gone = points.create(storage, officer, POINT)
    points.close(storage, officer, gone["id"])
    with pytest.raises(Conflict):
        points.update(storage, officer, gone["id"], {"name_en": "Back"})
    rows = points.coverage(storage, "province")["results"]
    assert rows == [{"code": "10", "name_th": "กรุงเทพมหานคร", "name_en": "Bangkok",
                     "pinned": 1, "surveyed": 0, "zero_copy": 0, "surveyed_share": 0.0}]
    assert kept["id"] != gone["id"]


def test_officer_of_unapproved_agency_cannot_pin(storage, passwords):
    registration = accounts.register_agency(storage, passwords, {
        "name_th": "ก", "name_en": "Pending", "ministry": "m", "contact_email": "p@b.go.th",
        "username": "pending-user", "password": "pending-password"})
    actor = {"sub": "x", "role": "officer", "agency_id": registration["agency"]["id"]}
    with pytest.raises(Conflict):
        points.create(storage, actor, POINT)
    with pytest.raises(Forbidden):
        points.create(storage, {"sub": "x", "role": "officer", "agency_id": "ag-other"}, POINT,
                      agency_id=registration["agency"]["id"])
    assert storage.count_points() == 0


def test_demo_data_covers_every_province_inside_thailand(db, storage, passwords):
    summary = demo.load(storage, passwords)
    assert summary["loaded"] and summary["points"] >= 300
    docs = list(db.points.find({}))
    assert {d["province_code"] for d in docs} == set(thai.province_codes())
    assert all(thai.in_thailand(d["location"]["lat"], d["location"]["lon"]) for d in docs)
    # a realistic mix: most declared, some still demanding copies, some breaches
    services = [s for d in docs for s in d["services"]]
    declared = [s for s in services if s["declared"]]
    assert 0.6 < len(declared) / len(services) < 0.98
    assert any(not s["zero_copy"] for s in declared) and any(s["zero_copy"] for s in declared)
    assert any(s["gov_copy_breaches"] for s in declared)
    assert demo.load(storage, passwords)["loaded"] is False  # idempotent
    assert storage.count_points() == summary["points"]
