"""Satisfaction alerts: a significant drop against the entity's own
baseline raises one alert (and its event) per day; noise does not."""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from scipy import stats as scipy_stats

from services.common import events
from services.common.storage import ensure_indexes
from services.reporting import alerts
from services.reporting.store import aggregates
from services.reporting.store import alerts as alert_store
from services.reporting.store.aggregates import AggregateStore
from services.reporting.store.alerts import AlertStore

TODAY = date(2026, 11, 25)
BANGKOK = timezone(timedelta(hours=7))


@pytest.fixture
def db(database):
    ensure_indexes(database, {**aggregates.INDEXES, **alert_store.INDEXES})
    return database


def rate(db, point, day, satisfied, total):
    """`total` ratings on `day`, `satisfied` of them 5 and the rest 2."""
    for i in range(total):
        AggregateStore(db).apply_feedback({
            "feedback_id": "fb-{}-{}-{}".format(point, day, i), "service_point_id": point,
            "service_code": None, "agency_id": "ag-" + point, "province_code": "10",
            "channel": "walk_in", "verified": False, "zero_copy_breaches": [],
            "answers": {"satisfaction": 5 if i < satisfied else 2},
            "submitted_at": datetime.combine(day, time(10), BANGKOK).isoformat()})


def test_windows_are_the_last_days_and_the_days_before():
    baseline, current = alerts.windows(TODAY, 7, 28)
    assert current == (date(2026, 11, 19), TODAY)
    assert baseline == (date(2026, 10, 22), date(2026, 11, 18))


def test_a_significant_drop_is_raised_once_with_the_z_test_p_value(db):
    rate(db, "sp-drop", date(2026, 11, 1), 72, 80)      # baseline 90 %
    rate(db, "sp-drop", date(2026, 11, 23), 24, 40)     # this week 60 %
    rate(db, "sp-steady", date(2026, 11, 1), 72, 80)
    rate(db, "sp-steady", date(2026, 11, 23), 35, 40)   # 87.5 %: noise
    rate(db, "sp-tiny", date(2026, 11, 1), 9, 10)
    rate(db, "sp-tiny", date(2026, 11, 23), 1, 5)       # a big drop on too few ratings
    rate(db, "sp-rise", date(2026, 11, 1), 48, 80)      # 60 % ...
    rate(db, "sp-rise", date(2026, 11, 23), 36, 40)     # ... to 90 %: a rise is no alert
    found = alerts.detect(AggregateStore(db), "point", TODAY, min_sample=30)
    assert [a["entity_id"] for a in found] == ["sp-drop"]
    alert = found[0]
    assert alert["baseline"]["count"] == 80 and alert["current"]["csat"] == 0.6
    pooled = 96 / 120
    z = (0.6 - 0.9) / (pooled * (1 - pooled) * (1 / 80 + 1 / 40)) ** 0.5
    assert alert["change"] == -0.3
    assert alert["p_value"] == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), rel=1e-6)
    agencies = alerts.detect(AggregateStore(db), "agency", TODAY, min_sample=30)
    assert [a["entity_id"] for a in agencies] == ["ag-sp-drop"]

    assert [a["entity_id"] for a in AlertStore(db).record(found, TODAY)] == ["sp-drop"]
    assert AlertStore(db).record(found, TODAY) == []      # once a day
    stored = db.alerts.find_one({"_id": "point|sp-drop|2026-11-25"})
    payload = stored["outbox"][0]["payload"]
    parsed = events.parse_event("satisfaction_alert", payload)
    assert parsed["entity_id"] == "sp-drop" and parsed["change"] == -0.3
    assert AlertStore(db).recent("point")[0]["alert_id"] == "point|sp-drop|2026-11-25"


def test_no_ratings_this_week_raises_nothing(db):
    rate(db, "sp-quiet", date(2026, 11, 1), 10, 80)
    assert alerts.detect(AggregateStore(db), "point", TODAY, min_sample=30) == []


def test_the_trend_compares_the_last_period_with_the_one_before(db):
    """Weekly periods ending today; the change is last minus the one before,
    with the two-proportion z-test's p-value, significant only on enough
    ratings in both periods."""
    from services.reporting import reports
    start = TODAY - timedelta(days=20)                  # three weeks
    (_, _), (before_first, _), (last_first, _) = reports.periods(start, TODAY)
    rate(db, "sp-trend", before_first, 36, 40)          # the week before: 90 %
    rate(db, "sp-trend", last_first, 20, 40)            # this week: 50 %
    result = reports.trend(AggregateStore(db), "point", "sp-trend", start, TODAY, min_sample=30)
    assert [p["count"] for p in result["periods"]] == [0, 40, 40]
    assert [p["csat"] for p in result["periods"]] == [None, 0.9, 0.5]
    pooled = 56 / 80
    z = (0.5 - 0.9) / (pooled * (1 - pooled) * (1 / 40 + 1 / 40)) ** 0.5
    assert result["change"] == -0.4
    assert result["p_value"] == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), abs=5e-7)  # 6 places
    assert result["significant"] is True
    too_few = reports.trend(AggregateStore(db), "point", "sp-trend", start, TODAY, min_sample=41)
    assert too_few["change"] == -0.4 and too_few["significant"] is False
    rate(db, "sp-flat", before_first, 36, 40)
    rate(db, "sp-flat", last_first, 35, 40)
    flat = reports.trend(AggregateStore(db), "point", "sp-flat", start, TODAY, min_sample=30)
    assert flat["change"] == -0.025 and flat["significant"] is False
