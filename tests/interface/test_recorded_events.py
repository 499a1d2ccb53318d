"""Consumers, one service at a time, fed the events recorded on 2026-12-02.

tests/data/events-2026-12-02.json holds events exactly as a demo `cfz run`
published them (a point updated, a point closed and two comments moderated
over HTTP added), so a change to a producer that drops or renames a field
consumers rely on, or to a consumer that stops accepting today's events,
fails here even when producer and consumer were changed together. Events may
only gain fields.

geo and reporting each run alone in a nameko container against the real
RabbitMQ, their neighbours replaced (`replace_dependencies`) by a stand-in
of the registry's paged `open_points` answering the recorded points; the
recorded events are published on the producers' exchanges as the producers
publish them.
"""
import collections
import json
from pathlib import Path

import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook, replace_dependencies

from services.common import events
from services.geo.service import GeoService
from services.reporting.service import ReportingService
from tests.helpers import wait_for

RECORDED = json.loads((Path(__file__).parent.parent / "data" / "events-2026-12-02.json")
                      .read_text(encoding="utf-8"))["events"]
OFFICE_EVENTS = ("office_registered", "office_updated", "office_closed", "services_changed")
# what the producer adds to every event; the registry's open_points answers without it
EVENT_FIELDS = {"event_id", "occurred_at", "version", "entity_version", "correlation_id",
                "causation_id", "traceparent"}


def recorded(name):
    return [e["payload"] for e in RECORDED if e["event"] == name]


def open_points():
    """The recorded points still open, as the registry's open_points pages them."""
    latest = {}
    for e in RECORDED:
        if e["event"] in ("office_registered", "office_updated"):
            latest[e["payload"]["id"]] = {k: v for k, v in e["payload"].items()
                                          if k not in EVENT_FIELDS}
        elif e["event"] == "office_closed":
            latest.pop(e["payload"]["id"], None)
    return [latest[k] for k in sorted(latest)]


class Answer:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class PagedMethod:
    def __init__(self, records):
        self.records = records

    def call_async(self, after, limit):
        rest = [r for r in self.records if after is None or r["id"] > after]
        return Answer(rest[:limit])


class RegistryStandIn:
    """The registry as geo and reporting call it (services/common/rpc.py):
    open_points(after_id, limit) paged by id."""
    service_name = "registry"
    worker_ctx = None

    def __init__(self, points):
        self.open_points = PagedMethod(points)


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def publish(config, names):
    dispatch = event_dispatcher(config)
    for e in RECORDED:
        if e["event"] in names:
            dispatch(events.spec(e["event"]).source, e["event"], e["payload"])


def test_every_recorded_event_still_meets_its_contract():
    counts = collections.Counter(e["event"] for e in RECORDED)
    assert set(counts) == set(events.EVENTS), "the recording covers every event"
    for e in RECORDED:
        parsed = events.parse_event(e["event"], e["payload"])
        assert events.spec(e["event"]).source == e["source"]
        assert str(parsed["event_id"]) == e["payload"]["event_id"]


def test_geo_alone_follows_the_recorded_registry_events(container_factory, config):
    geo = container_factory(GeoService, config)
    replace_dependencies(geo, registry=RegistryStandIn(open_points()))
    geo.start()
    publish(config, OFFICE_EVENTS)

    closed = recorded("office_closed")[0]["id"]
    updated = recorded("office_updated")[0]
    for point in open_points():
        where = dict(point["location"], k=1)

        def nearest(where=where):
            return call(geo, "nearby", where)["results"]
        assert wait_for(lambda: nearest() and nearest()[0]["service_point"]["id"] == point["id"])
    shown = call(geo, "nearby", dict(updated["location"], k=1))["results"][0]["service_point"]
    assert shown["opening_hours"] == updated["opening_hours"]
    everywhere = call(geo, "nearby", dict(updated["location"], k=50))["results"]
    assert closed not in {r["service_point"]["id"] for r in everywhere}


def test_reporting_alone_counts_the_recorded_ratings_and_complaints(container_factory, config):
    reporting = container_factory(ReportingService, config)
    replace_dependencies(reporting, registry=RegistryStandIn(open_points()))
    reporting.start()
    publish(config, OFFICE_EVENTS + ("feedback_submitted", "feedback_moderated",
                                     "complaint_filed", "complaint_relayed",
                                     "complaint_status_changed"))
    ratings = collections.defaultdict(list)
    for payload in recorded("feedback_submitted"):
        ratings[payload["service_point_id"]].append(payload["answers"]["satisfaction"])
    query = {"from": "2026-05-01", "to": "2026-12-02"}
    for point_id, scores in ratings.items():
        def counted(point_id=point_id):
            return call(reporting, "report", "service_point", point_id, query)["count"]
        assert wait_for(lambda: counted() == len(scores), timeout=20), (point_id, counted())
        report = call(reporting, "report", "service_point", point_id, query)
        satisfied = sum(1 for s in scores if s >= 4)
        assert report["csat"] == pytest.approx(satisfied / len(scores), abs=1e-3)

    filed = recorded("complaint_filed")
    final = {}
    for payload in recorded("complaint_status_changed"):
        final[payload["complaint_id"]] = payload["status"]
    agency = filed[0]["agency_id"]
    mine = [c for c in filed if c["agency_id"] == agency]
    complaints_query = {"from": "2026-01-01", "to": "2026-12-02"}

    def performance():
        return call(reporting, "report", "agency", agency, complaints_query)["complaints"]
    assert wait_for(lambda: performance()["filed"] == len(mine), timeout=20), performance()
    by_status = collections.Counter(final.get(c["complaint_id"], c["status"]) for c in mine)
    assert wait_for(lambda: performance()["by_status"] == dict(by_status), timeout=20), \
        (performance()["by_status"], by_status)
