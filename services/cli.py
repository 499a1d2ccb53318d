"""`cfz`: run the suite (all services in one process, or chosen ones).

    cfz run                 every service + gateway + web UI, demo data
    cfz run registry        one service (production: one per container)
    cfz healthcheck gateway probe this container's process (exit 0 or 1)

eventlet must patch the standard library before nameko, kombu or pymongo
are imported, so this module imports them only inside main().
"""
import argparse
import sys

SERVICES = ("registry", "geo", "feedback", "complaints", "reporting", "gateway")


def _service_classes(names):
    from services.complaints.service import ComplaintsService
    from services.feedback.service import FeedbackService
    from services.gateway.service import GatewayService
    from services.geo.service import GeoService
    from services.registry.service import RegistryService
    from services.reporting.service import ReportingService
    classes = {"registry": RegistryService, "geo": GeoService, "feedback": FeedbackService,
               "complaints": ComplaintsService, "reporting": ReportingService,
               "gateway": GatewayService}
    return [classes[name] for name in names]


def _check_broker(uri, timeout=5):
    from kombu import Connection
    try:
        with Connection(uri, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1)
        return None
    except Exception as exc:  # any failure: say what to do
        return str(exc)


def _banner(config, names, demo, pmoc_sim=None):
    url = "http://{}:{}/".format(
        "127.0.0.1" if config["GATEWAY_HOST"] in ("0.0.0.0", "") else config["GATEWAY_HOST"],
        config["GATEWAY_PORT"])
    lines = ["", "Citizen Feedback & Zero Copy is running: {}".format(", ".join(names))]
    if "gateway" in names:
        lines += ["  Web UI:   {}".format(url),
                  "  Dashboard: {}dashboard".format(url),
                  "  API:      {}api/v1/openapi.json".format(url)]
    if config.get("CFZ_METRICS_PORT") not in (None, "", "0"):
        lines.append("  Metrics:  http://127.0.0.1:{}/metrics".format(config["CFZ_METRICS_PORT"]))
    if "registry" in names:
        lines.append("  Admin:    {} / {}".format(config["CFZ_ADMIN_USERNAME"],
                                                 "(CFZ_ADMIN_PASSWORD)" if config["CFZ_ENV"] == "production"
                                                 else config["CFZ_ADMIN_PASSWORD"]))
    if pmoc_sim is not None:
        lines.append("  PMOC:     stand-in at {} (set PMOC_URL for the real centre)".format(pmoc_sim.url))
    if demo:
        lines.append("  Demo:     {} points; officers {} / {}".format(
            demo["points"], ", ".join(l["username"] for l in demo.get("logins", [])) or "(loaded before)",
            demo.get("password", "demo-password-2569")))
        feedback, complaints = demo.get("feedback") or {}, demo.get("complaints") or {}
        if feedback.get("loaded") or complaints.get("loaded"):
            lines.append("            {} ratings and {} complaints over six months; {} satisfaction "
                         "alerts".format(feedback.get("ratings", 0), complaints.get("complaints", 0),
                                         demo.get("alerts", 0)))
    lines.append("Stop with Ctrl-C.")
    print("\n".join(lines), flush=True)


def _purge_stale_queues(uri, classes):
    """With embedded storage every run starts empty, so events queued by an
    earlier run describe data that no longer exists: drop them."""
    from kombu import Connection
    from nameko.events import EventHandler
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    queues = []
    for cls in classes:
        for attribute in vars(cls).values():
            for entrypoint in getattr(attribute, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, EventHandler):
                    queues.append("evt-{}-{}--{}.{}".format(
                        entrypoint.source_service, entrypoint.event_type, cls.name,
                        attribute.__name__))
    purged = 0
    with Connection(uri, connect_timeout=5) as connection:
        for name in queues:
            channel = connection.channel()
            try:
                purged += channel.queue_purge(name) or 0
            except Exception:  # the queue does not exist yet
                pass
            finally:
                try:
                    channel.close()
                except Exception:
                    pass
    return purged


