"""The whole suite (registry, geo, gateway) in one process with N benchmark
points, for `bench.geo`'s HTTP measurement. Not for direct use.

`python -m bench.geo` starts this as a subprocess: eventlet must patch the
standard library before nameko is imported, and the benchmark itself (the
HTTP client, PostGIS, the in-process engines) must not run patched.

Talks to the parent over stdin/stdout: it prints `@@{json}` lines (ready,
lag-ready, metrics, bye, error) and reads commands (`lag`, `metrics`,
`quit`) one per line.

Why the points are written straight into the stores: on the embedded store
(mongomock) every lookup by id scans the whole collection, so loading
100,000 points through the API, or letting geo resynchronise them from the
registry, would take hours. Instead the stack starts with no points (geo's
resync at start finds none), then the documents that points.create +
set_services (registry) and store.apply_office (geo) would write are
inserted in bulk (their shapes checked against those functions first), and
the same documents are handed to geo's index the way its follower does
(IndexFollower.refresh), since reading 100,000 documents back out of
mongomock takes over a minute. While latency is measured, the timers that
rescan whole collections on mongomock (geo's follow, the registry's outbox)
are set to an hour; for the event-lag measurement the registry is
restarted with the default outbox interval (0.5 s).
"""
import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

from eventlet import tpool  # noqa: E402

from bench.common import BENCH_ADMIN, BENCH_JWT_SECRET  # noqa: E402

log = logging.getLogger("bench.stack")



def emit(kind, **data):
    sys.stdout.write("@@" + json.dumps(dict(data, kind=kind), default=str) + "\n")
    sys.stdout.flush()


def read_command():
    line = tpool.execute(sys.stdin.readline)  # a real thread: the hub keeps serving
    return line.strip() or "quit"


def make_config(args, **overrides):
    from services.common.config import nameko_config
    settings = dict(
        AMQP_URI=args.amqp, MONGO_URI="mongomock://", CFZ_DB_PREFIX=args.db_prefix,
        GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(args.port), CFZ_METRICS_PORT="0",
        CFZ_ENV="development", CFZ_JWT_SECRET=BENCH_JWT_SECRET,
        CFZ_ADMIN_USERNAME=BENCH_ADMIN["username"], CFZ_ADMIN_PASSWORD=BENCH_ADMIN["password"],
        CFZ_DEMO_DATA="0", CFZ_STARTER_CATALOGUE="1",
        CFZ_RPC_TIMEOUT="30",
        # rescans of whole collections on the embedded store: off while measuring
        CFZ_GEO_FOLLOW_INTERVAL="3600", CFZ_GEO_RESYNC_SECONDS="86400",
        CFZ_OUTBOX_INTERVAL="3600")
    settings.update(overrides)
    return nameko_config({}, **settings)  # {}: ignore the caller's CFZ_* environment


