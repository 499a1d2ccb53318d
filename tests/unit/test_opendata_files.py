"""The open data files built from the registry's and reporting's databases
(services/registry/opendata.py, services/reporting/opendata.py): contents,
formats, the data package, and no personal data from the redaction table
in any file."""
import csv
import hashlib
import io
import json
import os
from datetime import datetime, timezone

import frictionless
import jsonschema
import mongomock_ng
import pytest

from services.common import redaction
from services.gateway.routes_opendata import licence, package
from services.registry import opendata as register
from services.registry import store as registry_store
from services.reporting import opendata as satisfaction
from services.reporting import stats
from services.reporting.store import ReportingStore
from tests.unit.test_redaction_table import TABLE

SCHEMAS = os.path.join(os.path.dirname(__file__), "..", "schemas", "hsds-3.0")
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


def point(point_id, **fields):
    doc = {"_id": point_id, "agency_id": "ag-1", "status": "open", "name_th": "ที่ว่าการอำเภอ",
           "name_en": "District Office", "address": "ถนนช้างเผือก", "province_code": "50",
           "location": {"lat": 18.7953, "lon": 98.9862}, "opening_hours": "จ.-ศ. 08:30-16:30",
           "phone": "053-112-345", "services": [], "surveyed": False, "zero_copy": False,
           "entity_version": 1, "created_at": NOW, "updated_at": NOW,
           "pin": {"method": "gps", "accuracy_m": 8,
                   "pinned_by": {"account_id": "acc-9", "username": "officer-somchai"}},
           "outbox": [{"event": "office_registered"}]}
    doc.update(fields)
    return doc


def service(code="DOPA-ID-NEW", documents=()):
    documents = list(documents)
    return {"service_code": code, "name_th": "ทำบัตรประชาชนครั้งแรก", "name_en": "First ID card",
            "declared": True, "zero_copy": not any(d["copy_required"] for d in documents),
            "documents": documents, "gov_copy_breaches": 0}


def document(name, copy_required, reason=None, end=None, government_issued=True):
    return {"name_th": name, "name_en": None, "government_issued": government_issued,
            "copy_required": copy_required, "copy_reason": reason, "copy_planned_end_date": end}


@pytest.fixture
def db(database):
    database.agencies.insert_one({"_id": "ag-1", "name_th": "กรมการปกครอง",
                                  "name_en": "Department of Provincial Administration",
                                  "ministry": "กระทรวงมหาดไทย", "status": "approved",
                                  "contact_email": "saraban@dopa.go.th"})
    return database


def build(db):
    """The register's files, built from the points and agencies stored in `db`."""
    return register.build(registry_store.RegistryStore(db))


def files_of(db):
    return {f["name"]: f for f in build(db)}


def csv_rows(body):
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_closed_points_are_left_out_and_coordinates_are_lon_lat(db):
    db.points.insert_many([point("sp-1"), point("sp-2", status="closed"),
                           point("sp-3", location={"lat": 13.75, "lon": 100.5})])
    files = files_of(db)
    collection = json.loads(files["service-points.geojson"]["body"])
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    assert [(f["id"], f["geometry"]) for f in collection["features"]] == [
        ("sp-1", {"type": "Point", "coordinates": [98.9862, 18.7953]}),
        ("sp-3", {"type": "Point", "coordinates": [100.5, 13.75]})]
    assert {r["point_id"] for r in csv_rows(files["service-points.csv"]["body"])} == {"sp-1", "sp-3"}
    locations = json.loads(files["hsds/locations.json"]["body"])
    assert [(loc["external_identifier"], loc["longitude"], loc["latitude"]) for loc in locations] \
        == [("sp-1", 98.9862, 18.7953), ("sp-3", 100.5, 13.75)]


