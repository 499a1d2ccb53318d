"""The register of open service points as open data (plain module).

Generated ahead of time from the registry's own database, read through its
repository (store.RegistryStore; never per request), and stored in chunks
(services/common/opendata_store.py):

- `service-points.geojson`: RFC 7946 FeatureCollection, one Point feature
  per open point (coordinates [lon, lat], WGS 84, no `crs` member), its
  services and per-document Zero Copy status in the properties;
- `service-points.csv`: UTF-8 with BOM, one row per open point, and
  `service-point-documents.csv`: one row per point, service and document
  (a service without declared documents: one row, document columns
  empty), linked by `point_id` (a foreign key in the data package); one
  file of both would repeat every point's columns on each of its ~20
  document rows (66 MB at 10,000 points); text cells formula-neutralised;
- HSDS 3.0 (Open Referral Human Services Data Specification) as JSON
  arrays, one file per table: organizations (agencies), locations
  (service points), services (a Citizen's Manual service as delivered at
  one point, so its required documents can carry that point's copy
  rule), service_at_locations, required_documents.

Only public data: no officer, no account, no contact e-mail, no phone
number (a point's phone may be an officer's own mobile), no pin
provenance, no comment; every free text is redacted
(services/common/redaction.py) as every public text is.
"""
import json
import time
import uuid

from services.common import opendata_store, thai
from services.common.csvfile import to_csv
from services.common.redaction import public_text

HSDS_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/cfz/open-data/hsds")
YIELD_EVERY = 100  # points (or items) between yields to eventlet while generating
# what of a stored point is not public (left out when the points are read)
PRIVATE_POINT_FIELDS = ("outbox", "idempotency_scope", "request_hash", "pin", "phone")

POINT_COLUMNS = [
    # (name, type, Thai description, English description)
    ("point_id", "string", "รหัสจุดให้บริการ", "Service point id"),
    ("point_name_th", "string", "ชื่อจุดให้บริการ (ไทย)", "Service point name in Thai"),
    ("point_name_en", "string", "ชื่อจุดให้บริการ (อังกฤษ)", "Service point name in English"),
    ("agency_id", "string", "รหัสหน่วยงาน", "Agency id"),
    ("agency_name_th", "string", "ชื่อหน่วยงาน (ไทย)", "Agency name in Thai"),
    ("agency_name_en", "string", "ชื่อหน่วยงาน (อังกฤษ)", "Agency name in English"),
    ("ministry", "string", "กระทรวง", "Ministry"),
    ("province_code", "string", "รหัสจังหวัด (กรมการปกครอง)", "Province code (DOPA)"),
    ("province_name_th", "string", "ชื่อจังหวัด (ไทย)", "Province name in Thai"),
    ("province_name_en", "string", "ชื่อจังหวัด (อังกฤษ)", "Province name in English"),
    ("address", "string", "ที่อยู่", "Address"),
    ("latitude", "number", "ละติจูด (WGS 84)", "Latitude (WGS 84)"),
    ("longitude", "number", "ลองจิจูด (WGS 84)", "Longitude (WGS 84)"),
    ("opening_hours", "string", "เวลาทำการ", "Opening hours"),
    ("services", "integer", "จำนวนบริการ", "Number of services offered"),
    ("surveyed", "boolean", "สำรวจเอกสารครบทุกบริการแล้ว",
     "Every service of the point has its documents declared"),
    ("zero_copy", "boolean", "ไม่เรียกสำเนาเอกสารในทุกบริการ",
     "No photocopy demanded for any service of the point"),
    ("updated_at", "datetime", "แก้ไขข้อมูลจุดให้บริการล่าสุด (UTC)",
     "Last change to the service point (UTC)"),
]
DOCUMENT_COLUMNS = [
    ("point_id", "string", "รหัสจุดให้บริการ (ตรงกับ service-points.csv)",
     "Service point id (as in service-points.csv)"),
    ("service_code", "string", "รหัสบริการในคู่มือสำหรับประชาชน",
     "Service code in the Citizen's Manual"),
    ("service_name_th", "string", "ชื่อบริการ (ไทย)", "Service name in Thai"),
    ("service_name_en", "string", "ชื่อบริการ (อังกฤษ)", "Service name in English"),
    ("service_declared", "boolean", "ประกาศเอกสารของบริการนี้แล้ว",
     "The documents of this service are declared"),
    ("service_zero_copy", "boolean", "บริการนี้ไม่เรียกสำเนาเอกสาร",
     "No photocopy demanded for this service"),
    ("document_name_th", "string", "ชื่อเอกสาร (ไทย)", "Document name in Thai"),
    ("document_name_en", "string", "ชื่อเอกสาร (อังกฤษ)", "Document name in English"),
    ("government_issued", "boolean", "เอกสารที่ทางราชการออกให้",
     "A government-issued document (its copy may not be demanded: 2018 Cabinet resolution)"),
    ("copy_required", "boolean", "ยังเรียกสำเนาเอกสารนี้", "A photocopy is still demanded"),
    ("copy_reason", "string", "เหตุผลที่ยังเรียกสำเนา", "Why a photocopy is still demanded"),
    ("copy_planned_end_date", "date", "วันที่วางแผนเลิกเรียกสำเนา",
     "Planned date to stop demanding the photocopy"),
]


