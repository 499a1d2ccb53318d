"""Comment themes without storage: a comment's state from its events or from
the source (with its terms), the buckets it belongs to, the day buckets
rebuilt in memory for a recount, the G² prefilters that choose which terms
a view computes, and how report rows are grouped and written as CSV.
What is stored and how it is read is `store.themes.ThemeStore` (ADR 6).
"""
import numpy as np

from services.reporting import themes
from services.reporting.rating_buckets import NATION, bangkok_day

LEVELS = ("point", "agency", "province", "nation")
MAX_LIMIT = 100


def scopes(comment):
    return [("point", comment["point"]), ("agency", comment["agency"]),
            ("province", comment["province"]), ("nation", NATION)]


def period_id(level, key, period):
    return "|".join((level, key, period))


def from_submitted(fact):
    """A comment's state from its feedback_submitted payload (the text only
    when it was published at once)."""
    return {"_id": fact["feedback_id"], "point": fact["service_point_id"],
            "agency": fact["agency_id"], "province": fact["province_code"],
            "day": bangkok_day(fact["submitted_at"]),
            "at": themes.moment(fact["submitted_at"]),
            "rating": fact["answers"]["satisfaction"],
            "text": fact.get("comment_public") or None, "rank": ""}


def from_moderated(fact):
    """A comment's state from feedback_moderated; an older producer's event
    says only the decision (then `point` is None: the text comes from the
    stored copy, or the recount)."""
    state = {"_id": fact["feedback_id"], "point": None,
             "text": fact.get("comment_public") if fact["decision"] == "published" else None,
             "rank": themes.moment(fact.get("moderated_at") or fact["occurred_at"])}
    if fact.get("submitted_at") is not None and fact.get("satisfaction") is not None:
        state.update(point=fact["service_point_id"], agency=fact["agency_id"],
                     province=fact["province_code"],
                     day=bangkok_day(fact["submitted_at"]),
                     at=themes.moment(fact["submitted_at"]), rating=fact["satisfaction"])
    return state


def with_terms(state):
    text = state.get("text")
    found = themes.terms(text) if text else []
    digest = themes.digest(text) if text else None
    doc = dict(state, terms=found, digest=digest)
    doc["versions"] = {digest: found} if digest else {}
    return doc


def counted_comment(doc, digest):
    return {"id": doc["_id"], "at": doc["at"], "rating": doc["rating"],
            "terms": doc["versions"].get(digest, doc["terms"] if digest == doc["digest"] else [])}


FEW_TERMS = 16  # maybe_themes: below this a loop of themes.g2 is faster than arrays


def _g2(a, n1, b, n2):
    """themes.g2 over arrays (to choose the terms worth computing exactly):
    the four cells at once, observed 0 adding 0, and no division by an
    expected 0 (it has an observed 0 too); n1 + n2 > 0."""
    n = n1 + n2
    a, b = a.astype(float), b.astype(float)
    with_term = a + b
    without = n - with_term
    observed = np.stack((a, b, n1 - a, n2 - b))
    expected = np.stack((with_term * (n1 / n), with_term * (n2 / n),
                         without * (n1 / n), without * (n2 / n)))
    positive = observed > 0
    ratio = np.divide(observed, expected, out=np.ones_like(observed), where=positive)
    total = (observed * np.log(ratio)).sum(axis=0)
    valid = (n1 > 0) & (n2 > 0) & (with_term > 0) & (with_term < n)
    return np.where(valid, np.maximum(0.0, 2.0 * total), 0.0)


def maybe_themes(a, n1, b, n2, min_count, threshold):
    """Positions where themes.keyness may be a theme (a little slack on G²:
    the views compute it exactly for these only)."""
    if n1 <= 0 or not len(a):
        return []
    floor = threshold * (1 - 1e-9) - 1e-9
    if len(a) <= FEW_TERMS:  # numpy's dozen array operations cost more than a loop here
        return [k for k, (mine, theirs) in enumerate(zip(a.tolist(), b.tolist()))
                if mine >= min_count and (n2 <= 0 or mine / n1 > theirs / n2)
                and themes.g2(mine, n1, theirs, n2) >= floor]
    mask = a >= min_count
    if n2 > 0:
        mask &= (a / n1) > (b / n2)
    mask &= _g2(a, n1, b, n2) >= floor
    return np.nonzero(mask)[0].tolist()


