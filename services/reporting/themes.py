"""Comment themes: the terms of published comments and the statistics that
make a theme (plain module, no storage, no nameko).

A comment's *terms* are its distinct words and two-word phrases after
normalisation (NFC, case folding, Thai digits as ASCII, stretched letters
such as "มากกกก" folded to one: `text.loose_key`), Thai word segmentation
with PyThaiNLP's dictionary tokenizer (newmm, offline: `text.words`), and
stop words out. "ไม่" (not) joins the word after it ("ไม่สุภาพ", impolite),
since the two mean one thing and "สุภาพ" alone means the opposite. Only the
redacted, published text reaches this module; the redaction masks
("[เบอร์โทรถูกซ่อน]") are not words of the citizen's.

Counts are of comments, not of occurrences: a term is counted once per
comment that mentions it, so one angry comment repeating a word is one
mention. A bucket (one scope and day, or a month merged from its days)
holds, per term, [comments, sum of their satisfaction, of them rated 1-2,
rated 4-5] and the (at most three) most recent comments that mention it (as "<time> <feedback id>").

Keyness is Dunning's log-likelihood G² on the 2x2 table of comments with
and without the term in the scope and in its reference: the rest of the
country (themes), the same scope's 4-5 ratings (what the unhappy say) or
the previous period of equal length (rising themes). A theme needs at
least `min_count` comments in the scope and G² above the p < 0.01
threshold, and must be more frequent in the scope than in the reference.
"""
import hashlib
import math
import os
import re
from datetime import datetime, timezone

from services.common import text
from services.common.redaction import MASKS

MIN_COUNT = 3          # comments mentioning a term before it can be a theme
G2_THRESHOLD = 6.635   # chi-squared, 1 degree of freedom, p < 0.01
EXAMPLES = 3           # most recent comments kept per term and bucket
MAX_TERMS = 64         # distinct terms counted per comment (a 1,000-character comment has ~150)
LOW, HIGH = (1, 2), (4, 5)

# Thai stop words: PyThaiNLP's list (shipped with the package, read
# offline), less the words that carry a complaint or praise in comments
# about a counter ("นาน" long, "ช้า" slow, "พอ" enough...). Search has its
# own fillers (services/registry/search_terms.py), which drop words such
# as "เอกสาร" (documents) that are themes here.
KEEP_TH = frozenset({
    "นาน", "ช้า", "เร็ว", "พอ", "ช่วย", "พูด", "ดี", "แย่", "ยาก", "ง่าย", "สะดวก", "แพง",
    "ถูก", "เสีย", "ใหม่", "เก่า", "เต็ม", "ว่าง", "ปิด", "เปิด", "ร้อน", "รอ", "ชัดเจน",
    "สกปรก", "สะอาด", "หาย", "ผิด", "ช่วยเหลือ", "บอก", "แนะนำ", "ตอบ", "อธิบาย", "เงิน",
    "ยาว", "สั้น", "รวดเร็ว", "ครบ", "เจอ",
})
EXTRA_TH = frozenset({
    "ค่ะ", "คะ", "ครับ", "คับ", "จ้า", "จ้ะ", "นะคะ", "นะครับ", "ค่า", "ฮะ", "อ่ะ", "อะ", "เนี่ย",
    "มากๆ", "สุดๆ", "จริงๆ", "เลย", "มาก", "นิดหน่อย", "หน่อย", "ก็", "แต่", "และ", "หรือ",
    "วันนี้", "ตอน", "ครั้ง", "ทุก", "คน", "ทำ", "ท่าน", "ผม", "ดิฉัน", "หนู", "เรา", "ฉัน",
    # newmm reads "บอกว่า" (said that) as "บอ" + "กว่า": the dictionary
    # holds the rare "บอ", never what a comment means
    "บอ",
})
NEGATORS = {"ไม่": "ไม่", "ไม่ค่อย": "ไม่", "มิ": "ไม่", "ไม่ได้": "ไม่ได้"}
# Words the dictionary holds with an intensifier attached: the same theme.
SAME = {"ดีมาก": "ดี", "ช้ามาก": "ช้า", "นานมาก": "นาน", "แพงมาก": "แพง"}
EN_STOP = frozenset("""a an the of for to in on at and or but my i me we our you your it its is are
was were be been am do does did can could would should will get got have has had very really so
too this that there here they them he she his her with from by as not no just also than then
what when where how who which about after before again all any more most much some such only
own same other into over out up down off""".split())

