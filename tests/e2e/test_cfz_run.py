"""The README's run command: `cfz run` starts everything with demo data,
prints the URL, serves it, and stops cleanly on SIGTERM."""
import os
import signal
import subprocess
import time

import requests
from nameko.testing.utils import find_free_port

from bench._cfz import cfz_command, start_cfz_run, stop_cfz_run  # noqa: F401 (the suites' import)
from tests.conftest import TEST_SETTINGS
from tests.helpers import wait_for


def test_cfz_run_serves_demo_data_and_stops_on_sigterm(rabbit_config, db_prefix):
    port, metrics_port = find_free_port(), find_free_port()
    env = dict(os.environ, **TEST_SETTINGS)
    env.update(AMQP_URI=rabbit_config["AMQP_URI"], GATEWAY_PORT=str(port),
               CFZ_METRICS_PORT=str(metrics_port), CFZ_DB_PREFIX=db_prefix)
    env.pop("MONGO_URI", None)  # the README's command: embedded storage
    process, output = start_cfz_run(env)
    try:
        url = "http://127.0.0.1:{}/".format(port)
        text = "".join(output)
        assert "Web UI:   " + url in text, text[-3000:]

        assert "Dashboard: " + url + "dashboard" in text
        assert requests.get(url + "readyz", timeout=10).json()["status"] == "ready"
        dashboard = requests.get(url + "dashboard", timeout=10)
        assert dashboard.status_code == 200 and "แดชบอร์ด" in dashboard.text
        provinces = requests.get(url + "api/v1/rollout", params={"group_by": "province"},
                                 timeout=10).json()["results"]
        assert len(provinces) == 77 and sum(p["pinned"] for p in provinces) >= 300
        assert "cfz_entrypoint_calls_total" in requests.get(
            "http://127.0.0.1:{}/metrics".format(metrics_port), timeout=10).text
        # reporting follows the demo points; the operator's recount agrees
        def reporting_has_the_demo():
            groups = requests.get(url + "api/v1/reports/rollout", params={"group_by": "province"},
                                  timeout=10).json()["groups"]
            return sum(g["pinned"] for g in groups) == sum(p["pinned"] for p in provinces)
        assert wait_for(reporting_has_the_demo, timeout=60, interval=0.5)
        # ...and its ratings and complaints, counted before the banner: a
        # newcomer sees rankings, the alerts of the demo's drops, complaints
        rankings = requests.get(url + "api/v1/reports/rankings", params={"level": "agency"},
                                timeout=10).json()
        assert rankings["results"] and "ratings and" in text, text[-3000:]
        assert requests.get(url + "api/v1/reports/alerts", params={"scope": "point"},
                            timeout=10).json()["results"]
        bangkok = requests.get(url + "api/v1/reports/provinces/10", timeout=10).json()
        assert bangkok["count"] > 0 and bangkok["complaints"]["filed"] > 0
        recount = subprocess.run(cfz_command() + ["reporting", "recount"], env=env, timeout=120,
                                 capture_output=True, text=True)
        assert recount.returncode == 0, recount.stdout + recount.stderr
        assert '"ok": true' in recount.stdout
        token = requests.post(url + "api/v1/auth/token", timeout=30, json={
            "username": "demo-dopa", "password": "demo-password-2569"})
        assert token.status_code == 200

        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=60) == 0
        except subprocess.TimeoutExpired:
            raise AssertionError("cfz run did not stop within 60 s of SIGTERM:\n"
                                 + "".join(output)[-5000:])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
