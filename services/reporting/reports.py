"""Reports from the aggregates (plain module): what a report carries."""
import statistics

from services.reporting import aggregates, stats

QUESTIONS = ("satisfaction",) + aggregates.DRIVERS


def prior(db, start, end):
    """Bayesian prior: the national mean, weighted by the median number of
    ratings per point over the same days (at least 1)."""
    nation = aggregates.totals(db, "nation", "TH", start, end)
    sums = nation.get("sums", {}).get("satisfaction", {})
    mean = sums["sx"] / sums["n"] if sums.get("n") else 3.0
    counts = {}
    for bucket in db.buckets.find({"level": "point", "day": {"$in": aggregates.days(start, end)}},
                                  {"key": 1, "count": 1}):
        counts[bucket["key"]] = counts.get(bucket["key"], 0) + bucket["count"]
    weight = max(1.0, statistics.median(counts.values())) if counts else 1.0
    return mean, weight


def report(db, level, key, start, end, min_sample=stats.DEFAULT_MIN_SAMPLE):
    total = aggregates.totals(db, level, key, start, end)
    prior_mean, prior_weight = prior(db, start, end)
    summary = stats.summarise(total.get("hist", {}).get("satisfaction", {}), prior_mean,
                              prior_weight, min_sample)
    means = {}
    for question in QUESTIONS:
        s = total.get("sums", {}).get(question)
        if s and s.get("n"):
            mean, interval = stats.mean_interval(s["n"], s["sx"], s["sxx"])
            means[question] = {"mean": round(mean, 4), "ci": [round(interval[0], 4), round(interval[1], 4)],
                               "n": s["n"]}
    drivers = stats.key_driver({d: tuple(c[name] for name in ("n", "sx", "sy", "sxx", "syy", "sxy"))
                                for d, c in total.get("cross", {}).items()})
    return {
        "level": level, "id": key, "from": start.isoformat(), "to": end.isoformat(),
        "count": summary.count,
        "csat": None if summary.csat is None else round(summary.csat, 4),
        "csat_ci": [round(summary.csat_ci[0], 4), round(summary.csat_ci[1], 4)],
        "means": means, "score": round(summary.score, 4), "enough_data": summary.enough_data,
        "min_sample": min_sample,
        "prior": {"mean": round(prior_mean, 4), "weight": prior_weight},
        "verified": total.get("verified", 0), "unverified": total.get("unverified", 0),
        "channels": total.get("channels", {}),
        "zero_copy_breaches": total.get("breaches", {"total": 0, "by_reason": {}}),
        "key_drivers": [{"driver": d, "r": None if r is None else round(r, 4), "n": n}
                        for d, r, n in drivers],
    }


def rankings(db, level, start, end, min_sample=stats.DEFAULT_MIN_SAMPLE, limit=100):
    """Entities of a level ordered by the small-sample-aware score; only
    those with at least `min_sample` ratings are ranked, the rest counted."""
    prior_mean, prior_weight = prior(db, start, end)
    grouped = {}
    for bucket in db.buckets.find({"level": level, "day": {"$in": aggregates.days(start, end)}},
                                  {"counted": 0}):
        grouped.setdefault(bucket["key"], []).append(bucket)
    ranked, too_few = [], 0
    for key, buckets in grouped.items():
        histogram = aggregates.merge(buckets).get("hist", {}).get("satisfaction", {})
        summary = stats.summarise(histogram, prior_mean, prior_weight, min_sample)
        if not summary.enough_data:
            too_few += 1
            continue
        ranked.append({"id": key, "count": summary.count, "score": round(summary.score, 4),
                       "csat": round(summary.csat, 4),
                       "csat_ci": [round(summary.csat_ci[0], 4), round(summary.csat_ci[1], 4)]})
    ranked.sort(key=lambda row: (-row["score"], -row["count"], row["id"]))
    for position, row in enumerate(ranked, start=1):
        row["rank"] = position
    return {"level": level, "from": start.isoformat(), "to": end.isoformat(),
            "min_sample": min_sample, "prior": {"mean": round(prior_mean, 4), "weight": prior_weight},
            "results": ranked[:limit], "ranked": len(ranked), "not_enough_data": too_few}


def report_csv(report):
    """A report as CSV rows (UTF-8 with a BOM, so Excel shows Thai text)."""
    import csv
    import io
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["level", "id", "from", "to", "question", "n", "mean", "ci_low", "ci_high",
                     "count", "csat", "csat_ci_low", "csat_ci_high", "score", "enough_data"])
    for question, m in report["means"].items() or [("satisfaction", None)]:
        writer.writerow([report["level"], report["id"], report["from"], report["to"], question,
                         m["n"] if m else 0, m["mean"] if m else "", m["ci"][0] if m else "",
                         m["ci"][1] if m else "", report["count"], report["csat"] if report["csat"] is not None else "",
                         report["csat_ci"][0], report["csat_ci"][1], report["score"], report["enough_data"]])
    return "\ufeff" + out.getvalue()
