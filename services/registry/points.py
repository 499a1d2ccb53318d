"""Service points (pins), the services they offer and Zero Copy declarations.

Every change writes the point and its event(s) in one single-document
update (the outbox, see services.common.outbox), guarded by
`entity_version` so concurrent edits cannot overwrite each other.
"""
import hashlib
import json
from datetime import datetime, timezone

from pymongo.errors import DuplicateKeyError

from services.common import events, thai
from services.common.errors import Conflict, NotFound, ValidationFailed, validation_error
from services.common.outbox import outbox_entry, push_events
from services.registry import audit, catalogue, schemas
from services.common.actor import actor_of
from services.registry.accounts import new_id, require_officer_of

INDEXES = {
    "points": [([("agency_id", 1), ("status", 1)], {"name": "agency_status"}),
               ([("province_code", 1), ("status", 1)], {"name": "province_status"}),
               ([("outbox.event_id", 1)], {"name": "outbox", "sparse": True}),
               # one point per officer and Idempotency-Key, even when two
               # identical requests race (sparse: points created without one)
               ([("idempotency_scope", 1)], {"name": "idempotency", "unique": True,
                                             "sparse": True})],
}
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


def get(db, point_id):
    doc = db.points.find_one({"_id": point_id}, {"outbox": 0})
    if doc is None:
        raise NotFound("No such service point.", {"id": point_id})
    return doc


def _fingerprint(agency_id, data):
    body = json.dumps({"agency_id": agency_id, "data": data}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def find_replay(db, scope, fingerprint):
    """The point an earlier request with this key created, marked as a
    replay; None for a new key; Conflict when the key came with another body."""
    doc = db.points.find_one({"idempotency_scope": scope}, {"outbox": 0})
    if doc is None:
        return None
    if doc.get("request_hash") != fingerprint:
        raise Conflict("This Idempotency-Key was used for a different service point.",
                       {"header": "Idempotency-Key"}, code="IDEMPOTENCY_KEY_REUSED")
    return dict(point_view(doc, private=True), replayed=True)


def create(db, actor, data, agency_id=None, idempotency_key=None):
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
    if db.agencies.find_one({"_id": agency_id, "status": "approved"}, {"_id": 1}) is None:
        raise Conflict("The agency is not approved.", code="AGENCY_NOT_APPROVED")
    scope = fingerprint = None
    if idempotency_key:
        # keys are the caller's own: another account's key is another request
        scope = "{}:{}".format(actor.account_id, idempotency_key)
        fingerprint = _fingerprint(agency_id, data)
        replay = find_replay(db, scope, fingerprint)
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
    try:
        db.points.insert_one(doc)
    except DuplicateKeyError:
        # an identical request raced this one and won: answer with its point
        replay = find_replay(db, scope, fingerprint) if scope else None
        if replay is None:
            raise
        return replay
    audit.record(db, actor, "point.create", "service_point", doc["_id"], agency_id,
                 {}, {k: doc[k] for k in EDITABLE + ("pin",) if doc.get(k) is not None})
    return point_view(doc, private=True)


def _apply(db, actor, point_id, change, action):
    """Read-modify-write with a version guard; `change(doc)` returns
    (set_fields, event_names) or raises. Retries on a concurrent write.
    The change is audited as `action` with the fields it changed."""
    for _ in range(MAX_UPDATE_ATTEMPTS):
        doc = get(db, point_id)
        require_officer_of(actor, doc["agency_id"])
        fields, event_names = change(doc)
        version = doc["entity_version"]
        new = dict(doc, **fields, entity_version=version + 1, updated_at=_now())
        update = {"$set": dict(fields, entity_version=version + 1,
                               updated_at=new["updated_at"])}
        push_events(update, [_event(name, new) for name in event_names])
        result = db.points.update_one({"_id": point_id, "entity_version": version}, update)
        if result.modified_count == 1:
            before, after = audit.diff(doc, fields)
            audit.record(db, actor, action, "service_point", point_id, doc["agency_id"],
                         before, after)
            return point_view(new, private=True)
    raise Conflict("The point is being changed by someone else; try again.",
                   code="CONCURRENT_UPDATE")


def _require_open(doc):
    if doc["status"] != "open":
        raise Conflict("The service point is closed.", {"id": doc["_id"]},
                       code="POINT_CLOSED")


def update(db, actor, point_id, data):
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
    return _apply(db, actor, point_id, change, "point.update")


def close(db, actor, point_id):
    def change(doc):
        _require_open(doc)
        return {"status": "closed", "closed_at": _now()}, ["office_closed"]
    return _apply(db, actor, point_id, change, "point.close")


def set_services(db, actor, point_id, declaration):
    """Replace the services offered at a point and their document rules."""
    offered = declaration["services"]
    entries = catalogue.get_entries(db, [s["service_code"] for s in offered])
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
    return _apply(db, actor, point_id, change, "point.services")


def list_points(db, query):
    criteria = {}
    if query.get("status", "open") != "all":
        criteria["status"] = query.get("status", "open")
    for key in ("agency_id", "province_code"):
        if query.get(key):
            criteria[key] = query[key]
    total = db.points.count_documents(criteria)
    cursor = (db.points.find(criteria, {"outbox": 0}).sort("_id", 1)
              .skip(query.get("offset", 0)).limit(query.get("limit", 50)))
    return {"results": [point_view(d) for d in cursor], "total": total,
            "limit": query.get("limit", 50), "offset": query.get("offset", 0)}


def all_open_points(db, after_id=None, limit=1000):
    """Open points in id order, for consumers that resynchronise."""
    criteria = {"status": "open"}
    if after_id:
        criteria["_id"] = {"$gt": after_id}
    return [office_payload(d) for d in
            db.points.find(criteria, {"outbox": 0}).sort("_id", 1).limit(limit)]


def coverage(db, group_by):
    """Per agency or province: open points pinned, surveyed, all-Zero-Copy."""
    key = "$agency_id" if group_by == "agency" else "$province_code"
    rows = db.points.aggregate([
        {"$match": {"status": "open"}},
        {"$group": {"_id": key, "pinned": {"$sum": 1},
                    "surveyed": {"$sum": {"$cond": ["$surveyed", 1, 0]}},
                    "zero_copy": {"$sum": {"$cond": ["$zero_copy", 1, 0]}}}},
        {"$sort": {"_id": 1}},
    ])
    results = []
    for row in rows:
        item = {"pinned": row["pinned"], "surveyed": row["surveyed"],
                "zero_copy": row["zero_copy"],
                "surveyed_share": round(row["surveyed"] / row["pinned"], 4)}
        if group_by == "agency":
            agency = db.agencies.find_one({"_id": row["_id"]}, {"name_th": 1, "name_en": 1}) or {}
            item.update(agency_id=row["_id"], name_th=agency.get("name_th"),
                        name_en=agency.get("name_en"))
        else:
            item.update(thai.province_names(row["_id"]) or {"code": row["_id"]})
        results.append(item)
    return {"group_by": group_by, "results": results}
