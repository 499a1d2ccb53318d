"""Fault tests of the relay to PMOC against the stand-in over real HTTP:
PMOC fails half its calls, times out on some and is down for a stretch;
the complaints service is killed mid-relay and started again. Afterwards
PMOC holds every complaint exactly once and every complaint here is
relayed, or dead-lettered with a reason."""
import re
import time

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy

from services.complaints.service import ComplaintsService
from tests.helpers import wait_for
from tests.interface import test_complaints_service as base
from tests.interface.test_complaints_service import ADMIN_TOKEN, FakeRegistry, call, complaint

# the PMOC stand-in and the fast relay settings, shared with the service tests
sim = base.sim
relay_config = base.relay_config

# the embedded store scans a collection for every query: poll it gently
GENTLE = {"PMOC_POLL_SECONDS": "5", "CFZ_OUTBOX_INTERVAL": "0.5"}
FAULTS = {"fail_rate": 0.5, "fail_status": 500, "timeout_rate": 0.1, "hang_seconds": 1.0}
MARKER = re.compile(r"\[CFZ:([^\]]+)\]")


def check_exactly_once(service, sim, expected):
    """PMOC holds each complaint once; ours are relayed or dead with a reason.
    PMOC's records are told apart by the complaint reference in their text,
    as the centre keeps it, not by the idempotency key (the stand-in stores
    one record per key by construction, a plain Open311 server does not)."""
    snapshot = sim.snapshot()
    held = {}
    for record in snapshot["requests"]:
        found = MARKER.search(record["description"] or "")
        assert found, "a request at PMOC without our reference"
        held.setdefault(found.group(1), []).append(record["service_request_id"])
    duplicates = {cid: ids for cid, ids in held.items() if len(ids) > 1}
    assert not duplicates, "PMOC holds a duplicate: {}".format(duplicates)
    db = service_db(service)
    docs = list(db.complaints.find({}, {"relay": 1, "status": 1}))
    assert len(docs) == expected
    dead = 0
    for doc in docs:
        relay = doc["relay"]
        assert not relay.get("duplicates")
        if relay["state"] == "relayed":
            assert doc["status"] == "relayed"
            assert held[doc["_id"]] == [relay["reference"]]
        else:
            assert relay["state"] == "dead_letter" and relay["last_error"], relay
            dead += 1
    relayed = {d["_id"] for d in docs if d["relay"]["state"] == "relayed"}
    # nothing at PMOC that we do not know as relayed, except a dead letter
    # whose last attempt's answer was lost
    assert relayed <= set(held)
    assert len(set(held) - relayed) <= dead
    return snapshot["stats"], dead


def service_db(container):
    from services.common.storage import Mongo
    provider = next(d for d in container.extensions if isinstance(d, Mongo))
    return provider.db


def file_many(config, count, start=0, during=None):
    """File `count` complaints over RPC, as the gateway would."""
    with ClusterRpcProxy(config, timeout=30) as cluster:
        for n in range(start, start + count):
            if during and n in during:
                during[n]()
            result = cluster.complaints.file_complaint(complaint(n), "fault-test-{:06d}".format(n))
            assert result["created"]


def test_500_complaints_through_failures_timeouts_and_an_outage(container_factory, relay_config, sim):
    config = dict(relay_config, **GENTLE)
    container_factory(FakeRegistry, config).start()
    service = container_factory(ComplaintsService, config)
    service.start()
    sim.set_faults(seed=20260311, **FAULTS)
    outage = {}

    def go_down():
        outage["down_at"] = time.monotonic()
        eventlet.spawn_n(sim.outage, 2.0)

    attempts_before = relay_attempts()
    started = time.monotonic()
    file_many(config, 500, during={200: go_down})
    filed_in = time.monotonic() - started
    assert wait_for(lambda: sim.server is not None, timeout=10)  # back up
    # the faults last until PMOC has seen more POSTs than there are complaints
    assert wait_for(lambda: sim.snapshot()["stats"]["post_calls"] >= 600, timeout=90, interval=0.5)
    faulty = sim.snapshot()["stats"]
    sim.set_faults()  # PMOC recovers
    recovered = time.monotonic()
    pending_at_recovery = call(service, "relay_stats", ADMIN_TOKEN)["pending"]
    assert wait_for(lambda: call(service, "relay_stats", ADMIN_TOKEN)["pending"] == 0,
                    timeout=120, interval=1.0)
    done = time.monotonic()
    stats, dead = check_exactly_once(service, sim, 500)
    assert stats["failed"] > 50 and stats["timed_out"] > 5
    attempts = {k: v - attempts_before[k] for k, v in relay_attempts().items()}
    assert attempts["relayed"] == 500 - dead
    print("\nfault test: 500 complaints filed in {:.1f} s; relay attempts {:.0f} (failed and "
          "retried {:.0f}, connection refused during the 2 s outage {:.0f}); while faulty PMOC saw "
          "{} POSTs: answered 500 to {}, stored then hung past the timeout {}; in all {} POSTs, "
          "{} replays of a stored key; stored {}; dead letters {}; {} pending at recovery, all "
          "relayed {:.1f} s after recovery, {:.1f} s after the first filing".format(
              filed_in, sum(attempts.values()), attempts["retry"],
              sum(attempts.values()) - stats["post_calls"], faulty["post_calls"],
              faulty["failed"], faulty["timed_out"], stats["post_calls"], stats["replayed"],
              stats["stored"], dead, pending_at_recovery, done - recovered, done - started))


