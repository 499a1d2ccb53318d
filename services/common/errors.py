"""Error types shared by every service, and their HTTP mapping.

Services raise these from RPC entrypoints; `deserialize_to_instance` makes
nameko rebuild the same type in the caller, so the gateway maps them to the
error body of DESIGN §4: {"error": CODE, "message": text, "details": {...}}.
"""
import json

from nameko.exceptions import deserialize_to_instance


class CfzError(Exception):
    status = 500
    code = "INTERNAL"

    def __init__(self, message, details=None, code=None):
        # nameko sends an error's args over RPC as text, turning every number
        # in them into a string; the details travel as JSON text instead
        if isinstance(details, str):
            details = json.loads(details)
        self._details = details or {}
        super().__init__(message, json.dumps(self._details, ensure_ascii=False),
                         code or self.code)

    @property
    def message(self):
        return self.args[0]

    @property
    def details(self):
        return self._details

    @property
    def error_code(self):
        return self.args[2] if len(self.args) > 2 else self.code

    def to_body(self):
        return {"error": self.error_code, "message": self.message,
                "details": self.details}

    def __str__(self):
        return self.message


@deserialize_to_instance
class ValidationFailed(CfzError):
    status = 400
    code = "VALIDATION_ERROR"


@deserialize_to_instance
class Unauthorized(CfzError):
    status = 401
    code = "UNAUTHORIZED"


@deserialize_to_instance
class Forbidden(CfzError):
    status = 403
    code = "FORBIDDEN"


@deserialize_to_instance
class NotFound(CfzError):
    status = 404
    code = "NOT_FOUND"


@deserialize_to_instance
class Conflict(CfzError):
    status = 409
    code = "CONFLICT"


@deserialize_to_instance
class RequestTimeout(CfzError):
    status = 408
    code = "REQUEST_TIMEOUT"


@deserialize_to_instance
class AnswerTooLarge(CfzError):
    """The answer would be larger than an RPC reply may be: ask for less."""
    status = 400
    code = "ANSWER_TOO_LARGE"


@deserialize_to_instance
class PayloadTooLarge(CfzError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


@deserialize_to_instance
class UnsupportedMediaType(CfzError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


@deserialize_to_instance
class RateLimited(CfzError):
    status = 429
    code = "RATE_LIMITED"


@deserialize_to_instance
class ServiceUnavailable(CfzError):
    status = 503
    code = "SERVICE_UNAVAILABLE"


@deserialize_to_instance
class Busy(ServiceUnavailable):
    """Refused on purpose to protect the service (e.g. too many password
    hashes at once): expected, unlike a timeout."""
    code = "BUSY"


# Entrypoints declare these as expected so they are not logged as crashes.
EXPECTED = (ValidationFailed, Unauthorized, Forbidden, NotFound, Conflict,
            PayloadTooLarge, UnsupportedMediaType, RateLimited, Busy)


def validation_error(messages, message="The request has invalid fields."):
    """A ValidationFailed from marshmallow-style field messages."""
    return ValidationFailed(message, {"fields": messages})
