"""Log lines, request ids, route labels, event correlation fields, the
outbox backlog and tracing switched off (plain modules, no broker)."""
import io
import json
import logging
import re
from datetime import datetime, timedelta, timezone

import mongomock_ng
import pytest

from services.common import context, events, logs, outbox, tracing
from services.common.metrics import event_lag_seconds
from services.gateway.webserver import route_template


# --- request ids ---------------------------------------------------------------
@pytest.mark.parametrize("value", ["abc", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "x" * 128,
                                   "req:1/2;a=b", "~!@#$%^&*()_+"])
def test_a_usable_request_id_is_kept(value):
    assert context.valid_request_id(value) == value
    assert context.request_id_from(value) == value


@pytest.mark.parametrize("value", [None, "", "x" * 129, "has space", "tab\tin", "new\nline",
                                   "ไทย", "nul\x00", "del\x7f", "é"])
def test_an_unusable_request_id_is_replaced_by_a_new_one(value):
    assert context.valid_request_id(value) is None
    made = context.request_id_from(value)
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert made != context.request_id_from(value)  # a new one each time


# --- JSON log lines --------------------------------------------------------------
def _logged(fmt, level="debug", **ids):
    stream = io.StringIO()
    handler = logs.configure(fmt, level, stream)
    try:
        logger = logging.getLogger("cfz.test")
        with context.bound(**ids):
            logger.info("สวัสดี %s", "world")
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception("it failed")
        logger.debug("outside any work")
    finally:
        logging.getLogger().removeHandler(handler)
    return stream.getvalue().splitlines()


def test_json_log_lines_carry_time_level_service_entrypoint_message_and_ids():
    lines = [json.loads(line) for line in _logged(
        "json", service="complaints", entrypoint="file_complaint", request_id="req-1",
        correlation_id="req-1", call_id="complaints.file_complaint.123")]
    assert len(lines) == 3
    first, failed, outside = lines
    assert first["message"] == "สวัสดี world" and first["level"] == "info"
    assert first["logger"] == "cfz.test"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert {k: first[k] for k in ("service", "entrypoint", "request_id", "correlation_id",
                                  "call_id")} == {
        "service": "complaints", "entrypoint": "file_complaint", "request_id": "req-1",
        "correlation_id": "req-1", "call_id": "complaints.file_complaint.123"}
    assert "causation_id" not in first  # unknown ids are left out, not null
    assert failed["level"] == "error" and "ValueError: boom" in failed["exception"]
    assert "request_id" not in outside and outside["level"] == "debug"


def test_text_log_lines_name_the_service_and_request():
    lines = _logged("text", "info", service="gateway", request_id="req-2")
    assert "INFO cfz.test [gateway req-2]: สวัสดี world" in lines[0]
    assert not any("outside any work" in line for line in lines)  # below info


def test_log_settings_come_from_the_environment_and_bad_values_are_named():
    assert logs.settings({}) == ("text", "info")
    assert logs.settings({"CFZ_LOG_FORMAT": "JSON", "CFZ_LOG_LEVEL": "Debug"}) == ("json", "debug")
    with pytest.raises(ValueError, match="CFZ_LOG_FORMAT"):
        logs.settings({"CFZ_LOG_FORMAT": "xml"})
    with pytest.raises(ValueError, match="CFZ_LOG_LEVEL"):
        logs.settings({"CFZ_LOG_LEVEL": "loud"})


def test_bound_ids_are_undone_after_the_block():
    context.clear()
    with context.bound(correlation_id="a"):
        with context.bound(causation_id="b", request_id=None):
            assert context.current() == {"correlation_id": "a", "causation_id": "b"}
        assert context.current() == {"correlation_id": "a"}
    assert context.current() == {}


# --- metric labels -----------------------------------------------------------------
def test_route_labels_are_templates():
    assert route_template("/api/v1/service-points/<string:point_id>") == \
        "/api/v1/service-points/{point_id}"
    assert route_template("/api/<path:rest>") == "/api/{rest}"
    assert route_template("/static/<path:path>") == "/static/{path}"
    assert route_template("/healthz") == "/healthz"
    assert route_template("/a/<x>/b/<int:y>") == "/a/{x}/b/{y}"


def test_event_lag_is_measured_from_occurred_at():
    now = datetime(2026, 1, 1, 12, 0, 5, tzinfo=timezone.utc)
    assert event_lag_seconds({"occurred_at": "2026-01-01T12:00:00+00:00"}, now) == 5.0
    assert event_lag_seconds({}, now) is None
    assert event_lag_seconds({"occurred_at": "yesterday"}, now) is None


# --- events: correlation fields, added compatibly ---------------------------------
ALERT = {"alert_id": "al-1", "scope": "point", "entity_id": "sp-1",
         "baseline": {"from": "2026-01-01", "to": "2026-01-28", "count": 40, "csat": 0.9},
         "current": {"from": "2026-01-29", "to": "2026-02-04", "count": 40, "csat": 0.5},
         "change": -0.4, "p_value": 0.001}


