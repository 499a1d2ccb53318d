"""Open311 GeoReport v2 server side: validation and formatting (plain module).

The gateway serves these under /open311/v2/ as JSON, each through one of
the complaints service's open311_* RPCs (the adapter lives with the
categories and lifecycle it speaks for; the gateway formats errors). Service codes are the
complaint categories; a request's `service_request_id` is the complaint id
(public), never the tracking code (the complainant's key). Errors are the
spec's array of {code, description}: 400 for a bad request, 403 for a bad
api_key, 404 for an unknown resource.
"""
import re
from datetime import datetime, timedelta, timezone

from services.common import redaction
from services.common.errors import NotFound, ValidationFailed
from services.complaints import categories, lifecycle

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00+00:00"
MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_IDS = 1000
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "lat", "long", "media_url")
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group")
POST_FIELDS = {"api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string",
               "address_id", "email", "device_id", "account_id", "first_name", "last_name",
               "phone", "description", "media_url"}
SERVICE_NOTICE = ("ส่งต่อศูนย์บริการประชาชน 1111 และหน่วยงานที่รับผิดชอบ ภายใน {days} วัน / "
                  "Relayed to the PMOC 1111 centre and the responsible agency; expected "
                  "within {days} days")


def _bad(field, message):
    return ValidationFailed(message, {"fields": {field: [message]}})


# --- discovery and services --------------------------------------------------
def discovery(base_url):
    return {"changeset": CHANGESET,
            "contact": "ศูนย์บริการประชาชน 1111 / PMOC 1111 hotline; this server answers in "
                       "JSON only (append .json)",
            "key_service": "Ask the operator for an api_key (CFZ_OPEN311_API_KEYS).",
            "endpoints": [{"specification": SPECIFICATION, "url": base_url,
                           "changeset": CHANGESET, "type": "production",
                           "formats": ["application/json"]}]}


def service_name(category):
    return "{} ({})".format(category["name_th"], category["name_en"])


def services():
    return [{"service_code": c["code"], "service_name": service_name(c),
             "description": "{} / {}".format(c["description_th"], c["description_en"]),
             "metadata": False, "type": "realtime", "keywords": ",".join(c["keywords"]),
             "group": "{} ({})".format(c["group_th"], c["group_en"])}
            for c in categories.CATEGORIES]


def service_definition(code):
    if categories.get(code) is None:
        raise NotFound("Unknown service_code {!r}.".format(code))
    return {"service_code": code, "attributes": []}


# --- POST requests -----------------------------------------------------------
def _number(form, name):
    text = form.get(name)
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise _bad(name, "Must be a number in decimal degrees.")
    if value != value or value in (float("inf"), float("-inf")):
        raise _bad(name, "Must be a finite number.")
    return value


def complaint_from_form(form):
    """A ComplaintCreate body from an Open311 POST form (checked for the
    spec's rules; the complaints schema checks the rest)."""
    form = {k: v for k, v in form.items() if v not in (None, "")}
    if not form.get("service_code"):
        raise _bad("service_code", "service_code is required.")
    if categories.get(form["service_code"]) is None:
        raise _bad("service_code", "Unknown service_code {!r} (see services.json).".format(
            form["service_code"][:50]))
    has_point = "lat" in form or "long" in form
    if not (has_point or form.get("address_string") or form.get("address_id")):
        raise _bad("location", "A location is required: lat and long, address_string "
                               "or address_id.")
    data = {"category": form["service_code"],
            "description": form.get("description") or "(ไม่มีรายละเอียด / no description)"}
    if has_point:
        if "lat" not in form or "long" not in form:
            raise _bad("location", "Send both lat and long.")
        data["location"] = {"lat": _number(form, "lat"), "lon": _number(form, "long")}
    if form.get("address_string"):
        data["address"] = form["address_string"]
    if form.get("address_id"):
        data["service_point_id"] = form["address_id"]
    if form.get("media_url"):
        data["media_urls"] = [form["media_url"]]
    contact = {k: form[k] for k in ("first_name", "last_name", "phone", "email") if form.get(k)}
    if contact:
        data["contact"] = contact
    return data


def post_response(view):
    days = view["sla_days"]
    return [{"service_request_id": view["complaint_id"],
             "service_notice": SERVICE_NOTICE.format(days=days), "account_id": None,
             # an extension: the complainant's key for our own tracking page
             "tracking_code": view["tracking_code"]}]


