"""`cfz events ...`: the events that handlers could not apply (wired into
services/cli.py; see services/common/deadletter.py).

    cfz events dead-letters [SERVICE...] [--limit N] [--json]
    cfz events replay SERVICE [--limit N]

They talk to RabbitMQ directly (AMQP_URI), not to a service: dead letters
are there even when the service that failed them is down.
"""
import json
import sys

from services.cli import SERVICES


def add_commands(subparsers):
    events = subparsers.add_parser("events", help="events that handlers could not apply")
    sub = events.add_subparsers(dest="events_command", required=True)
    listing = sub.add_parser("dead-letters", help="count and show dead-lettered events")
    listing.add_argument("services", nargs="*", metavar="SERVICE")
    listing.add_argument("--limit", type=int, default=5, help="letters shown per service")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=list_dead_letters)
    replay = sub.add_parser("replay", help="send dead letters back to the handler that failed them")
    replay.add_argument("service", choices=SERVICES)
    replay.add_argument("--limit", type=int, default=None)
    replay.set_defaults(handler=replay_dead_letters)
    return subparsers


def _amqp_uri():
    from services.common.config import ConfigError, nameko_config
    try:
        return nameko_config()["AMQP_URI"]
    except ConfigError as exc:
        raise SystemExit("cfz: {}".format(exc))


def list_dead_letters(args):
    from services.common import deadletter
    unknown = [name for name in args.services if name not in SERVICES]
    if unknown:
        print("cfz: unknown service(s): {}".format(", ".join(unknown)), file=sys.stderr)
        return 2
    uri = _amqp_uri()
    report = {}
    try:
        for service in args.services or SERVICES:
            report[service] = {"count": deadletter.count(uri, service),
                               "letters": deadletter.peek(uri, service, args.limit)}
    except OSError as exc:
        raise SystemExit("cfz: cannot reach RabbitMQ at {} ({}).".format(uri, exc))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    for service, part in report.items():
        print("{:<11} {} dead-lettered event(s)".format(service, part["count"]))
        for letter in part["letters"]:
            print("    {dead_lettered_at}  {event} from {source}, {attempts} attempt(s)\n"
                  "        {error}".format(**letter))
    return 0


def replay_dead_letters(args):
    from services.common import deadletter
    uri = _amqp_uri()
    try:
        replayed = deadletter.replay(uri, args.service, args.limit)
    except OSError as exc:
        raise SystemExit("cfz: cannot reach RabbitMQ at {} ({}).".format(uri, exc))
    print("replayed {} event(s) to {}".format(replayed, args.service))
    return 0
