"""Aggregates count each feedback once per bucket, in any order, however
often an event is delivered, and equal a recount from the source."""
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from services.common.storage import ensure_indexes
from services.reporting import rating_buckets, stats
from services.reporting.store import aggregates
from services.reporting.store.aggregates import AggregateStore


@pytest.fixture
def db(database):
    ensure_indexes(database, aggregates.INDEXES)
    return database


def facts(n, seed=1):
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        answers = {"satisfaction": rng.randint(1, 5)}
        for driver in rating_buckets.DRIVERS:
            if rng.random() < 0.6:
                answers[driver] = rng.randint(1, 5)
        out.append({"feedback_id": "fb-{}".format(i),
                    "service_point_id": rng.choice(["sp-1", "sp-2", "sp-3"]),
                    "service_code": rng.choice(["DOPA-ID-NEW", None]),
                    "agency_id": "ag-1", "province_code": rng.choice(["10", "50"]),
                    "channel": rng.choice(["walk_in", "online", "phone"]),
                    "verified": rng.random() < 0.4, "answers": answers,
                    "zero_copy_breaches": [{"document": "สูติบัตร", "reason": "government_issued"}]
                    if rng.random() < 0.1 else [],
                    "submitted_at": (start + timedelta(hours=rng.randint(0, 24 * 20))).isoformat()})
    return out


def test_replayed_and_shuffled_events_change_nothing(db):
    source = facts(300)
    for fact in source:
        AggregateStore(db).apply_feedback(fact)
    snapshot = sorted(db.buckets.find({}, {"counted": 0}), key=lambda b: b["_id"])
    replay = source * 2
    random.Random(7).shuffle(replay)
    for fact in replay:
        assert AggregateStore(db).apply_feedback(fact) == 0
    assert sorted(db.buckets.find({}, {"counted": 0}), key=lambda b: b["_id"]) == snapshot
    assert AggregateStore(db).differences(source) == []


def test_a_crash_half_way_is_completed_by_redelivery(db):
    source = facts(50)
    first = source[0]
    # the first two buckets were written, then the process died
    day = rating_buckets.bangkok_day(first["submitted_at"])
    for level, key in rating_buckets.bucket_keys(first)[:2]:
        db.buckets.update_one({"_id": "|".join((level, key, day))},
                              {"$inc": rating_buckets.increments(first), "$push": {"counted": first["feedback_id"]},
                               "$setOnInsert": {"level": level, "key": key, "day": day}}, upsert=True)
    assert AggregateStore(db).apply_feedback(first) == 3  # the rest, once
    for fact in source[1:]:
        AggregateStore(db).apply_feedback(fact)
    assert AggregateStore(db).differences(source) == []


def test_bangkok_days_and_report_totals(db):
    late = {"feedback_id": "fb-late", "service_point_id": "sp-1", "service_code": None,
            "agency_id": "ag-1", "province_code": "10", "channel": "walk_in", "verified": True,
            "answers": {"satisfaction": 5, "staff": 4}, "zero_copy_breaches": [],
            "submitted_at": "2026-11-24T18:30:00+00:00"}   # 01:30 on the 25th in Bangkok
    AggregateStore(db).apply_feedback(late)
    nov25 = AggregateStore(db).totals("point", "sp-1", date(2026, 11, 25), date(2026, 11, 25))
    assert nov25["count"] == 1 and nov25["hist"]["satisfaction"] == {"5": 1}
    assert AggregateStore(db).totals("point", "sp-1", date(2026, 11, 24), date(2026, 11, 24))["count"] == 0


def test_report_numbers_follow_from_the_buckets(db):
    source = facts(400, seed=3)
    for fact in source:
        AggregateStore(db).apply_feedback(fact)
    total = AggregateStore(db).totals("nation", "TH", date(2026, 10, 1), date(2026, 12, 31))
    scores = [f["answers"]["satisfaction"] for f in source]
    assert total["count"] == len(source)
    summary = stats.summarise(total["hist"]["satisfaction"], prior_mean=3.0, prior_weight=10)
    assert summary.csat == pytest.approx(sum(s >= 4 for s in scores) / len(scores))
    assert summary.mean == pytest.approx(sum(scores) / len(scores))
    assert total["verified"] + total["unverified"] == len(source)
    assert total["breaches"]["total"] == sum(len(f["zero_copy_breaches"]) for f in source)
    staff = [(f["answers"]["staff"], f["answers"]["satisfaction"]) for f in source if "staff" in f["answers"]]
    assert total["cross"]["staff"]["n"] == len(staff)
    assert total["cross"]["staff"]["sxy"] == sum(x * y for x, y in staff)