_LATIN = re.compile(r"^[a-z][a-z0-9]*$")
_LETTER = re.compile(r"[a-z\u0e01-\u0e2e]")
_MASKS = re.compile("|".join(re.escape(mask) for mask in MASKS))

_stop_th = None


def _thai_stop_words():
    global _stop_th
    if _stop_th is None:
        os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
        os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
        from pythainlp.corpus import thai_stopwords
        _stop_th = (frozenset(thai_stopwords()) - KEEP_TH - set(NEGATORS)) | EXTRA_TH
    return _stop_th


def _is_stop(token):
    return token in EN_STOP if _LATIN.match(token) else token in _thai_stop_words()


def _content(chunk):
    """The content words of one space-separated chunk, negations joined to
    the word right after them; "ไม่มี" (there is no) is a word of its own,
    the thing missing another ("ไม่มี", "ที่จอดรถ")."""
    out, negate = [], None
    for token in text.words(chunk):
        token = SAME.get(token, token)
        if token in NEGATORS:
            negate = NEGATORS[token]
            continue
        if negate == "ไม่" and token == "มี":
            out.append("ไม่มี")
            negate = None
            continue
        if not _LETTER.search(token) or len(token) < 2 or _is_stop(token):
            negate = None  # numbers (queue numbers, prices), stray letters, stop words
            continue
        if negate:
            token, negate = negate + token, None
        out.append(token)
    return out


def terms(comment):
    """The distinct terms of a published comment: words, then two-word
    phrases, in order of first appearance, at most MAX_TERMS.

    Thai writes a space between phrases, not words, so a phrase never spans
    a space between Thai words; English words separated by spaces pair."""
    if not comment:
        return []
    cleaned = text.loose_key(_MASKS.sub(" ", comment))
    chunks = [_content(chunk) for chunk in cleaned.split(" ")]
    words, phrases, previous = [], [], None
    for raw, chunk in zip(cleaned.split(" "), chunks):
        if not chunk:
            if not _LATIN.match(raw):  # English stop words do not end a phrase
                previous = None
            continue
        if previous and _LATIN.match(previous) and _LATIN.match(chunk[0]):
            phrases.append(previous + " " + chunk[0])
        words.extend(chunk)
        phrases.extend(a + " " + b for a, b in zip(chunk, chunk[1:]) if a != b)
        previous = chunk[-1]
    seen, out = set(), []
    for term in words + phrases:
        if term not in seen:
            seen.add(term)
            out.append(term)
    return out[:MAX_TERMS]


def digest(comment):
    """Which text of a comment a bucket counted (a moderator may edit it)."""
    return hashlib.sha1(comment.encode("utf-8")).hexdigest()[:16]


