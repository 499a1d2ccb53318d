"""What an operator sees of a real `cfz run`: one request id in every log
line, RPC, event and PMOC call a complaint causes, and what a real
Prometheus scrapes while real traffic (successes, 4xx, 503s, a PMOC
outage) goes through. One `cfz run` serves the whole module
(conftest.observed_stack)."""
import re
import time
import uuid

import eventlet
import requests

from tests.e2e.test_complaints_flow import complaint_body
from tests.helpers import wait_for
from tests.observability.conftest import hold_connections
from tests.observability.expressions import EXPRESSIONS


def file_complaint(stack, request_id=None):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if request_id:
        headers["X-Request-ID"] = request_id
    filed = requests.post(stack.base + "/api/v1/complaints", json=complaint_body(),
                          headers=headers, timeout=30)
    assert filed.status_code == 201, filed.text
    return filed


def pmoc_headers(stack):
    return [h for r in stack.pmoc.snapshot()["requests"] for h in r["received_headers"]]


def test_one_request_id_through_the_gateway_rpc_events_pmoc_and_logs(observed_stack):
    stack = observed_stack
    request_id = "obs-" + uuid.uuid4().hex[:12]
    filed = file_complaint(stack, request_id)
    assert filed.headers["X-Request-ID"] == request_id

    # the relay to PMOC carries it
    assert wait_for(lambda: any(h.get("X-Request-ID") == request_id for h in pmoc_headers(stack)),
                    timeout=30), pmoc_headers(stack)
    received = next(h for h in pmoc_headers(stack) if h.get("X-Request-ID") == request_id)
    assert received["X-Correlation-ID"] == request_id

    def lines(**wanted):
        return [line for line in stack.logs()
                if all(line.get(key) == value for key, value in wanted.items())]

    # reporting consumed complaint_filed with the request's correlation id,
    # and the relay said so once PMOC had answered
    assert wait_for(lambda: lines(service="reporting", entrypoint="on_complaint_filed",
                                  correlation_id=request_id) and any(
        "relayed to PMOC" in line["message"] for line in lines(correlation_id=request_id)),
        timeout=20), "".join(stack.output)[-4000:]
    gateway = lines(service="gateway", request_id=request_id)
    complaints = lines(service="complaints", entrypoint="file_complaint", request_id=request_id)
    relay = lines(service="complaints", entrypoint="relay_to_pmoc", correlation_id=request_id)
    reporting = lines(service="reporting", entrypoint="on_complaint_filed",
                      correlation_id=request_id)
    assert gateway and any(line["logger"] == "cfz.access" and line["status"] == 201
                           and line["route"] == "/api/v1/complaints" for line in gateway), gateway
    assert complaints and all(line["call_id"].startswith("complaints.file_complaint.")
                              for line in complaints), complaints
    assert relay and any("relayed to PMOC" in line["message"] for line in relay), relay
    # the consumer knows which event caused its work
    assert reporting[0]["causation_id"] and reporting[0]["causation_id"] != request_id
    for line in gateway + complaints + relay + reporting:
        assert {"time", "level", "logger", "message", "service"} <= set(line)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])

    # an unusable X-Request-ID is replaced by a new one, never echoed
    for bad in ("x" * 129, "has space", "ไทย".encode("utf-8"), ""):
        answer = requests.get(stack.base + "/healthz", headers={"X-Request-ID": bad}, timeout=10)
        assert answer.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"]), (bad, answer.headers)
    made = requests.get(stack.base + "/healthz", timeout=10).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)


def refused_connection(stack, attempts=3):
    """A request past CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT (8): refused, 503.
    The held connections are given a moment to be taken by the server's
    accept loop; one run in three on a loaded CI machine once saw the ninth
    served, so a served one is tried again with fresh connections (a limit
    that does not hold still fails every attempt)."""
    for _ in range(attempts):
        held = hold_connections(stack.port, 8)
        try:
            time.sleep(0.3)
            refused = requests.get(stack.base + "/healthz", timeout=10)
        finally:
            for sock in held:
                sock.close()
        if refused.status_code == 503:
            return refused
        time.sleep(0.5)  # the closed ones are let go before holding again
    assert refused.status_code == 503, refused.text
    return refused


def _parallel(calls):
    pool = eventlet.GreenPool(len(calls))
    return list(pool.imap(lambda call: call(), calls))