def test_rankings_only_rank_enough_data_and_shrink_small_samples(db):
    from services.reporting import reports
    day = "2026-11-10T03:00:00+00:00"

    def rate(i, point, score):
        AggregateStore(db).apply_feedback({
            "feedback_id": "fb-{}-{}".format(point, i), "service_point_id": point, "service_code": None,
            "agency_id": "ag-1", "province_code": "10", "channel": "walk_in", "verified": False,
            "answers": {"satisfaction": score}, "zero_copy_breaches": [], "submitted_at": day})
    for i in range(3):
        rate(i, "sp-tiny", 5)                    # three perfect ratings
    for i in range(300):
        rate(i, "sp-big", 5 if i % 5 else 4)     # 300 ratings averaging 4.8
    for i in range(40):
        rate(i, "sp-mid", 3)
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    ranked = reports.rankings(AggregateStore(db), "point", start, end, min_sample=1)
    scores = {row["id"]: row["score"] for row in ranked["results"]}
    assert scores["sp-big"] > scores["sp-tiny"] > scores["sp-mid"]   # shrunk toward the mean
    assert [row["rank"] for row in ranked["results"]] == [1, 2, 3]
    honest = reports.rankings(AggregateStore(db), "point", start, end, min_sample=30)
    assert [row["id"] for row in honest["results"]] == ["sp-big", "sp-mid"]
    assert honest["not_enough_data"] == 1