def moment(value):
    """A sortable UTC timestamp string to the millisecond: isoformat drops
    zero microseconds, and BSON keeps milliseconds only, so an event's time
    and the same time read back from MongoDB must give the same string."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "{:03d}Z".format(value.microsecond // 1000)


# --- keyness -------------------------------------------------------------------
def _xlogx(observed, expected):
    return observed * math.log(observed / expected) if observed > 0 else 0.0


def g2(a, n1, b, n2):
    """Dunning's log-likelihood G² for a term in `a` of `n1` comments of the
    scope and `b` of `n2` of the reference (the full 2x2 table); 0 when
    either side is empty."""
    n = n1 + n2
    with_term = a + b
    if n1 <= 0 or n2 <= 0 or with_term <= 0 or with_term >= n:
        return 0.0
    without = n - with_term
    cells = ((a, n1 * with_term / n), (b, n2 * with_term / n),
             (n1 - a, n1 * without / n), (n2 - b, n2 * without / n))
    return max(0.0, 2.0 * sum(_xlogx(o, e) for o, e in cells))


def p_value(statistic):
    """Upper tail of chi-squared with 1 degree of freedom."""
    return math.erfc(math.sqrt(max(statistic, 0.0) / 2.0))


def keyness(a, n1, b, n2, min_count=MIN_COUNT, threshold=G2_THRESHOLD):
    """G² when the term is a theme of the scope (at least `min_count`
    comments, more frequent than in the reference, G² >= threshold), else
    None."""
    if a < min_count or n1 <= 0 or (n2 > 0 and a / n1 <= b / n2):
        return None
    statistic = g2(a, n1, b, n2)
    return statistic if statistic >= threshold else None


# --- buckets ---------------------------------------------------------------------
def empty_bucket():
    return {"n": 0, "s": 0, "lo": 0, "hi": 0, "t": {}, "ex": {}}


def _flags(rating):
    return (1 if rating in LOW else 0), (1 if rating in HIGH else 0)


def example_id(example):
    """The feedback id of an example: "<time> <feedback id>", a string that
    sorts by time then id (MongoDB's $push with $sort keeps the newest)."""
    return example.split(" ", 1)[1]


def _example_key(example):
    return example


def _add_example(examples, comment):
    entry = comment["at"] + " " + comment["id"]
    if entry in examples:
        return examples
    merged = sorted(examples + [entry], key=_example_key, reverse=True)
    return merged[:EXAMPLES]


def add_comment(bucket, comment):
    """Count `comment` ({id, at, rating, terms}) in `bucket` (in place)."""
    rating = comment["rating"]
    low, high = _flags(rating)
    bucket["n"] += 1
    bucket["s"] += rating
    bucket["lo"] += low
    bucket["hi"] += high
    for term in comment["terms"]:
        entry = bucket["t"].setdefault(term, {"c": 0, "s": 0, "lo": 0, "hi": 0})
        entry["c"] += 1
        entry["s"] += rating
        entry["lo"] += low
        entry["hi"] += high
        bucket["ex"][term] = _add_example(bucket["ex"].get(term, []), comment)
    return bucket


def remove_comment(bucket, comment, others):
    """Take `comment` back out of `bucket` (in place). `others(term)`: the
    other comments counted in the bucket that mention `term`, to refill its
    examples when this one was among them."""
    rating = comment["rating"]
    low, high = _flags(rating)
    bucket["n"] -= 1
    bucket["s"] -= rating
    bucket["lo"] -= low
    bucket["hi"] -= high
    for term in comment["terms"]:
        entry = bucket["t"].get(term)
        if entry is None:
            continue
        entry["c"] -= 1
        entry["s"] -= rating
        entry["lo"] -= low
        entry["hi"] -= high
        if entry["c"] <= 0:
            bucket["t"].pop(term)
            bucket["ex"].pop(term, None)
            continue
        examples = bucket["ex"].get(term, [])
        if any(example_id(example) == comment["id"] for example in examples):
            refill = []
            for other in others(term):
                refill = _add_example(refill, other)
            bucket["ex"][term] = refill
    return bucket


def _items(mapping, only):
    if only is None:
        return mapping.items()
    # the terms both hold, intersected in C (order is free: sums and sorted rows)
    return [(term, mapping[term]) for term in mapping.keys() & only]


def merge(buckets, only=None):
    """One bucket summing `buckets` (none is changed); `only`: the terms to
    keep (a reference needs the scope's terms only)."""
    total = empty_bucket()
    for bucket in buckets:
        for name in ("n", "s", "lo", "hi"):
            total[name] += bucket.get(name, 0)
        for term, entry in _items(bucket.get("t", {}), only):
            mine = total["t"].get(term)
            if mine is None:
                total["t"][term] = dict(entry)
            else:
                for name in ("c", "s", "lo", "hi"):
                    mine[name] += entry[name]
        for term, examples in _items(bucket.get("ex", {}), only):
            mine = total["ex"].get(term)
            total["ex"][term] = (list(examples) if mine is None else
                                 sorted({_example_key(e): e for e in mine + examples}.values(),
                                        key=_example_key, reverse=True)[:EXAMPLES])
    return total


def term_lists(buckets, only=None):
    """{term: [c, s, lo, hi]} summed over `buckets` (of `only` terms):
    plain lists, never copies of the entries."""
    sums = {}
    for bucket in buckets:
        for term, entry in _items(bucket.get("t", {}), only):
            mine = sums.get(term)
            if mine is None:
                sums[term] = [entry["c"], entry["s"], entry["lo"], entry["hi"]]
            else:
                mine[0] += entry["c"]
                mine[1] += entry["s"]
                mine[2] += entry["lo"]
                mine[3] += entry["hi"]
    return sums


def examples_of(buckets, wanted):
    """The newest EXAMPLES examples of each term of `wanted` in `buckets`."""
    found = {}
    for bucket in buckets:
        for term, examples in _items(bucket.get("ex", {}), wanted):
            found.setdefault(term, []).extend(examples)
    return {term: sorted({_example_key(e): e for e in examples}.values(), key=_example_key,
                         reverse=True)[:EXAMPLES] for term, examples in found.items()}


# --- the three views -------------------------------------------------------------
def _row(term, entry, n):
    return {"term": term, "count": entry["c"], "share": entry["c"] / n if n else 0.0,
            "mean_satisfaction": entry["s"] / entry["c"] if entry["c"] else None,
            "examples": []}


def _ranked(rows, limit):
    rows.sort(key=lambda row: (-row["g2"], -row["count"], row["term"]))
    return rows[:limit]


def distinctive(scope, reference, limit, min_count=MIN_COUNT, threshold=G2_THRESHOLD):
    """Themes of `scope` against `reference` (the rest of the country: the
    caller subtracts the scope). With no reference (the nation), the terms
    mentioned by at least `min_count` comments, most mentioned first."""
    n1 = scope["n"]
    n2 = reference["n"] if reference is not None else 0
    rows = []
    for term, entry in scope["t"].items():
        if entry["c"] < min_count:
            continue
        if reference is None:
            row = _row(term, entry, n1)
            row.update(g2=None, p_value=None, reference_share=None)
            rows.append(row)
            continue
        b = reference["t"].get(term, {}).get("c", 0)
        statistic = keyness(entry["c"], n1, b, n2, min_count, threshold)
        if statistic is None:
            continue
        row = _row(term, entry, n1)
        row.update(g2=statistic, p_value=p_value(statistic),
                   reference_share=b / n2 if n2 else 0.0)
        rows.append(row)
    if reference is None:
        rows.sort(key=lambda row: (-row["count"], row["term"]))
        return rows[:limit]
    return _ranked(rows, limit)


def unhappy(scope, limit, min_count=MIN_COUNT, threshold=G2_THRESHOLD):
    """What comments rated 1-2 mention more than comments rated 4-5."""
    n1, n2 = scope["lo"], scope["hi"]
    rows = []
    for term, entry in scope["t"].items():
        statistic = keyness(entry["lo"], n1, entry["hi"], n2, min_count, threshold)
        if statistic is None:
            continue
        row = _row(term, entry, scope["n"])
        row.update(g2=statistic, p_value=p_value(statistic), count_unhappy=entry["lo"],
                   count_happy=entry["hi"], share_unhappy=entry["lo"] / n1,
                   share_happy=entry["hi"] / n2 if n2 else 0.0)
        rows.append(row)
    return _ranked(rows, limit)


def rising(current, previous, limit, min_count=MIN_COUNT, threshold=G2_THRESHOLD):
    """Terms mentioned significantly more this period than the one before."""
    n1, n2 = current["n"], previous["n"]
    rows = []
    for term, entry in current["t"].items():
        before = previous["t"].get(term, {}).get("c", 0)
        if n2 == 0:
            statistic = None  # nothing to rise from: no comments before
        else:
            statistic = keyness(entry["c"], n1, before, n2, min_count, threshold)
        if statistic is None:
            continue
        row = _row(term, entry, n1)
        row.update(g2=statistic, p_value=p_value(statistic), previous_count=before,
                   previous_share=before / n2)
        rows.append(row)
    return _ranked(rows, limit)


def subtract(total, part):
    """`total` less `part` (the rest of the country without the scope),
    for the terms of `part` only."""
    rest = {"n": total["n"] - part["n"], "t": {}}
    for term in part["t"]:
        entry = total["t"].get(term)
        mine = part["t"][term]["c"]
        rest["t"][term] = {"c": (entry["c"] if entry else mine) - mine}
    return rest