def _load_activity(cluster, names, scale=1.0, wait_seconds=120):
    """Demo ratings and complaints (backdated, through the services' own
    write paths); once reporting has counted them, one alert check, so the
    demo's satisfaction drops show without waiting CFZ_ALERT_INTERVAL."""
    import logging
    import time
    from datetime import datetime, timedelta

    import eventlet

    from services.common.thai import BANGKOK
    started = time.monotonic()
    loaded = {}
    if "feedback" in names:
        loaded["feedback"] = cluster.feedback.load_demo(scale=scale)
    if "complaints" in names:
        loaded["complaints"] = cluster.complaints.load_demo(scale=scale)
    fresh = [part for part in loaded.values() if part.get("loaded")]
    if "reporting" in names and fresh:
        today = datetime.now(BANGKOK).date()
        span = {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()}
        ratings = loaded.get("feedback", {}).get("ratings", 0)
        complaints = loaded.get("complaints", {}).get("complaints", 0)

        def counted():
            report = cluster.reporting.report("nation", "TH", span)
            return report["count"] >= ratings and report["complaints"]["filed"] >= complaints
        with eventlet.Timeout(wait_seconds, False):
            while not counted():
                eventlet.sleep(1.0)
        loaded["alerts"] = cluster.reporting.check_alerts_now()["raised"]
    logging.getLogger("cfz").info("demo activity in %.1f s: %s", time.monotonic() - started, loaded)
    return loaded


def run(args):
    import eventlet
    eventlet.monkey_patch()
    import logging
    import signal

    from nameko.runners import ServiceRunner
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common import logs, tracing
    from services.common.config import ConfigError, get_bool, get_float, nameko_config
    from services.common.metrics import start_metrics_server
    from services.common.storage import is_embedded

    try:
        log_format, log_level = logs.settings()
    except ValueError as exc:
        print("cfz: {}".format(exc), file=sys.stderr)
        return 2
    logs.configure(log_format, args.log_level or log_level)
    names = args.services or list(SERVICES)
    tracing.setup_from_env("cfz-" + "-".join(args.services) if args.services else "cfz")
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        print("cfz: unknown service(s): {} (choose from {})".format(
            ", ".join(unknown), ", ".join(SERVICES)), file=sys.stderr)
        return 2
    try:
        config = nameko_config()
    except ConfigError as exc:
        print("cfz: {}".format(exc), file=sys.stderr)
        return 2
    problem = _check_broker(config["AMQP_URI"])
    if problem:
        print("cfz: cannot reach RabbitMQ at {} ({}).\nStart it (README: 'Getting RabbitMQ') "
              "or set AMQP_URI.".format(config["AMQP_URI"], problem), file=sys.stderr)
        return 3

    want_demo = args.demo if args.demo is not None else (
        get_bool(config, "CFZ_DEMO_DATA") or (not args.services and is_embedded(config["MONGO_URI"])))
    if want_demo:
        config["CFZ_DEMO_DATA"] = "1"  # the registry refuses demo data otherwise
    pmoc_sim = None
    if "complaints" in names and not config.get("PMOC_URL") and not args.services \
            and is_embedded(config["MONGO_URI"]):
        # the local default relays to a stand-in of the PMOC centre, so a
        # complaint goes the whole way; production sets PMOC_URL
        from services.complaints.pmoc_sim import PmocSimulator
        pmoc_sim = PmocSimulator("127.0.0.1", 0)
        pmoc_sim.start()
        config["PMOC_URL"] = pmoc_sim.url
    classes = _service_classes(names)
    if is_embedded(config["MONGO_URI"]):
        stale = _purge_stale_queues(config["AMQP_URI"], classes)
        if stale:
            logging.getLogger("cfz").info("dropped %d events left queued by an earlier run", stale)
    runner = ServiceRunner(config)
    for cls in classes:
        runner.add_service(cls)
    watch = ConsumerWatch(get_float(config, "CFZ_CONSUMER_REFUSED_SECONDS"))
    for name, container in runner.service_map.items():
        watch.watch(name, container)
    starting = eventlet.spawn(runner.start)
    while not starting.dead:  # a service refused by the broker would hold the start for ever
        eventlet.sleep(0.2)
        if watch.refused():
            logging.getLogger("cfz").critical(
                "the broker refuses %s (its queues cannot be declared; see the log above)",
                ", ".join(sorted(watch.refused())))
            return _kill(runner)
    starting.wait()
    start_metrics_server(config.get("CFZ_METRICS_PORT"), config["CFZ_METRICS_HOST"])

    demo = None
    if want_demo and "registry" in names:
        with ClusterRpcProxy(config, timeout=300) as cluster:
            demo = cluster.registry.load_demo()
            demo.update(_load_activity(cluster, names))
    _banner(config, names, demo, pmoc_sim)

    stopping = []

    def shutdown(signum, frame):
        # once: a second SIGTERM (an orchestrator and a process group both
        # signalling) started a second stop that raised in nameko's timers
        # and left the process up, serving nothing
        if not stopping:
            stopping.append(signum)
            eventlet.spawn_n(runner.stop)  # graceful: finish work in flight

    signal.signal(signal.SIGTERM, shutdown)
    while True:
        try:
            code = _supervise(runner, watch, stopping)
            tracing.shutdown()  # sends the spans still batched
            return code
        except KeyboardInterrupt:
            print("stopping (Ctrl-C again to kill)...", flush=True)
            stopping.append("interrupt")
            try:
                runner.stop()
            except KeyboardInterrupt:
                runner.kill()


