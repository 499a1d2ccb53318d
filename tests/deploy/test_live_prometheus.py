"""Every alert rule and every dashboard query run by a real Prometheus
(Debian's, from scripts/ensure-prometheus): the rules load and evaluate
without errors, and each panel's query is accepted by the query API.
The server scrapes only itself, so most queries answer empty: what is
checked is that Prometheus runs them, not what they find."""
import os
import shutil
import subprocess
import time

import pytest
import requests
import yaml
from nameko.testing.utils import find_free_port

from deploy import expressions
from tests.deploy.conftest import DEPLOY, tool


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    tool("promtool")  # same package: say how to install it when missing
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not installed: run scripts/ensure-prometheus")
    folder = tmp_path_factory.mktemp("prometheus")
    port = find_free_port()
    shutil.copytree(os.path.join(DEPLOY, "prometheus", "rules"), str(folder / "rules"))
    (folder / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["rules/*.yml"],
        "scrape_configs": [{"job_name": "prometheus",
                            "static_configs": [{"targets": ["127.0.0.1:{}".format(port)]}]}]}))
    process = subprocess.Popen(
        [binary, "--config.file", str(folder / "prometheus.yml"),
         "--storage.tsdb.path", str(folder / "data"),
         "--web.listen-address", "127.0.0.1:{}".format(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = "http://127.0.0.1:{}".format(port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/-/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            time.sleep(0.5)
        else:
            pytest.fail("Prometheus did not become ready in 60 s")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def test_every_rule_loads_and_evaluates(prometheus):
    wanted = {e["name"] for e in expressions.rule_expressions()}
    deadline = time.monotonic() + 30
    while True:
        groups = requests.get(prometheus + "/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = {r["name"]: r for g in groups for r in g["rules"]}
        evaluated = all(r.get("lastEvaluation", "").startswith("20") for r in rules.values())
        if (set(rules) == wanted and evaluated) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert set(rules) == wanted
    for name, rule in rules.items():
        assert rule["health"] == "ok", (name, rule.get("lastError"))


def test_absent_services_are_reported_down(prometheus):
    """Nothing but Prometheus is scraped here, so every service is absent
    and CfzServiceDown is pending for each (it fires after 2 minutes)."""
    deadline = time.monotonic() + 30
    while True:
        alerts = requests.get(prometheus + "/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        down = {a["labels"]["job"] for a in alerts if a["labels"]["alertname"] == "CfzServiceDown"}
        if len(down) == 6 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert down == {"cfz-registry", "cfz-geo", "cfz-feedback", "cfz-complaints",
                    "cfz-reporting", "cfz-gateway"}


def test_every_panel_query_runs(prometheus):
    for entry in expressions.panel_expressions():
        answer = requests.get(prometheus + "/api/v1/query", params={"query": entry["expr"]},
                              timeout=10).json()
        assert answer["status"] == "success", (entry["name"], answer.get("error"))