class Redactor:
    """redaction.public_text, remembered for the texts that repeat (the
    catalogue's service and document names at every point): a generation
    redacts each distinct text once."""

    def __init__(self, limit=200000):
        self.seen = {}
        self.limit = limit

    def __call__(self, value):
        if not isinstance(value, str) or not value:
            return value
        found = self.seen.get(value)
        if found is None:
            found = public_text(value)
            if len(self.seen) < self.limit:
                self.seen[value] = found
        return found


def _text(value):
    return public_text(value) if isinstance(value, str) else value


def _iso(value):
    if value is None:
        return None
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def hsds_id(kind, *parts):
    """A stable HSDS id (3.0 ids are UUIDs) for one of our entities."""
    return str(uuid.uuid5(HSDS_NAMESPACE, "|".join((kind,) + parts)))


def open_points(storage):
    """Open points in id order, without what is not public."""
    return storage.open_points(without=PRIVATE_POINT_FIELDS)


def point_record(doc, agencies, redact=None):
    """The public record of one point (redacted text), shared by every file.
    `redact`: a Redactor for the texts that repeat from point to point."""
    redact = redact or Redactor()
    agency = agencies.get(doc["agency_id"], {})
    province = thai.province_names(doc["province_code"]) or {}
    services = []
    for s in doc.get("services") or []:
        documents = None
        if s.get("documents") is not None:
            documents = [{"name_th": redact(d.get("name_th")), "name_en": redact(d.get("name_en")),
                          "government_issued": bool(d.get("government_issued")),
                          "copy_required": bool(d.get("copy_required")),
                          "copy_reason": redact(d.get("copy_reason")) if d.get("copy_required")
                          else None,
                          "copy_planned_end_date": d.get("copy_planned_end_date")
                          if d.get("copy_required") else None}
                         for d in s["documents"]]
        services.append({"service_code": s["service_code"], "name_th": redact(s.get("name_th")),
                         "name_en": redact(s.get("name_en")), "declared": bool(s.get("declared")),
                         "zero_copy": s.get("zero_copy"), "documents": documents})
    return {"id": doc["_id"], "name_th": _text(doc["name_th"]), "name_en": _text(doc["name_en"]),
            "agency_id": doc["agency_id"], "agency_name_th": redact(agency.get("name_th")),
            "agency_name_en": redact(agency.get("name_en")),
            "ministry": redact(agency.get("ministry")),
            "province_code": doc["province_code"], "province_name_th": province.get("name_th"),
            "province_name_en": province.get("name_en"), "address": _text(doc.get("address")),
            "lat": doc["location"]["lat"], "lon": doc["location"]["lon"],
            "opening_hours": _text(doc.get("opening_hours")),
            "surveyed": bool(doc.get("surveyed")), "zero_copy": bool(doc.get("zero_copy")),
            "services": services, "updated_at": _iso(doc.get("updated_at"))}


# --- GeoJSON -----------------------------------------------------------------
def _geo_services(services):
    """Services in a feature's properties, without empty values (a
    document's copy reason and end date only when a copy is demanded)."""
    return [dict({k: v for k, v in s.items() if k != "documents" and v is not None},
                 documents=None if s["documents"] is None else [
                     {k: v for k, v in d.items() if v is not None} for d in s["documents"]])
            for s in services]


def geojson(records):
    features = [{"type": "Feature", "id": r["id"],
                 "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                 "properties": dict({k: v for k, v in r.items()
                                     if k not in ("id", "lat", "lon", "services")},
                                    services=_geo_services(r["services"]))}
                for r in records]
    return b'{"type":"FeatureCollection","features":' + _json_array(features) + b"}"


