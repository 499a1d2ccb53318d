"""A process exports only the metrics of the services it runs: `cfz run
registry` says nothing about geo, reporting, complaints or HTTP."""
import os
import re

import requests
from nameko.testing.utils import find_free_port

from tests.conftest import TEST_SETTINGS
from tests.e2e.test_cfz_run import start_cfz_run
from tests.helpers import wait_for
from tests.observability.conftest import stop_process

OTHER_SERVICES_METRICS = ("cfz_geo_", "cfz_reporting_", "cfz_satisfaction_alerts",
                          "cfz_complaints_", "cfz_pmoc_", "cfz_http_")


def test_cfz_run_registry_exports_only_the_registry(rabbit_config):
    metrics_port = find_free_port()
    env = dict(os.environ, **TEST_SETTINGS)
    env.pop("MONGO_URI", None)
    env.update(AMQP_URI=rabbit_config["AMQP_URI"], CFZ_METRICS_PORT=str(metrics_port),
               GATEWAY_PORT=str(find_free_port()), CFZ_LOG_FORMAT="json")
    process, output = start_cfz_run(env, seconds=90, args=["registry"])
    try:
        assert any("Stop with Ctrl-C" in line for line in output), "".join(output)[-3000:]
        url = "http://127.0.0.1:{}/metrics".format(metrics_port)
        # the outbox timer and the database ping have reported
        assert wait_for(lambda: 'cfz_mongo_up{service="registry"} 1.0' in
                        requests.get(url, timeout=10).text, timeout=20)
        text = requests.get(url, timeout=10).text
        names = set(re.findall(r"^# TYPE (\S+)", text, re.M))
        assert not [n for n in names if n.startswith(OTHER_SERVICES_METRICS)], names
        services = set(re.findall(r'service="([^"]+)"', text))
        assert services == {"registry"}, services
        assert 'cfz_outbox_pending_events{service="registry"} 0.0' in text
        assert re.search(r'cfz_timer_last_success_timestamp_seconds\{service="registry",'
                         r'timer="publish_outbox"\} \d', text)
        # and its log lines are JSON
        assert any(line.startswith('{"time"') and '"message": "metrics on http' in line
                   for line in output), output
    finally:
        stop_process(process, 60)