def test_one_csv_row_per_point_and_one_per_point_service_and_document(db):
    db.points.insert_many([
        point("sp-1", services=[service(documents=[
            document("สูติบัตร", True, "ระบบยังไม่เชื่อม", "2027-03-31"),
            document("=HYPERLINK(\"http://x\")", False, "leftover", "2026-01-01")]),
            dict(service("DOPA-ID-LOST"), declared=False, zero_copy=None, documents=None)],
            surveyed=False),
        point("sp-2")])
    files = files_of(db)
    points = csv_rows(files["service-points.csv"]["body"])
    assert list(points[0]) == [c[0] for c in register.POINT_COLUMNS]
    assert [(r["point_id"], r["services"], r["latitude"], r["updated_at"]) for r in points] == [
        ("sp-1", "2", "18.7953", "2026-12-01T03:00:00Z"), ("sp-2", "0", "18.7953",
                                                          "2026-12-01T03:00:00Z")]
    rows = csv_rows(files["service-point-documents.csv"]["body"])
    assert list(rows[0]) == [c[0] for c in register.DOCUMENT_COLUMNS]
    assert [(r["point_id"], r["service_code"], r["document_name_th"], r["copy_required"],
             r["copy_reason"], r["copy_planned_end_date"]) for r in rows] == [
        ("sp-1", "DOPA-ID-NEW", "สูติบัตร", "True", "ระบบยังไม่เชื่อม", "2027-03-31"),
        # no copy demanded: no reason or end date is published with it;
        # a text cell Excel would run is neutralised
        ("sp-1", "DOPA-ID-NEW", "'=HYPERLINK(\"http://x\")", "False", "", ""),
        # not declared yet: one row, no documents
        ("sp-1", "DOPA-ID-LOST", "", "", "", "")]
    assert rows[2]["service_declared"] == "False" and rows[2]["service_zero_copy"] == ""


def test_hsds_tables_validate_against_the_hsds_3_schemas_and_link_up(db):
    db.points.insert_many([
        point("sp-1", services=[service(documents=[document("สูติบัตร", True, "ระบบ", "2027-03-31"),
                                                   document("ทะเบียนบ้าน", False)]),
                                dict(service("DOPA-ID-LOST"), declared=False, zero_copy=None,
                                     documents=None)]),
        point("sp-2")])
    files = files_of(db)
    tables = {name: json.loads(files["hsds/{}.json".format(name)]["body"])
              for name in register.HSDS_TABLES}
    for name, schema_file in (("organizations", "organization"), ("locations", "location"),
                              ("services", "service"),
                              ("service_at_locations", "service_at_location"),
                              ("required_documents", "required_document")):
        with open(os.path.join(SCHEMAS, schema_file + ".json")) as f:
            validator = jsonschema.Draft7Validator(
                json.load(f), format_checker=jsonschema.FormatChecker())
        for row in tables[name]:
            assert not list(validator.iter_errors(row)), (name, row)
    [organization] = tables["organizations"]
    assert organization["name"] == "กรมการปกครอง"
    assert {loc["organization_id"] for loc in tables["locations"]} == {organization["id"]}
    services = {s["id"]: s for s in tables["services"]}
    assert len(services) == 2
    locations = {loc["id"] for loc in tables["locations"]}
    for link in tables["service_at_locations"]:
        assert link["service_id"] in services and link["location_id"] in locations
    documents = [d["document"] for d in tables["required_documents"]]
    assert documents == ["สูติบัตร — ยังเรียกสำเนา / photocopy demanded (ถึง / until 2027-03-31): ระบบ",
                         "ทะเบียนบ้าน — ไม่ต้องใช้สำเนา / no photocopy"]
    # ids are stable from one generation to the next
    assert json.loads(files_of(db)["hsds/services.json"]["body"]) == tables["services"]


def secret_rows():
    return [(text, secrets) for text, secrets, _ in TABLE if secrets]


def test_no_secret_of_the_redaction_table_survives_in_any_file(db):
    rows = secret_rows()
    assert len(rows) > 50
    for i, (text, _) in enumerate(rows):
        # every free text a point, its services and documents carry
        db.points.insert_one(point("sp-{:03d}".format(i), name_th=text, name_en=text,
                                   address=text, opening_hours=text, services=[service(
                                       documents=[document(text, True, text, "2027-01-01")])]))
    db.agencies.update_one({"_id": "ag-1"}, {"$set": {"name_th": rows[0][0]}})
    files = build(db)
    for f in files:
        text = f["body"].decode("utf-8-sig")
        if f["name"].endswith("json"):
            text = json.dumps(json.loads(text), ensure_ascii=False)
        for _, secrets in rows:
            for secret in secrets:
                assert secret not in text, (f["name"], secret)
        if f["name"] != "hsds/service_at_locations.json":  # codes and statuses only
            assert any(mask in text for mask in redaction.MASKS), f["name"]
        for private in ("053-112-345", "officer-somchai", "acc-9", "saraban@dopa.go.th",
                        "office_registered"):
            assert private not in text, (f["name"], private)


