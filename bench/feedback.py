"""Feedback submissions per second through the gateway, side by side with a
trivial nameko HTTP→RPC round trip (the framework's own ceiling).

    python -m bench.feedback                                # 20 s, 8 clients, 3 s warm-up
    python -m bench.feedback --seconds 20 --concurrency 8 --warmup 3
    python -m bench.feedback --profile                      # profile even on PASS
    python -m bench.feedback --no-profile                   # never profile

What runs where (the machine has 2 cores; nothing is pinned):

* the ceiling: a subprocess (bench/_echo.py) running two nameko
  services, `bench_echo` (`@rpc echo(body) -> {"ok": true}`) and
  `bench_echo_gateway` (`POST /echo`: parse the JSON body, RPC it to
  bench_echo, answer its JSON). It runs first, alone, and is stopped before
  the stack starts (two services with @http entrypoints in one process would
  share the requests).
* the feedback stack: this process, with eventlet patched first, one
  nameko ServiceRunner with RegistryService, FeedbackService and
  GatewayService on the embedded store (or --mongo-uri), a fresh RabbitMQ
  vhost, a unique database prefix, cheap argon2 and the per-client rate
  limit raised to 1000000/minute so the figure is throughput, not 429s.
  An approved agency and a point declaring DOPA-ID-NEW are made over HTTP.
* the load generator: a separate, unpatched process (bench/_loadgen.py),
  the same for both targets: N OS threads, one requests.Session each
  (keep-alive), posting for the warm-up then the measured seconds, the same
  seeded bodies (answers, a Thai comment with a phone number for the
  redaction, copies_requested) with a unique Idempotency-Key each, one
  perf_counter pair around each request. It also samples the CPU time of
  the server, of RabbitMQ (beam.smp) and of itself at the window's edges.

Throughput counts the expected answers (201 / 200) completed inside the
measured window; latency is over the same requests; anything else is an
error and is reported. When the feedback path misses the target (or with
--profile) a further few seconds of the same load run with a sampling
profiler in the server process (SIGPROF every 2 ms of CPU time records the
interrupted stack; cProfile cannot follow greenlet switches and py-spy is
not installed), not counted in the figures. At the end the feedback documents in the store are counted
against the 201 answers (they must be equal).

Talks only to 127.0.0.1 (RabbitMQ, its management API, the servers it
starts) and stops by itself. Exit status 0 when the run completed, whatever
PASS/MISS says; 2 when stored documents and 201 answers differ or a phone
number shows in a public comment; 1 when the run could not be made.
"""
import sys

# The load generator runs plain OS threads; every other mode runs nameko, so
import eventlet

# nameko runs in this process: eventlet patches the standard library first
eventlet.monkey_patch()

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import uuid  # noqa: E402

from bench._api import Api, set_up_point  # noqa: E402
from bench._echo import EchoServer, wait_for_exit  # noqa: E402
from bench._loadgen import PHONES, make_request, run_load as run_load_process  # noqa: E402
from bench._profiler import Sampler  # noqa: E402
from bench.common import (AMQP, BENCH_ADMIN, BENCH_JWT_SECRET, RABBIT_API, Vhost,  # noqa: E402
                          check_local, fmt, free_port, now_text)
from bench.machine import busy_cores, describe, find_rabbitmq_pid, quiet_line, versions  # noqa: E402

TARGET_RATIO = 0.5


def run_load(args, url, expected_status, key_prefix, server_pid, rabbit_pid, workdir, name,
             seconds, warmup):
    spec = {"url": url, "expected_status": expected_status, "key_prefix": key_prefix,
            "concurrency": args.concurrency, "seconds": seconds, "warmup": warmup,
            "timeout": args.request_timeout, "seed": args.seed, "slices": args.slices,
            "pids": {"server": server_pid, "RabbitMQ": rabbit_pid}}
    return run_load_process(spec, workdir, name, wait=wait_for_exit)


