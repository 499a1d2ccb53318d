"""Reports from the aggregates: what a report carries (`ratings`: an
AggregateStore)."""
import statistics
from datetime import timedelta

from services.common.csvfile import to_csv
from services.reporting import rating_buckets, stats

QUESTIONS = ("satisfaction",) + rating_buckets.DRIVERS
WEEKLY_UP_TO_DAYS = 92  # longer ranges trend by calendar month
SIGNIFICANCE = 0.05


def _r(value, places=4):
    return None if value is None else round(value, places)


def prior_mean(ratings, start, end):
    """The national mean satisfaction over the range (3 when there is none)."""
    nation = ratings.totals("nation", rating_buckets.NATION, start, end)
    sums = nation.get("sums", {}).get("satisfaction", {})
    return sums["sx"] / sums["n"] if sums.get("n") else 3.0


def prior_weight(ratings, start, end):
    """The median number of ratings per point over the range (at least 1):
    a point with that many ratings is half its own, half the nation's."""
    return weight_of(ratings.totals_by_key("point", start, end, fields=["count"]))


def weight_of(point_totals):
    counts = [t["count"] for t in point_totals.values() if t["count"]]
    return max(1.0, statistics.median(counts)) if counts else 1.0


def prior(ratings, start, end):
    """Bayesian prior for the small-sample-aware score: (mean, weight)."""
    return prior_mean(ratings, start, end), prior_weight(ratings, start, end)


def periods(start, end):
    """Consecutive periods covering [start, end] for a trend: 7-day weeks
    ending on `end` for short ranges, calendar months for long ones."""
    if (end - start).days < WEEKLY_UP_TO_DAYS:
        out, stop = [], end
        while stop >= start:
            first = max(start, stop - timedelta(days=6))
            out.append((first, stop))
            stop = first - timedelta(days=1)
        return out[::-1]
    out, first = [], start
    while first <= end:
        following = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = min(end, following - timedelta(days=1))
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def trend(ratings, level, key, start, end, min_sample):
    """CSAT per period and whether the last period differs from the one
    before (two-proportion z-test); `significant` needs enough data in both."""
    rows = []
    spans = periods(start, end)
    # every period in one read: a week costs at most two month-to-date totals
    totals = ratings.totals_of_spans(level, key, spans, fields=["hist.satisfaction"])
    for (first, last), total in zip(spans, totals):
        histogram = total.get("hist", {}).get("satisfaction", {})
        n = sum(histogram.values())
        k = stats.csat_count(histogram)
        rows.append({"from": first.isoformat(), "to": last.isoformat(), "count": n,
                     "satisfied": k, "csat": _r(k / n) if n else None})
    result = {"periods": rows, "change": None, "p_value": None, "significant": False}
    if len(rows) >= 2:
        before, last = rows[-2], rows[-1]
        change, p_value = stats.two_proportion_test(before["satisfied"], before["count"],
                                                    last["satisfied"], last["count"])
        result.update(change=_r(change), p_value=_r(p_value, 6), significant=bool(
            p_value is not None and p_value < SIGNIFICANCE
            and min(before["count"], last["count"]) >= min_sample))
    return result


def summary_row(key, total, prior_mean, prior_weight, min_sample):
    summary = stats.summarise(total.get("hist", {}).get("satisfaction", {}), prior_mean,
                              prior_weight, min_sample)
    # no ratings: "no ratings", never the prior passed off as a score
    score = _r(summary.score) if summary.count else None
    return summary, {"id": key, "count": summary.count, "score": score,
                     "csat": _r(summary.csat),
                     "csat_ci": [_r(summary.csat_ci[0]), _r(summary.csat_ci[1])]}