def test_events_carry_the_correlation_and_causation_of_their_chain():
    context.clear()
    plain = events.new_event("satisfaction_alert", ALERT)
    assert "correlation_id" not in plain and "causation_id" not in plain
    assert "traceparent" not in plain  # tracing is off: nothing added
    with context.bound(correlation_id="req-9", causation_id="evt-1"):
        caused = events.new_event("satisfaction_alert", ALERT)
    assert caused["correlation_id"] == "req-9" and caused["causation_id"] == "evt-1"
    # consumers read old and new payloads alike
    assert events.parse_event("satisfaction_alert", plain)["alert_id"] == "al-1"
    assert events.parse_event("satisfaction_alert", caused)["correlation_id"] == "req-9"


# --- the outbox backlog ------------------------------------------------------------
def test_outbox_backlog_counts_events_and_ages_from_when_they_were_queued():
    collection = mongomock_ng.MongoClient(tz_aware=True).db.things
    assert outbox.backlog(collection) == (0, 0.0)
    now = datetime.now(timezone.utc)
    old = outbox.outbox_entry("satisfaction_alert", events.new_event(
        "satisfaction_alert", ALERT, now=now - timedelta(days=90)))  # backdated, queued now
    older = dict(old, event_id="e2", queued_at=(now - timedelta(seconds=40)).isoformat())
    legacy = {"event_id": "e3", "name": "x",  # written before queued_at existed
              "payload": {"occurred_at": (now - timedelta(seconds=20)).isoformat()}}
    collection.insert_many([{"_id": 1, "outbox": [old, older]}, {"_id": 2, "outbox": [legacy]},
                            {"_id": 3, "outbox": []}, {"_id": 4}])
    count, age = outbox.backlog(collection, now=now + timedelta(seconds=1))
    assert count == 3 and 40 < age < 42


def test_a_failed_publish_is_reported():
    collection = mongomock_ng.MongoClient(tz_aware=True).db.things
    collection.insert_one({"_id": 1, "outbox": [outbox.outbox_entry(
        "satisfaction_alert", events.new_event("satisfaction_alert", ALERT))]})
    failures = []

    def refuse(batch):
        raise ConnectionError("broker gone")
    assert outbox.flush(collection, refuse, on_failure=lambda: failures.append(1)) == 0
    assert failures == [1] and outbox.backlog(collection)[0] == 1


# --- tracing switched off -----------------------------------------------------------
def test_tracing_is_off_by_default_and_costs_nothing():
    assert not tracing.enabled()
    assert tracing.span("x") is tracing.span("y")  # one shared no-op
    with tracing.span("x"):
        assert tracing.current_traceparent() is None
    assert tracing.start("x") is None
    tracing.finish(None)
    assert tracing.setup_from_env("cfz", environ={}) is False


def test_an_outbox_round_counts_what_it_published_and_what_waits():
    from prometheus_client import REGISTRY
    from services.common import metrics
    collection = mongomock_ng.MongoClient(tz_aware=True).db.things
    collection.insert_many([{"_id": n, "outbox": [outbox.outbox_entry(
        "satisfaction_alert", events.new_event("satisfaction_alert", ALERT))]} for n in (1, 2)])
    sent = []
    metrics._backlog_read_at.pop("unit-svc", None)
    assert metrics.publish_outbox("unit-svc", [collection], sent.extend) == 2
    assert len(sent) == 2 and outbox.backlog(collection) == (0, 0.0)

    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, dict(labels, service="unit-svc"))
    assert sample("cfz_events_published_total", event="satisfaction_alert") == 2
    assert sample("cfz_outbox_pending_events") == 0
    assert sample("cfz_outbox_publish_failures_total") == 0  # there from the first round


def test_a_complaint_keeps_its_request_id_through_relay_and_status_sync(database):
    """Timer work (the relay, PMOC's status changes) names the complaint's
    own chain: the request that filed it."""
    import eventlet
    from services.complaints import relay, store
    from services.complaints.pmoc_sim import PmocSimulator
    from services.complaints.schemas import ComplaintCreate
    from services.registry.schemas import load
    complaints = store.ComplaintStore(database)
    data = load(ComplaintCreate, {"category": "OTHER", "description": "ถูกเรียกสำเนา",
                                  "location": {"lat": 13.75, "lon": 100.5}})
    context.clear()
    with context.bound(correlation_id="req-filed"):
        view, _ = complaints.file(data, correlation_id=context.get("correlation_id"))
    with PmocSimulator() as sim:
        client = relay.PmocClient(sim.url, timeout=2)
        settings = relay.RelaySettings(url=sim.url, timeout=2)
        assert relay.relay_round(complaints, client, settings,
                                 eventlet.GreenPool(2)) == {"relayed": 1}
        received = sim.snapshot()["requests"][0]
        assert received["received_headers"][0]["X-Request-ID"] == "req-filed"
        assert received["received_headers"][0]["X-Correlation-ID"] == "req-filed"
        sim.set_status(received["service_request_id"], "closed", "done")
        assert relay.sync_round(complaints, client) == 1
    assert context.current() == {}  # nothing left bound on the timer's thread
    names = {entry["name"]: entry["payload"]
             for entry in database.complaints.find_one()["outbox"]}
    assert {name: payload.get("correlation_id") for name, payload in names.items()} == {
        "complaint_filed": "req-filed", "complaint_relayed": "req-filed",
        "complaint_status_changed": "req-filed"}
