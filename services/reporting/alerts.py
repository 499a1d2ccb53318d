"""Satisfaction alerts (plain module): a point's or agency's CSAT over the
last days against its own baseline, raised once per entity and day.

A drop counts when both windows have enough ratings, the share satisfied
fell by at least `min_drop`, and a two-proportion z-test says it is
unlikely to be chance (p below `p_value`). The alert and its event are one
document (outbox), so a crash cannot lose the event or send it twice
under different ids.
"""
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from services.common import events
from services.common.outbox import outbox_entry
from services.reporting import stats
from services.reporting.store import aggregates

SCOPES = {"point": "point", "agency": "agency"}  # alert scope -> aggregate level
INDEXES = {"alerts": [([("scope", 1), ("entity_id", 1), ("day", -1)], {"name": "by_entity"})]}


def windows(today, window_days, baseline_days):
    current = (today - timedelta(days=window_days - 1), today)
    baseline_end = current[0] - timedelta(days=1)
    return (baseline_end - timedelta(days=baseline_days - 1), baseline_end), current


def _window(span, histogram):
    n = sum(histogram.values())
    k = stats.csat_count(histogram)
    return {"from": span[0].isoformat(), "to": span[1].isoformat(), "count": n,
            "csat": round(k / n, 4) if n else 0.0}, k, n


def detect(db, scope, today, window_days=7, baseline_days=28, min_sample=30,
           p_value=0.01, min_drop=0.05):
    """Entities of a scope whose satisfaction dropped significantly."""
    level = SCOPES[scope]
    baseline_span, current_span = windows(today, window_days, baseline_days)
    current = aggregates.totals_by_key(db, level, *current_span)
    if not current:
        return []
    baseline = aggregates.totals_by_key(db, level, *baseline_span, keys=sorted(current))
    found = []
    for key, total in sorted(current.items()):
        now_view, k2, n2 = _window(current_span, total.get("hist", {}).get("satisfaction", {}))
        base_view, k1, n1 = _window(baseline_span, baseline.get(key, {}).get("hist", {}).get(
            "satisfaction", {}))
        if min(n1, n2) < min_sample:
            continue
        change, p = stats.two_proportion_test(k1, n1, k2, n2)
        if change is not None and change <= -min_drop and p < p_value:
            found.append({"scope": scope, "entity_id": key, "baseline": base_view,
                          "current": now_view, "change": round(change, 4),
                          "p_value": float(p)})
    return found


def record(db, found, today):
    """Store each new alert with its event; the ones that were new today."""
    new = []
    for alert in found:
        alert_id = "|".join((alert["scope"], alert["entity_id"], today.isoformat()))
        payload = events.new_event("satisfaction_alert", dict(alert, alert_id=alert_id))
        try:
            db.alerts.insert_one(dict(alert, _id=alert_id, day=today.isoformat(),
                                      outbox=[outbox_entry("satisfaction_alert", payload)]))
        except DuplicateKeyError:
            continue
        new.append(alert)
    return new


def recent(db, scope=None, entity_id=None, limit=50):
    criteria = {}
    if scope:
        criteria["scope"] = scope
    if entity_id:
        criteria["entity_id"] = entity_id
    return [dict({k: v for k, v in doc.items() if k != "_id"}, alert_id=doc["_id"])
            for doc in db.alerts.find(criteria, {"outbox": 0}).sort([("day", -1), ("_id", 1)]).limit(limit)]