def _json(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_array(items):
    """A JSON array encoded item by item, yielding to eventlet now and then:
    one json.dumps of 30 MB would hold the registry for seconds."""
    parts = []
    for i, item in enumerate(items):
        if i % YIELD_EVERY == YIELD_EVERY - 1:
            time.sleep(0)
        parts.append(_json(item))
    return b"[" + b",".join(parts) + b"]"


# --- CSV ---------------------------------------------------------------------
def point_rows(records):
    for i, r in enumerate(records):
        if i % YIELD_EVERY == YIELD_EVERY - 1:
            time.sleep(0)
        yield [r["id"], r["name_th"], r["name_en"], r["agency_id"], r["agency_name_th"],
               r["agency_name_en"], r["ministry"], r["province_code"], r["province_name_th"],
               r["province_name_en"], r["address"], r["lat"], r["lon"], r["opening_hours"],
               len(r["services"]), r["surveyed"], r["zero_copy"], r["updated_at"]]


def document_rows(records):
    """One row per point, service and document; a service without declared
    documents: one row with the document columns empty."""
    for i, r in enumerate(records):
        if i % YIELD_EVERY == YIELD_EVERY - 1:
            time.sleep(0)
        for s in r["services"]:
            service = [r["id"], s["service_code"], s["name_th"], s["name_en"], s["declared"],
                       s["zero_copy"]]
            for d in s["documents"] or [None]:
                yield service + ([None] * 6 if d is None else [
                    d["name_th"], d["name_en"], d["government_issued"], d["copy_required"],
                    d["copy_reason"], d["copy_planned_end_date"]])


def csv_file(columns, rows):
    return to_csv([c[0] for c in columns], rows).encode("utf-8")


# --- HSDS 3.0 ----------------------------------------------------------------
def _compact(obj):
    """HSDS 3.0 types are not nullable: a missing value is left out."""
    return {k: v for k, v in obj.items() if v is not None and v != ""}


def _both(th, en):
    return th if not en or en == th else "{} ({})".format(th, en)


def hsds(records, agencies):
    used = sorted({r["agency_id"] for r in records})
    organizations = []
    for a in used:
        if a not in agencies:
            continue
        name_th, name_en = _text(agencies[a]["name_th"]), _text(agencies[a].get("name_en"))
        ministry = _text(agencies[a].get("ministry") or "")
        organizations.append(_compact({
            "id": hsds_id("organization", a), "name": name_th, "alternate_name": name_en,
            "description": _both("{} {}".format(name_th, ministry).strip(), name_en)}))
    locations, services, links, documents = [], [], [], []
    for r in records:
        location_id = hsds_id("location", r["id"])
        locations.append(_compact({
            "id": location_id, "location_type": "physical",
            "organization_id": hsds_id("organization", r["agency_id"]),
            "name": r["name_th"], "alternate_name": r["name_en"],
            "description": ", ".join(x for x in (r["address"], r["province_name_th"]) if x),
            "latitude": r["lat"], "longitude": r["lon"],
            "external_identifier": r["id"], "external_identifier_type": "cfz_service_point_id"}))
        for s in r["services"]:
            service_id = hsds_id("service", r["id"], s["service_code"])
            if s["zero_copy"] is None:
                status_th, status_en = "ยังไม่ได้ประกาศเอกสาร", "documents not declared yet"
            elif s["zero_copy"]:
                status_th, status_en = "ไม่เรียกสำเนาเอกสาร", "no photocopies (Zero Copy)"
            else:
                status_th, status_en = "ยังเรียกสำเนาเอกสารบางรายการ", "some photocopies still demanded"
            services.append(_compact({
                "id": service_id, "organization_id": hsds_id("organization", r["agency_id"]),
                "name": s["name_th"], "alternate_name": s["name_en"], "status": "active",
                "description": "{} ที่ {}: {} / {} at {}: {}".format(
                    s["name_th"], r["name_th"], status_th, s["name_en"] or s["service_code"],
                    r["name_en"] or r["name_th"], status_en),
                "last_modified": r["updated_at"]}))
            links.append(_compact({
                "id": hsds_id("service_at_location", r["id"], s["service_code"]),
                "service_id": service_id, "location_id": location_id,
                "description": "{}: {} / {}".format(s["service_code"], status_th, status_en)}))
            for index, d in enumerate(s["documents"] or []):
                if d["copy_required"]:
                    rule = "ยังเรียกสำเนา / photocopy demanded"
                    if d["copy_planned_end_date"]:
                        rule += " (ถึง / until {})".format(d["copy_planned_end_date"])
                    if d["copy_reason"]:
                        rule += ": " + d["copy_reason"]
                else:
                    rule = "ไม่ต้องใช้สำเนา / no photocopy"
                documents.append(_compact({
                    "id": hsds_id("required_document", r["id"], s["service_code"], str(index)),
                    "service_id": service_id,
                    "document": "{}{} — {}".format(
                        d["name_th"], " ({})".format(d["name_en"]) if d["name_en"] else "", rule)}))
    return {"organizations": organizations, "locations": locations, "services": services,
            "service_at_locations": links, "required_documents": documents}


# --- the files and their data package descriptors -----------------------------
HSDS_TABLES = {
    "organizations": ("หน่วยงานที่ให้บริการ", "Organizations: the agencies"),
    "locations": ("สถานที่: จุดให้บริการที่เปิดอยู่", "Locations: the open service points"),
    "services": ("บริการตามคู่มือสำหรับประชาชน ณ แต่ละจุดให้บริการ",
                 "Services: a Citizen's Manual service as delivered at one point"),
    "service_at_locations": ("บริการที่จุดให้บริการ พร้อมสถานะการไม่เรียกสำเนา",
                             "Service at location, with its Zero Copy status"),
    "required_documents": ("เอกสารที่ต้องใช้ และเรียกสำเนาหรือไม่",
                           "Required documents, and whether a photocopy is demanded"),
}


def build(storage):
    """Every register file: [{"name", "media_type", "body", "resource"}]."""
    agencies = storage.approved_agencies()
    redactor = Redactor()
    records = []
    for i, doc in enumerate(open_points(storage)):
        if i % YIELD_EVERY == YIELD_EVERY - 1:
            time.sleep(0)  # under eventlet: the registry keeps answering meanwhile
        records.append(point_record(doc, agencies, redactor))
    files = [
        {"name": "service-points.geojson", "media_type": "application/geo+json",
         "body": geojson(records),
         "resource": {"name": "service-points-geojson", "format": "geojson",
                      "mediatype": "application/geo+json", "encoding": "utf-8",
                      "title": "จุดให้บริการที่เปิดอยู่ (GeoJSON) / Open service points (GeoJSON)",
                      "description": "จุดให้บริการที่เปิดอยู่ บริการ และสถานะการไม่เรียกสำเนาเอกสาร "
                                     "ทีละเอกสาร (RFC 7946, พิกัด ลองจิจูด ละติจูด) / Open service "
                                     "points, their services and Zero Copy status per document "
                                     "(RFC 7946, coordinates lon, lat)"}},
        {"name": "service-points.csv", "media_type": "text/csv; charset=utf-8",
         "body": csv_file(POINT_COLUMNS, point_rows(records)),
         "resource": {"name": "service-points-csv", "format": "csv", "mediatype": "text/csv",
                      "encoding": "utf-8-sig", "profile": "tabular-data-resource",
                      "title": "จุดให้บริการที่เปิดอยู่ (CSV) / Open service points (CSV)",
                      "description": "หนึ่งแถวต่อจุดให้บริการ (UTF-8 มี BOM) เอกสารแต่ละรายการอยู่ใน "
                                     "service-point-documents.csv / One row per service point "
                                     "(UTF-8 with BOM); the documents are in "
                                     "service-point-documents.csv",
                      "schema": opendata_store.table_schema(POINT_COLUMNS, primaryKey=["point_id"])}},
        {"name": "service-point-documents.csv", "media_type": "text/csv; charset=utf-8",
         "body": csv_file(DOCUMENT_COLUMNS, document_rows(records)),
         "resource": {"name": "service-point-documents-csv", "format": "csv",
                      "mediatype": "text/csv", "encoding": "utf-8-sig",
                      "profile": "tabular-data-resource",
                      "title": "บริการและเอกสารของแต่ละจุด พร้อมสถานะการเรียกสำเนา (CSV) / Services and "
                               "documents per point, with the Zero Copy status (CSV)",
                      "description": "หนึ่งแถวต่อจุดให้บริการ บริการ และเอกสาร (UTF-8 มี BOM) / One row "
                                     "per service point, service and document (UTF-8 with BOM)",
                      "schema": opendata_store.table_schema(DOCUMENT_COLUMNS, foreignKeys=[{
                          "fields": ["point_id"],
                          "reference": {"resource": "service-points-csv",
                                        "fields": ["point_id"]}}])}},
    ]
    for table, rows in hsds(records, agencies).items():
        th, en = HSDS_TABLES[table]
        files.append({"name": "hsds/{}.json".format(table), "media_type": "application/json",
                      "body": _json_array(rows),
                      "resource": {"name": "hsds-" + table.replace("_", "-"), "format": "json",
                                   "mediatype": "application/json", "encoding": "utf-8",
                                   "title": "HSDS 3.0 {}: {} / {}".format(table, th, en),
                                   "description": "Open Referral HSDS 3.0, ตาราง {} เป็นอาร์เรย์ JSON "
                                                  "/ Open Referral HSDS 3.0 table {} as a JSON "
                                                  "array".format(table, table),
                                   "sources": [{"title": "Open Referral HSDS 3.0",
                                                "path": "https://docs.openreferral.org/en/3.0/"}]}})
    return files
