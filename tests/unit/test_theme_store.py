"""Comment themes kept from events: each published comment counted once per
bucket whatever the order and repetition of its events, moderated-away
comments leaving the counts, month documents bounded, and a recount that
agrees (services/reporting/store/themes.py)."""
import random
from datetime import date, datetime, timedelta, timezone

import bson
import pytest

from services.reporting import theme_buckets, themes
from services.reporting.store import themes as theme_store
from services.reporting.store.themes import ThemeStore
from tests.unit.test_themes import TABLE


@pytest.fixture
def db(database):
    return database


def comments(n, seed=3):
    rng = random.Random(seed)
    start = datetime(2026, 10, 20, 2, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        text, rating = TABLE[rng.randrange(len(TABLE))]
        out.append({"feedback_id": "fb-{:05d}".format(i),
                    "service_point_id": rng.choice(["sp-1", "sp-2", "sp-3"]),
                    "agency_id": rng.choice(["ag-1", "ag-2"]),
                    "province_code": rng.choice(["10", "50"]),
                    "answers": {"satisfaction": rating}, "satisfaction": rating,
                    "submitted_at": (start + timedelta(hours=rng.randint(0, 24 * 30))).isoformat(),
                    "comment_public": text})
    return out


def submitted(fact, text=True):
    return theme_buckets.from_submitted(dict(fact, comment_public=fact["comment_public"] if text else None))


def moderated(fact, decision, at, text=None):
    return theme_buckets.from_moderated({
        "feedback_id": fact["feedback_id"], "service_point_id": fact["service_point_id"],
        "agency_id": fact["agency_id"], "province_code": fact["province_code"],
        "submitted_at": fact["submitted_at"], "satisfaction": fact["satisfaction"],
        "decision": decision, "moderated_at": at, "occurred_at": at,
        "comment_public": (text or fact["comment_public"]) if decision == "published" else None})


def recorded(db, source, compacted=True):
    """`source` counted from its submitted events, then (`compacted`) every
    dirty month derived: what the reporting service holds a moment later."""
    store = ThemeStore(db)
    for fact in source:
        store.record(submitted(fact))
    while compacted and store.compact():
        pass
    return source


def nation(db, start=date(2026, 10, 1), end=date(2026, 11, 30)):
    return ThemeStore(db).range_bucket("nation", "TH", start, end)


def test_replayed_and_shuffled_events_count_once_and_equal_the_recount(db):
    source = comments(150)
    for fact in source:
        ThemeStore(db).record(submitted(fact))
    first = nation(db)
    replay = source * 2
    random.Random(5).shuffle(replay)
    assert sum(ThemeStore(db).record(submitted(fact)) for fact in replay) == 0
    assert nation(db) == first
    assert first["n"] == 150
    assert ThemeStore(db).differences(source) == []
    while ThemeStore(db).compact():
        pass
    assert nation(db) == first  # months now, the same answer
    assert ThemeStore(db).differences(source) == []


def test_moderated_away_leaves_the_counts_and_the_examples(db):
    source = comments(60)
    for fact in source:
        ThemeStore(db).record(submitted(fact))
    ThemeStore(db).compact()
    newest = max((f for f in source if "คิว" in themes.terms(f["comment_public"])),
                 key=lambda f: (themes.moment(f["submitted_at"]), f["feedback_id"]))
    before = nation(db)
    assert newest["feedback_id"] in [themes.example_id(e) for e in before["ex"]["คิว"]]
    ThemeStore(db).record(moderated(newest, "rejected", "2026-12-01T00:00:00+00:00"))
    after = nation(db)
    assert after["n"] == before["n"] - 1
    assert after["t"]["คิว"]["c"] == before["t"]["คิว"]["c"] - 1
    assert newest["feedback_id"] not in [themes.example_id(e) for e in after["ex"]["คิว"]]
    assert len(after["ex"]["คิว"]) == themes.EXAMPLES  # refilled from the others
    rest = [f for f in source if f is not newest]
    assert ThemeStore(db).differences(rest) == []
    # the submission arriving again (or late) does not bring it back
    ThemeStore(db).record(submitted(newest))
    assert nation(db) == after
    ThemeStore(db).compact()
    assert ThemeStore(db).differences(rest) == []


def test_pending_then_published_with_an_edit_and_out_of_order(db):
    fact = comments(1)[0]
    edited = "เจ้าหน้าที่ให้ถ่ายเอกสารเพิ่ม"
    # the decision arrives before the submission (no text while pending)
    ThemeStore(db).record(moderated(fact, "published", "2026-12-01T01:00:00+00:00", edited))
    ThemeStore(db).record(submitted(fact, text=False))
    bucket = nation(db)
    assert bucket["n"] == 1 and set(bucket["t"]) == set(themes.terms(edited))
    # a later rejection, then a stale copy of the publication: rejected wins
    ThemeStore(db).record(moderated(fact, "rejected", "2026-12-02T01:00:00+00:00"))
    ThemeStore(db).record(moderated(fact, "published", "2026-12-01T01:00:00+00:00", edited))
    assert nation(db)["n"] == 0 and nation(db)["t"] == {}
    assert ThemeStore(db).differences([]) == []
    # published again with another text: counted in that text only
    ThemeStore(db).record(moderated(fact, "published", "2026-12-03T01:00:00+00:00", "ที่จอดรถเต็ม"))
    assert set(nation(db)["t"]) == set(themes.terms("ที่จอดรถเต็ม"))
    assert ThemeStore(db).differences([dict(fact, comment_public="ที่จอดรถเต็ม")]) == []


def test_an_old_producers_moderation_event_is_tolerated(db):
    fact = comments(1)[0]
    ThemeStore(db).record(submitted(fact))
    state = theme_buckets.from_moderated({
        "feedback_id": fact["feedback_id"], "decision": "rejected",
        "service_point_id": fact["service_point_id"], "agency_id": fact["agency_id"],
        "occurred_at": datetime(2026, 12, 1, tzinfo=timezone.utc)})
    ThemeStore(db).record(state)
    assert nation(db)["n"] == 0
    unknown = dict(state, _id="fb-never-seen")
    assert ThemeStore(db).record(unknown) == 0


def test_the_recount_finds_a_difference(db):
    source = comments(30)
    for fact in source:
        ThemeStore(db).record(submitted(fact))
    assert ThemeStore(db).differences(source) == []
    assert ThemeStore(db).differences(source[1:])   # one the store counted that the source lacks
    ThemeStore(db).compact()
    day = db.theme_days.find_one({"level": "point"})
    db.theme_days.update_one({"_id": day["_id"]}, {"$inc": {"n": 1}})
    assert [d["bucket"] for d in ThemeStore(db).differences(source)] == [day["_id"]]


def test_a_large_month_is_split_into_parts_that_read_the_same(db, monkeypatch):
    source = comments(200)
    for fact in source:
        ThemeStore(db).record(submitted(fact))
    whole = nation(db, date(2026, 11, 1), date(2026, 11, 30))
    monkeypatch.setattr(theme_store, "PART_TERMS", 25)
    while ThemeStore(db).compact():
        pass
    head = db.theme_months.find_one({"_id": "nation|TH|2026-11"})
    assert head["parts"] == -(-len(whole["t"]) // 25) > 1
    assert nation(db, date(2026, 11, 1), date(2026, 11, 30)) == whole
    assert ThemeStore(db).differences(source) == []


def test_month_documents_stay_far_below_the_16_mib_limit(db):
    # a national month with 400,000 distinct terms (a country's bigrams),
    # three examples each
    bucket = themes.empty_bucket()
    for i in range(400000):
        term = "คำที่{:06d} ต่อ{:06d}".format(i, i)
        bucket["t"][term] = {"c": 12, "s": 40, "lo": 3, "hi": 6}
        bucket["ex"][term] = ["2026-11-30T09:00:00.000Z fb-{:020d}".format(i)] * 3
    docs = ThemeStore(db).month_documents("nation|TH|2026-11", bucket)
    sizes = [len(bson.encode(doc)) for doc in docs]
    assert len(docs) == 1 + 40 and max(sizes) < 4 * 1024 * 1024, sizes


def test_views_with_examples_from_the_store(db):
    source = comments(300)
    counter = [dict(source[0], service_point_id="sp-9", agency_id="ag-9", province_code="90",
                    feedback_id="fb-9{:04d}".format(i), comment_public=text,
                    answers={"satisfaction": 2}, satisfaction=2,
                    submitted_at="2026-11-1{}T10:00:00+07:00".format(i))
               for i, text in enumerate(["ถ่ายเอกสารเองทุกครั้ง", "ให้ไปถ่ายเอกสารข้างนอก",
                                         "ต้องถ่ายเอกสารสำเนาบัตร", "รอไม่นาน"])]
    for fact in source + counter:
        ThemeStore(db).record(submitted(fact))
    ThemeStore(db).compact()
    result = ThemeStore(db).report("themes", "point", "sp-9", date(2026, 11, 1), date(2026, 11, 30))
    top = result["themes"][0]
    assert top["term"] == "ถ่ายเอกสาร" and top["count"] == 3
    assert [e["feedback_id"] for e in top["examples"]] == ["fb-90002", "fb-90001", "fb-90000"]
    assert top["examples"][0]["comment"] == "ต้องถ่ายเอกสารสำเนาบัตร"
    assert top["mean_satisfaction"] == 2
    header, rows = theme_buckets.csv_rows(result)
    assert header[0] == "term" and rows[0][0] == "ถ่ายเอกสาร" and rows[0][-3] == "ต้องถ่ายเอกสารสำเนาบัตร"
    nation_view = ThemeStore(db).report("themes", "nation", "TH", date(2026, 10, 1), date(2026, 11, 30))
    assert nation_view["reference"] is None and nation_view["themes"][0]["g2"] is None
    rising = ThemeStore(db).report("rising", "point", "sp-9", date(2026, 11, 10), date(2026, 11, 20))
    assert rising["previous"] == {"from": "2026-10-30", "to": "2026-11-09", "comments": 0}


def test_terms_of_one_repeated_sentence_are_one_theme(db):
    same = "ไม่มีทางลาดสำหรับรถเข็น ผู้สูงอายุขึ้นบันไดลำบาก"
    source = [dict(f, comment_public=same if i < 6 else f["comment_public"], answers={"satisfaction": 1},
                   satisfaction=1, service_point_id="sp-8" if i < 6 else f["service_point_id"])
              for i, f in enumerate(comments(200))]
    for fact in source:
        ThemeStore(db).record(submitted(fact))
    rows = ThemeStore(db).report("themes", "point", "sp-8", date(2026, 10, 1), date(2026, 11, 30))["themes"]
    assert len(rows) == 1, [r["term"] for r in rows]
    assert rows[0]["count"] == 6 and {"ทางลาด", "บันได", "รถเข็น"} <= set([rows[0]["term"]] + rows[0]["together"])


def every_term_through_the_views(db, view, level, key, start, end, min_count, limit=20):
    """The rows of a view computed the plain way: every term of the merged
    buckets through themes' views (what report does for the few terms its
    array test lets through)."""
    scope = ThemeStore(db).range_bucket(level, key, start, end)
    scope["t"] = {t: e for t, e in scope["t"].items() if e["c"] >= min_count}
    if view == "themes" and level == "nation":
        rows = themes.distinctive(scope, None, limit * 3, min_count)
    elif view == "themes":
        rest = themes.subtract(ThemeStore(db).range_bucket("nation", "TH", start, end), scope)
        rows = themes.distinctive(scope, rest, limit * 3, min_count)
    elif view == "unhappy":
        rows = themes.unhappy(scope, limit * 3, min_count)
    else:
        before_end = start - timedelta(days=1)
        previous = ThemeStore(db).range_bucket(level, key, before_end - (end - start), before_end)
        rows = themes.rising(scope, previous, limit * 3, min_count)
    ThemeStore(db)._examples(rows, ThemeStore(db).range_documents(level, key, start, end))
    return theme_buckets.together(rows)[:limit]


@pytest.mark.parametrize("view", ["themes", "unhappy", "rising"])
def test_packed_months_answer_exactly_as_their_day_buckets(db, view):
    """A clean month is read from its packed sums (by term id); the same
    comments read from day buckets give the same answer, field for field,
    whole months, part months and the two together."""
    source = comments(400)
    # words only November has: October's packed months lack their ids
    source += [dict(source[0], feedback_id="fb-nov-{}".format(i), service_point_id="sp-2",
                    agency_id="ag-1", province_code="50", submitted_at="2026-11-0{}T10:00:00+07:00".format(i + 1),
                    comment_public="ตู้กดบัตรคิวอัจฉริยะ ใช้งานง่าย") for i in range(3)]
    for fact in source:
        ThemeStore(db).record(submitted(fact))
    asked = [(level, key, start, end) for level, key in
             [("nation", "TH"), ("agency", "ag-1"), ("province", "50"), ("point", "sp-2")]
             for start, end in [(date(2026, 10, 1), date(2026, 11, 30)),    # two whole months
                                (date(2026, 10, 1), date(2026, 11, 12)),    # a whole one and days
                                (date(2026, 11, 1), date(2026, 11, 30)),    # one whole month
                                (date(2026, 10, 1), date(2026, 11, 25)),    # the last days empty
                                (date(2026, 10, 25), date(2026, 11, 5))]]   # days only
    from_days = [ThemeStore(db).report(view, *question, min_count=2) for question in asked]
    assert [r["themes"] for r in from_days] == [
        every_term_through_the_views(db, view, *question, min_count=2) for question in asked]
    while ThemeStore(db).compact():
        pass
    assert db.theme_months.count_documents({"pk": {"$exists": True}}) >= 8
    assert [ThemeStore(db).report(view, *question, min_count=2) for question in asked] == from_days
    if view == "rising":  # the month before a whole November is read from days
        assert any(result["previous"]["comments"] for result in from_days)
    else:
        assert any(result["themes"] for result in from_days)


def test_a_month_stored_before_packing_reads_and_recounts_the_same(db):
    source = comments(200)
    recorded(db, source)
    question = ("agency", "ag-1", date(2026, 10, 1), date(2026, 11, 30))
    packed = ThemeStore(db).report("themes", *question, min_count=2)
    for doc in list(db.theme_months.find({"pk": {"$exists": True}})):
        db.theme_months.replace_one({"_id": doc["_id"]}, ThemeStore(db).unpacked(doc))
    assert db.theme_months.count_documents({"pk": {"$exists": True}}) == 0
    assert ThemeStore(db).report("themes", *question, min_count=2) == packed
    assert ThemeStore(db).differences(source) == []


def test_a_month_whose_days_after_the_range_are_empty_is_read_whole(db):
    """"The last 365 days" ends today: the current month's later days have
    no buckets yet, so its month document answers for it (once clean)."""
    for fact in comments(100):  # 2026-10-20 to 2026-11-19
        ThemeStore(db).record(submitted(fact))
    while ThemeStore(db).compact():
        pass
    read = ThemeStore(db).range_documents("nation", "TH", date(2026, 10, 1), date(2026, 11, 24))
    assert sorted(doc["_id"] for doc in read) == ["nation|TH|2026-10", "nation|TH|2026-11"]
    read = ThemeStore(db).range_documents("nation", "TH", date(2026, 10, 1), date(2026, 11, 15))
    november = [doc for doc in read if doc["_id"].startswith("nation|TH|2026-11")]
    # later days counted: the month's days to the 15th, summed from its packed days
    assert [sorted(doc) for doc in november] == [["_id", "cut", "days", "hi", "lo", "n", "s"]]
    assert november[0]["days"] == ["nation|TH|2026-11-{:02d}".format(day) for day in range(1, 16)
                                   if db.theme_days.find_one({"_id": "nation|TH|2026-11-{:02d}".format(day)})]
    assert november[0]["n"] == sum(day["n"] for day in db.theme_days.find(
        {"_id": {"$gte": "nation|TH|2026-11-01", "$lte": "nation|TH|2026-11-15"}}))
    db.theme_dirty.insert_one({"_id": "nation|TH|2026-11", "level": "nation", "key": "TH",
                               "month": "2026-11", "rev": 1})
    read = ThemeStore(db).range_documents("nation", "TH", date(2026, 10, 1), date(2026, 11, 24))
    assert "nation|TH|2026-11" not in {doc["_id"] for doc in read}  # not compacted yet: days


def test_a_term_below_the_count_floor_of_the_rising_view_can_never_pass():
    # every table a small scope can give: a term that passes keyness has at
    # least the floor's count, and a term at the floor passes against a
    # period that never mentioned it (the floor is the least, not a guess)
    for n1 in range(1, 40):
        for n2 in (1, 2, 5, 17, 60, 400):
            floor = theme_buckets.least_count_to_stand_out(n1, n2, themes.MIN_COUNT,
                                                           themes.G2_THRESHOLD)
            for a in range(0, n1 + 1):
                if any(themes.keyness(a, n1, b, n2) is not None for b in range(0, n2 + 1)):
                    assert a >= floor, (n1, n2, a, floor)
            if floor <= n1:
                assert themes.keyness(floor, n1, 0, n2) is not None, (n1, n2, floor)


@pytest.mark.parametrize("days_packed", [False, True])
def test_a_reference_reads_a_partial_month_as_the_month_less_its_other_days(
        db, monkeypatch, days_packed):
    """Counted references (the nation, the period before) read a clean
    month partly in range as the sums of its packed days in the range, or,
    when its days are not packed with it (more than DAY_ENTRIES entries), as
    its month document less the day buckets out of the range, when those
    are fewer; the counts equal the days'."""
    if not days_packed:
        monkeypatch.setattr(theme_store, "DAY_ENTRIES", -1)
    store = ThemeStore(db)
    for fact in comments(300):  # 2026-10-20 to 2026-11-19
        store.record(submitted(fact))
    by_days = store.range_bucket("nation", "TH", date(2026, 10, 1), date(2026, 11, 12))
    while store.compact():
        pass
    plus, minus = store.reference_documents("nation", "TH", date(2026, 10, 1), date(2026, 11, 12))
    assert sorted(doc["_id"] for doc in plus) == ["nation|TH|2026-10", "nation|TH|2026-11"]
    if days_packed:
        assert minus == [] and "cut" in plus[1] and "pk" not in plus[1]
    else:
        assert sorted(doc["_id"] for doc in minus) == [
            "nation|TH|2026-11-{:02d}".format(day) for day in range(13, 20)]
    scope = store.term_sums(store.range_documents("point", "sp-1", date(2026, 10, 1),
                                                  date(2026, 11, 12)), 1)
    counts, mentions = store.counts_at((plus, minus), scope)
    assert counts == {name: by_days[name] for name in ("n", "s", "lo", "hi")}
    names = scope.names(store, range(len(scope.keys)))
    assert dict(zip(names, mentions.tolist())) == {name: by_days["t"][name]["c"] for name in names}
    assert len(names) > 20
    # its own documents are never read so: examples do not subtract (a cut
    # month's examples are read from its days)
    own = {doc["_id"]: doc for doc in store.range_documents(
        "nation", "TH", date(2026, 10, 1), date(2026, 11, 12))}
    assert ("nation|TH|2026-11" in own and "cut" in own["nation|TH|2026-11"]) == days_packed


def test_a_month_keeps_its_days_packed_and_any_days_of_it_sum_exactly(db):
    """A range that cuts a clean month sums the rows of its packed days:
    for every first and last day, every scope level, the same counts and
    term sums as its day buckets."""
    store = ThemeStore(db)
    recorded(db, comments(300))  # 2026-10-20 to 2026-11-19
    for scope in ("nation|TH", "agency|ag-1", "province|50", "point|sp-2"):
        head = db.theme_months.find_one({"_id": scope + "|2026-11"})
        days = {int(doc["day"][8:]): doc for doc in db.theme_days.find(
            {"_id": {"$regex": "^" + scope.replace("|", "\\|") + r"\|2026-11-"}})}
        assert [row[0] for row in head["pn"]] == sorted(d for d in days if days[d]["n"])
        assert len(head["pn"]) > 8
        for first in range(1, 31):
            for last in range(first, 31):
                inside = [days[d] for d in range(first, last + 1) if d in days and days[d]["n"]]
                held = [row for row in head["pn"] if first <= row[0] <= last]
                cut = store.month_slice(head, first, last, held, [])
                assert {name: cut[name] for name in ("n", "s", "lo", "hi")} == {
                    name: sum(day[name] for day in inside) for name in ("n", "s", "lo", "hi")}
                ids, sums = theme_store._packed(cut)
                names = store.term_names(ids.tolist())
                assert {names[i]: row for i, row in zip(ids.tolist(), sums.tolist())} == {
                    term: list(entry) for term, entry in themes.term_lists(inside).items()}
    assert store.differences(comments(300)) == []


def test_the_recount_finds_a_wrong_packed_day(db):
    source = comments(60)
    recorded(db, source)
    head = db.theme_months.find_one({"_id": "point|sp-1|2026-11"})
    pn = [list(row) for row in head["pn"]]
    pn[0][1] += 1
    db.theme_months.update_one({"_id": head["_id"]}, {"$set": {"pn": pn}})
    assert [d.get("month") for d in ThemeStore(db).differences(source)] == [head["_id"]]


@pytest.mark.parametrize("terms", [5, 300])
def test_the_array_test_lets_through_every_theme_and_little_else(terms):
    """maybe_themes (a loop of G² for a few terms, arrays for more) picks
    every term keyness passes, and only those (up to its 10^-9 slack)."""
    rng = random.Random(terms)
    import numpy as np
    for _ in range(300):
        n1, n2 = rng.randint(1, 400), rng.randint(0, 400)
        a = np.array([rng.randint(0, n1) for _ in range(terms)])
        b = np.array([rng.randint(0, n2) for _ in range(terms)])
        chosen = theme_buckets.maybe_themes(a, n1, b, n2, themes.MIN_COUNT, themes.G2_THRESHOLD)
        assert chosen == [k for k in range(terms) if themes.keyness(
            int(a[k]), n1, int(b[k]), n2) is not None], (n1, n2)


def test_days_whose_sums_pass_int32_are_not_packed_and_are_read_as_days(db):
    # each term's month sum fits the packed month's int32; all entries' running sum does not
    huge = {"c": 2 ** 29, "s": 2 ** 29, "lo": 0, "hi": 0}
    days = [{"day": "2026-11-0{}".format(d), "n": 2 ** 29, "s": 2 ** 29, "lo": 0, "hi": 0,
             "t": {term: dict(huge) for term in ("คิว", "ยาว", "รอ")}} for d in (1, 2)]
    store = ThemeStore(db)
    head, = store.month_documents("point|sp-1|2026-11", themes.merge(days), days)
    assert "pd" not in head and "pn" not in head
    small = [dict(day, n=1, s=4, t={"คิว": {"c": 1, "s": 4, "lo": 0, "hi": 0}}) for day in days]
    head, = store.month_documents("point|sp-1|2026-11", themes.merge(small), small)
    assert [row[0] for row in head["pn"]] == [1, 2]