def stack_config(args, vhost, port, db_prefix):
    from services.common.config import nameko_config
    settings = dict(
        AMQP_URI=vhost.amqp, MONGO_URI=args.mongo_uri, CFZ_DB_PREFIX=db_prefix,
        GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=str(port), CFZ_METRICS_PORT="0",
        CFZ_ENV="development", CFZ_JWT_SECRET=BENCH_JWT_SECRET,
        CFZ_ADMIN_USERNAME=BENCH_ADMIN["username"], CFZ_ADMIN_PASSWORD=BENCH_ADMIN["password"],
        CFZ_ARGON2_TIME_COST="1", CFZ_ARGON2_MEMORY_KIB="1024",
        CFZ_FEEDBACK_RATE_LIMIT="1000000/minute", CFZ_DEMO_DATA="0", CFZ_STARTER_CATALOGUE="1",
        CFZ_PUBLIC_URL="http://127.0.0.1:{}".format(port))
    # {}: the caller's CFZ_* environment does not leak in; every other
    # setting (RPC timeout, outbox interval, body limit) keeps its default
    return nameko_config({}, **settings)



def entrypoint_totals():
    """(service, entrypoint) -> (seconds, calls) from the services' own
    cfz_entrypoint_duration_seconds histogram (this process)."""
    from services.common.metrics import ENTRYPOINT_LATENCY
    totals = collections.defaultdict(lambda: [0.0, 0.0])
    for metric in ENTRYPOINT_LATENCY.collect():
        for s in metric.samples:
            key = (s.labels.get("service"), s.labels.get("entrypoint"))
            if s.name.endswith("_sum"):
                totals[key][0] = s.value
            elif s.name.endswith("_count"):
                totals[key][1] = s.value
    return dict(totals)


def events_published(event):
    from services.common.metrics import EVENTS_PUBLISHED
    total = 0.0
    for metric in EVENTS_PUBLISHED.collect():
        for s in metric.samples:
            if s.name.endswith("_total") and s.labels.get("event") == event:
                total += s.value
    return int(total)



def machine():
    return describe(versions("nameko", "eventlet", "kombu", "requests", "mongomock-ng"))


