"""The OpenAPI 3 document, generated from the marshmallow schemas.

OPERATIONS lists every public endpoint once; a test checks it against the
gateway's @http routes so the two cannot drift apart.
"""
import functools

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from services.common.fields import IDEMPOTENCY_KEY
from services.gateway import (routes_complaints, routes_feedback, routes_geo, routes_opendata,
                              routes_registry, routes_reporting)

API_VERSION = "0.1.0"
IDEMPOTENCY_PATTERN = IDEMPOTENCY_KEY.regex.pattern


class ErrorBody(Schema):
    error = fields.String(required=True, metadata={"description": "Machine-readable code"})
    message = fields.String(required=True, metadata={"description": "Human-readable text"})
    details = fields.Dict(required=True, metadata={
        "description": "Field messages under `fields`, and other context"})


OWN_OPERATIONS = [
    ("get", "/healthz", "Liveness", None, None, False, "operations"),
    ("get", "/readyz", "Readiness: the broker and every service answer", None, None, False, "operations"),
    ("get", "/api/v1/openapi.json", "This document", None, None, False, "operations"),
]
ROUTE_MODULES = (routes_registry, routes_geo, routes_feedback, routes_complaints, routes_reporting,
                 routes_opendata)
# (method, path, summary, body schema, query schema, auth, tag)
OPERATIONS = OWN_OPERATIONS + [op for module in ROUTE_MODULES for op in module.OPERATIONS]
# Operations that create a resource answer 201; every other one 200.
CREATES = set().union(*(module.CREATES for module in ROUTE_MODULES))
# (method, path) -> {header name: description} of request headers a route reads
HEADERS = {key: value for module in ROUTE_MODULES
           for key, value in getattr(module, "HEADERS", {}).items()}

STATUS_TEXT = {"400": "Invalid input (field messages in details.fields)",
               "401": "Missing, expired or forged token", "403": "Not allowed",
               "404": "Unknown resource", "409": "Conflict", "413": "Body too large",
               "415": "Not JSON / not UTF-8", "503": "A backing service did not answer in time"}


def _path_parameters(path):
    return [{"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for part in path.split("/") if part.startswith("{")]


@functools.lru_cache(maxsize=1)
def document():
    spec = APISpec(title="Citizen Feedback & Zero Copy API", version=API_VERSION,
                   openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "Service points, the Citizen's Manual, Zero Copy, "
                                        "feedback and complaints. Errors are "
                                        "{error, message, details}."})
    spec.components.schema("Error", schema=ErrorBody)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    paths = {}
    for method, path, summary, body, query, needs_auth, tag in OPERATIONS:
        operation = {"summary": summary, "tags": [tag],
                     "parameters": _path_parameters(path),
                     "responses": {"200": {"description": "OK"}}}
        if (method, path) in CREATES:
            operation["responses"] = {"201": {"description": "Created"}}
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": body}}}
        if query is not None:
            operation["parameters"].append({"in": "query", "schema": query})
        for header, description in HEADERS.get((method, path), {}).items():
            schema = {"type": "string"}
            if header == "Idempotency-Key":
                schema["pattern"] = IDEMPOTENCY_PATTERN
            operation["parameters"].append({"name": header, "in": "header", "required": False,
                                            "description": description, "schema": schema})
        if needs_auth:
            operation["security"] = [{"bearer": []}]
        codes = ["400", "503"] + (["401", "403"] if needs_auth else [])
        if "{" in path:
            codes.append("404")
        if body is not None:
            codes += ["413", "415"]
        if method in ("post", "patch", "delete", "put"):
            codes.append("409")
        for code in sorted(set(codes)):
            operation["responses"][code] = {
                "description": STATUS_TEXT[code],
                "content": {"application/json": {"schema": "Error"}}}
        paths.setdefault(path, {})[method] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
