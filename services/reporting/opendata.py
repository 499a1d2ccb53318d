"""Satisfaction per service point and month as open data.

`satisfaction-by-point-month.csv` is generated ahead of time from the
month buckets (services/reporting/store/aggregates.py) and stored in chunks
(services/common/opendata_store.py). A point's month is published only
when it has at least the minimum sample rankings use
(stats.DEFAULT_MIN_SAMPLE, 30 ratings): under it, a share is an anecdote
and a handful of ratings could point at the people who gave them. Only
counts and shares: never a comment, never a rating on its own.
"""
import time

from services.common import opendata_store
from services.common.csvfile import to_csv
from services.reporting import stats

NAME = opendata_store.SATISFACTION_FILE
COLUMNS = [
    ("point_id", "string", "รหัสจุดให้บริการ (ตรงกับ service-points.csv)",
     "Service point id (as in service-points.csv)"),
    ("agency_id", "string", "รหัสหน่วยงาน", "Agency id"),
    ("province_code", "string", "รหัสจังหวัด", "Province code"),
    ("month", "yearmonth", "เดือน (ตามเวลาประเทศไทย)", "Month (Asia/Bangkok)"),
    ("ratings", "integer", "จำนวนการประเมิน", "Number of ratings"),
    ("csat", "number", "สัดส่วนผู้พึงพอใจ (ให้ 4-5 คะแนน)", "Share satisfied (4 or 5 of 5)"),
    ("csat_ci_low", "number", "ขอบล่างช่วงความเชื่อมั่น 95% (Wilson)",
     "Lower bound of the 95% interval (Wilson)"),
    ("csat_ci_high", "number", "ขอบบนช่วงความเชื่อมั่น 95% (Wilson)",
     "Upper bound of the 95% interval (Wilson)"),
    ("mean_satisfaction", "number", "คะแนนความพึงพอใจเฉลี่ย (1-5)", "Mean satisfaction (1-5)"),
]


def _r(value):
    return None if value is None else round(value, 4)


def rows(storage, min_sample=stats.DEFAULT_MIN_SAMPLE):
    """(point, month) rows with at least `min_sample` ratings, in order
    (`storage`: the ReportingStore)."""
    places = storage.progress.places()
    out = []
    for i, doc in enumerate(storage.ratings.point_months()):
        if i % 500 == 499:
            time.sleep(0)  # under eventlet: let the service answer meanwhile
        histogram = (doc.get("hist") or {}).get("satisfaction") or {}
        n, sx, _ = stats.histogram_totals(histogram)
        if n < min_sample:
            continue
        k = stats.csat_count(histogram)
        low, high = stats.wilson_interval(k, n)
        place = places.get(doc["key"], {})
        out.append([doc["key"], place.get("agency_id"), place.get("province_code"), doc["month"],
                    n, _r(k / n), _r(low), _r(high), _r(sx / n)])
    out.sort(key=lambda row: (row[0], row[3]))
    return out


def build(storage, min_sample=stats.DEFAULT_MIN_SAMPLE):
    body = to_csv([c[0] for c in COLUMNS], rows(storage, min_sample)).encode("utf-8")
    return [{"name": NAME, "media_type": "text/csv; charset=utf-8", "body": body, "resource": {
        "name": "satisfaction-by-point-month", "format": "csv", "mediatype": "text/csv",
        "encoding": "utf-8-sig", "profile": "tabular-data-resource",
        "title": "ความพึงพอใจรายจุดให้บริการรายเดือน / Satisfaction per service point and month",
        "description": "เฉพาะเดือนที่มีการประเมินอย่างน้อย {n} ครั้ง (เกณฑ์เดียวกับการจัดอันดับ) "
                       "ไม่มีความคิดเห็น / Only months with at least {n} ratings (the ranking "
                       "minimum); no comments".format(n=min_sample),
        "schema": opendata_store.table_schema(COLUMNS)}}]
