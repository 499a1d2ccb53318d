"""Bad input through the gateway: a clear 4xx in the error format of
DESIGN §4, field messages where fields are wrong, and nothing written."""
import json
import re
import time

from services.common import auth
from tests.conftest import TEST_SETTINGS
from tests.helpers import POINT, agency

SECRET = TEST_SETTINGS["CFZ_JWT_SECRET"]
THAI = re.compile("[\u0e00-\u0e7f]")
THAI_TIS620 = "ที่ว่าการอำเภอ".encode("tis-620")


def with_point(**changes):
    data = json.loads(json.dumps(POINT))
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def declaration(**document_changes):
    document = {"name_th": "บัตรประจำตัวประชาชน", "government_issued": True, "copy_required": False}
    document.update(document_changes)
    return {"services": [{"service_code": "DOPA-ID-NEW", "documents": [document]}]}


def claims(**overrides):
    base = {"sub": "acc-x", "username": "x", "role": "officer", "agency_id": "ag-x",
            "agency_admin": True}
    base.update(overrides)
    return base


def leaves(node):
    if isinstance(node, dict):
        return [m for value in node.values() for m in leaves(value)]
    if isinstance(node, list):
        return [m for value in node for m in leaves(value)]
    return [node]


def check(api, case, failures):
    """Send one bad request; record how it differs from what a user should get."""
    name, method, path, kwargs, status, code, field = case
    response = api.request(method, path, **kwargs)
    problems = []
    if response.status_code != status:
        problems.append("status {} (want {})".format(response.status_code, status))
    try:
        body = response.json()
    except ValueError:
        failures.append("{}: not JSON: {!r}".format(name, response.text[:200]))
        return
    if set(body) != {"error", "message", "message_th", "details"} or not body["message"] \
            or not THAI.search(body["message_th"]):
        problems.append("error body {!r}".format(body))
    elif code and body["error"] != code:
        problems.append("error {} (want {})".format(body["error"], code))
    if field:
        fields = body.get("details", {}).get("fields", {})
        node = fields
        for part in field.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not node:
            problems.append("no message for field {!r} in {!r}".format(field, fields))
        thai = body.get("details", {}).get("fields_th", {})
        for part in field.split("."):
            thai = thai.get(part) if isinstance(thai, dict) else None
        if not thai or not all(THAI.search(m) for m in leaves(thai)):
            problems.append("no Thai message for field {!r} in {!r}".format(field, body["details"]))
    if problems:
        failures.append("{}: {}".format(name, "; ".join(problems)))