def spread_facts(n, seed):
    """Feedback over three months, so ranges cross month edges."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 20, tzinfo=timezone.utc)
    out = facts(n, seed)
    for fact in out:
        fact["submitted_at"] = (start + timedelta(hours=rng.randint(0, 24 * 80))).isoformat()
    return out


def applied(db, source):
    """`source` counted through the per-event path, then compacted."""
    for fact in source:
        AggregateStore(db).apply_feedback(fact)
    AggregateStore(db).compact()
    return source


def by_days(db, level, key, start, end):
    """The plain way: merge every day bucket of the range."""
    ids = ["|".join((level, key, d)) for d in rating_buckets.days(start, end)]
    return rating_buckets.without_zeros(
        rating_buckets.merge(db.buckets.find({"_id": {"$in": ids}})))


RANGES = [(date(2026, 9, 20), date(2026, 12, 10)), (date(2026, 10, 1), date(2026, 10, 31)),
          (date(2026, 10, 3), date(2026, 11, 28)), (date(2026, 10, 29), date(2026, 11, 2)),
          (date(2026, 11, 15), date(2026, 11, 15)), (date(2026, 8, 1), date(2026, 9, 1))]


def test_ranges_read_from_months_equal_the_day_buckets(db):
    source = spread_facts(500, seed=11)
    for fact in source:
        AggregateStore(db).apply_feedback(fact)
    assert db.dirty_months.count_documents({}) > 0
    assert AggregateStore(db).compact() > 0
    assert db.dirty_months.count_documents({}) == 0
    assert AggregateStore(db).differences(source) == []
    for start, end in RANGES:
        for level, key in (("point", "sp-2"), ("nation", "TH"), ("province", "50")):
            assert AggregateStore(db).totals(level, key, start, end) == by_days(db, level, key, start, end)
    wide = AggregateStore(db).totals_by_key("point", *RANGES[0])
    assert sorted(wide) == ["sp-1", "sp-2", "sp-3"]
    assert sum(t["count"] for t in wide.values()) == len(source)


def random_ranges(n, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        start = date(2026, 9, 15) + timedelta(days=rng.randrange(95))
        out.append((start, start + timedelta(days=rng.choice([0, 1, 3, 6, 13, 29, 40, 75]))))
    return out


def test_any_range_read_from_month_to_date_totals_equals_the_day_buckets(db):
    source = applied(db, spread_facts(400, seed=21))
    assert db.month_to_date.count_documents({}) == db.buckets.count_documents({})
    assert AggregateStore(db).differences(source) == []
    for start, end in random_ranges(80, seed=22):
        for level, key in (("point", "sp-3"), ("point_service", "sp-1|DOPA-ID-NEW"), ("nation", "TH")):
            assert AggregateStore(db).totals(level, key, start, end) == by_days(db, level, key, start, end), (
                level, start, end)
    weeks = [(date(2026, 10, 26), date(2026, 10, 27)), (date(2026, 10, 28), date(2026, 11, 3)),
             (date(2026, 11, 4), date(2026, 11, 10)), (date(2026, 9, 1), date(2026, 9, 30)),
             (date(2026, 10, 28), date(2026, 11, 3))]           # the same span twice
    got = AggregateStore(db).totals_of_spans("point", "sp-2", weeks, fields=["hist.satisfaction"])
    assert got == [ranking_fields(by_days(db, "point", "sp-2", a, b)) for a, b in weeks]


def test_a_late_event_early_in_a_month_moves_every_later_month_to_date_total(db):
    source = applied(db, spread_facts(200, seed=23))
    late = dict(source[0], feedback_id="fb-early", service_point_id="sp-1",
                submitted_at="2026-10-01T05:00:00+00:00")
    AggregateStore(db).apply_feedback(late)
    for start, end in random_ranges(30, seed=24):      # dirty: from the day buckets
        assert AggregateStore(db).totals("point", "sp-1", start, end) == by_days(db, "point", "sp-1", start, end)
    AggregateStore(db).compact()
    for start, end in random_ranges(30, seed=24):      # clean: from the rewritten totals
        assert AggregateStore(db).totals("point", "sp-1", start, end) == by_days(db, "point", "sp-1", start, end)
    assert AggregateStore(db).differences(source + [late]) == []


def test_a_month_to_date_total_that_disagrees_is_reported(db):
    source = applied(db, spread_facts(100, seed=25))
    doc = db.month_to_date.find_one({"level": "point"})
    db.month_to_date.update_one({"_id": doc["_id"]}, {"$inc": {"count": 1}})
    month_id = "point|sp-2|2026-10"
    days = db.months.find_one({"_id": month_id})["days"]
    db.months.update_one({"_id": month_id}, {"$set": {"days": days[1:]}})
    assert AggregateStore(db).differences(source) == sorted(["to-date|" + doc["_id"], "to-date|" + month_id])


def test_a_late_event_dirties_its_month_and_reports_stay_exact(db):
    source = applied(db, spread_facts(200, seed=12))
    late = dict(source[0], feedback_id="fb-late", service_point_id="sp-1",
                submitted_at="2026-10-10T05:00:00+00:00")
    AggregateStore(db).apply_feedback(late)
    assert db.dirty_months.count_documents({}) == 5          # one month, every level
    month = (date(2026, 10, 1), date(2026, 10, 31))
    before = by_days(db, "point", "sp-1", *month)
    assert AggregateStore(db).totals("point", "sp-1", *month) == before  # not the stale month
    # a stale month bucket is what compaction replaces
    assert db.months.find_one({"_id": "point|sp-1|2026-10"})["count"] == before["count"] - 1
    AggregateStore(db).compact()
    assert db.months.find_one({"_id": "point|sp-1|2026-10"})["count"] == before["count"]
    assert AggregateStore(db).differences(source + [late]) == []


def test_a_write_racing_compaction_keeps_its_month_dirty(db):
    """A feedback lands after compaction read the month's marker and day
    buckets: `compact` itself must leave that month dirty (its marker's
    `rev` moved), so the next compaction counts the feedback."""
    source = spread_facts(50, seed=13)
    for fact in source:
        AggregateStore(db).apply_feedback(fact)
    late = dict(source[0], feedback_id="fb-race", submitted_at="2026-10-12T05:00:00+00:00")

    class RacingBuckets:
        """The real buckets; the first read by compaction is followed by the late write."""
        raced = False

        def find(self, *args, **kwargs):
            found = list(db.buckets.find(*args, **kwargs))
            if not RacingBuckets.raced:
                RacingBuckets.raced = True
                AggregateStore(db).apply_feedback(late)
            return found

        def __getattr__(self, name):
            return getattr(db.buckets, name)

    class RacingDatabase:
        buckets = RacingBuckets()

        def __getattr__(self, name):
            return getattr(db, name)

        def __getitem__(self, name):
            return self.buckets if name == "buckets" else db[name]

    AggregateStore(RacingDatabase()).compact()
    assert RacingBuckets.raced
    assert db.dirty_months.find_one({"_id": "nation|TH|2026-10"}) is not None
    month = (date(2026, 10, 1), date(2026, 10, 31))
    assert AggregateStore(db).totals("nation", "TH", *month) == by_days(db, "nation", "TH", *month)
    AggregateStore(db).compact()
    assert AggregateStore(db).differences(source + [late]) == []


def test_a_stored_month_that_disagrees_is_reported(db):
    source = applied(db, spread_facts(100, seed=14))
    db.months.update_one({"_id": "agency|ag-1|2026-10"}, {"$inc": {"count": 1}})
    assert AggregateStore(db).differences(source) == ["agency|ag-1|2026-10"]


def test_document_names_with_dots_survive_as_field_names(db):
    fact = dict(facts(1)[0], zero_copy_breaches=[
        {"document": "ภ.ง.ด.90", "reason": "undeclared_document"},
        {"document": "$ทะเบียนบ้าน", "reason": "government_issued"}])
    AggregateStore(db).apply_feedback(fact)
    day = rating_buckets.parse_day(rating_buckets.bangkok_day(fact["submitted_at"]))
    total = AggregateStore(db).totals("nation", "TH", day, day)
    names = {rating_buckets.display_name(n) for n in total["breaches"]["by_document"]}
    assert names == {"ภ.ง.ด.90", "$ทะเบียนบ้าน"}


def ranking_fields(total):
    """What a ranking needs of an aggregate: its count and satisfaction histogram."""
    hist = total.get("hist", {}).get("satisfaction")
    return dict({"count": total.get("count", 0)}, **({"hist": {"satisfaction": hist}} if hist else {}))


def assert_summaries_match_days(db, points=("sp-1", "sp-2", "sp-3", "sp-none"),
                                provinces=("10", "50")):
    for level, keys in (("point", list(points)), ("agency", ["ag-1"]),
                        ("province", list(provinces))):
        for start, end in RANGES:
            got = AggregateStore(db).totals_by_key(level, start, end,
                                                   fields=list(rating_buckets.SUMMARY_FIELDS))
            want = {key: ranking_fields(by_days(db, level, key, start, end)) for key in keys}
            assert {key: got.get(key, {"count": 0}) for key in keys} == want, (level, start, end)
            assert set(got) <= set(keys)
            some = AggregateStore(db).totals_by_key(level, start, end, keys=keys[:1],
                                                    fields=list(rating_buckets.SUMMARY_FIELDS))
            assert some == {keys[0]: want[keys[0]]}
            assert AggregateStore(db).totals_by_key(level, start, end, keys=keys[:1], fields=["count"]) == {
                keys[0]: {"count": want[keys[0]]["count"]}}
            counts = AggregateStore(db).totals_by_key(level, start, end, fields=["count"])
            assert counts == {key: {"count": want[key]["count"]} for key in counts}


def test_level_summaries_equal_the_day_buckets_clean_dirty_or_not_yet_built(db):
    source = spread_facts(400, seed=15)
    for fact in source[:300]:
        AggregateStore(db).apply_feedback(fact)
    assert_summaries_match_days(db)                    # nothing compacted: all from days
    AggregateStore(db).compact()
    assert db.level_months.count_documents({}) > 0 and db.level_days.count_documents({}) > 0
    assert_summaries_match_days(db)                    # all from the level summaries
    for fact in source[300:]:                          # late events: some months dirty
        AggregateStore(db).apply_feedback(fact)
    assert db.dirty_months.count_documents({}) > 0
    assert_summaries_match_days(db)
    AggregateStore(db).compact()
    assert_summaries_match_days(db)
    assert AggregateStore(db).differences(source) == []


def test_data_derived_by_an_earlier_layout_is_derived_again_once(db):
    assert AggregateStore(db).ensure_layout() == 0     # a new database is of this layout
    source = applied(db, spread_facts(200, seed=16))
    assert AggregateStore(db).ensure_layout() == 0
    # what layout 2 stored: no month-to-date totals, no days in month
    # buckets, level summaries per key
    db.keys.delete_one({"_id": "layout"})
    db.month_to_date.delete_many({})
    db.months.update_many({}, {"$unset": {"days": ""}})
    db.level_months.delete_many({})
    db.level_days.delete_many({})
    db.level_months.insert_one({"_id": "point|2026-10", "entries": {"sp-1": [1, 0, 0, 0, 0, 1]}})
    for start, end in RANGES:                          # still exact: from the day buckets
        assert AggregateStore(db).totals("point", "sp-2", start, end) == by_days(db, "point", "sp-2", start, end)
    assert AggregateStore(db).differences(source) != []  # the missing documents are reported
    marked = AggregateStore(db).ensure_layout()
    assert marked == db.months.count_documents({}) == db.dirty_months.count_documents({})
    assert db.level_months.count_documents({"entries": {"$exists": True}}) == 0
    assert AggregateStore(db).ensure_layout() == 0     # once
    assert_summaries_match_days(db)                    # dirty meanwhile: read from days
    AggregateStore(db).compact()
    assert AggregateStore(db).differences(source) == []
    assert_summaries_match_days(db)


def test_an_entity_first_seen_after_summaries_were_built_gets_its_own_row(db):
    source = applied(db, spread_facts(150, seed=19))
    rows_before = {doc["_id"]: len(rating_buckets.summary_rows(doc))
                   for doc in db.level_months.find()}
    newcomers = [dict(fact, feedback_id="late-" + fact["feedback_id"], service_point_id="sp-0-new",
                      province_code="96") for fact in spread_facts(20, seed=20)]
    for fact in newcomers:
        AggregateStore(db).apply_feedback(fact)
    with_newcomer = {"points": ("sp-1", "sp-2", "sp-3", "sp-0-new"), "provinces": ("10", "50", "96")}
    assert_summaries_match_days(db, **with_newcomer)   # its months dirty: from its days
    AggregateStore(db).compact()
    assert_summaries_match_days(db, **with_newcomer)
    # appended: old rows keep their keys
    assert AggregateStore(db).slot_keys("point")[-1] == "sp-0-new"
    got = AggregateStore(db).totals_by_key("point", *RANGES[0], fields=["count"])
    assert got["sp-0-new"] == {"count": 20}
    assert sum(t["count"] for t in got.values()) == 170
    grown = [doc["_id"] for doc in db.level_months.find()
             if len(rating_buckets.summary_rows(doc)) > rows_before.get(doc["_id"], 0)]
    assert grown and AggregateStore(db).differences(source + newcomers) == []


def test_level_summary_rows_written_by_two_compactions_at_once_are_all_kept(db):
    """Two compactions rewrite the same summary document: the one that read
    it before the other wrote reads it again instead of writing over it."""
    class RacingCollection:
        """The real collection; the first read is followed by another
        writer's rewrite of the same document (row 0)."""
        def __init__(self, collection):
            self.collection, self.raced = collection, False

        def find_one(self, *args, **kwargs):
            doc = self.collection.find_one(*args, **kwargs)
            if not self.raced:
                self.raced = True
                aggregates._write_summaries(self.collection, {"point|2026-10": {0: [2, 0, 0, 0, 1, 1]}})
            return doc

        def __getattr__(self, name):
            return getattr(self.collection, name)

    aggregates._write_summaries(db.level_months, {"point|2026-10": {1: [1, 0, 0, 0, 0, 1]}})
    racing = RacingCollection(db.level_months)
    aggregates._write_summaries(racing, {"point|2026-10": {2: [1, 1, 0, 0, 0, 0]}})
    rows = rating_buckets.summary_rows(db.level_months.find_one({"_id": "point|2026-10"})).tolist()
    assert rows == [[2, 0, 0, 0, 1, 1], [1, 0, 0, 0, 0, 1], [1, 1, 0, 0, 0, 0]]
    with pytest.raises(OverflowError):                 # never wrapped round into a wrong count
        aggregates._write_summaries(db.level_months, {"point|2026-10": {0: [2 ** 31, 0, 0, 0, 0, 2 ** 31]}})
    assert rating_buckets.summary_rows(db.level_months.find_one({"_id": "point|2026-10"}))[0].tolist() == [
        2, 0, 0, 0, 1, 1]                              # and nothing written
    racing = RacingCollection(db.level_months)         # and when the document is new
    aggregates._write_summaries(racing, {"point|2026-12": {1: [3, 0, 0, 3, 0, 0]}})
    new = db.level_months.find_one({"_id": "point|2026-12"})
    assert rating_buckets.summary_rows(new).tolist() == [[0, 0, 0, 0, 0, 0], [3, 0, 0, 3, 0, 0]]


