"""Open data end to end: points and declarations written through the API
show in every file under /open-data/ once regenerated (a closed point
disappears, a changed copy declaration shows), the files validate (RFC 7946,
HSDS 3.0 JSON schemas, the Frictionless data package), no personal data
survives in any of them, and they are served with validators (304)."""
import csv
import glob
import io
import json
import os
import uuid

import frictionless
import jsonschema
import pytest

from tests.helpers import POINT, agency, wait_for
from tests.unit.test_redaction_table import TABLE

HSDS_SCHEMAS = os.path.join(os.path.dirname(__file__), "..", "schemas", "hsds-3.0")
HSDS_FILES = {"organizations": "organization", "locations": "location", "services": "service",
              "service_at_locations": "service_at_location",
              "required_documents": "required_document"}


@pytest.fixture
def config(config):
    config.update(CFZ_OPEN_DATA_INTERVAL="0.1", CFZ_OPEN_DATA_MIN_SECONDS="0.3",
                  CFZ_FEEDBACK_RATE_LIMIT="1000/minute", CFZ_OPEN_DATA_MAX_AGE="120",
                  # small chunks: every download streams several through the gateway
                  CFZ_OPEN_DATA_CHUNK_BYTES="2048")
    return config


def secret_rows(count):
    """Rows of the redaction table that fit a single-line name: text with
    secrets, nothing invisible (names drop zero-width characters)."""
    rows = [(text, secrets) for text, secrets, _ in TABLE
            if secrets and len(text) <= 200 and text.isprintable()]
    step = max(1, len(rows) // count)
    return rows[::step][:count]


def geojson(api):
    response = api.get("/open-data/service-points.geojson")
    return response.json() if response.status_code == 200 else {"features": []}


def feature_ids(api):
    return {f["id"] for f in geojson(api)["features"]}


def download_all(api, directory):
    package = api.get("/open-data/datapackage.json")
    assert package.status_code == 200, package.text
    with open(os.path.join(directory, "datapackage.json"), "wb") as f:
        f.write(package.content)
    files = {}
    for resource in package.json()["resources"]:
        response = api.get("/open-data/" + resource["path"])
        assert response.status_code == 200, (resource["path"], response.text)
        path = os.path.join(directory, resource["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(response.content)
        files[resource["path"]] = response.content
    return package.json(), files


def check_rfc7946(collection):
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        lon, lat = geometry["coordinates"]
        assert 97 <= lon <= 106 and 5 <= lat <= 21  # lon, lat: Thailand, never swapped


def check_hsds(files):
    for table, schema_name in HSDS_FILES.items():
        with open(os.path.join(HSDS_SCHEMAS, schema_name + ".json")) as f:
            schema = json.load(f)
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
        rows = json.loads(files["hsds/{}.json".format(table)])
        assert isinstance(rows, list)
        for row in rows:
            errors = [e.message for e in validator.iter_errors(row)]
            assert not errors, (table, row, errors)
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), table


def csv_rows(body):
    assert body.startswith("\ufeff".encode("utf-8"))
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_open_data_files_follow_the_register_validate_and_hold_no_personal_data(api, tmp_path):
    data = agency("od")
    token, registered = api.approved_agency(data)
    secrets = secret_rows(12)
    assert len(secrets) >= 10
    placed = []
    for i, (text, _) in enumerate(secrets[:4]):
        body = dict(POINT, name_th=text, name_en="Open data {}".format(i),
                    address=secrets[4 + i][0], opening_hours=secrets[8 + i][0][:200],
                    location={"lat": 18.7 + i / 100, "lon": 98.9 + i / 100})
        response = api.post("/api/v1/service-points", json=body, token=token)
        assert response.status_code == 201, response.text
        placed.append(response.json())
    keep, changed, closed, plain = placed
    documents = [{"name_th": "สำเนาทะเบียนบ้าน", "name_en": "House registration",
                  "government_issued": True, "copy_required": True,
                  "copy_reason": secrets[3][0], "copy_planned_end_date": "2027-03-31"},
                 {"name_th": "=HYPERLINK(\"http://x\")", "government_issued": False,
                  "copy_required": False}]
    for point in (keep, changed):
        response = api.put("/api/v1/service-points/{}/services".format(point["id"]), token=token,
                           json={"services": [{"service_code": "DOPA-ID-NEW",
                                               "documents": documents}]})
        assert response.status_code == 200, response.text
    assert api.delete("/api/v1/service-points/" + closed["id"], token=token).status_code == 200

    ids = {keep["id"], changed["id"], plain["id"]}
    assert wait_for(lambda: feature_ids(api) == ids, timeout=30)

    package, files = download_all(api, str(tmp_path))
    expected = {"service-points.geojson", "service-points.csv", "service-point-documents.csv",
                "satisfaction-by-point-month.csv",
                *("hsds/{}.json".format(t) for t in HSDS_FILES)}
    assert set(files) == expected
    # the data package validates with the Frictionless tooling (bytes and
    # hashes included), and names its licence
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "note"])
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    for resource in package["resources"]:
        assert resource["title"] and resource["description"]
        for field in resource.get("schema", {}).get("fields", []):
            assert " / " in field["description"]  # Thai / English

    collection = json.loads(files["service-points.geojson"])
    check_rfc7946(collection)
    by_id = {f["id"]: f for f in collection["features"]}
    assert by_id[plain["id"]]["geometry"]["coordinates"] == [98.93, 18.73]
    check_hsds(files)

    assert {r["point_id"] for r in csv_rows(files["service-points.csv"])} == ids
    rows = csv_rows(files["service-point-documents.csv"])
    assert {r["point_id"] for r in rows} == {keep["id"], changed["id"]}
    copy_rows = [r for r in rows if r["point_id"] == changed["id"] and
                 r["document_name_th"] == "สำเนาทะเบียนบ้าน"]
    assert [r["copy_required"] for r in copy_rows] == ["True"]
    assert any(r["document_name_th"].startswith("'=HYPERLINK") for r in rows)  # neutralised

    # no personal data: every secret masked in every file; no contact
    # e-mail, username or phone of the point
    texts = {name: body.decode("utf-8") for name, body in files.items()}
    texts["datapackage.json"] = json.dumps(package, ensure_ascii=False)
    for name, text in texts.items():
        unescaped = json.dumps(json.loads(text), ensure_ascii=False) if name.endswith(
            (".json", ".geojson")) else text
        for _, row_secrets in secrets:
            for secret in row_secrets:
                assert secret not in unescaped, (name, secret)
        for private in (data["contact_email"], data["username"], POINT["phone"]):
            assert private not in unescaped, (name, private)
    assert "[เบอร์โทรถูกซ่อน]" in texts["service-points.csv"]
    assert "[เบอร์โทรถูกซ่อน]" in texts["service-point-documents.csv"]

    # a changed declaration shows after the regeneration
    response = api.put("/api/v1/service-points/{}/services".format(changed["id"]), token=token,
                       json={"services": [{"service_code": "DOPA-ID-NEW", "documents": [
                           {k: v for k, v in documents[0].items()
                            if k not in ("copy_reason", "copy_planned_end_date")}
                           | {"copy_required": False}]}]})
    assert response.status_code == 200, response.text

    def declared_no_copy():
        features = {f["id"]: f for f in geojson(api)["features"]}
        point = features.get(changed["id"])
        return point is not None and point["properties"]["zero_copy"] is True
    assert wait_for(declared_no_copy, timeout=30)
    rows = csv_rows(api.get("/open-data/service-point-documents.csv").content)
    assert [r["copy_required"] for r in rows if r["point_id"] == changed["id"]] == ["False"]
    documents_file = api.get("/open-data/hsds/required_documents.json").json()
    assert any("no photocopy" in d["document"] for d in documents_file)

    # files already generated: closing a point takes it out of every file
    assert api.delete("/api/v1/service-points/" + plain["id"], token=token).status_code == 200
    assert wait_for(lambda: feature_ids(api) == {keep["id"], changed["id"]}, timeout=30)
    _, files = download_all(api, str(tmp_path))
    assert {r["point_id"] for r in csv_rows(files["service-points.csv"])} == {keep["id"],
                                                                           changed["id"]}
    external = {loc["external_identifier"] for loc in json.loads(files["hsds/locations.json"])}
    assert external == {keep["id"], changed["id"]}


