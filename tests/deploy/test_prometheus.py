"""The scrape configuration, the alert rules and their promtool unit
tests, the Alertmanager configuration, and the PromQL of every dashboard
panel (parsed by promtool as recording rules)."""
import copy
import os
import re
import subprocess

import yaml

from deploy import expressions
from services.cli import SERVICES
from tests.deploy.conftest import DEPLOY, ROOT, tool

PROMETHEUS = os.path.join(DEPLOY, "prometheus")
# the metric contract the services implement (docs/operations.md, "Metrics")
CFZ_METRICS = {
    "cfz_http_requests_total", "cfz_http_request_duration_seconds", "cfz_rpc_calls_total",
    "cfz_rpc_call_duration_seconds", "cfz_event_handler_calls_total", "cfz_event_lag_seconds",
    "cfz_events_published_total", "cfz_outbox_publish_failures_total",
    "cfz_outbox_pending_events", "cfz_outbox_oldest_pending_age_seconds",
    "cfz_timer_last_success_timestamp_seconds", "cfz_mongo_up",
    "cfz_pmoc_request_duration_seconds", "cfz_pmoc_status_poll_failures_total",
    "cfz_complaints_relay", "cfz_complaints_relay_oldest_pending_age_seconds",
    "cfz_satisfaction_alerts_total", "cfz_entrypoint_calls_total",
    "cfz_entrypoint_duration_seconds",
    # existing service metrics outside the contract
    "cfz_complaints_relay_attempts_total", "cfz_complaints_pmoc_status_changes_total",
    "cfz_reporting_events_applied_total", "cfz_reporting_dirty_months",
    "cfz_feedback_submissions_total", "cfz_event_retries_total", "cfz_events_dead_lettered_total",
    "cfz_complaints_duplicated_at_pmoc",
}
# named on a panel before a service counts it (none now; the live test in
# tests/observability checks that every name is exported)
PROPOSED_METRICS = set()
REQUIRED_ALERTS = {"CfzServiceDown", "CfzGatewayHighErrorRatio", "CfzRpcTimeouts",
                   "CfzOutboxStuck", "CfzComplaintsDeadLetter", "CfzComplaintsNotRelayed",
                   "CfzEventHandlerFailures", "RabbitmqQueueGrowing",
                   "CfzSatisfactionAlertRaised"}


def run(*command, cwd=None):
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120)
    return done.returncode, done.stdout + done.stderr


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_promtool_accepts_the_configuration_and_its_rules():
    code, said = run(tool("promtool"), "check", "config", "prometheus.yml", cwd=PROMETHEUS)
    assert code == 0, said
    assert "1 rule files found" in said  # the relative rules/ path resolves


