"""The OpenAPI document (/api/v1/openapi.json), walked from the routes'
declarations: it only ever gains (the public contract changes by adding),
and it declares every bound the server enforces on what a client sends."""
import json
import pathlib
import re

import pytest
from openapi_spec_validator import validate

from services.common import thai
from services.complaints import schemas as complaint_schemas
from services.complaints import tracking
from services.gateway import openapi
from services.gateway.service import GatewayService

# the document as it was generated from the tables the routes replaced
BASELINE = pathlib.Path(__file__).resolve().parents[1] / "schemas" / "openapi-2026-12-02.json"


@pytest.fixture(scope="module")
def document():
    return openapi.document(GatewayService)


def missing_from(before, after, where="$"):
    """What `before` says that `after` does not: keys may be added, nothing
    changed or taken away; parameters are matched by where and name."""
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return [where]
        found = []
        for key, value in before.items():
            if key not in after:
                found.append("{}.{}".format(where, key))
            else:
                found += missing_from(value, after[key], "{}.{}".format(where, key))
        return found
    if isinstance(before, list) and where.endswith(".parameters"):
        by_name = {(p["in"], p["name"]): p for p in after}
        found = []
        for parameter in before:
            key = (parameter["in"], parameter["name"])
            if key not in by_name:
                found.append("{}[{}]".format(where, key))
            else:
                found += missing_from(parameter, by_name[key], "{}[{}]".format(where, key))
        return found
    return [] if before == after else ["{}: {!r} -> {!r}".format(where, before, after)]


def test_the_document_is_valid_and_the_baseline_plus_additions(document):
    validate(document)
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert missing_from(baseline, document) == []
    assert len(document["paths"]) >= len(baseline["paths"])


def test_the_comparison_sees_a_change_and_a_removal(document):
    changed = json.loads(json.dumps(document))
    changed["paths"]["/api/v1/complaints"]["post"]["summary"] = "something else"
    del changed["paths"]["/api/v1/services"]["get"]["parameters"][0]
    assert len(missing_from(document, changed)) == 2


def schema_bound(schema):
    """Why a value of this schema is bounded, or None."""
    kind = schema.get("type")
    if "enum" in schema:
        return "enum"
    if kind == "string":
        if "maxLength" in schema:
            return "maxLength"
        # a pattern bounds the length only without * + or {n,}
        pattern = schema.get("pattern", "*")
        return "pattern" if not re.search(r"(?<!\\)[*+]|\{\d+,\}", pattern) else None
    if kind in ("integer", "number"):
        return "range" if "minimum" in schema and "maximum" in schema else None
    if kind == "array":
        return "maxItems" if "maxItems" in schema else None
    return kind or "untyped"  # booleans and objects: their properties are walked


def unbounded(document):
    components = document["components"]["schemas"]
    found = []

    def walk(schema, where, seen):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            schema, seen = components[name], seen | {name}
        for alternative in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
            walk(alternative, where, seen)
        if not schema_bound(schema):
            found.append(where)
        if "items" in schema:
            walk(schema["items"], where + "[]", seen)
        for name, prop in schema.get("properties", {}).items():
            walk(prop, where + "." + name, seen)
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], where + "{}", seen)

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                walk(parameter["schema"], "{} {} {} {}".format(
                    method, path, parameter["in"], parameter["name"]), frozenset())
            body = operation.get("requestBody")
            if body:
                walk(body["content"]["application/json"]["schema"],
                     "{} {} body".format(method, path), frozenset())
    return found


def test_every_string_array_and_number_a_client_sends_has_a_bound(document):
    assert unbounded(document) == []


def test_the_bound_check_sees_an_unbounded_field(document):
    loose = json.loads(json.dumps(document))
    loose["components"]["schemas"]["Rating"]["properties"]["comment"].pop("maxLength")
    assert unbounded(loose) == ["post /api/v1/complaints/{tracking_code}/rating body.comment"]


def test_bounds_checked_in_field_code_are_declared_from_the_same_values(document):
    schemas = document["components"]["schemas"]
    registration = schemas["AgencyRegistration"]["properties"]
    assert registration["name_th"]["maxLength"] == 200  # Text(max_length=200)
    assert (registration["password"]["minLength"], registration["password"]["maxLength"]) == (10, 128)
    assert schemas["Contact"]["properties"]["phone"]["maxLength"] == 40
    assert "OTHER" in schemas["ComplaintCreate"]["properties"]["category"]["enum"]
    points = document["paths"]["/api/v1/service-points"]["get"]["parameters"]
    province = next(p for p in points if p["name"] == "province_code")["schema"]
    assert len(province["enum"]) == 77 and "10" in province["enum"]
    report = document["paths"]["/api/v1/reports/rankings"]["get"]["parameters"]
    since = next(p for p in report if p["name"] == "from")["schema"]
    assert since["format"] == "date" and since["pattern"].startswith("^(19|20|21)")
    pin = schemas["Location"]["properties"]  # Thailand's box, as thai.in_thailand checks
    assert (pin["lat"]["minimum"], pin["lat"]["maximum"]) == (thai.LAT_MIN, thai.LAT_MAX)
    assert (pin["lon"]["minimum"], pin["lon"]["maximum"]) == (thai.LON_MIN, thai.LON_MAX)


def test_path_parameters_are_bounded_by_the_owners_contracts(document):
    def path_schema(path, method, name):
        return next(p["schema"] for p in document["paths"][path][method]["parameters"]
                    if p["in"] == "path" and p["name"] == name)
    assert path_schema("/api/v1/service-points/{point_id}", "get", "point_id")["pattern"] \
        == "^[A-Za-z0-9_-]{1,64}$"
    code = path_schema("/api/v1/complaints/{tracking_code}", "get", "tracking_code")
    assert code["maxLength"] == complaint_schemas.TRACKING_CODE_MAX_LENGTH
    # the complaints service reads no longer typed code, and reads one that long
    valid = tracking.new_code()
    limit = complaint_schemas.TRACKING_CODE_MAX_LENGTH
    assert tracking.normalise(valid.ljust(limit)) == valid
    assert tracking.normalise(valid.ljust(limit + 1)) is None


def test_idempotent_creations_declare_their_header(document):
    for path in ("/api/v1/service-points", "/api/v1/complaints",
                 "/api/v1/service-points/{point_id}/feedback"):
        headers = [p for p in document["paths"][path]["post"]["parameters"] if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], path
        assert headers[0]["schema"]["pattern"] == openapi.IDEMPOTENCY_PATTERN


@pytest.mark.parametrize("multiline", [False, True])
def test_the_text_pattern_refuses_what_text_refuses(multiline):
    from marshmallow import ValidationError

    from services.common.fields import Text, text_pattern
    field = Text(multiline=multiline)
    pattern = re.compile(text_pattern(multiline))

    def accepted(value):
        try:
            field.deserialize(value)
            return True
        except ValidationError:
            return False
    disagree = [hex(c) for c in list(range(0x0, 0x3000)) + [0xfeff, 0xfffd]
                if not 0xd800 <= c <= 0xdfff
                and accepted("a" + chr(c) + "b") != bool(pattern.fullmatch("a" + chr(c) + "b"))]
    assert disagree == []
    assert not accepted("  ") and not pattern.fullmatch("  ")
    assert accepted(" ก ") and pattern.fullmatch(" ก ")
