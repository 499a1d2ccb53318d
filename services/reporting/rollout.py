"""Zero Copy rollout figures without storage: what reporting keeps of a
registry event's fields, one pinned point's contribution to the figures,
shares, and what a point's copy is compared on. The copy, the snapshots
and the reports read from them are `store.progress.RolloutStore`.
Definitions follow the registry (`survey_status`, `coverage`).
"""
from datetime import datetime, timezone

from services.reporting.rating_buckets import bangkok_day, parse_day

FIGURES = ("pinned", "surveyed", "zero_copy_points", "point_services",
           "point_services_no_copy", "copies_demanded", "copies_past_planned_end")
GROUP_FIELD = {"agency": "agency_id", "province": "province_code"}
NATION = "TH"
FULL = ("place", "status", "services")
EVENT_GROUPS = {"office_registered": FULL, "office_updated": FULL,
                "office_closed": ("status",), "services_changed": ("services",)}


def bangkok_today():
    return parse_day(bangkok_day(datetime.now(timezone.utc)))


def services_kept(services):
    """What reporting keeps of the offered services."""
    return [{"service_code": s["service_code"], "declared": bool(s["declared"]),
             "zero_copy": s.get("zero_copy"),
             "documents": None if s.get("documents") is None else [
                 {"government_issued": d["government_issued"], "copy_required": d["copy_required"],
                  "copy_planned_end_date": d.get("copy_planned_end_date")}
                 for d in s["documents"]]}
            for s in services or []]


def group_fields(name, event):
    """{group: fields} an event carries."""
    fields = {}
    if "place" in EVENT_GROUPS[name]:
        fields["place"] = {"province_code": event["province_code"],
                           "placed": event.get("location") is not None}
    if "status" in EVENT_GROUPS[name]:
        fields["status"] = {"status": "closed" if name == "office_closed" else event["status"]}
    if "services" in EVENT_GROUPS[name]:
        fields["services"] = {"services": services_kept(event["services"])}
    return fields


def is_pinned(doc):
    return doc.get("status") == "open" and bool(doc.get("placed"))


def survey_status(services):
    """As the registry's: (surveyed, every service declares no copy)."""
    surveyed = bool(services) and all(s["declared"] for s in services)
    return surveyed, surveyed and all(s["zero_copy"] for s in services)


def demanded_copies(services):
    """Copies still demanded: copy_planned_end_date of each (None if not planned)."""
    return [d.get("copy_planned_end_date") for s in services if s["declared"]
            for d in s["documents"] or [] if d["copy_required"]]


def is_past(end_date, today):
    return end_date is not None and end_date[:10] < today.isoformat()


def point_figures(doc, today):
    """One pinned point's contribution to the rollout figures."""
    services = doc.get("services") or []
    surveyed, zero_copy = survey_status(services)
    demanded = demanded_copies(services)
    return {"pinned": 1, "surveyed": int(surveyed), "zero_copy_points": int(zero_copy),
            "point_services": len(services),
            "point_services_no_copy": sum(1 for s in services if s["declared"] and s["zero_copy"]),
            "copies_demanded": len(demanded),
            "copies_past_planned_end": sum(1 for e in demanded if is_past(e, today))}


def add_figures(total, figures):
    for name in FIGURES:
        total[name] = total.get(name, 0) + figures.get(name, 0)
    return total


def share(part, whole):
    return round(part / whole, 4) if whole else None


def with_shares(row):
    return dict(row, surveyed_share=share(row["surveyed"], row["pinned"]),
                no_copy_share=share(row["point_services_no_copy"], row["point_services"]))


def comparable(doc):
    return {key: doc.get(key) for key in ("agency_id", "province_code", "placed", "status",
                                          "services", "entity_version")}