class ConsumerWatch:
    """Whether each service of the process can consume its queues.

    nameko retries a consumer for ever, also when the broker answers but
    refuses it (its queue redeclared as a quorum queue, a permission taken
    away: 406 or 403 on every declare), while the other services of the
    process go on serving: half-alive, and its liveness probe still passes.
    A service is *refused* once a (re)connection is followed by another
    without its consumers having become ready in between (the first attempt
    failed; a slow one, e.g. on a busy start, is not counted), from the first
    of those attempts; a broker that cannot be reached at all is waited for
    (every service is in the same state, and a new process could not connect
    either)."""

    def __init__(self, refused_seconds, clock=None):
        import time
        self.refused_seconds = refused_seconds
        self.clock = clock or time.monotonic
        self._attempts = {}  # (service, consumer) -> [first attempt not ready, attempts]

    def watch(self, name, container):
        from nameko.messaging import QueueConsumer
        for consumer in container.shared_extensions.values():
            if isinstance(consumer, QueueConsumer):
                self._wrap(name, consumer)

    def _wrap(self, name, consumer):
        key = (name, id(consumer))
        revived, ready, failed = (consumer.on_connection_revived, consumer.on_consume_ready,
                                  consumer.on_connection_error)

        def on_connection_revived():
            self._attempts.setdefault(key, [self.clock(), 0])[1] += 1
            return revived()

        def on_consume_ready(*args, **kwargs):
            self._attempts.pop(key, None)
            return ready(*args, **kwargs)

        def on_connection_error(exc, interval):
            self._attempts.pop(key, None)  # unreachable, not refused: wait
            return failed(exc, interval)

        consumer.on_connection_revived = on_connection_revived
        consumer.on_consume_ready = on_consume_ready
        consumer.on_connection_error = on_connection_error

    def refused(self):
        """{service: seconds refused} past the limit."""
        now = self.clock()
        return {name: now - since for (name, _), (since, attempts) in list(self._attempts.items())
                if attempts > 1 and now - since >= self.refused_seconds}


def _supervise(runner, watch, stopping):
    """Wait for the process's services; 0 once they all stopped on request.
    A service that dies (nameko kills a container whose thread raised) or is
    refused by the broker past the limit kills the others and answers 1 at
    once, never a process half-alive (see docs/operations.md)."""
    import logging

    import eventlet
    from eventlet.queue import Empty, Queue

    log = logging.getLogger("cfz")
    ended = Queue()

    def wait(name, container):
        try:
            container.wait()
            ended.put((name, None))
        except BaseException as exc:  # the container died of it
            ended.put((name, exc))

    for name, container in runner.service_map.items():
        eventlet.spawn_n(wait, name, container)
    running = set(runner.service_map)
    while running:
        try:
            name, error = ended.get(timeout=1.0)
        except Empty:
            refused = watch.refused()
            if refused and not stopping:
                log.critical("the broker has refused %s for %s s (see the log above: its "
                             "queues could not be declared); stopping the process so that it is "
                             "started again, not left half-alive",
                             ", ".join(sorted(refused)),
                             ", ".join("{:.0f}".format(v) for v in refused.values()))
                return _kill(runner)
            continue
        running.discard(name)
        if error is not None or not stopping:
            log.critical("the %s service stopped (%r); stopping the process so that it is "
                         "started again, not left half-alive", name, error)
            return _kill(runner)
    return 0


def _kill(runner, seconds=10):
    import eventlet
    with eventlet.Timeout(seconds, False):  # exit even if a container does not die
        runner.kill()
    return 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cfz", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run services (all when none named)")
    run_parser.add_argument("services", nargs="*", metavar="SERVICE",
                            help="one or more of: " + ", ".join(SERVICES))
    demo = run_parser.add_mutually_exclusive_group()
    demo.add_argument("--demo", dest="demo", action="store_true", default=None,
                      help="load demo data (default: when running everything on embedded storage)")
    demo.add_argument("--no-demo", dest="demo", action="store_false")
    run_parser.add_argument("--log-level", choices=("debug", "info", "warning", "error", "critical"),
                            default=None,
                            help="overrides CFZ_LOG_LEVEL (default info)")
    from services.complaints import cli as complaints_cli
    complaints_cli.add_commands(sub)
    from services.reporting import cli as reporting_cli
    reporting_cli.add_commands(sub)
    from services.common import deadletter_cli
    deadletter_cli.add_commands(sub)
    from services.common import healthcheck
    healthcheck.add_command(sub, SERVICES)
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args)
    if getattr(args, "handler", None):
        return args.handler(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
