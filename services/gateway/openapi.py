"""The OpenAPI 3 document, generated from the routes' own declarations
(services/gateway/entrypoint.py: summary, body and query schemas, auth,
tag, 201 on create, request headers) and the marshmallow schemas they name.
"""
import functools
import inspect

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common.fields import IDEMPOTENCY_KEY, ProvinceCode
from services.common.schemas import ID_PATTERN, SERVICE_CODE_PATTERN
from services.complaints import schemas as complaint_schemas
from services.gateway.entrypoint import Route

API_VERSION = "0.1.0"
IDEMPOTENCY_PATTERN = IDEMPOTENCY_KEY.regex.pattern


class ErrorBody(Schema):
    error = fields.String(required=True, metadata={"description": "Machine-readable code"})
    message = fields.String(required=True, metadata={"description": "Human-readable text"})
    details = fields.Dict(required=True, metadata={
        "description": "Field messages under `fields`, and other context"})


def routes(service_cls):
    """Every Route of the service class (mixins included), by handler name."""
    found = []
    for _, handler in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(handler, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            found.append(entrypoint)
    return found


def operations(service_cls):
    """(method, path, route) of every documented route."""
    return [(verb.lower(), entrypoint.route, entrypoint)
            for entrypoint in routes(service_cls)
            if isinstance(entrypoint, Route) and entrypoint.documented
            for verb in entrypoint.method.split(",")]


STATUS_TEXT = {"400": "Invalid input (field messages in details.fields)",
               "401": "Missing, expired or forged token", "403": "Not allowed",
               "404": "Unknown resource", "409": "Conflict", "413": "Body too large",
               "415": "Not JSON / not UTF-8", "503": "A backing service did not answer in time"}


# What each path parameter may be, from the owners' contracts: a value
# outside it is answered 400 (a province code) or 404 (no such thing).
# Every `..._id` is an id.
PATH_PARAMETERS = {
    "id": fields.String(validate=validate.Regexp(ID_PATTERN)),
    "service_code": fields.String(validate=validate.Regexp(SERVICE_CODE_PATTERN)),
    "province_code": ProvinceCode(),
    "tracking_code": fields.String(validate=validate.Length(
        max=complaint_schemas.TRACKING_CODE_MAX_LENGTH)),
    # an open data file: lower-case names, at most one folder (hsds/...)
    "name": fields.String(validate=validate.Regexp(r"^[a-z0-9_-]{1,64}(/[a-z0-9_-]{1,64})?"
                                                   r"\.[a-z]{1,8}$")),
}


def _path_parameters(path, converter):
    parameters = []
    for part in path.split("/"):
        if part.startswith("{"):
            name = part[1:-1]
            field = PATH_PARAMETERS["id" if name.endswith("_id") else name]
            schema = dict(converter.field2property(field), type="string")
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


@functools.lru_cache(maxsize=None)
def document(service_cls):
    """The document of the service class's documented routes."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Citizen Feedback & Zero Copy API", version=API_VERSION,
                   openapi_version="3.0.3", plugins=[plugin],
                   info={"description": "Service points, the Citizen's Manual, Zero Copy, "
                                        "feedback and complaints. Errors are "
                                        "{error, message, details}."})
    spec.components.schema("Error", schema=ErrorBody)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    paths = {}
    for method, path, entrypoint in sorted(operations(service_cls), key=lambda op: op[:2]):
        body, query, needs_auth = entrypoint.body, entrypoint.query, entrypoint.auth
        operation = {"summary": entrypoint.summary, "tags": [entrypoint.tag],
                     "parameters": _path_parameters(path, plugin.converter),
                     "responses": {"200": {"description": "OK"}}}
        if entrypoint.creates:
            operation["responses"] = {"201": {"description": "Created"}}
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": body}}}
        if query is not None:
            operation["parameters"].append({"in": "query", "schema": query})
        for header, description in entrypoint.headers.items():
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
    for path, path_operations in paths.items():
        spec.path(path=path, operations=path_operations)
    return spec.to_dict()