def test_prometheus_sees_statuses_rpc_events_outbox_and_a_pmoc_outage(observed_stack, prometheus):
    stack = observed_stack
    prom = prometheus(stack.metrics_target)
    q = EXPRESSIONS

    # a complaint relayed before the outage, so the status poll has work
    before = len(stack.pmoc.snapshot()["requests"])
    file_complaint(stack)
    assert wait_for(lambda: len(stack.pmoc.snapshot()["requests"]) > before, timeout=30)

    # traffic the clients see: successes, 4xx, and 503s from two limits
    seen = {}

    def count(route, response):
        key = (route, str(response.status_code))
        seen[key] = seen.get(key, 0) + 1

    with requests.Session() as session:
        for _ in range(3):
            count("/api/v1/services", session.get(stack.base + "/api/v1/services",
                                                  params={"q": "บัตรประชาชน"}, timeout=10))
        for point in ("sp-doesnotexist", "sp-alsomissing"):
            count("/api/v1/service-points/{point_id}",
                  session.get(stack.base + "/api/v1/service-points/" + point, timeout=10))
        count("/api/v1/complaints", session.post(stack.base + "/api/v1/complaints",
                                                 json={"category": "NOPE"}, timeout=10))
        count("unmatched", session.get(stack.base + "/no/such/page", timeout=10))
    count("unmatched", refused_connection(stack))
    logins = _parallel([lambda: requests.post(
        stack.base + "/api/v1/auth/token", timeout=30,
        json={"username": "admin", "password": "not-the-password"}) for _ in range(6)])
    for answer in logins:
        count("/api/v1/auth/token", answer)
    assert {a.status_code for a in logins} == {401, 503}, [a.status_code for a in logins]
    assert seen[("/api/v1/service-points/{point_id}", "404")] == 2
    assert seen[("/api/v1/complaints", "400")] == 1

    # Prometheus counts exactly what the clients got, by route and status
    def counted():
        return prom.values(q["http_by_route_status"], ("route", "status"))

    def agrees(_):
        got = counted()
        return all(got.get(key, 0) >= n for key, n in seen.items())
    prom.wait_for(q["http_by_route_status"], agrees, timeout=20)
    got = counted()
    for (route, status), n in seen.items():
        if route not in ("unmatched", "/api/v1/complaints"):  # others send those too
            assert got.get((route, status)) == n, (route, status, got)
    assert got[("unmatched", "503")] >= 1 and got[("/api/v1/auth/token", "503")] >= 1
    fours = prom.values(q["http_4xx_by_route"], ("route", "status"))
    fives = prom.values(q["http_5xx_by_route"], ("route", "status"))
    assert fours[("/api/v1/service-points/{point_id}", "404")] == 2
    assert ("/api/v1/auth/token", "401") in fours and ("unmatched", "404") in fours
    assert set(fives) >= {("unmatched", "503"), ("/api/v1/auth/token", "503")}
    for route, _status in got:  # templates, never raw paths with ids
        assert route == "unmatched" or (route.startswith("/") and "sp-" not in route), route
    # a rate needs the series to grow between two scrapes: one more 503
    refused_connection(stack)
    ratio = prom.wait_for(q["http_error_ratio"], lambda r: r and float(r[0]["value"][1]) > 0,
                          timeout=10)
    assert ratio and 0 < float(ratio[0]["value"][1]) < 1, ratio
    assert prom.wait_for(q["http_p95_seconds"], lambda r: r, timeout=10)

    # RPC by caller, target and outcome; a NotFound is a rejection, not an error
    rpc = prom.values(q["rpc_by_outcome"], ("service", "target", "method", "outcome"))
    assert rpc[("gateway", "complaints", "file_complaint", "success")] >= 2, rpc
    assert rpc[("gateway", "registry", "get_service_point", "rejected")] == 2, rpc
    assert rpc[("gateway", "registry", "authenticate", "rejected")] >= 1, rpc
    assert prom.wait_for(q["rpc_p95_seconds"], lambda r: r, timeout=10)

    # the PMOC outage: the relay backlog and its age rise, the calls fail
    stack.pmoc.stop()
    try:
        outage_start = time.monotonic()
        file_complaint(stack)
        file_complaint(stack)
        pending = prom.wait_for(q["relay_pending"],
                                lambda r: r and float(r[0]["value"][1]) >= 2, timeout=20)
        assert pending and float(pending[0]["value"][1]) >= 2
        first_age = prom.value(q["relay_oldest_pending_age_seconds"])
        aged = prom.wait_for(q["relay_oldest_pending_age_seconds"],
                             lambda r: r and float(r[0]["value"][1]) >= first_age + 2, timeout=20)
        assert float(aged[0]["value"][1]) >= first_age + 2
        failed = prom.wait_for(q["pmoc_calls_by_status"], lambda r: any(
            row["metric"] == {"operation": "submit", "status": "connection_error"}
            for row in r), timeout=20)
        assert failed, failed
        assert prom.wait_for(q["pmoc_poll_failures"],
                             lambda r: r and float(r[0]["value"][1]) >= 1, timeout=20)
        assert time.monotonic() - outage_start < 45
    finally:
        stack.pmoc.start()
    cleared = prom.wait_for(q["relay_pending"], lambda r: r and float(r[0]["value"][1]) == 0,
                            timeout=30)
    assert float(cleared[0]["value"][1]) == 0
    assert prom.value(q["relay_dead_letters"]) == 0  # relayed, not given up on
    assert prom.value(q["relay_oldest_pending_age_seconds"]) is not None
    pmoc = prom.values(q["pmoc_calls_by_status"], ("operation", "status"))
    assert pmoc[("submit", "201")] >= 3 and pmoc[("status_poll", "200")] >= 1, pmoc

    # events: handled (with their lag) by every consumer, published, none waiting long
    handled = prom.values(q["event_handler_by_outcome"], ("service", "event", "outcome"))
    assert handled[("reporting", "complaint_filed", "success")] >= 3, handled
    assert handled[("reporting", "complaint_relayed", "success")] >= 1, handled
    assert not any(outcome == "error" for _, _, outcome in handled), handled
    lag = prom.values(q["event_lag_count"], ("service", "event"))
    assert lag[("reporting", "complaint_filed")] >= 3, lag
    prom.wait_for(q["event_lag_p95_seconds"], lambda r: r, timeout=10)
    lag_p95 = prom.values(q["event_lag_p95_seconds"], "service")
    assert 0 < lag_p95["reporting"] < 30, lag_p95
    published = prom.values(q["events_published"], ("service", "event"))
    assert published[("complaints", "complaint_filed")] >= 3, published
    # none failed; the series exists from the first round, so increase() sees a first one
    assert prom.values(q["outbox_publish_failures"], "service") == {
        name: 0.0 for name in ("registry", "feedback", "complaints", "reporting")}
    pending = prom.values(q["outbox_pending"], "service")
    ages = prom.values(q["outbox_oldest_age_seconds"], "service")
    assert set(pending) == set(ages) == {"registry", "feedback", "complaints", "reporting"}
    assert all(0 <= v < 100 for v in pending.values()) and all(0 <= v < 30 for v in ages.values())

    # every timer ran lately; every service's database answers
    timers = prom.values(q["timer_seconds_since_success"], ("service", "timer"))
    for key in [("complaints", "relay_to_pmoc"), ("complaints", "publish_outbox"),
                ("registry", "publish_outbox"), ("geo", "follow"), ("reporting", "compact")]:
        assert timers[key] < 30, (key, timers)
    assert prom.values(q["mongo_up"], "service") == {
        name: 1.0 for name in ("registry", "geo", "feedback", "complaints", "reporting")}
    entrypoints = prom.values(q["entrypoint_by_outcome"], ("service", "entrypoint", "outcome"))
    # an HTTP route's 503 answer is an error of its entrypoint, never a success
    assert entrypoints[("gateway", "token", "error")] >= 1, \
        {k: v for k, v in entrypoints.items() if k[0] == "gateway"}


