"""Satisfaction alerts: a point's or agency's CSAT over the last days
against its own baseline, raised once per entity and day (stored by
`store.alerts.AlertStore`).

A drop counts when both windows have enough ratings, the share satisfied
fell by at least `min_drop`, and a two-proportion z-test says it is
unlikely to be chance (p below `p_value`).
"""
from datetime import timedelta

from services.reporting import stats

SCOPES = {"point": "point", "agency": "agency"}  # alert scope -> aggregate level


def windows(today, window_days, baseline_days):
    current = (today - timedelta(days=window_days - 1), today)
    baseline_end = current[0] - timedelta(days=1)
    return (baseline_end - timedelta(days=baseline_days - 1), baseline_end), current


def _window(span, histogram):
    n = sum(histogram.values())
    k = stats.csat_count(histogram)
    return {"from": span[0].isoformat(), "to": span[1].isoformat(), "count": n,
            "csat": round(k / n, 4) if n else 0.0}, k, n


def detect(ratings, scope, today, window_days=7, baseline_days=28, min_sample=30,
           p_value=0.01, min_drop=0.05):
    """Entities of a scope whose satisfaction dropped significantly
    (`ratings`: an AggregateStore)."""
    level = SCOPES[scope]
    baseline_span, current_span = windows(today, window_days, baseline_days)
    current = ratings.totals_by_key(level, *current_span)
    if not current:
        return []
    baseline = ratings.totals_by_key(level, *baseline_span, keys=sorted(current))
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

