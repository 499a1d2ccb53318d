"""`cfz reporting recount`: rebuild every aggregate from the source
services and list any difference from the incremental state (exit 1 when
there is one)."""
import json

from services.common import operator


def add_commands(subparsers):
    ops = subparsers.add_parser("reporting", help="check the reporting service's aggregates")
    ops_sub = ops.add_subparsers(dest="reporting_command", required=True)
    recount = ops_sub.add_parser("recount", help="recount everything from the source services")
    recount.add_argument("--timeout", type=float, default=600.0)
    recount.set_defaults(handler=run_recount)
    return subparsers


def run_recount(args):
    result = operator.call("reporting", "recount", with_token=False, timeout=args.timeout)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["ok"] else 1