def least_count_to_stand_out(n1, n2, min_count, threshold):
    """The fewest of `n1` comments a term needs to pass keyness against a
    reference of `n2` that never mentions it: G² is largest there (it
    shrinks as the reference's count grows toward the scope's share) and
    grows with the term's count, so a term below this cannot pass whatever
    the reference says (slack as in maybe_themes). n1 + 1: none can."""
    floor = threshold * (1 - 1e-9) - 1e-9
    low, high = max(min_count, 1), n1 + 1
    while low < high:
        middle = (low + high) // 2
        if themes.g2(middle, n1, 0, n2) >= floor:
            high = middle
        else:
            low = middle + 1
    return low


def together(rows):
    """Rows that count the same comments as a row ranked above them (the
    same count and the same examples: the words of one repeated sentence)
    go into that row's `together`, so one complaint is one theme."""
    kept, seen = [], {}
    for row in rows:
        same = (row["count"], tuple(e["feedback_id"] for e in row["examples"]))
        first = seen.get(same) if row["examples"] else None
        if first is not None:
            first["together"].append(row["term"])
            continue
        row["together"] = []
        seen[same] = row
        kept.append(row)
    for row in kept:  # the longest says most ("ครึ่ง ชั่วโมง" rather than "ครึ่ง")
        terms = [row["term"]] + row["together"]
        lead = max(terms, key=len)
        row["term"], row["together"] = lead, [term for term in terms if term != lead]
    return kept


CSV_COLUMNS = {
    "themes": ["term", "count", "share", "mean_satisfaction", "g2", "p_value", "reference_share"],
    "unhappy": ["term", "count", "mean_satisfaction", "count_unhappy", "count_happy",
                "share_unhappy", "share_happy", "g2", "p_value"],
    "rising": ["term", "count", "share", "previous_count", "previous_share", "mean_satisfaction",
               "g2", "p_value"],
}


def csv_rows(result):
    columns = CSV_COLUMNS[result["view"]]
    header = columns + ["together"] + ["example_{}".format(i + 1) for i in range(themes.EXAMPLES)]
    rows = []
    for row in result["themes"]:
        examples = [e["comment"] for e in row["examples"]]
        rows.append([row.get(c) for c in columns] + [" | ".join(row.get("together", []))] +
                    examples + [None] * (themes.EXAMPLES - len(examples)))
    return header, rows


def from_source(record):
    """A published comment as the feedback service lists it for a recount."""
    return with_terms({"_id": record["feedback_id"], "point": record["service_point_id"],
                        "agency": record["agency_id"], "province": record["province_code"],
                        "day": bangkok_day(record["submitted_at"]),
                        "at": themes.moment(record["submitted_at"]),
                        "rating": record["satisfaction"], "text": record["comment_public"],
                        "rank": ""})


def rebuild(records):
    """Day buckets rebuilt from the published comments {bucket id: bucket}."""
    buckets = {}
    for record in records:
        doc = from_source(record)
        for level, key in scopes(doc):
            bucket_id = period_id(level, key, doc["day"])
            bucket = buckets.get(bucket_id)
            if bucket is None:
                bucket = buckets[bucket_id] = dict(themes.empty_bucket(), _id=bucket_id,
                                                   level=level, key=key, day=doc["day"],
                                                   counted={})
            themes.add_comment(bucket, counted_comment(doc, doc["digest"]))
            bucket["counted"][doc["_id"]] = doc["digest"]
    return buckets


def limit_of(value):
    return max(1, min(MAX_LIMIT, value))