def test_open_data_is_served_with_validators_and_gzip(api):
    token, _ = api.approved_agency(agency("odc"))
    point = api.post("/api/v1/service-points", json=POINT, token=token).json()
    assert wait_for(lambda: point["id"] in feature_ids(api), timeout=30)

    for path in ("service-points.csv", "service-points.geojson", "datapackage.json", ""):
        first = api.get("/open-data/" + path, headers={"Accept-Encoding": "identity"})
        assert first.status_code == 200, (path, first.text)
        assert first.headers["Cache-Control"] == "public, max-age=120"
        assert first.headers["ETag"] and first.headers["Last-Modified"]
        again = api.get("/open-data/" + path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.content == b"", path
        since = api.get("/open-data/" + path,
                        headers={"If-Modified-Since": first.headers["Last-Modified"],
                                 "Accept-Encoding": "identity"})
        assert since.status_code == 304, path

    plain = api.get("/open-data/service-points.geojson", headers={"Accept-Encoding": "identity"})
    packed = api.get("/open-data/service-points.geojson", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert packed.headers["ETag"] != plain.headers["ETag"]
    assert packed.content == plain.content  # requests decompresses
    assert plain.headers["Content-Type"] == "application/geo+json"

    missing = api.get("/open-data/nothing.csv")
    assert missing.status_code == 404 and missing.json()["error"] == "OPEN_DATA_NOT_FOUND"
    assert "message_th" in missing.json() or missing.json().get("details") is not None


def test_satisfaction_per_point_and_month_only_with_enough_ratings(api):
    token, _ = api.approved_agency(agency("ods"))
    busy = api.post("/api/v1/service-points", json=POINT, token=token).json()
    quiet = api.post("/api/v1/service-points", json=dict(POINT, name_en="Quiet"), token=token).json()
    for point in (busy, quiet):
        api.put("/api/v1/service-points/{}/services".format(point["id"]), token=token,
                json={"services": [{"service_code": "DOPA-ID-NEW", "documents": []}]})
    for point, count in ((busy, 30), (quiet, 29)):
        for i in range(count):
            response = api.post("/api/v1/service-points/{}/feedback".format(point["id"]),
                                headers={"Idempotency-Key": "od-" + uuid.uuid4().hex},
                                json={"service_code": "DOPA-ID-NEW",
                                      "answers": {"satisfaction": 5 if i % 3 else 2},
                                      "comment": "โทร 081-234-5678 ค่ะ ขอบคุณ"})
            assert response.status_code == 201, response.text

    def rows():
        response = api.get("/open-data/satisfaction-by-point-month.csv")
        return csv_rows(response.content) if response.status_code == 200 else []
    assert wait_for(lambda: any(r["point_id"] == busy["id"] for r in rows()), timeout=40)
    found = rows()
    assert [r["point_id"] for r in found] == [busy["id"]]  # 29 ratings: not published
    row = found[0]
    assert row["ratings"] == "30" and row["csat"] == "0.6667"
    assert float(row["csat_ci_low"]) < 0.6667 < float(row["csat_ci_high"])
    body = api.get("/open-data/satisfaction-by-point-month.csv").content.decode("utf-8")
    assert "081" not in body and "ขอบคุณ" not in body  # never a comment


def test_hsds_schemas_shipped_with_the_tests_are_the_five_tables():
    names = {os.path.basename(p)[:-5] for p in glob.glob(os.path.join(HSDS_SCHEMAS, "*.json"))}
    assert names == set(HSDS_FILES.values())
