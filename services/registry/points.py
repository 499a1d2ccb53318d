"""Service points (pins), the services they offer and Zero Copy declarations.

Every change writes the point and its event(s) in one single-document
update (the outbox, see services.common.outbox), guarded by
`entity_version` so concurrent edits cannot overwrite each other
(services/registry/store.py writes it).
"""
import hashlib
import json
from datetime import datetime, timezone

from services.common import events, thai
from services.common.errors import Conflict, NotFound, ValidationFailed, validation_error
from services.common.outbox import outbox_entry
from services.registry import audit, catalogue, schemas
from services.common.actor import actor_of
from services.registry.accounts import new_id, require_officer_of

EDITABLE = ("name_th", "name_en", "address", "province_code", "location",
            "opening_hours", "phone")
MAX_UPDATE_ATTEMPTS = 5


def _now():
    # MongoDB keeps milliseconds: an answer given now must equal a read later
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _iso(value):
    return value.isoformat() if value else None


def offered_service(entry, documents, now):
    """One offered service with its derived Zero Copy status."""
    declared = documents is not None
    docs = [dict(d) for d in documents or []]
    return {
        "service_code": entry["service_code"],
        "name_th": entry["name_th"],
        "name_en": entry["name_en"],
        "declared": declared,
        "documents": docs if declared else None,
        # None until declared: unknown is not compliant
        "zero_copy": (not any(d["copy_required"] for d in docs)) if declared else None,
        # Copies of government-issued documents breach the 2018 resolution
        "gov_copy_breaches": sum(1 for d in docs if d["copy_required"] and d["government_issued"]),
        "declared_at": _iso(now) if declared else None,
    }


def survey_status(services):
    surveyed = bool(services) and all(s["declared"] for s in services)
    zero_copy = surveyed and all(s["zero_copy"] for s in services)
    return surveyed, zero_copy


def new_pin(actor, pin, now):
    """The stored provenance of a location: how the officer captured it
    (a location without a `pin` was typed), who placed it and when."""
    pin = pin or {"method": "typed"}
    return {"method": pin["method"], "accuracy_m": pin.get("accuracy_m"),
            "captured_at": pin.get("captured_at"),
            "pinned_at": now,
            "pinned_by": {"account_id": actor_of(actor).account_id,
                          "username": actor_of(actor).username}}


def pin_view(pin, private=False):
    """A point's pin provenance; None for points pinned before it was kept.

    Who pinned it is left out of public views: an officer's username is
    half of a login and names a person; the agency sees it in its own
    answers and in the audit trail."""
    if not pin:
        return None
    view = {"method": pin["method"], "accuracy_m": pin.get("accuracy_m"),
            "captured_at": pin.get("captured_at"), "pinned_at": _iso(pin.get("pinned_at"))}
    if private:
        view["pinned_by"] = pin.get("pinned_by")
    return view


def point_view(doc, private=False):
    """The point as anyone may see it; `private` adds what only its
    agency's officers see (who pinned it)."""
    province = thai.province_names(doc["province_code"])
    return {
        "id": doc["_id"], "agency_id": doc["agency_id"],
        "name_th": doc["name_th"], "name_en": doc["name_en"],
        "address": doc["address"], "province_code": doc["province_code"],
        "province": province, "location": doc["location"],
        "opening_hours": doc.get("opening_hours"), "phone": doc.get("phone"),
        "status": doc["status"], "services": doc.get("services", []),
        "pin": pin_view(doc.get("pin"), private),
        "surveyed": doc.get("surveyed", False), "zero_copy": doc.get("zero_copy", False),
        "entity_version": doc["entity_version"],
        "created_at": _iso(doc["created_at"]), "updated_at": _iso(doc["updated_at"]),
        "closed_at": _iso(doc.get("closed_at")),
    }


def _event_services(services):
    return [{"service_code": s["service_code"], "declared": s["declared"],
             "zero_copy": s["zero_copy"],
             "documents": [{k: d.get(k) for k in ("name_th", "name_en", "government_issued",
                                                  "copy_required", "copy_planned_end_date")}
                           for d in s["documents"]] if s["documents"] is not None else None}
            for s in services]