def report(ratings, level, key, start, end, min_sample=stats.DEFAULT_MIN_SAMPLE, prior_value=None):
    total = ratings.totals(level, key, start, end)
    prior_mean, prior_weight = prior_value or prior(ratings, start, end)
    summary, row = summary_row(key, total, prior_mean, prior_weight, min_sample)
    means = {}
    for question in QUESTIONS:
        s = total.get("sums", {}).get(question)
        if s and s.get("n"):
            mean, interval = stats.mean_interval(s["n"], s["sx"], s["sxx"])
            means[question] = {"mean": _r(mean), "ci": [_r(interval[0]), _r(interval[1])],
                               "n": s["n"]}
    drivers = stats.key_driver({d: tuple(c.get(name, 0) for name in ("n", "sx", "sy", "sxx", "syy", "sxy"))
                                for d, c in total.get("cross", {}).items()})
    breaches = total.get("breaches", {})
    return {
        "level": level, "id": key, "from": start.isoformat(), "to": end.isoformat(),
        "count": row["count"], "csat": row["csat"], "csat_ci": row["csat_ci"],
        "means": means, "score": row["score"], "enough_data": summary.enough_data,
        "min_sample": min_sample,
        "prior": {"mean": _r(prior_mean), "weight": prior_weight},
        "verified": total.get("verified", 0), "unverified": total.get("unverified", 0),
        "channels": total.get("channels", {}),
        "zero_copy_breaches": {
            "total": breaches.get("total", 0), "by_reason": breaches.get("by_reason", {}),
            "by_document": {rating_buckets.display_name(name): n
                            for name, n in sorted(breaches.get("by_document", {}).items())}},
        "key_drivers": [{"driver": d, "r": _r(r), "n": n} for d, r, n in drivers],
        "trend": trend(ratings, level, key, start, end, min_sample),
    }


def rankings(ratings, level, start, end, min_sample=stats.DEFAULT_MIN_SAMPLE, limit=100,
             prior_value=None):
    """Entities of a level ordered by the small-sample-aware score; only
    those with at least `min_sample` ratings are ranked, the rest counted."""
    found = ratings.totals_by_key(level, start, end, fields=["hist.satisfaction"])
    if not prior_value:  # ranking points: the weight comes from the same totals
        prior_value = ((prior_mean(ratings, start, end), weight_of(found)) if level == "point"
                       else prior(ratings, start, end))
    mean, weight = prior_value
    ranked, too_few = [], 0
    for key, total in found.items():
        summary, row = summary_row(key, total, mean, weight, min_sample)
        if not summary.count:
            continue
        if not summary.enough_data:
            too_few += 1
            continue
        ranked.append(row)
    ranked.sort(key=lambda row: (-row["score"], -row["count"], row["id"]))
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position
    return {"level": level, "from": start.isoformat(), "to": end.isoformat(),
            "min_sample": min_sample, "prior": {"mean": _r(mean), "weight": weight},
            "results": ranked[:limit], "ranked": len(ranked), "not_enough_data": too_few}


def report_csv(report):
    """A report as CSV: one row per question."""
    rows = [[report["level"], report["id"], report["from"], report["to"], question,
             m["n"], m["mean"], m["ci"][0], m["ci"][1], report["count"], report["csat"],
             report["csat_ci"][0], report["csat_ci"][1], report["score"], report["enough_data"]]
            for question, m in report["means"].items()]
    if not rows:
        rows = [[report["level"], report["id"], report["from"], report["to"], "satisfaction",
                 0, None, None, None, report["count"], report["csat"], report["csat_ci"][0],
                 report["csat_ci"][1], report["score"], report["enough_data"]]]
    return to_csv(["level", "id", "from", "to", "question", "n", "mean", "ci_low", "ci_high",
                   "count", "csat", "csat_ci_low", "csat_ci_high", "score", "enough_data"], rows)


def rankings_csv(result):
    return to_csv(["level", "from", "to", "rank", "id", "count", "score", "csat", "csat_ci_low",
                   "csat_ci_high"],
                  [[result["level"], result["from"], result["to"], row["rank"], row["id"],
                    row["count"], row["score"], row["csat"], row["csat_ci"][0], row["csat_ci"][1]]
                   for row in result["results"]])