def test_every_replica_of_every_service_is_discovered():
    config = load(os.path.join(PROMETHEUS, "prometheus.yml"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for service in SERVICES:
        job = jobs["cfz-" + service]
        (sd,) = job["dns_sd_configs"]  # DNS: all containers of the Compose service
        assert sd["names"] == [service] and sd["type"] == "A" and sd["port"] == 9100
    assert jobs["rabbitmq"]["dns_sd_configs"][0]["port"] == 15692
    assert jobs["rabbitmq-queues"]["metrics_path"] == "/metrics/detailed"
    assert "mongodb" in jobs


def test_kubernetes_example_keeps_annotated_pods_only():
    # Debian's promtool is built without Kubernetes discovery, so the
    # example is checked for what matters here
    config = load(os.path.join(PROMETHEUS, "kubernetes-pods.example.yml"))
    (job,) = config["scrape_configs"]
    assert job["kubernetes_sd_configs"][0]["role"] == "pod"
    relabel = {tuple(r.get("source_labels", ())): r for r in job["relabel_configs"]}
    keep = relabel[("__meta_kubernetes_pod_annotation_prometheus_io_scrape",)]
    assert keep["action"] == "keep" and keep["regex"] == "true"
    port = relabel[("__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port")]
    assert port["target_label"] == "__address__"
    assert re.fullmatch(port["regex"], "10.1.2.3:8000;9100")
    assert re.sub(port["regex"], port["replacement"].replace("$", "\\"), "10.1.2.3:8000;9100") \
        == "10.1.2.3:9100"
    name = relabel[("__meta_kubernetes_pod_label_app_kubernetes_io_name",)]
    assert name["target_label"] == "job" and name["replacement"] == "cfz-$1"


def test_promtool_unit_tests_pass():
    code, said = run(tool("promtool"), "test", "rules", "tests/cfz_test.yml", cwd=PROMETHEUS)
    assert code == 0, said


def test_every_required_alert_has_firing_and_silent_cases():
    rules = {e["name"]: e["rule"] for e in expressions.rule_expressions() if e["kind"] == "alert"}
    assert REQUIRED_ALERTS <= set(rules)
    tested = load(os.path.join(PROMETHEUS, "tests", "cfz_test.yml"))
    fired, silent = set(), set()
    for test in tested["tests"]:
        for case in test.get("alert_rule_test", []):
            (fired if case.get("exp_alerts") else silent).add(case["alertname"])
    assert fired == set(rules), "alerts never seen firing: {}".format(set(rules) - fired)
    assert silent == set(rules), "alerts never seen silent: {}".format(set(rules) - silent)


def test_every_alert_is_documented_with_a_runbook_that_exists():
    with open(os.path.join(ROOT, "docs", "operations.md"), encoding="utf-8") as handle:
        operations = handle.read()
    anchors = {re.sub(r"[^a-z0-9 _-]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
               for line in operations.splitlines() if line.startswith("#")}
    for entry in expressions.rule_expressions():
        rule = entry["rule"]
        if entry["kind"] != "alert":
            continue
        notes = rule["annotations"]
        for key in ("summary", "summary_th", "description", "runbook_url"):
            assert notes.get(key), (entry["name"], key)
        assert rule["labels"]["severity"] in ("page", "ticket", "notify"), entry["name"]
        page, anchor = notes["runbook_url"].split("#")
        assert page == "docs/operations.md" and anchor == entry["name"].lower(), notes
        assert anchor in anchors, "docs/operations.md has no section {!r}".format(entry["name"])


def test_rules_and_panels_use_only_known_metrics():
    names = re.compile(r"\b(cfz_[a-z_]+?)(?:_bucket|_count|_sum)?\b(?!\s*\()")
    for entry in expressions.all_expressions():
        for name in names.findall(entry["expr"]):
            assert name in CFZ_METRICS | PROPOSED_METRICS, (entry["source"], entry["name"], name)


def test_database_wide_gauges_are_never_summed():
    # every replica reports the same value: a sum would count it per replica
    for entry in expressions.all_expressions():
        for gauge in ("cfz_outbox_oldest_pending_age_seconds", "cfz_outbox_pending_events",
                      "cfz_complaints_relay_oldest_pending_age_seconds", "cfz_complaints_relay"):
            assert not re.search(r"sum[^()]*\(\s*" + gauge + r"\b", entry["expr"]), entry["name"]


def test_every_panel_query_parses(tmp_path):
    panels = list(expressions.panel_expressions())
    assert len({p["source"] for p in panels}) == 5 and len(panels) >= 25
    rules = {"groups": [{"name": "panels", "rules": [
        {"record": "cfz_panel:{}".format(i), "expr": p["expr"]} for i, p in enumerate(panels)]}]}
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    code, said = run(tool("promtool"), "check", "rules", str(path))
    assert code == 0, said


def test_a_broken_rule_turns_the_promtool_tests_red(tmp_path):
    """The unit tests can fail: with the outbox threshold raised tenfold
    the stuck outbox no longer fires and promtool says so."""
    rules = load(os.path.join(PROMETHEUS, "rules", "cfz.yml"))
    broken = copy.deepcopy(rules)
    for group in broken["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == "CfzOutboxStuck":
                rule["expr"] = rule["expr"].replace("> 300", "> 3000")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "cfz.yml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    (tmp_path / "tests").mkdir()
    with open(os.path.join(PROMETHEUS, "tests", "cfz_test.yml"), encoding="utf-8") as handle:
        (tmp_path / "tests" / "cfz_test.yml").write_text(handle.read(), encoding="utf-8")
    code, said = run(tool("promtool"), "test", "rules", "tests/cfz_test.yml", cwd=str(tmp_path))
    assert code != 0 and "CfzOutboxStuck" in said, said


def test_alertmanager_configuration_is_valid_and_routes_every_severity():
    path = os.path.join(DEPLOY, "alertmanager", "alertmanager.yml")
    code, said = run(tool("amtool"), "check-config", path)
    assert code == 0, said
    for severity, receiver in (("page", "ops-page"), ("ticket", "ops-ticket"),
                               ("notify", "programme-staff")):
        code, said = run(tool("amtool"), "config", "routes", "test", "--config.file", path,
                         "severity=" + severity, "alertname=CfzOutboxStuck")
        assert code == 0 and said.split("\n")[0].strip() == receiver, (severity, said)
