"""The OpenAPI document (/api/v1/openapi.json), walked from the routes'
declarations: it only ever gains (the public contract changes by adding)."""
import json
import pathlib

import pytest
from openapi_spec_validator import validate

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


def test_idempotent_creations_declare_their_header(document):
    for path in ("/api/v1/service-points", "/api/v1/complaints",
                 "/api/v1/service-points/{point_id}/feedback"):
        headers = [p for p in document["paths"][path]["post"]["parameters"] if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], path
        assert headers[0]["schema"]["pattern"] == openapi.IDEMPOTENCY_PATTERN
