"""`cfz healthcheck`: probe the cfz process in this container and exit 0
(healthy) or 1, for Docker's HEALTHCHECK, Compose and Kubernetes probes.

    cfz healthcheck gateway          GET /healthz of this container's gateway
    cfz healthcheck gateway --ready  GET /readyz (every service answers)
    cfz healthcheck registry         GET /metrics of this process (it serves
                                     once the service's container has started)
    cfz healthcheck registry --ready also the service's health RPC over RabbitMQ

Liveness uses only the standard library (no eventlet, no nameko): a probe
runs every few seconds next to the service and must be cheap. It reads the
same settings as `cfz run` (GATEWAY_PORT, CFZ_METRICS_PORT, ...), so it finds
the process on whatever port the container gives it.
"""
import sys
import urllib.error
import urllib.request

LOCAL_ADDRESSES = ("", "0.0.0.0", "::", "[::]")


def _local(host):
    # a server bound to every address is probed on loopback
    return "127.0.0.1" if host in LOCAL_ADDRESSES else host


def _get(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))


def _probe_http(url, timeout):
    status, problem = _get(url, timeout)
    if status == 200:
        return 0, "ok: {} answered 200".format(url)
    if status is None:
        return 1, "unhealthy: {} did not answer ({})".format(url, problem)
    return 1, "unhealthy: {} answered {}".format(url, status)


def _probe_rpc(config, service, timeout):
    import eventlet
    eventlet.monkey_patch()
    from nameko.standalone.rpc import ClusterRpcProxy
    try:
        with eventlet.Timeout(timeout + 5):
            with ClusterRpcProxy(config, timeout=timeout) as cluster:
                getattr(cluster, service).health()
    except BaseException as exc:  # any failure, a timeout included, is "not ready"
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return 1, "not ready: the {} service's health RPC failed ({})".format(
            service, type(exc).__name__)
    return 0, "ok: the {} service answers its health RPC".format(service)


def check(service, ready=False, timeout=3.0, environ=None):
    """(exit code, message) for the probe of `service` in this process."""
    from services.common.config import ConfigError, nameko_config
    try:
        config = nameko_config(environ)
    except ConfigError as exc:
        return 1, "unhealthy: {}".format(exc)
    if service == "gateway":
        url = "http://{}:{}/{}".format(_local(config["GATEWAY_HOST"]), config["GATEWAY_PORT"],
                                       "readyz" if ready else "healthz")
        return _probe_http(url, timeout)
    port = str(config.get("CFZ_METRICS_PORT") or "0")
    if port == "0":
        return 1, ("unhealthy: CFZ_METRICS_PORT is 0, so the {} process serves nothing to "
                   "probe; turn metrics on for the container".format(service))
    code, message = _probe_http("http://{}:{}/metrics".format(
        _local(config["CFZ_METRICS_HOST"]), port), timeout)
    if code or not ready:
        return code, message
    return _probe_rpc(config, service, timeout)


def add_command(subparsers, services):
    parser = subparsers.add_parser(
        "healthcheck", help="probe the cfz process in this container (exit 0 healthy, 1 not)")
    parser.add_argument("service", choices=services,
                        help="the service this container runs")
    parser.add_argument("--ready", action="store_true",
                        help="readiness, not liveness: the gateway's /readyz; for other "
                             "services also their health RPC over RabbitMQ")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait (3)")
    parser.add_argument("--quiet", action="store_true", help="print only failures")
    parser.set_defaults(handler=run)
    return parser


def run(args):
    code, message = check(args.service, ready=args.ready, timeout=args.timeout)
    if code or not args.quiet:
        print("cfz healthcheck {}: {}".format(args.service, message),
              file=sys.stderr if code else sys.stdout)
    return code