def test_a_level_summary_that_disagrees_is_reported(db):
    source = applied(db, spread_facts(100, seed=17))
    rows = rating_buckets.summary_rows(db.level_months.find_one({"_id": "province|2026-10"})).copy()
    rows[AggregateStore(db).slot_keys("province").index("50"), 0] += 1
    db.level_months.update_one({"_id": "province|2026-10"},
                               {"$set": {"rows": rows.tobytes()}})
    assert AggregateStore(db).differences(source) == ["summary|province|50|2026-10"]


def test_trend_periods_count_what_the_day_buckets_hold(db):
    from services.reporting import reports
    source = spread_facts(300, seed=18)
    for fact in source[:250]:
        AggregateStore(db).apply_feedback(fact)
    AggregateStore(db).compact()
    for fact in source[250:]:                                        # some months dirty again
        AggregateStore(db).apply_feedback(fact)
    assert db.dirty_months.count_documents({"level": "point"}) > 0
    for level, key, start, end in (
            ("point", "sp-2", date(2026, 10, 20), date(2026, 11, 18)),     # weeks
            ("agency", "ag-1", date(2026, 10, 2), date(2026, 10, 30)),
            ("nation", "TH", date(2026, 10, 20), date(2026, 11, 18)),      # not summarised
            ("point", "sp-2", date(2026, 9, 20), date(2026, 12, 10))):     # months (over 92 days)
        result = reports.trend(AggregateStore(db), level, key, start, end, min_sample=1)
        assert [(p["from"], p["to"]) for p in result["periods"]] == [
            (a.isoformat(), b.isoformat()) for a, b in reports.periods(start, end)]
        for period in result["periods"]:
            hist = by_days(db, level, key, date.fromisoformat(period["from"]),
                           date.fromisoformat(period["to"])).get("hist", {}).get("satisfaction", {})
            assert period["count"] == sum(hist.values())
            assert period["satisfied"] == hist.get("4", 0) + hist.get("5", 0)
        assert sum(p["count"] for p in result["periods"]) == by_days(db, level, key, start, end)["count"]
    AggregateStore(db).compact()                                     # all clean: level summaries
    result = reports.trend(AggregateStore(db), "point", "sp-2", date(2026, 10, 20), date(2026, 11, 18), min_sample=1)
    assert [p["count"] for p in result["periods"]] == [
        by_days(db, "point", "sp-2", date.fromisoformat(p["from"]), date.fromisoformat(p["to"]))["count"]
        for p in result["periods"]]