# Series a running suite has only once something rare happened: a counter
# appears at its first increment (docs/observability.md).
RARE_SERIES = {
    "cfz_outbox_publish_failures_total",     # the broker refused a publish
    "cfz_events_dead_lettered_total",        # an event failed every attempt
    "cfz_event_retries_total",               # an event handler failed once
    "cfz_satisfaction_alerts_total",         # a satisfaction alert was raised
    "cfz_complaints_duplicated_at_pmoc",     # created at the first gauge round
}


def test_every_alert_rule_and_dashboard_panel_runs_on_the_live_suite(observed_stack, prometheus):
    """deploy/'s alert rules load and evaluate healthily against a Prometheus
    scraping the running suite, every panel query runs, and every metric
    they name is exported (or is one of the rare series above)."""
    import glob

    from deploy import expressions as deploy_expressions
    rules = sorted(glob.glob(deploy_expressions.RULES))
    prom = prometheus(observed_stack.metrics_target, rule_files=rules)
    file_complaint(observed_stack)
    time.sleep(2.5)  # two scrapes and an evaluation
    groups = prom.wait_for("up", lambda r: r, timeout=10) and prom.rules()["groups"]
    evaluated = [rule for group in groups for rule in group["rules"]]
    assert len(evaluated) == len(list(deploy_expressions.rule_expressions()))
    assert all(rule["health"] == "ok" for rule in evaluated), [
        (rule["name"], rule.get("lastError")) for rule in evaluated if rule["health"] != "ok"]
    exported = set(requests.get(prom.base_url + "/api/v1/label/__name__/values",
                                timeout=10).json()["data"])
    named, empty = set(), []
    for item in list(deploy_expressions.rule_expressions()) + list(
            deploy_expressions.panel_expressions()):
        result = prom.query(item["expr"])  # asserts the query is valid
        named |= set(re.findall(r"\b(cfz_[a-z0-9_]+)", item["expr"]))
        if item["kind"] == "panel" and not result:
            empty.append(item["name"])
    missing = sorted(named - exported - RARE_SERIES)
    assert not missing, "deploy/ names metrics the suite does not export: {}".format(missing)
    print("\n{} rules healthy; {} metrics named, all exported but {} rare ones; panels with "
          "no data yet on a quiet suite: {}".format(len(evaluated), len(named),
                                                   len(named & RARE_SERIES - exported), empty))
