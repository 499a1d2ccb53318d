"""Reporting's write of one rating on the embedded store, with updates
applied in place (`embedded_store._update_in_place`) against the library's
own update path, in alternating rounds (`python -m bench.embedded_updates`;
see bench/README.md).

Each round counts `--ratings` generated ratings (50 points, 5 agencies, one
province, one day) into a fresh reporting database through
`AggregateStore.apply_feedback`, the code the reporting service runs for a
`feedback_submitted` event: per rating four day-bucket updates (`$inc` of
its counters, `$push` of its id, guarded by `counted $ne`) and eight
dirty-month markers (`$inc`, `$addToSet`). The national and provincial
buckets' `counted` lists grow with every rating, which is what made the
library's copy, compare and encode of the whole document per update grow.
Both paths must leave identical databases (checked at the end of each
pair of rounds). On MongoDB these are server-side updates; this figure is
the embedded store's only.
"""
import argparse
import json
import statistics
import time
import uuid

from bench.common import fmt_time, spread
from bench.machine import describe
from services.common import embedded_store
from services.common.storage import ensure_indexes, get_client
from services.reporting.store import INDEXES
from services.reporting.store.aggregates import AggregateStore


def rating(i):
    return {"feedback_id": "fb-{:07d}".format(i), "service_point_id": "sp-{}".format(i % 50),
            "agency_id": "ag-{}".format(i % 5), "province_code": "10",
            "submitted_at": "2026-12-03T10:00:00+07:00", "satisfaction": 1 + i % 5,
            "answers": {"satisfaction": 1 + i % 5, "wait_time": 1 + i % 3},
            "verified": i % 2 == 0, "channel": "web"}


def one_round(in_place, ratings):
    """(seconds per rating, the database) of one fresh database."""
    embedded_store.FAST_UPDATES = in_place
    db = get_client(None)["bench_updates_" + uuid.uuid4().hex[:8]]
    ensure_indexes(db, INDEXES)
    store = AggregateStore(db)
    started = time.perf_counter()
    for i in range(ratings):
        store.apply_feedback(rating(i))
    return (time.perf_counter() - started) / ratings, db


def contents(db):
    """Every document, less the random `epoch` a level's row counter is made with."""
    return json.dumps({name: [{key: value for key, value in doc.items() if key != "epoch"}
                              for doc in db[name].find({}, sort=[("_id", 1)])]
                       for name in sorted(db.list_collection_names())}, default=str)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratings", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    print(describe("storage: embedded mongomock-ng"))
    times = {True: [], False: []}
    client = get_client(None)
    try:
        for _ in range(args.rounds):
            dbs = {}
            for in_place in (True, False):
                seconds, dbs[in_place] = one_round(in_place, args.ratings)
                times[in_place].append(seconds)
            if contents(dbs[True]) != contents(dbs[False]):
                print("DIFFERENT databases: the in-place path wrote something else")
                return 2
            for db in dbs.values():
                client.drop_database(db.name)
    finally:
        embedded_store.FAST_UPDATES = True
    mine, library = statistics.median(times[True]), statistics.median(times[False])
    print("  {:,} ratings a round, {} alternating rounds; databases identical".format(
        args.ratings, args.rounds))
    print("  in place   {} a rating (round medians {})".format(fmt_time(mine),
                                                             spread(times[True])))
    print("  library    {} a rating (round medians {})".format(fmt_time(library),
                                                             spread(times[False])))
    print("  in place / library: {:.2f}x".format(mine / library))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