def test_a_report_without_ratings_says_so_instead_of_a_score(db):
    from services.reporting import reports
    day = date(2026, 3, 4)
    report = reports.report(AggregateStore(db), "agency", "ag-nobody", day, day,
                            prior_value=(4.0, 5.0))
    # the prior is not a score: "no ratings" is
    assert report["count"] == 0 and report["score"] is None and report["csat"] is None


def test_remembered_keys_are_one_small_document_each_however_many_there_are(db):
    """A document that listed every key of the country passed MongoDB's
    16 MiB at about 100,000 points x 3 services; each key is its own now."""
    import bson
    keys = [("point_service", "sp-{:06d}|DOPA-ID-{:02d}".format(n, n % 3)) for n in range(9000)]
    AggregateStore(db).remember_keys(keys + [("point", "sp-{:06d}".format(n)) for n in range(3000)])
    AggregateStore(db).remember_keys(keys[:10] + [("point", "sp-new")])   # known ones change nothing
    largest = max(len(bson.encode(doc)) for doc in db.keys.find({}))
    assert largest < 200
    assert len(AggregateStore(db).keys_at("point_service")) == 9000
    slots = AggregateStore(db).slot_keys("point")
    assert len(slots) == 3001 and slots[-1] == "sp-new" and slots[0] == "sp-000000"