def month_bucket(db, key, month, histogram):
    db.months.insert_one({"_id": "point|{}|{}".format(key, month), "level": "point", "key": key,
                          "month": month, "count": sum(histogram.values()),
                          "hist": {"satisfaction": {str(k): v for k, v in histogram.items()}}})


def test_satisfaction_per_point_and_month_only_from_the_ranking_minimum(database):
    db = database
    minimum = stats.DEFAULT_MIN_SAMPLE
    db.points.insert_one({"_id": "sp-1", "agency_id": "ag-1", "province_code": "50"})
    month_bucket(db, "sp-1", "2026-10", {5: minimum - 10, 2: 10})     # exactly the minimum
    month_bucket(db, "sp-1", "2026-11", {5: minimum - 2, 1: 1})       # one short
    month_bucket(db, "sp-2", "2026-11", {4: 100})
    [built] = satisfaction.build(ReportingStore(db))
    rows = csv_rows(built["body"])
    assert [(r["point_id"], r["month"], r["ratings"]) for r in rows] == [
        ("sp-1", "2026-10", str(minimum)), ("sp-2", "2026-11", "100")]
    assert rows[0]["csat"] == str(round((minimum - 10) / minimum, 4))
    assert rows[0]["agency_id"] == "ag-1" and rows[1]["agency_id"] == ""
    assert rows[0]["mean_satisfaction"] == str(round((5 * (minimum - 10) + 20) / minimum, 4))


def write_package(directory, files, licence_value="CC-BY-4.0"):
    entries = []
    for f in files:
        path = os.path.join(directory, f["name"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(f["body"])
        entries.append({"name": f["name"], "bytes": len(f["body"]), "resource": f["resource"],
                        "sha256": hashlib.sha256(f["body"]).hexdigest()})
    manifest = {"generated_at": NOW.isoformat(), "files": entries}
    described = package([manifest], licence_value)
    with open(os.path.join(directory, "datapackage.json"), "w") as out:
        json.dump(described, out, ensure_ascii=False)
    return described


def test_the_data_package_validates_with_frictionless(db, tmp_path):
    db.points.insert_many([point("sp-1", services=[service(documents=[
        document("สูติบัตร", True, "ระบบ", "2027-03-31")])]), point("sp-2")])
    reporting = mongomock_ng.MongoClient(tz_aware=True).reporting
    month_bucket(reporting, "sp-1", "2026-11", {5: 40})
    described = write_package(str(tmp_path), build(db)
                              + satisfaction.build(ReportingStore(reporting)))
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "note"])
    assert len(described["resources"]) == 9
    assert described["licenses"] == [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                                     "path": "https://creativecommons.org/licenses/by/4.0/"}]


def test_a_wrong_cell_fails_the_frictionless_validation(db, tmp_path):
    """The validation can fail: a CSV cell that does not match its schema."""
    db.points.insert_one(point("sp-1"))
    files = build(db)
    csv_file = next(f for f in files if f["name"] == "service-points.csv")
    csv_file["body"] = csv_file["body"].replace(b",18.7953,", b",north,")
    write_package(str(tmp_path), files)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert "type-error" in {row[1] for row in report.flatten(["fieldName", "type"])}


def test_the_licence_is_configurable():
    assert licence("CC0-1.0")["path"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert licence("OGL-TH|Open Government Licence - Thailand|https://data.go.th/pages/"
                   "terms-and-conditions") == {
        "name": "OGL-TH", "title": "Open Government Licence - Thailand",
        "path": "https://data.go.th/pages/terms-and-conditions"}
