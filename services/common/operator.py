"""Operator commands' RPC to running services (`cfz complaints ...`,
`cfz reporting ...`): over RabbitMQ (AMQP_URI), as a system administrator
with a short-lived token signed with CFZ_JWT_SECRET, so whoever runs them
has the deployment's environment. Imports nameko only when called
(eventlet must patch first)."""

OPERATOR_TOKEN_SECONDS = 300


def call(service, method, *args, with_token=True, timeout=30):
    """service.method([token,] *args); exits with a clear message when the
    broker or the service cannot be reached."""
    import eventlet
    eventlet.monkey_patch()
    from nameko.exceptions import UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common.auth import issue_token
    from services.common.config import ConfigError, nameko_config
    try:
        config = nameko_config()
    except ConfigError as exc:
        raise SystemExit("cfz: {}".format(exc))
    if with_token:
        args = (issue_token(config["CFZ_JWT_SECRET"], OPERATOR_TOKEN_SECONDS,
                            {"sub": "cfz-cli", "username": "cfz-cli", "role": "admin"}),) + args
    try:
        with ClusterRpcProxy(config, timeout=timeout) as cluster:
            return getattr(getattr(cluster, service), method)(*args)
    except UnknownService:
        raise SystemExit("cfz: the {0} service is not running (cfz run {0}).".format(service))
    except OSError as exc:
        raise SystemExit("cfz: cannot reach RabbitMQ at {} ({}).".format(config["AMQP_URI"], exc))
