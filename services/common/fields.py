"""Strict marshmallow fields for JSON input.

JSON has types; a string where a number belongs is a client bug we report,
not something we guess at. Text is NFC-normalised and trimmed before its
length is checked, so Thai text counts the way a reader sees it.

A field that checks a bound in its own code (not with a marshmallow
validator, which apispec reads by itself) also states it in its metadata
as the JSON Schema word (maxLength, enum, pattern...), from the same value,
so the OpenAPI document declares every bound the server enforces.
"""
import datetime as dt
import math
import re

from marshmallow import ValidationError, fields, validate

from services.common import text as textmod
from services.common import thai
from services.common.errors import validation_error


UNENCODABLE = "Must be valid Unicode text (a lone surrogate such as \\ud800 cannot be stored)."


def with_bounds(field, **bounds):
    """The field's JSON Schema bounds in its metadata (apispec copies them
    into the OpenAPI document); a bound given by the schema itself wins."""
    field.metadata = {**bounds, **field.metadata}
    return field


def unencodable_fields(data):
    """marshmallow-shaped field messages for every string in a JSON value
    (keys included) that UTF-8 cannot hold, or {}: such text would be stored
    and then break every read of it, so it is refused at the edge."""
    if isinstance(data, str):
        return [UNENCODABLE] if not textmod.encodable(data) else {}
    if isinstance(data, dict):
        found = {}
        for key, value in data.items():
            name = key if textmod.encodable(key) else key.encode("utf-8", "backslashreplace").decode()
            inner = [UNENCODABLE] if name is not key else unencodable_fields(value)
            if inner:
                found[name] = inner
        return found
    if isinstance(data, list):
        return {i: inner for i, inner in enumerate(map(unencodable_fields, data)) if inner}
    return {}


# What Text refuses, as a JSON Schema pattern (ECMA-262, which reads these
# escapes as Python does): control characters (single-line text also tab
# and line breaks) and bidirectional overrides and isolates
# (text.has_control_chars, text.BIDI_CONTROLS; a test compares them).
_REFUSED = {False: r"\x00-\x1f\x7f", True: r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"}
_BIDI = r"\u202a-\u202e\u2066-\u2069"


def text_pattern(multiline=False, allow_blank=False):
    refused = _REFUSED[multiline] + _BIDI
    if allow_blank:
        return "^[^{0}]*$".format(refused)
    return "^[^{0}]*[^\\s{0}][^{0}]*$".format(refused)  # one character not a space


class Text(fields.String):
    """Text a person wrote. Single-line text (names, titles) loses
    zero-width characters: Thai copied from a web page or Word often
    carries them, the writer cannot see or remove them, and without them
    two names that look the same are the same. Multi-line text keeps them
    (emoji sequences need the joiner; redaction matches through them)."""
    default_error_messages = {
        "unencodable": UNENCODABLE,
        "control": "Must not contain control characters.",
        "bidi": "Must not contain bidirectional control characters.",
        "blank": "Must not be blank.",
        "too_long": "Must be at most {max} characters.",
    }

    def __init__(self, max_length=200, multiline=False, allow_blank=False, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.multiline = multiline
        self.allow_blank = allow_blank
        with_bounds(self, maxLength=max_length, pattern=text_pattern(multiline, allow_blank))

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not textmod.encodable(value):
            raise self.make_error("unencodable")
        if textmod.has_control_chars(value, self.multiline):
            raise self.make_error("control")
        if textmod.BIDI_CONTROLS.search(value):
            raise self.make_error("bidi")
        if not self.multiline:
            value = textmod.strip_zero_width(value)
        value = textmod.clean_text(value, self.multiline)
        if not value and not self.allow_blank:
            raise self.make_error("blank")
        if len(value) > self.max_length:
            raise self.make_error("too_long", max=self.max_length)
        return value


class StrictFloat(fields.Float):
    default_error_messages = {"invalid": "Must be a number.",
                              "special": "Must be a finite number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        if not math.isfinite(value):
            raise self.make_error("special")
        return float(value)


class StrictInteger(fields.Integer):
    default_error_messages = {"invalid": "Must be a whole number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class StrictBoolean(fields.Boolean):
    default_error_messages = {"invalid": "Must be true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


QUERY_INTEGER = re.compile(r"-?[0-9]{1,12}", re.ASCII)


class QueryInteger(fields.Integer):
    """An integer from a query string (where everything arrives as text)."""
    default_error_messages = {"invalid": "Must be a whole number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str):
            # ASCII digits only: "²" passes str.isdigit() but int() refuses it
            if not QUERY_INTEGER.fullmatch(value.strip()):
                raise self.make_error("invalid")
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


class QueryFloat(fields.Float):
    """A finite number from a query string."""
    default_error_messages = {"invalid": "Must be a number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, str) and (len(value) > 32 or not value.strip()):
            raise self.make_error("invalid")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.make_error("invalid")
        if number != number or number in (float("inf"), float("-inf")):
            raise self.make_error("invalid")
        return number


class ProvinceCode(fields.String):
    default_error_messages = {
        "unknown": "Not an official province code (2 digits, e.g. \"10\" for Bangkok)."}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with_bounds(self, enum=sorted(thai.province_codes()))

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if thai.province(value) is None:
            raise self.make_error("unknown")
        return value


class ThaiPhone(fields.String):
    default_error_messages = {
        "phone": "Not a Thai phone number (e.g. 02-123-4567, 081-234-5678 or 1111)."}
    MAX_LENGTH = 40  # as typed, with spaces, dashes, brackets

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with_bounds(self, maxLength=self.MAX_LENGTH)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > self.MAX_LENGTH:
            raise self.make_error("phone")
        normalised = thai.normalise_phone(value)
        if normalised is None:
            raise self.make_error("phone")
        return normalised


class IsoDate(fields.Date):
    """A calendar date as YYYY-MM-DD between 1900 and 2199 (date arithmetic
    on year 1 or 9999 overflows); stored as that string."""
    default_error_messages = {"invalid": "Must be a date as YYYY-MM-DD.",
                              "range": "Must be between 1900-01-01 and 2199-12-31."}
    EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
    # the years EARLIEST to LATEST, as far as a pattern can say it
    PATTERN = r"^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}$"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with_bounds(self, pattern=self.PATTERN)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) != 10:
            raise self.make_error("invalid")
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid")
        if not self.EARLIEST <= day <= self.LATEST:
            raise self.make_error("range")
        return day.isoformat()

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def require_non_empty(data):
    if not data:
        raise ValidationError("Send at least one field to change.", "_schema")


# The Idempotency-Key header of every route that creates something on a
# retry-prone connection (a phone in the field): one rule for all of them.
IDEMPOTENCY_KEY = validate.Regexp(r"^[A-Za-z0-9_.:-]{8,128}$",
                                  error="8-128 letters, digits or . _ : -")


def idempotency_key(value):
    """The header's value when it is a valid key, None when absent;
    ValidationFailed naming the header otherwise."""
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValidationError("8-128 letters, digits or . _ : -")
        IDEMPOTENCY_KEY(value)
    except ValidationError as exc:
        raise validation_error({"Idempotency-Key": exc.messages})
    return value