def wait_for(what, check, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError("timed out after {} s waiting for {}".format(timeout, what))
        eventlet.sleep(interval)


def check_shapes(client, reg_doc, geo_doc_expected, agency_id):
    """Our bulk documents must be what the services' own functions write."""
    from services.geo import store
    from services.registry import points
    from services.registry.store import RegistryStore
    scratch = client["cfzbench_scratch_registry"]
    scratch.agencies.insert_one({"_id": agency_id, "status": "approved"})
    data = {k: reg_doc[k] for k in points.EDITABLE if k in reg_doc}
    created = scratch.points.find_one({"_id": points.create(
        RegistryStore(scratch), {"sub": "bench", "role": "admin"}, data,
        agency_id=agency_id)["id"]})
    missing = (set(created) - {"outbox"}) ^ set(reg_doc)
    if missing:
        raise AssertionError("registry document shape differs: {}".format(sorted(missing)))
    scratch_geo = client["cfzbench_scratch_geo"]
    payload = points.office_payload(reg_doc)
    assert store.GeoStore(scratch_geo).apply_office(payload)
    written = scratch_geo.points.find_one({"_id": reg_doc["_id"]})
    for doc in (written, geo_doc_expected):
        doc.pop("applied_at"), doc.pop("seq")
    if written != geo_doc_expected:
        raise AssertionError("geo document differs from store.apply_office's:\n{}\n{}".format(
            written, geo_doc_expected))
    client.drop_database("cfzbench_scratch_registry")
    client.drop_database("cfzbench_scratch_geo")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", required=True, help="an .npz written by Points.save")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--amqp", required=True)
    parser.add_argument("--db-prefix", required=True)
    parser.add_argument("--checksum", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run(args)
    except Exception:
        emit("error", traceback=traceback.format_exc())
        return 1
    return 0


def run(args):
    from nameko.runners import ServiceRunner
    from nameko.standalone.rpc import ClusterRpcProxy

    from bench import geodata
    from services.common.auth import Passwords
    from services.common.storage import database_name, get_client
    from services.gateway.service import GatewayService
    from services.geo import store
    from services.common.metrics import EVENT_LAG
    from services.geo.service import GeoService, GeoState
    from services.registry import accounts
    from services.registry.service import RegistryService
    from services.registry.store import RegistryStore

    started = time.perf_counter()
    pts = geodata.Points.load(args.points)
    if geodata.checksum(pts) != args.checksum:
        raise RuntimeError("the points differ from the parent's")

    config = make_config(args)
    registry_runner = ServiceRunner(config)
    registry_runner.add_service(RegistryService)
    registry_runner.start()
    runner = ServiceRunner(config)
    runner.add_service(GeoService)
    runner.add_service(GatewayService)
    runner.start()

    with ClusterRpcProxy(config, timeout=120) as cluster:
        # geo resyncs from the registry as it starts: with no points yet
        wait_for("geo's first resync", lambda: cluster.geo.stats()["last_resync"], 120, 0.2)
        stack_up = time.perf_counter() - started

        client = get_client("mongomock://")
        reg_db = client[database_name(config, "registry")]
        geo_db = client[database_name(config, "geo")]
        passwords = Passwords(time_cost=config["CFZ_ARGON2_TIME_COST"],
                              memory_kib=config["CFZ_ARGON2_MEMORY_KIB"])
        registry = RegistryStore(reg_db)
        agency = accounts.register_agency(registry, passwords, geodata.BENCH_AGENCY)["agency"]
        accounts.approve_agency(registry, {"sub": "bench", "role": "admin"}, agency["id"])
        bundles = geodata.service_bundles(list(registry.catalogue_entries()), args.seed)

        t0 = time.perf_counter()
        first_seq = store.GeoStore(geo_db).current_seq() + 1
        reg_docs, geo_docs = geodata.documents(pts, agency["id"], bundles, first_seq)
        check_shapes(client, dict(reg_docs[0]), dict(geo_docs[0]), agency["id"])
        for start in range(0, len(reg_docs), 5000):
            reg_db.points.insert_many(reg_docs[start:start + 5000])
            geo_db.points.insert_many(geo_docs[start:start + 5000])
            eventlet.sleep(0)
        geo_db.counters.update_one({"_id": "points"},
                                   {"$set": {"seq": first_seq + len(geo_docs) - 1}}, upsert=True)
        del reg_docs
        load_s = time.perf_counter() - t0

        # What geo's follow timer does (IndexFollower.refresh: upsert every
        # open document in sequence order, remember the last sequence), fed
        # with the documents just inserted: reading 100,000 documents back
        # out of mongomock takes over a minute, which is the embedded
        # store's cost, not the index's. The index is built by the first query.
        t0 = time.perf_counter()
        container = next(c for c in runner.containers if c.service_name == "geo")
        state = next(d for d in container.dependencies if isinstance(d, GeoState))
        for doc in geo_docs:
            state.index.upsert(store.indexed_point(doc))
        state.follower.last_seq = geo_docs[-1]["seq"]
        del geo_docs
        stats = wait_for("geo to index every point",
                         lambda: (lambda s: s if s["indexed"] == pts.n else None)(
                             cluster.geo.stats()), 600, 0.2)
        follow_s = time.perf_counter() - t0
        emit("ready", stack_up_s=stack_up, load_s=load_s, follow_s=follow_s, stats=stats,
             admin=BENCH_ADMIN, move_id=pts.ids[0])

        while True:
            command = read_command()
            if command == "lag":
                # the registry again, with the default outbox interval (0.5 s)
                registry_runner.stop()
                registry_runner = ServiceRunner(make_config(args, CFZ_OUTBOX_INTERVAL="0.5"))
                registry_runner.add_service(RegistryService)
                registry_runner.start()
                wait_for("the registry", lambda: cluster.registry.health(), 60)
                emit("lag-ready")
            elif command == "metrics":
                # geo's events, whichever registry event they were
                geo = [s for metric in EVENT_LAG.collect() for s in metric.samples
                       if s.labels.get("service") == "geo"]
                count = sum(s.value for s in geo if s.name == "cfz_event_lag_seconds_count")
                total = sum(s.value for s in geo if s.name == "cfz_event_lag_seconds_sum")
                emit("metrics", event_lag_count=count, event_lag_sum_s=total,
                     stats=cluster.geo.stats())
            else:
                break
    runner.stop()
    registry_runner.stop()
    emit("bye")


if __name__ == "__main__":
    sys.exit(main())
