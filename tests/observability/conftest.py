"""Fixtures for what operators see: a live Prometheus (Debian's
/usr/bin/prometheus, installed by scripts/ensure-prometheus) scraping a
target, and one `cfz run` of every service with JSON logs and a PMOC
stand-in in this process, shared by the module that asks for it.

    def test_something(prometheus, observed_stack):
        prom = prometheus(observed_stack.metrics_target)   # "127.0.0.1:9100"
        prom.wait_for("cfz_mongo_up", lambda results: results)
        prom.query('sum by (route) (cfz_http_requests_total)')

`prometheus(target, rule_files=())` also loads rule files (alerting and
recording rules), so rules can be checked against the same live server:
`prom.rules()` answers /api/v1/rules.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import requests
from nameko.testing.utils import find_free_port

from services.complaints.pmoc_sim import PmocSimulator
from tests.conftest import TEST_SETTINGS
from tests.e2e.test_cfz_run import start_cfz_run

PROMETHEUS = os.environ.get("CFZ_PROMETHEUS", "/usr/bin/prometheus")
SCRAPE_INTERVAL = "1s"


def stop_process(process, seconds):
    """SIGTERM, and SIGKILL if it has not stopped within `seconds`; its exit code."""
    process.terminate()
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


class Prometheus:
    """A Prometheus server on loopback; `query` answers /api/v1/query."""

    def __init__(self, base_url):
        self.base_url = base_url

    def query(self, expr):
        """The instant vector (a list of {"metric", "value"}) or scalar of `expr`."""
        answer = requests.get(self.base_url + "/api/v1/query", params={"query": expr},
                              timeout=10).json()
        assert answer["status"] == "success", (expr, answer)
        return answer["data"]["result"]

    def values(self, expr, by):
        """{label value (or tuple of them): float} of an instant vector."""
        labels = (by,) if isinstance(by, str) else tuple(by)
        found = {}
        for row in self.query(expr):
            key = tuple(row["metric"].get(label, "") for label in labels)
            found[key[0] if len(key) == 1 else key] = float(row["value"][1])
        return found

    def value(self, expr, default=None):
        """The single value of `expr` (an instant vector of one series, or a scalar)."""
        result = self.query(expr)
        if not result:
            return default
        if isinstance(result, list) and isinstance(result[0], dict):
            assert len(result) == 1, (expr, result)
            return float(result[0]["value"][1])
        return float(result[1])

    def wait_for(self, expr, predicate, timeout=30.0, interval=0.5):
        """Query `expr` until predicate(result) holds; the last result either way."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if predicate(result) or time.monotonic() > deadline:
                return result
            time.sleep(interval)

    def rules(self):
        return requests.get(self.base_url + "/api/v1/rules", timeout=10).json()["data"]

    def targets_up(self):
        active = requests.get(self.base_url + "/api/v1/targets", timeout=10).json()
        return [t for t in active["data"]["activeTargets"] if t["health"] == "up"]


@pytest.fixture
def prometheus():
    """A factory: prometheus(target, rule_files=()) starts a server scraping
    `target` ("host:port", path /metrics) every second, waits until it has
    scraped once, and returns a Prometheus. Every server started is stopped
    at the end of the test."""
    if not os.access(PROMETHEUS, os.X_OK):
        pytest.fail("{} is missing: run scripts/ensure-prometheus (make test does)".format(
            PROMETHEUS))
    started = []

    def start(target, rule_files=()):
        workdir = tempfile.mkdtemp(prefix="cfz-prometheus-")
        rules = []
        for number, path in enumerate(rule_files):
            copy = os.path.join(workdir, "rules-{}-{}".format(number, os.path.basename(path)))
            shutil.copy(path, copy)
            rules.append(copy)
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as out:
            json.dump({  # JSON is YAML
                "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL,
                           "scrape_timeout": SCRAPE_INTERVAL},
                "rule_files": rules,
                "scrape_configs": [{"job_name": "cfz", "static_configs": [{"targets": [target]}]}],
            }, out)
        port = find_free_port()
        log = open(os.path.join(workdir, "prometheus.log"), "w")
        process = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(workdir, "data"),
             "--web.listen-address=127.0.0.1:{}".format(port), "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
        started.append((process, workdir, log))
        server = Prometheus("http://127.0.0.1:{}".format(port))
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(server.base_url + "/-/ready", timeout=2).status_code == 200 \
                        and server.targets_up():
                    return server
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                with open(os.path.join(workdir, "prometheus.log")) as text:
                    raise AssertionError("Prometheus did not come up scraping {}:\n{}".format(
                        target, text.read()[-3000:]))
            time.sleep(0.2)

    yield start
    for process, workdir, log in started:
        stop_process(process, 10)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def json_lines(output):
    """Every JSON object line of a process's output, parsed."""
    lines = []
    for line in list(output):
        line = line.strip()
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


@pytest.fixture(scope="module")
def observed_stack(request, vhost_pipeline):
    """`cfz run --no-demo` (every service, embedded storage) with JSON logs
    at debug level, its metrics port, and PMOC_URL pointing at a stand-in
    in this process (`stack.pmoc`: its received headers, outages); its
    output lines keep being collected in `stack.output`. Small gateway
    limits make 503s reachable: 8 connections per client, one login at a
    time (with argon2's production cost, so logins overlap)."""
    uri = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    pmoc = PmocSimulator().start()
    port, metrics_port = find_free_port(), find_free_port()
    with vhost_pipeline.get() as vhost:
        env = dict(os.environ, **TEST_SETTINGS)
        for key in ("CFZ_ARGON2_TIME_COST", "CFZ_ARGON2_MEMORY_KIB", "CFZ_ARGON2_CONCURRENCY",
                    "CFZ_ARGON2_QUEUE", "CFZ_ARGON2_WAIT", "CFZ_LOGIN_CONCURRENCY", "CFZ_ENV",
                    "MONGO_URI", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            env.pop(key, None)
        env.update(AMQP_URI="{}://{}/{}".format(uri.scheme, uri.netloc, vhost),
                   GATEWAY_PORT=str(port), CFZ_METRICS_PORT=str(metrics_port),
                   CFZ_LOG_FORMAT="json", CFZ_LOG_LEVEL="debug", PMOC_URL=pmoc.url,
                   CFZ_PMOC_TIMEOUT="2", CFZ_PMOC_RELAY_INTERVAL="0.2",
                   CFZ_PMOC_BACKOFF_BASE="0.2", CFZ_PMOC_BACKOFF_MAX="1",
                   CFZ_PMOC_MAX_ATTEMPTS="1000",  # an outage must not dead-letter
                   PMOC_POLL_SECONDS="0.5", CFZ_LOGIN_CONCURRENCY="1",
                   CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT="8", CFZ_OUTBOX_INTERVAL="0.2")
        process, output = start_cfz_run(env, seconds=120, args=["--no-demo"])
        try:
            assert any("Stop with Ctrl-C" in line for line in output), "".join(output)[-5000:]
            yield SimpleNamespace(
                base="http://127.0.0.1:{}".format(port), port=port,
                metrics_target="127.0.0.1:{}".format(metrics_port), pmoc=pmoc,
                output=output, process=process, logs=lambda: json_lines(output))
        finally:
            stop_process(process, 60)
            pmoc.stop()


def hold_connections(port, count):
    """`count` idle connections to the gateway (to reach its per-client limit)."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        socks.append(sock)
    return socks
