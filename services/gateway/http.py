"""HTTP plumbing of the gateway (werkzeug only, no nameko): JSON bodies with
limits, the error body of DESIGN §4, bearer tokens. The route entrypoint
(entrypoint.py) answers every error with `error_response` or
`internal_error_response`."""
import json

from werkzeug.wrappers import Response

from services.common import i18n
from services.common.errors import (PayloadTooLarge, Unauthorized,
                                    UnsupportedMediaType, ValidationFailed, validation_error)
from services.common.fields import unencodable_fields

JSON_TYPE = "application/json; charset=utf-8"


def json_response(body, status=200, headers=None):
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    status=status, mimetype="application/json", headers=headers,
                    content_type=JSON_TYPE)


def error_response(exc):
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="cfz"'
    if exc.status in (429, 503) and "retry_after_seconds" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after_seconds"])
    return json_response(with_thai(exc.to_body()), exc.status, headers or None)


def with_thai(body):
    """The error body with `message_th` and `details.fields_th` for Thai readers."""
    body = dict(body, message_th=i18n.thai_message(body["error"], body["message"]))
    fields = body["details"].get("fields") if isinstance(body["details"], dict) else None
    if fields:
        body["details"] = dict(body["details"], fields_th=i18n.thai_fields(fields))
    return body


def internal_error_response():
    """Our bug, without internals (the entrypoint logged its traceback)."""
    return json_response(with_thai({"error": "INTERNAL", "message": "Something went wrong on "
                                    "our side; it has been logged.", "details": {}}), 500)


def read_json(request, max_bytes):
    """The request body as a JSON object, or a 4xx CfzError saying why."""
    content_type = (request.mimetype or "").lower()
    if content_type and content_type != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.",
                                   {"content_type": request.mimetype})
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("Send the body as UTF-8.", {"charset": charset})
    length = request.content_length
    if length is not None and length > max_bytes:
        raise _too_large(max_bytes)
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    if not raw.strip():
        raise ValidationFailed("The request body is empty; send a JSON object.",
                               {"fields": {"_schema": ["Send a JSON object."]}},
                               code="EMPTY_BODY")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("The body is not valid UTF-8.",
                               {"position": exc.start}, code="INVALID_ENCODING")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ValidationFailed("The body is not valid JSON.",
                               {"reason": str(exc)}, code="MALFORMED_JSON")
    except RecursionError:  # thousands of nested brackets
        raise ValidationFailed("The body is nested too deeply.",
                               {"reason": "nested too deeply"}, code="MALFORMED_JSON")
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object.",
                               {"fields": {"_schema": ["Send a JSON object."]}})
    # every field of every body, also those no Text field checks (ids,
    # e-mails, a catalogue import): a lone surrogate is never stored
    unencodable = unencodable_fields(data)
    if unencodable:
        raise validation_error(unencodable)
    return data


def _reject_constant(name):
    raise ValueError("{} is not valid JSON".format(name))


def _too_large(max_bytes):
    return PayloadTooLarge("The body is larger than {} bytes.".format(max_bytes),
                           {"max_bytes": max_bytes})


def query_dict(request):
    """Query parameters as a dict of single values; repeated keys are an error."""
    result = {}
    for key in request.args.keys():
        values = request.args.getlist(key)
        if len(values) > 1:
            raise ValidationFailed("Give each query parameter once.",
                                   {"fields": {key: ["Given more than once."]}})
        result[key] = values[0]
    return result


def bearer_token(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("Log in first: send Authorization: Bearer <token>.",
                           code="MISSING_TOKEN")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send the token as Authorization: Bearer <token>.",
                           code="INVALID_TOKEN")
    return token.strip()