def test_every_endpoint_refuses_bad_input_and_writes_nothing(api):
    officer, own_agency = api.approved_agency(agency("own"))
    other, other_agency = api.approved_agency(agency("other"))
    admin = api.admin_token()
    pending_data = agency("pending")
    assert api.post("/api/v1/agencies", json=pending_data).status_code == 201
    point = api.post("/api/v1/service-points", json=POINT, token=officer).json()
    points_path = "/api/v1/service-points/" + point["id"]
    forged = auth.issue_token("not-our-secret-but-long-enough-0123456789", 3600, claims())
    expired = auth.issue_token(SECRET, 60, claims(), now=time.time() - 3600)
    raw = {"headers": {"Content-Type": "application/json"}}
    big = json.dumps({"name_th": "ก" * 70000})

    cases = [
        # name, method, path, request kwargs, status, error code, field with a message
        ("malformed JSON", "POST", "/api/v1/agencies", dict(data=b'{"name_th": ', **raw), 400, "MALFORMED_JSON", None),
        ("empty body", "POST", "/api/v1/agencies", dict(data=b"", **raw), 400, "EMPTY_BODY", None),
        ("JSON array", "POST", "/api/v1/agencies", dict(json=[1, 2]), 400, "VALIDATION_ERROR", "_schema"),
        ("JSON string", "POST", "/api/v1/agencies", dict(json="agency"), 400, "VALIDATION_ERROR", "_schema"),
        ("NaN literal", "POST", "/api/v1/agencies", dict(data=b'{"name_th": NaN}', **raw), 400, "MALFORMED_JSON", None),
        ("TIS-620 body", "POST", "/api/v1/agencies",
         dict(data=b'{"name_th": "' + THAI_TIS620 + b'"}', **raw), 400, "INVALID_ENCODING", None),
        ("latin-1 charset", "POST", "/api/v1/agencies",
         dict(data=b"{}", headers={"Content-Type": "application/json; charset=latin-1"}), 415, None, None),
        ("form body", "POST", "/api/v1/agencies", dict(data={"name_th": "x"}), 415, None, None),
        ("body over the limit", "POST", "/api/v1/agencies", dict(data=big.encode(), **raw), 413, None, None),
        ("missing fields", "POST", "/api/v1/agencies", dict(json={}), 400, None, "username"),
        ("extra field", "POST", "/api/v1/agencies", dict(json=agency("x1", role="admin")), 400, None, "role"),
        ("number for name", "POST", "/api/v1/agencies", dict(json=agency("x2", name_th=123)), 400, None, "name_th"),
        ("null name", "POST", "/api/v1/agencies", dict(json=agency("x3", name_th=None)), 400, None, "name_th"),
        ("blank name", "POST", "/api/v1/agencies", dict(json=agency("x4", name_th="   ")), 400, None, "name_th"),
        ("overlong Thai name", "POST", "/api/v1/agencies", dict(json=agency("x5", name_th="ก" * 201)), 400, None, "name_th"),
        ("control character", "POST", "/api/v1/agencies", dict(json=agency("x6", name_en="A\x00B")), 400, None, "name_en"),
        ("bad e-mail", "POST", "/api/v1/agencies", dict(json=agency("x7", contact_email="not-an-email")), 400, None, "contact_email"),
        ("bad username", "POST", "/api/v1/agencies", dict(json=agency("x8", username="No Spaces!")), 400, None, "username"),
        ("short password", "POST", "/api/v1/agencies", dict(json=agency("x9", password="short")), 400, None, "password"),
        ("repeated-character password", "POST", "/api/v1/agencies", dict(json=agency("x10", password="a" * 12)), 400, None, "password"),
        ("password is boolean", "POST", "/api/v1/agencies", dict(json=agency("x11", password=True)), 400, None, "password"),
        ("duplicate username", "POST", "/api/v1/agencies", dict(json=agency("own", name_en="Copycat")), 409, "USERNAME_TAKEN", "username"),
        ("wrong password", "POST", "/api/v1/auth/token", dict(json={"username": "officer-own", "password": "wrong password"}), 401, "INVALID_CREDENTIALS", None),
        ("unknown user", "POST", "/api/v1/auth/token", dict(json={"username": "ghost", "password": "whatever12"}), 401, "INVALID_CREDENTIALS", None),
        ("pending account", "POST", "/api/v1/auth/token", dict(json={"username": pending_data["username"], "password": pending_data["password"]}), 403, "ACCOUNT_PENDING", None),
        ("token without password", "POST", "/api/v1/auth/token", dict(json={"username": "officer-own"}), 400, None, "password"),
        ("no token", "POST", "/api/v1/service-points", dict(json=POINT), 401, "MISSING_TOKEN", None),
        ("Basic auth", "POST", "/api/v1/service-points", dict(json=POINT, headers={"Authorization": "Basic YTpi"}), 401, "INVALID_TOKEN", None),
        ("forged token", "POST", "/api/v1/service-points", dict(json=POINT, token=forged), 401, "INVALID_TOKEN", None),
        ("expired token", "POST", "/api/v1/service-points", dict(json=POINT, token=expired), 401, "TOKEN_EXPIRED", None),
        ("garbage token", "POST", "/api/v1/service-points", dict(json=POINT, token="abc.def.ghi"), 401, "INVALID_TOKEN", None),
        ("lat as text", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": "18.79", "lon": 98.98}), token=officer), 400, None, "location.lat"),
        ("lat out of range", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": 95, "lon": 98.98}), token=officer), 400, None, "location.lat"),
        ("lon out of range", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": 18, "lon": -181}), token=officer), 400, None, "location.lon"),
        ("Null Island", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": 0, "lon": 0}), token=officer), 400, None, "location._schema"),
        ("pin in Vientiane", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": 17.97, "lon": 102.60}), token=officer), 400, None, "location._schema"),
        ("pin in the Gulf", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": 10.0, "lon": 101.5}), token=officer), 400, None, "location._schema"),
        ("pin in Penang", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": 5.41, "lon": 100.33}), token=officer), 400, None, "location._schema"),
        ("location as list", "POST", "/api/v1/service-points", dict(json=with_point(location=[18.79, 98.98]), token=officer), 400, None, "location"),
        ("location extra field", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": 18.79, "lon": 98.98, "alt": 300}), token=officer), 400, None, "location.alt"),
        ("missing location", "POST", "/api/v1/service-points", dict(json=with_point(location=...), token=officer), 400, None, "location"),
        ("unknown province", "POST", "/api/v1/service-points", dict(json=with_point(province_code="99"), token=officer), 400, None, "province_code"),
        ("province as number", "POST", "/api/v1/service-points", dict(json=with_point(province_code=50), token=officer), 400, None, "province_code"),
        ("bad phone", "POST", "/api/v1/service-points", dict(json=with_point(phone="08-1234"), token=officer), 400, None, "phone"),
        ("overlong address", "POST", "/api/v1/service-points", dict(json=with_point(address="ถ" * 501), token=officer), 400, None, "address"),
        ("other agency named", "POST", "/api/v1/service-points", dict(json=with_point(agency_id=other_agency["id"]), token=officer), 403, "OTHER_AGENCY", None),
        ("agency id wrong type", "POST", "/api/v1/service-points", dict(json=with_point(agency_id=["x"]), token=officer), 400, None, "agency_id"),
        ("empty update", "PATCH", points_path, dict(json={}, token=officer), 400, None, "_schema"),
        ("update unknown field", "PATCH", points_path, dict(json={"status": "closed"}, token=officer), 400, None, "status"),
        ("update other agency's point", "PATCH", points_path, dict(json={"name_en": "Taken"}, token=other), 403, "OTHER_AGENCY", None),
        ("update unknown point", "PATCH", "/api/v1/service-points/sp-nope", dict(json={"name_en": "X"}, token=officer), 404, None, None),
        ("move out of Thailand", "PATCH", points_path, dict(json={"location": {"lat": 16.84, "lon": 96.17}}, token=officer), 400, None, "location._schema"),
        ("pin in another province", "POST", "/api/v1/service-points", dict(json=with_point(location={"lat": 13.7563, "lon": 100.5018}), token=officer), 400, None, "location"),
        ("province of another pin", "POST", "/api/v1/service-points", dict(json=with_point(province_code="83"), token=officer), 400, None, "location"),
        ("move into another province", "PATCH", points_path, dict(json={"location": {"lat": 13.7563, "lon": 100.5018}}, token=officer), 400, None, "location"),
        ("province changed, pin not", "PATCH", points_path, dict(json={"province_code": "10"}, token=officer), 400, None, "location"),
        ("province of a pin at sea", "GET", "/api/v1/provinces/at?lat=10.0&lon=101.5", {}, 400, None, "_schema"),
        ("province lat as words", "GET", "/api/v1/provinces/at?lat=north&lon=100.5", {}, 400, None, "lat"),
        ("close other agency's point", "DELETE", points_path, dict(token=other), 403, "OTHER_AGENCY", None),
        ("close without token", "DELETE", points_path, {}, 401, "MISSING_TOKEN", None),
        ("unknown service code", "PUT", points_path + "/services", dict(json={"services": [{"service_code": "NOPE-NOT-REAL", "documents": []}]}, token=officer), 400, None, "services.0.service_code"),
        ("malformed service code", "PUT", points_path + "/services", dict(json={"services": [{"service_code": "id card"}]}, token=officer), 400, None, "services.0.service_code"),
        ("service twice", "PUT", points_path + "/services", dict(json={"services": [{"service_code": "DOPA-ID-NEW"}, {"service_code": "DOPA-ID-NEW"}]}, token=officer), 400, None, "services"),
        ("copy without reason", "PUT", points_path + "/services", dict(json=declaration(copy_required=True), token=officer), 400, None, "services.0.documents.0.copy_reason"),
        ("reason without copy", "PUT", points_path + "/services", dict(json=declaration(copy_reason="x"), token=officer), 400, None, "services.0.documents.0.copy_reason"),
        ("bad planned date", "PUT", points_path + "/services", dict(json=declaration(copy_required=True, copy_reason="ระบบยังไม่พร้อม", copy_planned_end_date="2026-13-01"), token=officer), 400, None, "services.0.documents.0.copy_planned_end_date"),
        ("flag as text", "PUT", points_path + "/services", dict(json=declaration(government_issued="yes"), token=officer), 400, None, "services.0.documents.0.government_issued"),
        ("documents not a list", "PUT", points_path + "/services", dict(json={"services": [{"service_code": "DOPA-ID-NEW", "documents": "all"}]}, token=officer), 400, None, "services.0.documents"),
        ("too many services", "PUT", points_path + "/services", dict(json={"services": [{"service_code": "DOPA-X{:03d}".format(i)} for i in range(101)]}, token=officer), 400, None, "services"),
        ("services of other agency", "PUT", points_path + "/services", dict(json=declaration(), token=other), 403, "OTHER_AGENCY", None),
        ("services missing", "PUT", points_path + "/services", dict(json={}, token=officer), 400, None, "services"),
        ("limit zero", "GET", "/api/v1/service-points?limit=0", {}, 400, None, "limit"),
        ("limit text", "GET", "/api/v1/service-points?limit=ten", {}, 400, None, "limit"),
        ("limit huge", "GET", "/api/v1/service-points?limit=99999999999999", {}, 400, None, "limit"),
        ("unknown province filter", "GET", "/api/v1/service-points?province_code=99", {}, 400, None, "province_code"),
        ("unknown query parameter", "GET", "/api/v1/service-points?colour=red", {}, 400, None, "colour"),
        ("repeated query parameter", "GET", "/api/v1/service-points?limit=1&limit=2", {}, 400, None, "limit"),
        ("overlong search", "GET", "/api/v1/services?q=" + "ก" * 101, {}, 400, None, "q"),
        ("unknown catalogue entry", "GET", "/api/v1/services/NOPE-NOT-REAL", {}, 404, None, None),
        ("unknown point", "GET", "/api/v1/service-points/sp-nope", {}, 404, None, None),
        ("bad rollout grouping", "GET", "/api/v1/rollout?group_by=colour", {}, 400, None, "group_by"),
        ("officer approves", "POST", "/api/v1/admin/agencies/{}/approve".format(own_agency["id"]), dict(token=officer), 403, None, None),
        ("approve unknown agency", "POST", "/api/v1/admin/agencies/ag-nope/approve", dict(token=admin), 404, None, None),
        ("unknown agency status", "GET", "/api/v1/admin/agencies?status=deleted", dict(token=admin), 400, None, "status"),
        ("officer lists agencies", "GET", "/api/v1/admin/agencies", dict(token=officer), 403, None, None),
        ("officer imports catalogue", "POST", "/api/v1/admin/catalogue", dict(json={"format": "cfz-catalogue/1", "entries": []}, token=officer), 400, None, "entries"),
        ("catalogue step without its order (found by schemathesis)", "POST", "/api/v1/admin/catalogue", dict(json={"format": "cfz-catalogue/1", "entries": [{"service_code": "A00", "name_th": "ก", "name_en": "a", "responsible_agency_th": "ก", "fee_baht": 0, "processing_time": {"amount": 1, "unit": "days"}, "documents": [], "steps": [{"description_th": "ก"}]}]}, token=admin), 400, None, "entries"),
        ("catalogue bad format", "POST", "/api/v1/admin/catalogue", dict(json={"format": "csv", "entries": [{}]}, token=admin), 400, None, "format"),
        ("officer adds officer elsewhere", "POST", "/api/v1/agencies/{}/officers".format(other_agency["id"]), dict(json={"username": "sneaky", "password": "sneaky password"}, token=officer), 403, None, None),
        ("unknown endpoint", "GET", "/api/v1/nothing-here", {}, 404, "NO_SUCH_ENDPOINT", None),
        ("nearby without lat", "GET", "/api/v1/service-points/nearby?lon=100.5", {}, 400, None, "lat"),
        ("nearby lat text", "GET", "/api/v1/service-points/nearby?lat=north&lon=100.5", {}, 400, None, "lat"),
        ("nearby lat 95", "GET", "/api/v1/service-points/nearby?lat=95&lon=100.5", {}, 400, None, "lat"),
        ("nearby lon NaN", "GET", "/api/v1/service-points/nearby?lat=13&lon=nan", {}, 400, None, "lon"),
        ("nearby k zero", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&k=0", {}, 400, None, "k"),
        ("nearby k 101", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&k=101", {}, 400, None, "k"),
        ("nearby k fraction", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&k=2.5", {}, 400, None, "k"),
        ("nearby radius negative", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&radius_km=-1", {}, 400, None, "radius_km"),
        ("nearby radius zero", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&radius_km=0", {}, 400, None, "radius_km"),
        ("nearby zero_copy maybe", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&zero_copy=maybe", {}, 400, None, "zero_copy"),
        ("nearby unknown service", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&service_code=NOPE-NOT-REAL", {}, 400, None, "service_code"),
        ("nearby malformed service", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&service_code=id%20card", {}, 400, None, "service_code"),
        ("nearby unknown province", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&province_code=99", {}, 400, None, "province_code"),
        ("nearby extra parameter", "GET", "/api/v1/service-points/nearby?lat=13&lon=100&sort=name", {}, 400, None, "sort"),
        ("bbox upside down", "GET", "/api/v1/service-points/bbox?south=15&west=99&north=12&east=101", {}, 400, None, "north"),
        ("bbox across 180", "GET", "/api/v1/service-points/bbox?south=1&west=179&north=2&east=-179", {}, 400, None, "east"),
        ("bbox missing east", "GET", "/api/v1/service-points/bbox?south=1&west=99&north=2", {}, 400, None, "east"),
        ("bbox page too big", "GET", "/api/v1/service-points/bbox?south=1&west=99&north=2&east=100&limit=5000", {}, 400, None, "limit"),
        ("polygon not closed", "POST", "/api/v1/service-points/within", dict(json={"type": "Polygon", "coordinates": [[[99, 12], [102, 12], [100, 16], [99, 13]]]}), 400, None, "coordinates"),
        ("polygon bow tie", "POST", "/api/v1/service-points/within", dict(json={"type": "Polygon", "coordinates": [[[99, 12], [102, 16], [102, 12], [99, 16], [99, 12]]]}), 400, None, "coordinates"),
        ("polygon of text", "POST", "/api/v1/service-points/within", dict(json={"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}), 400, None, "coordinates"),
        ("polygon with a one-number position (found by schemathesis)", "POST", "/api/v1/service-points/within", dict(json={"type": "Polygon", "coordinates": [[[0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]]}), 400, None, "coordinates"),
        ("polygon too few points", "POST", "/api/v1/service-points/within", dict(json={"type": "Polygon", "coordinates": [[[99, 12], [102, 12], [99, 12]]]}), 400, None, "coordinates"),
        ("point instead of polygon", "POST", "/api/v1/service-points/within", dict(json={"type": "Point", "coordinates": [99, 12]}), 400, None, "type"),
        ("feedback without answers", "POST", points_path + "/feedback", dict(json={"service_code": "DOPA-ID-NEW"}), 400, None, "answers"),
        ("feedback score 7", "POST", points_path + "/feedback", dict(json={"answers": {"satisfaction": 7}}), 400, None, "answers.satisfaction"),
        ("feedback unknown question", "POST", points_path + "/feedback", dict(json={"answers": {"satisfaction": 4, "price": 2}}), 400, None, "answers.price"),
        ("feedback honeypot", "POST", points_path + "/feedback", dict(json={"answers": {"satisfaction": 4}, "website": "x"}), 400, None, "website"),
        ("feedback forged token", "POST", points_path + "/feedback", dict(json={"answers": {"satisfaction": 4}, "visit_token": "eyJhbGciOiJIUzI1NiJ9.e30.xxxxxxxx"}), 400, "INVALID_VISIT_TOKEN", "visit_token"),
        ("feedback service not offered", "POST", points_path + "/feedback", dict(json={"answers": {"satisfaction": 4}, "service_code": "DLT-VEHICLE-TAX"}), 400, None, "service_code"),
        ("feedback for unknown point", "POST", "/api/v1/service-points/sp-nope/feedback", dict(json={"answers": {"satisfaction": 4}}), 404, None, None),
        ("visit token wrong code", "POST", points_path + "/visit-tokens", dict(json={"code": "0123456789abcdef", "device_id": "device-01"}), 400, "INVALID_COUNTER_CODE", "code"),
        # compared with hmac.compare_digest, which raised on non-ASCII text (a 500)
        ("visit token non-ASCII code", "POST", points_path + "/visit-tokens", dict(json={"code": "รหัสเคาน์เตอร์๑๒๓", "device_id": "device-01"}), 400, None, "code"),
        ("visit token bad device", "POST", points_path + "/visit-tokens", dict(json={"code": "0123456789abcdef", "device_id": "x"}), 400, None, "device_id"),
        ("qr bad kind", "GET", points_path + "/qr?kind=poster", dict(token=officer), 400, None, "kind"),
        ("moderation bad decision", "POST", "/api/v1/feedback/fb-nope/moderation", dict(json={"decision": "maybe"}, token=officer), 400, None, "decision"),
        ("moderate unknown feedback", "POST", "/api/v1/feedback/fb-nope/moderation", dict(json={"decision": "publish"}, token=officer), 404, None, None),
        ("feedback list limit 0", "GET", points_path + "/feedback?limit=0", {}, 400, None, "limit"),
        ("resync by officer", "POST", "/api/v1/admin/geo/resync", dict(token=officer), 403, None, None),
        ("resync without token", "POST", "/api/v1/admin/geo/resync", {}, 401, "MISSING_TOKEN", None),
    ]
    before = api.get(points_path).json()
    failures = []
    for case in cases:
        check(api, case, failures)
    assert not failures, "\n".join(failures)

    # nothing was written by any of them
    assert api.get(points_path).json() == before
    listed = api.get("/api/v1/service-points", params={"status": "all"}).json()
    assert [p["id"] for p in listed["results"]] == [point["id"]]
    agencies = api.get("/api/v1/admin/agencies", token=admin).json()["results"]
    assert sorted(a["name_en"] for a in agencies) == sorted(
        ["Test Office own", "Test Office other", "Test Office pending"])
    for username in ("officer-x1", "sneaky"):
        response = api.post("/api/v1/auth/token", json={"username": username, "password": "sneaky password"})
        assert response.status_code == 401


def test_every_json_endpoint_refuses_broken_bodies(api):
    """Malformed, non-UTF-8, oversized and non-JSON bodies on every endpoint
    that takes a body: 4xx before any service is asked, nothing written."""
    officer, own_agency = api.approved_agency(agency("bodies"))
    admin = api.admin_token()
    point = api.post("/api/v1/service-points", json=POINT, token=officer).json()
    endpoints = [
        ("POST", "/api/v1/agencies", None),
        ("POST", "/api/v1/auth/token", None),
        ("POST", "/api/v1/agencies/{}/officers".format(own_agency["id"]), officer),
        ("POST", "/api/v1/service-points", officer),
        ("PATCH", "/api/v1/service-points/" + point["id"], officer),
        ("PUT", "/api/v1/service-points/{}/services".format(point["id"]), officer),
        ("POST", "/api/v1/admin/catalogue", admin),
        ("POST", "/api/v1/service-points/{}/feedback".format(point["id"]), None),
        ("POST", "/api/v1/service-points/{}/visit-tokens".format(point["id"]), None),
        ("POST", "/api/v1/service-points/within", None),
    ]
    json_type = {"Content-Type": "application/json"}
    bodies = [
        ("malformed", b'{"a": [1, 2', json_type, 400, "MALFORMED_JSON"),
        ("trailing garbage", b'{"a": 1} xyz', json_type, 400, "MALFORMED_JSON"),
        ("not UTF-8", b'{"name_th": "\xff\xfe"}', json_type, 400, "INVALID_ENCODING"),
        ("empty", b"", json_type, 400, "EMPTY_BODY"),
        ("array", b"[]", json_type, 400, "VALIDATION_ERROR"),
        ("number", b"42", json_type, 400, "VALIDATION_ERROR"),
        ("XML", b"<agency/>", {"Content-Type": "application/xml"}, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("huge", b'{"x": "' + b"a" * (64 * 65536 + 10) + b'"}', json_type, 413, "PAYLOAD_TOO_LARGE"),
    ]
    failures = []
    for method, path, token in endpoints:
        for name, data, headers, status, code in bodies:
            response = api.request(method, path, token=token, data=data, headers=dict(headers))
            body = response.json() if response.headers.get("Content-Type", "").startswith(
                "application/json") else {}
            if response.status_code != status or body.get("error") != code:
                failures.append("{} {} {}: {} {}".format(method, path, name, response.status_code,
                                                         body.get("error")))
    assert not failures, "\n".join(failures)
    assert api.get("/api/v1/service-points/" + point["id"]).json()["entity_version"] == 1
    assert api.get("/api/v1/service-points", params={"status": "all"}).json()["total"] == 1