# --- GET requests ------------------------------------------------------------
def parse_datetime(text, name):
    if not isinstance(text, str) or len(text) > 40:
        raise _bad(name, "Must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00+07:00.")
    value = text.strip().replace(" ", "+")  # '+' arrives as a space when not escaped
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _bad(name, "Must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00+07:00.")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def parse_query(query, now):
    """The spec's filters, checked: {ids} or {service_codes, start, end,
    statuses}. service_request_id overrides every other filter."""
    unknown = sorted(set(query) - {"service_request_id", "service_code", "start_date",
                                   "end_date", "status", "jurisdiction_id", "api_key"})
    if unknown:
        raise _bad(unknown[0], "Unknown parameter {!r}.".format(unknown[0][:50]))
    if query.get("service_request_id"):
        ids = [i.strip() for i in query["service_request_id"].split(",") if i.strip()]
        if len(ids) > MAX_IDS or any(not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids):
            raise _bad("service_request_id", "A comma-separated list of at most {} ids.".format(MAX_IDS))
        return {"ids": ids}
    codes = None
    if query.get("service_code"):
        codes = [c.strip() for c in query["service_code"].split(",") if c.strip()]
        bad = [c for c in codes if categories.get(c) is None]
        if bad:
            raise _bad("service_code", "Unknown service_code {!r} (see services.json).".format(bad[0][:50]))
    start = parse_datetime(query["start_date"], "start_date") if query.get("start_date") else None
    end = parse_datetime(query["end_date"], "end_date") if query.get("end_date") else None
    if start and end and end < start:
        raise _bad("end_date", "end_date must not be before start_date.")
    if start and end and end - start > MAX_WINDOW:
        raise _bad("end_date", "The window from start_date to end_date is at most 90 days.")
    if start is None and end is None:
        end = now
        start = end - MAX_WINDOW
    elif start is None:
        start = end - MAX_WINDOW
    elif end is None:
        end = start + MAX_WINDOW
    statuses = None
    if query.get("status"):
        statuses = [s.strip() for s in query["status"].split(",") if s.strip()]
        if not statuses or any(s not in ("open", "closed") for s in statuses):
            raise _bad("status", "status is open or closed.")
    return {"service_codes": codes, "start": start, "end": end, "statuses": statuses}


def find_requests(complaints, parsed, now=None):
    """The requests matching parsed GET filters, from the ComplaintStore
    `complaints`."""
    return [request_view(d) for d in complaints.open311_requests(parsed, MAX_RESULTS)]


# --- a request, as the public sees it ---------------------------------------
# the one redaction every public text goes through (services/common/redaction.py)
redact = redaction.public_text


def _iso(value):
    return value.isoformat() if value else None


def request_view(doc):
    """One complaint as an Open311 request: no contact details, personal data
    redacted from the description, address, notes and photo link, never the
    tracking code."""
    category = categories.get(doc["category"]) or {"name_th": doc["category"],
                                                   "name_en": doc["category"]}
    name_th, name_en = lifecycle.STATUSES[doc["status"]]
    last_note = next((h.get("note") for h in reversed(doc.get("history", []))
                      if h.get("note") and h.get("by") != "citizen"), None)
    notes = "{} / {}".format(name_th, name_en)
    if last_note:
        notes += " — " + redact(last_note)
    location = doc.get("location") or {}
    agency = " / ".join(x for x in (doc.get("agency_name_th"), doc.get("agency_name_en")) if x)
    return {
        "service_request_id": doc["_id"],
        "status": lifecycle.open311_status(doc["status"]),
        "status_notes": notes,
        "service_name": service_name(category),
        "service_code": doc["category"],
        "description": redact(doc["description"]),
        "agency_responsible": agency or "ศูนย์บริการประชาชน 1111 (PMOC)",
        "service_notice": SERVICE_NOTICE.format(days=doc["sla_days"]),
        "requested_datetime": _iso(doc["filed_at"]),
        "updated_datetime": _iso(doc["updated_at"]),
        "expected_datetime": _iso(doc["due_at"]),
        "address": redact(doc.get("address")),
        "address_id": doc.get("service_point_id"),
        "zipcode": None,
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": (redaction.public_urls(doc.get("media_urls")) or [None])[0],
    }