def test_a_layout_3_key_list_becomes_one_document_a_key_with_the_same_rows(db):
    source = applied(db, spread_facts(150, seed=21))
    before = {level: AggregateStore(db).slot_keys(level) for level in rating_buckets.SUMMARY_LEVELS}
    ranked = AggregateStore(db).totals_by_key("point", *RANGES[0], fields=["count"])
    # what layout 3 stored: every key in one document, a key's row its position
    listed = {level: [doc["key"] for doc in db.keys.find({"level": level}).sort("row", 1)]
              for level in rating_buckets.LEVELS}
    db.keys.delete_many({})
    db.keys.insert_many([{"_id": "levels", **listed}, {"_id": "layout", "version": 3}])
    aggregates._SLOTS.clear()
    assert AggregateStore(db).ensure_layout() == 0             # nothing to derive again
    assert db.keys.find_one({"_id": "levels"}) is None
    assert {level: AggregateStore(db).slot_keys(level)
            for level in rating_buckets.SUMMARY_LEVELS} == before
    assert AggregateStore(db).totals_by_key("point", *RANGES[0], fields=["count"]) == ranked
    assert AggregateStore(db).differences(source) == []
    AggregateStore(db).apply_feedback(dict(source[0], feedback_id="after-upgrade",
                                           service_point_id="sp-9"))
    assert AggregateStore(db).slot_keys("point")[len(before["point"])] == "sp-9"  # the next row