def office_payload(doc):
    return {"id": doc["_id"], "agency_id": doc["agency_id"], "name_th": doc["name_th"],
            "name_en": doc["name_en"], "province_code": doc["province_code"],
            "location": doc["location"], "address": doc.get("address"),
            "opening_hours": doc.get("opening_hours"), "phone": doc.get("phone"),
            "status": doc["status"], "services": _event_services(doc.get("services", [])),
            "pin": pin_view(doc.get("pin")), "entity_version": doc["entity_version"]}


def _event(name, doc):
    if name == "office_closed":
        payload = {"id": doc["_id"], "agency_id": doc["agency_id"],
                   "entity_version": doc["entity_version"]}
    elif name == "services_changed":
        payload = {"id": doc["_id"], "agency_id": doc["agency_id"],
                   "services": _event_services(doc["services"]),
                   "entity_version": doc["entity_version"]}
    else:
        payload = office_payload(doc)
    return outbox_entry(name, events.new_event(name, payload))


def get(storage, point_id):
    doc = storage.point(point_id)
    if doc is None:
        raise NotFound("No such service point.", {"id": point_id})
    return doc


def _fingerprint(agency_id, data):
    body = json.dumps({"agency_id": agency_id, "data": data}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def find_replay(storage, scope, fingerprint):
    """The point an earlier request with this key created, marked as a
    replay; None for a new key; Conflict when the key came with another body."""
    doc = storage.point_by_idempotency_scope(scope)
    if doc is None:
        return None
    return _replay(doc, fingerprint)


def _replay(doc, fingerprint):
    if doc.get("request_hash") != fingerprint:
        raise Conflict("This Idempotency-Key was used for a different service point.",
                       {"header": "Idempotency-Key"}, code="IDEMPOTENCY_KEY_REUSED")
    return dict(point_view(doc, private=True), replayed=True)


def create(storage, actor, data, agency_id=None, idempotency_key=None):
    """Pin a new point for the actor's agency (an admin names the agency).

    With an `idempotency_key`, a repeat by the same account returns the
    point the first request created (marked `replayed`)."""
    actor = actor_of(actor)
    if actor.is_system_admin and not agency_id:
        raise ValidationFailed("Say which agency the point belongs to.",
                               {"fields": {"agency_id": ["Required for administrators."]}})
    if not actor.is_system_admin:
        # an officer pins for their own agency; naming another is refused
        agency_id = agency_id or actor.agency_id
    require_officer_of(actor, agency_id)
    if not storage.agency_approved(agency_id):
        raise Conflict("The agency is not approved.", code="AGENCY_NOT_APPROVED")
    scope = fingerprint = None
    if idempotency_key:
        # keys are the caller's own: another account's key is another request
        scope = "{}:{}".format(actor.account_id, idempotency_key)
        fingerprint = _fingerprint(agency_id, data)
        replay = find_replay(storage, scope, fingerprint)
        if replay:
            return replay
    now = _now()
    doc = {"_id": new_id("sp"), "agency_id": agency_id, "status": "open", "services": [],
           "surveyed": False, "zero_copy": False, "entity_version": 1,
           "created_at": now, "updated_at": now, "closed_at": None,
           "opening_hours": None, "phone": None}
    doc.update({k: data[k] for k in EDITABLE if k in data})
    doc["pin"] = new_pin(actor, data.get("pin"), now)
    if scope:
        doc.update(idempotency_scope=scope, request_hash=fingerprint)
    doc["outbox"] = [_event("office_registered", doc)]
    earlier = storage.insert_point(doc)
    if earlier is not None:
        # an identical request raced this one and won: answer with its point
        return _replay(earlier, fingerprint)
    audit.record(storage, actor, "point.create", "service_point", doc["_id"], agency_id,
                 {}, {k: doc[k] for k in EDITABLE + ("pin",) if doc.get(k) is not None})
    return point_view(doc, private=True)


def _apply(storage, actor, point_id, change, action):
    """Read-modify-write with a version guard; `change(doc)` returns
    (set_fields, event_names) or raises. Retries on a concurrent write.
    The change is audited as `action` with the fields it changed."""
    for _ in range(MAX_UPDATE_ATTEMPTS):
        doc = get(storage, point_id)
        require_officer_of(actor, doc["agency_id"])
        fields, event_names = change(doc)
        version = doc["entity_version"]
        new = dict(doc, **fields, entity_version=version + 1, updated_at=_now())
        if storage.update_point_at_version(
                point_id, version,
                dict(fields, entity_version=version + 1, updated_at=new["updated_at"]),
                [_event(name, new) for name in event_names]):
            before, after = audit.diff(doc, fields)
            audit.record(storage, actor, action, "service_point", point_id, doc["agency_id"],
                         before, after)
            return point_view(new, private=True)
    raise Conflict("The point is being changed by someone else; try again.",
                   code="CONCURRENT_UPDATE")


def _require_open(doc):
    if doc["status"] != "open":
        raise Conflict("The service point is closed.", {"id": doc["_id"]},
                       code="POINT_CLOSED")


def update(storage, actor, point_id, data):
    def change(doc):
        _require_open(doc)
        fields = {k: data[k] for k in EDITABLE if k in data}
        if "location" in data or "province_code" in data:
            # a re-pin or a new province is checked against the other half
            message = schemas.pin_outside_province(
                fields.get("location", doc.get("location")),
                fields.get("province_code", doc.get("province_code")))
            if message:
                raise validation_error({"location": [message]})
        if "location" in data:
            fields["pin"] = new_pin(actor, data.get("pin"), _now())
        return fields, ["office_updated"]
    return _apply(storage, actor, point_id, change, "point.update")


def close(storage, actor, point_id):
    def change(doc):
        _require_open(doc)
        return {"status": "closed", "closed_at": _now()}, ["office_closed"]
    return _apply(storage, actor, point_id, change, "point.close")


def set_services(storage, actor, point_id, declaration):
    """Replace the services offered at a point and their document rules."""
    offered = declaration["services"]
    entries = catalogue.get_entries(storage, [s["service_code"] for s in offered])
    unknown = {i: {"service_code": ["Not in the Citizen's Manual catalogue."]}
               for i, s in enumerate(offered) if s["service_code"] not in entries}
    if unknown:
        raise ValidationFailed("Some services are not in the catalogue.",
                               {"fields": {"services": unknown}})

    def change(doc):
        _require_open(doc)
        now = _now()
        services = [offered_service(entries[s["service_code"]], s.get("documents"), now)
                    for s in offered]
        surveyed, zero_copy = survey_status(services)
        return ({"services": services, "surveyed": surveyed, "zero_copy": zero_copy},
                ["services_changed"])
    return _apply(storage, actor, point_id, change, "point.services")


def list_points(storage, query):
    status = query.get("status", "open")
    found, total = storage.points_page(
        status=None if status == "all" else status, agency_id=query.get("agency_id"),
        province_code=query.get("province_code"), offset=query.get("offset", 0),
        limit=query.get("limit", 50))
    return {"results": [point_view(d) for d in found], "total": total,
            "limit": query.get("limit", 50), "offset": query.get("offset", 0)}


def all_open_points(storage, after_id=None, limit=1000):
    """Open points in id order, for consumers that resynchronise."""
    return [office_payload(d) for d in storage.open_points(after_id, limit)]


def coverage(storage, group_by):
    """Per agency or province: open points pinned, surveyed, all-Zero-Copy."""
    rows = storage.open_point_counts("agency_id" if group_by == "agency" else "province_code")
    results = []
    for row in rows:
        item = {"pinned": row["pinned"], "surveyed": row["surveyed"],
                "zero_copy": row["zero_copy"],
                "surveyed_share": round(row["surveyed"] / row["pinned"], 4)}
        if group_by == "agency":
            agency = storage.agency_names(row["_id"]) or {}
            item.update(agency_id=row["_id"], name_th=agency.get("name_th"),
                        name_en=agency.get("name_en"))
        else:
            item.update(thai.province_names(row["_id"]) or {"code": row["_id"]})
        results.append(item)
    return {"group_by": group_by, "results": results}
