"""`cfz` subcommands of the complaints service (wired into services/cli.py).

    cfz pmoc-sim [--port 8311] [--fail-rate 0.5] ...   the PMOC stand-in server
    cfz complaints relay-status                        pending / relayed / dead letters
    cfz complaints dead-letters [--limit N] [--json]   what PMOC did not take, and why
    cfz complaints retry (--all | COMPLAINT_ID...)     relay dead letters again

The operator commands talk to a running complaints service over RabbitMQ
(AMQP_URI) as a system administrator, with a short-lived token signed with
CFZ_JWT_SECRET: whoever runs them has the deployment's environment.
Nothing heavy is imported until a command runs (eventlet patches first).
"""
import json
import sys

from services.common import operator


def add_commands(subparsers):
    """Add `pmoc-sim` and `complaints` to cfz's argparse subparsers; each
    parser sets `handler` (call `args.handler(args)`)."""
    sim = subparsers.add_parser("pmoc-sim", help="run the PMOC stand-in (an Open311 server)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8311)
    sim.add_argument("--api-key", default="", help="require this api_key (default: any)")
    sim.add_argument("--fail-rate", type=float, default=0.0,
                     help="share of POSTs answered with --fail-status (0-1)")
    sim.add_argument("--fail-status", type=int, default=500)
    sim.add_argument("--timeout-rate", type=float, default=0.0,
                     help="share of POSTs stored but answered only after --hang-seconds")
    sim.add_argument("--hang-seconds", type=float, default=30.0)
    sim.add_argument("--slow-seconds", type=float, default=0.0, help="delay every POST")
    sim.add_argument("--seed", type=int, default=None)
    sim.add_argument("--ignore-idempotency-key", action="store_true",
                     help="act as a plain Open311 server: every POST is a new request")
    sim.set_defaults(handler=run_pmoc_sim)

    ops = subparsers.add_parser("complaints", help="operate the relay to PMOC")
    ops_sub = ops.add_subparsers(dest="complaints_command", required=True)
    status = ops_sub.add_parser("relay-status", help="complaints pending, relayed, dead-lettered")
    status.set_defaults(handler=relay_status)
    dead = ops_sub.add_parser("dead-letters", help="list dead letters with their reasons")
    dead.add_argument("--limit", type=int, default=100)
    dead.add_argument("--offset", type=int, default=0)
    dead.add_argument("--json", action="store_true", help="print JSON")
    dead.set_defaults(handler=list_dead_letters)
    retry = ops_sub.add_parser("retry", help="relay dead letters again")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every dead letter")
    which.add_argument("complaint_ids", nargs="*", default=[], metavar="COMPLAINT_ID")
    retry.set_defaults(handler=retry_dead_letters)
    return subparsers


def run_pmoc_sim(args, wait=True):
    import logging
    import time

    from services.complaints.pmoc_sim import PmocSimulator
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sim = PmocSimulator(args.host, args.port, api_key=args.api_key)
    sim.set_faults(fail_rate=args.fail_rate, fail_status=args.fail_status,
                   timeout_rate=args.timeout_rate, hang_seconds=args.hang_seconds,
                   slow_seconds=args.slow_seconds, seed=args.seed,
                   honour_idempotency_key=not args.ignore_idempotency_key)
    try:
        sim.start()
    except OSError as exc:
        print("cfz pmoc-sim: cannot listen on {}:{} ({})".format(args.host, args.port, exc),
              file=sys.stderr)
        return 3
    print("PMOC stand-in (Open311 GeoReport v2) on {url}\n"
          "  relay to it:  PMOC_URL={url}{key}\n"
          "  inspect:      {url}/_sim/stats  {url}/_sim/requests\n"
          "  faults:       POST {url}/_sim/faults {{\"fail_rate\": 0.5}}; "
          "POST {url}/_sim/outage {{\"seconds\": 30}}\n"
          "Stop with Ctrl-C.".format(url=sim.url, key=" PMOC_API_KEY=" + args.api_key
                                     if args.api_key else ""), flush=True)
    if not wait:
        return sim
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()
    return 0


def _call(method, *args):
    return operator.call("complaints", method, *args)


def relay_status(args):
    print(json.dumps(_call("relay_stats"), ensure_ascii=False, indent=2))
    return 0


def list_dead_letters(args):
    result = _call("dead_letters", args.limit, args.offset)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print("{} dead letter(s)".format(result["total"]))
    for item in result["results"]:
        print("{complaint_id}  {category:<18} attempts {attempts:<3} dead {dead_at}\n"
              "    {reason}".format(**item))
    return 0


def retry_dead_letters(args):
    ids = None if args.all else args.complaint_ids
    if not args.all and not ids:
        print("cfz: name complaint ids, or --all", file=sys.stderr)
        return 2
    result = _call("retry_dead_letters", ids)
    print("requeued {} complaint(s) for relay".format(result["requeued"]))
    return 0