# --- the benchmark ------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.feedback",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="measured seconds per target (default 20)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="concurrent clients, the same for both targets (default 8)")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="untimed seconds of the same load first (default 3)")
    parser.add_argument("--slices", type=int, default=4,
                        help="report requests/s in this many slices of the window (default 4)")
    parser.add_argument("--request-timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=2569)
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument("--profile", action="store_true",
                         help="profile the feedback server even when it meets the target")
    profile.add_argument("--no-profile", action="store_true", help="never profile")
    parser.add_argument("--profile-seconds", type=float, default=8.0,
                        help="seconds of extra load under the sampling profiler (default 8)")
    parser.add_argument("--amqp", default=AMQP, help="RabbitMQ (a fresh vhost is made on it)")
    parser.add_argument("--rabbit-api", default=RABBIT_API, help="RabbitMQ management API")
    parser.add_argument("--mongo-uri", default="mongomock://",
                        help="storage of the stack (default: the embedded mongomock://; "
                             "a MongoDB must be on 127.0.0.1)")
    args = parser.parse_args(argv)

    if args.concurrency < 1 or args.seconds <= 0 or args.warmup < 0 or args.slices < 1:
        parser.error("--concurrency, --seconds and --slices must be positive")
    check_local(args.amqp, "--amqp")
    check_local(args.rabbit_api, "--rabbit-api")
    if not args.mongo_uri.startswith("mongomock://"):
        check_local(args.mongo_uri, "--mongo-uri")

    import logging
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    out = print
    out("Feedback submission throughput vs the nameko HTTP→RPC ceiling — {}".format(
        now_text()))
    out("Machine: " + machine())

    rabbit = Vhost("feedback", args.amqp, args.rabbit_api)
    try:
        overview = rabbit.overview()
    except Exception as exc:
        out("cannot run: RabbitMQ's management API at {} does not answer ({}); start RabbitMQ "
            "with rabbitmq_management (README: Getting RabbitMQ)".format(args.rabbit_api, exc))
        return 1
    rabbit_pid = find_rabbitmq_pid()
    out("RabbitMQ {} (Erlang {}), beam.smp pid {}; storage: {}".format(
        overview.get("rabbitmq_version"), overview.get("erlang_version"), rabbit_pid or "?",
        "embedded mongomock-ng (in this process)" if args.mongo_uri.startswith("mongomock://")
        else args.mongo_uri))
    out("Load: {} clients, {:g} s warm-up then {:g} s measured per target, the same generator, "
        "bodies and keys for both.".format(args.concurrency, args.warmup, args.seconds))
    out(quiet_line(busy_cores(2.0)))
    out("", flush=True)

    workdir = tempfile.mkdtemp(prefix="cfz-bench-feedback-")
    failed = False
    results = {}
    runner = None
    config = None
    run_id = uuid.uuid4().hex[:8]
    notes = []
    try:
        rabbit.create()

        # 1. the ceiling, alone
        echo = EchoServer(rabbit.amqp, workdir)
        out("[echo ceiling: starting the echo server (subprocess)]", flush=True)
        try:
            echo.start()
            out("[echo ceiling: {} pid {}; measuring {:g}+{:g} s]".format(
                echo.url, echo.proc.pid, args.warmup, args.seconds), flush=True)
            results["echo"] = run_load(args, echo.url, 200, "bench-{}-e".format(run_id),
                                       echo.proc.pid, rabbit_pid, workdir, "echo",
                                       args.seconds, args.warmup)
            results["echo"]["server_pid"] = echo.proc.pid
        finally:
            echo.stop()
        out("[echo ceiling: done, echo server stopped]", flush=True)

        # 2. the real stack, in this process
        from nameko.runners import ServiceRunner

        from services.common.storage import database_name, get_client
        from services.feedback.service import FeedbackService
        from services.gateway.service import GatewayService
        from services.registry.service import RegistryService

        port = free_port()
        db_prefix = "cfzbench_fb_{}_".format(run_id)
        config = stack_config(args, rabbit, port, db_prefix)
        t0 = time.perf_counter()
        runner = ServiceRunner(config)
        for cls in (RegistryService, FeedbackService, GatewayService):
            runner.add_service(cls)
        runner.start()
        base = "http://127.0.0.1:{}".format(port)
        api = Api(base)
        point_id = set_up_point(api)
        # one submission by hand: the path works and answers as expected
        data, headers = make_request(random.Random(args.seed), "bench-{}-setup-0".format(run_id))
        first = api.call("POST", "/api/v1/service-points/{}/feedback".format(point_id), 201,
                         data=data, headers=headers).json()
        setup_ok = 1
        stack_up = time.perf_counter() - t0
        feedback_url = base + "/api/v1/service-points/{}/feedback".format(point_id)
        out("[feedback: stack up in {:.1f} s (registry + feedback + gateway, this process, pid "
            "{}); point {}; first answer {}]".format(stack_up, os.getpid(), point_id,
                                                     json.dumps(first, ensure_ascii=False)),
            flush=True)
        out("[feedback: measuring {:g}+{:g} s]".format(args.warmup, args.seconds), flush=True)
        steps_before = entrypoint_totals()
        results["feedback"] = run_load(args, feedback_url, 201, "bench-{}-f".format(run_id),
                                       os.getpid(), rabbit_pid, workdir, "feedback",
                                       args.seconds, args.warmup)
        steps_after = entrypoint_totals()
        results["feedback"]["server_pid"] = os.getpid()
        out("[feedback: done]", flush=True)

        fb, ce = results["feedback"], results["echo"]
        ratio = fb["rps"] / ce["rps"] if ce["rps"] else 0.0
        passed = ratio >= TARGET_RATIO

        # 3. where the time goes (not counted in the figures)
        sampler = None
        profile_result = None
        if (args.profile or not passed) and not args.no_profile and args.profile_seconds > 0:
            out("[profile: {:g} s more of the same load with a stack sampler in the server "
                "process]".format(args.profile_seconds), flush=True)
            sampler = Sampler(0.002)
            sampler.start()
            try:
                profile_result = run_load(args, feedback_url, 201, "bench-{}-p".format(run_id),
                                          os.getpid(), rabbit_pid, workdir, "profile",
                                          args.profile_seconds, 0.0)
            finally:
                sampler.stop()
            out("[profile: done]", flush=True)

        # 4. the store against the answers; redaction of what is public
        fb_db = get_client(config["MONGO_URI"])[database_name(config, "feedback")]
        eventlet.sleep(0)
        stored = fb_db.feedback.count_documents({})
        answers_201 = setup_ok + fb["ok_all"] + (profile_result["ok_all"] if profile_result else 0)
        pending = fb_db.feedback.count_documents({"outbox.event_id": {"$exists": True}})
        published_events = events_published("feedback_submitted")
        phones = PHONES
        unmasked = fb_db.feedback.count_documents(
            {"comment_public": {"$regex": "|".join(re.escape(p) for p in phones)}})
        flagged = fb_db.feedback.count_documents({"pii_found": "phone"})
        public = api.call("GET", "/api/v1/service-points/{}/feedback".format(point_id), 200,
                          params={"limit": 100}).json()
        leaked = [c for c in public["results"]
                  if any(p in (c.get("comment") or "") for p in phones)]
    except Exception:
        failed = True
        traceback.print_exc()
        out("\nThe run failed (logs kept in {}).".format(workdir))
    finally:
        if runner is not None:
            with eventlet.Timeout(60, False):
                runner.stop()
                runner = None
            if runner is not None:
                runner.kill()
        if config is not None and not config["MONGO_URI"].startswith("mongomock://"):
            try:
                from services.common.storage import get_client
                client = get_client(config["MONGO_URI"])
                for name in client.list_database_names():
                    if name.startswith(config["CFZ_DB_PREFIX"]):
                        client.drop_database(name)
            except Exception as exc:
                out("warning: could not drop the benchmark databases: {}".format(exc))
        rabbit.delete()
        if not failed:
            shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        return 1

    # --- report ---------------------------------------------------------------------
    rows = [("feedback: POST /api/v1/service-points/{id}/feedback", fb),
            ("ceiling:  POST /echo (nameko HTTP→RPC→reply)", ce)]
    out("")
    out("Results: {} concurrent clients, {:g} s measured after {:g} s warm-up, per target".format(
        args.concurrency, args.seconds, args.warmup))
    head = "{:<53} {:>8} {:>10} {:>9} {:>9} {:>8} {:>7}".format(
        "target", "req/s", "median ms", "p99 ms", "mean ms", "max ms", "errors")
    out(head)
    out("-" * len(head))
    for label, r in rows:
        out("{:<53} {:>8.1f} {:>10} {:>9} {:>9} {:>8} {:>7}".format(
            label, r["rps"], fmt(r["median_ms"], "{:.2f}"), fmt(r["p99_ms"], "{:.2f}"),
            fmt(r["mean_ms"], "{:.2f}"), fmt(r["max_ms"], "{:.1f}"), r["error_count"]))
    out("")
    out("Throughput ratio feedback / ceiling: {:.3f} ({:.1f} / {:.1f} req/s); target ≥ {:.2f} — {}"
        .format(ratio, fb["rps"], ce["rps"], TARGET_RATIO,
                "PASS" if passed else "MISS (needs {:.1f}× more)".format(TARGET_RATIO / ratio)
                if ratio else "MISS"))
    if fb["median_ms"] and ce["median_ms"]:
        out("Median latency: feedback {:.1f}× the ceiling's; p99 {:.1f}×.".format(
            fb["median_ms"] / ce["median_ms"], fb["p99_ms"] / ce["p99_ms"]))
    for label, r in rows:
        if r["errors"]:
            out("  errors of {}: {}".format(label.split(":")[0], r["errors"]))
    out("")
    out("Requests/s in {} slices of the measured window (does it hold up?):".format(args.slices))
    for label, r in rows:
        out("  {:<9} {}".format(label.split(":")[0], "  ".join(
            "{:.1f}".format(v) for v in r["slices_rps"])))
    before = setup_ok + fb["ok_before_window"]
    out("  stored feedback documents: {} at the start of the measured window, {} at its end "
        "(the embedded store's lookups grow with the collection)".format(
            before, before + fb["ok"]) if args.mongo_uri.startswith("mongomock://") else
        "  stored feedback documents: {} at the start of the measured window, {} at its end"
        .format(before, before + fb["ok"]))
    out("")
    out("What ran where (2 cores, no pinning; CPU over the measured window, % of one core):")
    cpu_head = "  {:<9} {:>15} {:>15} {:>9} {:>16} {:>14}".format(
        "target", "server process", "load generator", "RabbitMQ", "other processes",
        "whole machine")
    out(cpu_head)
    for label, r in rows:
        c = r["cpu"]
        ours = sum(c.get(k) or 0.0 for k in ("server", "load generator", "RabbitMQ"))
        out("  {:<9} {:>14}% {:>14}% {:>8}% {:>15}% {:>8}% / {}%".format(
            label.split(":")[0], fmt(c.get("server") and c["server"] * 100, "{:.0f}"),
            fmt(c.get("load generator") * 100, "{:.0f}"),
            fmt(c.get("RabbitMQ") and c["RabbitMQ"] * 100, "{:.0f}"),
            fmt(max(0.0, c.get("machine") - ours) * 100, "{:.0f}"),
            fmt(c.get("machine") * 100, "{:.0f}"), 100 * (os.cpu_count() or 1)))
        if c.get("machine") - ours > 0.15:
            notes.append("During the {} window other processes (not this benchmark, not "
                         "RabbitMQ) used {:.0f}% of a core: that figure is contaminated.".format(
                             label.split(":")[0], 100 * (c.get("machine") - ours)))
    per_request = {label.split(":")[0]: (r["cpu"].get("server") or 0) / r["rps"] * 1e3
                   for label, r in rows if r["rps"]}
    out("  server CPU per answered request: feedback {} ms, ceiling {} ms".format(
        fmt(per_request.get("feedback"), "{:.1f}"), fmt(per_request.get("ceiling"), "{:.1f}")))
    out("  server (feedback): this benchmark process, pid {}: RegistryService, FeedbackService and "
        "GatewayService in one nameko ServiceRunner (eventlet){}.".format(
            fb["server_pid"], ", with the embedded store" if args.mongo_uri.startswith(
                "mongomock://") else ""))
    out("  server (ceiling):  a subprocess, pid {}: bench_echo + bench_echo_gateway in one "
        "ServiceRunner; run first, stopped before the stack started.".format(ce["server_pid"]))
    out("  load generator:    a separate unpatched process per target (pids {} and {}), {} OS "
        "threads with a requests.Session each (keep-alive); bodies {}–{} bytes.".format(
            fb["pid"], ce["pid"], args.concurrency, *(fb["body_bytes"] or (0, 0))[:2]))
    out("  RabbitMQ:          beam.smp pid {}, vhost {} (deleted at the end).".format(
        rabbit_pid or "?", rabbit.name))

    d = {k: (steps_after.get(k, [0, 0])[0] - steps_before.get(k, [0, 0])[0],
             steps_after.get(k, [0, 0])[1] - steps_before.get(k, [0, 0])[1])
         for k in steps_after}

    def mean_ms(service, entrypoint):
        seconds, calls = d.get((service, entrypoint), (0, 0))
        return (seconds / calls * 1e3, int(calls)) if calls else (None, 0)
    gw, fbs, reg = (mean_ms("gateway", "submit_feedback"), mean_ms("feedback", "submit"),
                    mean_ms("registry", "get_service_point"))
    flush_ms, flushes = mean_ms("feedback", "publish_outbox")
    out("")
    out("Inside the feedback server (its own cfz_entrypoint_duration_seconds over the phase, "
        "warm-up included; wall time, each includes the next):")
    out("  gateway submit_feedback {} ms ({} calls) ⊃ feedback submit {} ms ⊃ registry "
        "get_service_point {} ms; feedback's outbox timer {} ms a round ({} rounds)".format(
            fmt(gw[0], "{:.2f}"), gw[1], fmt(fbs[0], "{:.2f}"), fmt(reg[0], "{:.2f}"),
            fmt(flush_ms, "{:.1f}"), flushes))

    if sampler is not None and sampler.samples:
        n = sampler.samples
        out("")
        out("Where the feedback server's CPU time goes (SIGPROF sampler every 2 ms of CPU, "
            "{:g} s more of the same load, {} samples; {:.1f} req/s meanwhile with {}→{} stored "
            "documents, server process at {}% of a core; not in the figures above):".format(
                args.profile_seconds, n, profile_result["rps"], stored - profile_result["ok_all"],
                stored, fmt((profile_result["cpu"].get("server") or 0) * 100, "{:.0f}")))
        out("  by package of the innermost Python frame (% of all samples):")
        for label, count in sampler.leaf.most_common(8):
            out("    {:<40} {:>5.1f}%".format(label, 100 * count / n))
        out("  hottest functions (innermost Python frame, % of all samples):")
        for key, count in sampler.leaf_functions.most_common(8):
            out("    {:<60} {:>5.1f}%".format(key, 100 * count / n))
        out("  by project function on the stack (inclusive, % of all samples; none of ours: "
            "{:.1f}%):".format(100 * sampler.no_project / n))
        for key, count in sampler.inclusive.most_common(14):
            out("    {:<60} {:>5.1f}%".format(key, 100 * count / n))
        if sampler.store_calls:
            out("  embedded-store calls by caller (inclusive, % of all samples; all store calls: "
                "{:.1f}%):".format(100 * sampler.in_store / n))
            for key, count in sampler.store_calls.most_common(8):
                out("    {:<70} {:>5.1f}%".format(key, 100 * count / n))
        store_share = sampler.in_store / n
        if profile_result["rps"] and profile_result["cpu"].get("server"):
            cpu_ms = profile_result["cpu"]["server"] / profile_result["rps"] * 1e3
            out("  server CPU per submission meanwhile: {:.1f} ms, of which {:.1f} ms outside the "
                "embedded store (the ceiling: {} ms per request in all)".format(
                    cpu_ms, cpu_ms * (1 - store_share), fmt(per_request.get("ceiling"), "{:.1f}")))
        if store_share > 0.3:
            notes.append(
                "{:.0f}% of the feedback server's CPU samples are inside mongomock-ng, the embedded "
                "store: it has no real indexes, so every find_one, unique-index check on insert "
                "and update by _id scans the whole collection, and each submission costs more as "
                "feedback accumulates (see the slices). Measure with a real MongoDB on 127.0.0.1 "
                "(--mongo-uri) before reading the ratio as the services' own cost.".format(
                    100 * store_share))

    out("")
    out("Store vs answers: {} feedback documents stored, {} answers 201 (setup 1, load {}{}) — {}"
        .format(stored, answers_201, fb["ok_all"],
                ", profile {}".format(profile_result["ok_all"]) if profile_result else "",
                "equal" if stored == answers_201 else "DIFFERENT  <-- BUG"))
    other = {k: v for r in ([fb] + ([profile_result] if profile_result else []))
             for k, v in r["errors_all"].items()}
    if other:
        out("  non-201 answers over the whole feedback phase (warm-up and tail included): {}"
            .format(other))
    out("Outbox: {} feedback_submitted events published, {} documents still pending at the end."
        .format(published_events, pending))
    out("Redaction: phone number found and masked in {} of {} stored comments; {} public texts "
        "still show one; {} published comments read back over HTTP, {} showing one{}.".format(
            flagged, stored, unmasked, len(public["results"]), len(leaked),
            "" if not (leaked or unmasked) else "  <-- LEAK"))
    if notes:
        out("")
        out("Notes:")
        for note in notes:
            out("  - " + note)
    out("")
    out("Total run time {:.0f} s.".format(time.perf_counter() - started))
    return 2 if stored != answers_201 or leaked or unmasked else 0


if __name__ == "__main__":
    sys.exit(main())
