"""`cfz healthcheck` (the Compose and Kubernetes probes) against a real
`cfz run`: healthy while it serves, unready while a service it needs is
missing, unhealthy once it stopped."""
import os
import signal
import subprocess

from nameko.testing.utils import find_free_port

from tests.conftest import TEST_SETTINGS
from tests.e2e.test_cfz_run import cfz_command, start_cfz_run


def healthcheck(env, *args):
    done = subprocess.run(cfz_command() + ["healthcheck"] + list(args) + ["--timeout", "3"],
                          env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def test_healthcheck_follows_a_real_cfz_run(rabbit_config, db_prefix):
    port, metrics_port = find_free_port(), find_free_port()
    env = dict(os.environ, **TEST_SETTINGS)
    env.update(AMQP_URI=rabbit_config["AMQP_URI"], GATEWAY_PORT=str(port),
               GATEWAY_HOST="0.0.0.0",  # as in a container: probed on loopback
               CFZ_METRICS_PORT=str(metrics_port), CFZ_DB_PREFIX=db_prefix)
    env.pop("MONGO_URI", None)
    env.pop("CFZ_ENV", None)
    # the registry and the gateway only: the gateway lives, but is not ready
    process, output = start_cfz_run(env, args=["registry", "gateway", "--no-demo"])
    try:
        assert "Stop with Ctrl-C" in "".join(output), "".join(output)[-3000:]
        code, said = healthcheck(env, "gateway")
        assert code == 0 and "/healthz answered 200" in said, said
        code, said = healthcheck(env, "gateway", "--ready")
        assert code == 1 and "/readyz answered 503" in said, said
        code, said = healthcheck(env, "registry")
        assert code == 0 and "/metrics answered 200" in said, said
        code, said = healthcheck(env, "registry", "--ready")
        assert code == 0 and "registry service answers its health RPC" in said, said
        code, said = healthcheck(env, "geo", "--ready")  # no geo replica anywhere
        assert code == 1 and "geo service's health RPC failed" in said, said
        code, said = healthcheck(dict(env, CFZ_METRICS_PORT="0"), "registry")
        assert code == 1 and "CFZ_METRICS_PORT is 0" in said, said
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    code, said = healthcheck(env, "gateway")
    assert code == 1 and "did not answer" in said, said
    code, said = healthcheck(env, "registry")
    assert code == 1 and "did not answer" in said, said


def test_healthcheck_refuses_a_configuration_cfz_run_would_refuse():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CFZ_")}
    env["CFZ_ENV"] = "staging"
    code, said = healthcheck(env, "gateway")
    assert code == 1 and "CFZ_ENV must be one of" in said, said