def test_killed_mid_relay_and_restarted(container_factory, relay_config, sim):
    config = dict(relay_config, **GENTLE)
    container_factory(FakeRegistry, config).start()
    first = container_factory(ComplaintsService, config)
    first.start()
    # slow answers and lost answers, so attempts are in flight at the kill
    sim.set_faults(seed=7, fail_rate=0.2, timeout_rate=0.2, hang_seconds=1.0, slow_seconds=0.05)
    file_many(config, 200)
    assert wait_for(lambda: 20 <= sim.snapshot()["stats"]["stored"], timeout=30)
    in_flight_before = sim.snapshot()["stats"]["post_calls"]
    first.kill()
    relayed_at_kill = service_db_count(first)
    assert relayed_at_kill < 200, "the kill came too late to test anything"
    sim.set_faults(slow_seconds=0.01)
    second = container_factory(ComplaintsService, config)
    second.start()
    assert wait_for(lambda: call(second, "relay_stats", ADMIN_TOKEN)["pending"] == 0,
                    timeout=90, interval=1.0)
    stats, dead = check_exactly_once(second, sim, 200)
    assert dead == 0
    print("\nkill test: killed with {} of 200 relayed (PMOC had seen {} POSTs); after restart "
          "PMOC stores {} (replays {})".format(relayed_at_kill, in_flight_before,
                                               stats["stored"], stats["replayed"]))


def test_a_plain_open311_centre_that_ignores_the_key_gets_each_complaint_once(
        container_factory, relay_config, sim):
    """Lost answers (stored, answered too late) and 5xx at a centre that
    makes a new record for every POST: the relay searches before resending."""
    config = dict(relay_config, **GENTLE)
    container_factory(FakeRegistry, config).start()
    service = container_factory(ComplaintsService, config)
    service.start()
    sim.set_faults(seed=11, fail_rate=0.2, timeout_rate=0.3, hang_seconds=1.0,
                   honour_idempotency_key=False)
    file_many(config, 150)
    assert wait_for(lambda: sim.snapshot()["stats"]["post_calls"] >= 170, timeout=90, interval=0.5)
    sim.set_faults(honour_idempotency_key=False)
    assert wait_for(lambda: call(service, "relay_stats", ADMIN_TOKEN)["pending"] == 0,
                    timeout=120, interval=1.0)
    stats, dead = check_exactly_once(service, sim, 150)
    assert dead == 0 and stats["timed_out"] > 20 and stats["replayed"] == 0
    print("\nplain Open311 centre: {} POSTs for 150 complaints ({} answered 500, {} stored and "
          "answered too late), {} stored: each complaint once".format(
              stats["post_calls"], stats["failed"], stats["timed_out"], stats["stored"]))


def relay_attempts():
    from prometheus_client import REGISTRY
    return {outcome: REGISTRY.get_sample_value("cfz_complaints_relay_attempts_total",
                                               {"outcome": outcome}) or 0.0
            for outcome in ("relayed", "retry", "dead_letter", "error")}


def service_db_count(container):
    from services.common.storage import get_client, database_name
    client = get_client(container.config["MONGO_URI"])
    db = client[database_name(container.config, "complaints")]
    return db.complaints.count_documents({"relay.state": "relayed"})
