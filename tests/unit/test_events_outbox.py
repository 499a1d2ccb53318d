import uuid

import mongomock_ng
import pytest
from marshmallow import ValidationError

from services.common import events, outbox


def office(**overrides):
    payload = {"id": "sp-1", "agency_id": "ag-1", "name_th": "ที่ว่าการอำเภอ",
               "name_en": "District Office", "province_code": "10",
               "location": {"lat": 13.7, "lon": 100.5}, "status": "open",
               "services": [], "entity_version": 1}
    payload.update(overrides)
    return payload


def test_new_event_adds_common_fields():
    event = events.new_event("office_registered", office())
    uuid.UUID(event["event_id"])
    assert event["occurred_at"].endswith("+00:00")
    assert event["version"] == 1
    assert events.parse_event("office_registered", event)["id"] == "sp-1"


def test_every_event_has_a_distinct_id():
    ids = {events.new_event("office_closed", {"id": "sp", "agency_id": "a",
                                              "entity_version": 2})["event_id"]
           for _ in range(100)}
    assert len(ids) == 100


def test_producer_breaking_the_contract_is_refused():
    with pytest.raises(ValidationError):
        events.new_event("office_registered", office(status="demolished"))
    with pytest.raises(events.UnknownEvent):
        events.new_event("office_exploded", office())


def test_every_event_names_its_source_and_version():
    sources = {"registry", "feedback", "complaints", "reporting"}
    for name, spec in events.EVENTS.items():
        assert spec.name == name and spec.source in sources and spec.version >= 1


@pytest.fixture
def collection():
    return mongomock_ng.MongoClient().db.points


def _pending(collection, n):
    for i in range(n):
        entry = outbox.outbox_entry("office_closed", events.new_event(
            "office_closed", {"id": "sp-{}".format(i), "agency_id": "a", "entity_version": 1}))
        collection.insert_one({"_id": "sp-{}".format(i), "outbox": [entry]})


def test_flush_publishes_each_event_and_clears_it(collection):
    _pending(collection, 3)
    sent = []
    assert outbox.flush(collection, lambda name, payload: sent.append(payload["id"])) == 3
    assert sorted(sent) == ["sp-0", "sp-1", "sp-2"]
    assert outbox.pending_count(collection) == 0
    assert outbox.flush(collection, lambda *a: sent.append(a)) == 0  # nothing twice


def test_failed_publish_keeps_the_event_for_the_next_round(collection):
    _pending(collection, 2)

    def broker_down(name, payload):
        raise ConnectionError("broker unreachable")

    assert outbox.flush(collection, broker_down) == 0
    assert outbox.pending_count(collection) == 2
    sent = []
    assert outbox.flush(collection, lambda n, p: sent.append(p)) == 2
    assert outbox.pending_count(collection) == 0


def test_events_of_one_document_keep_their_order(collection):
    entries = [outbox.outbox_entry("office_closed", events.new_event(
        "office_closed", {"id": "sp", "agency_id": "a", "entity_version": v})) for v in (1, 2, 3)]
    collection.insert_one({"_id": "sp", "outbox": entries})
    versions = []
    outbox.flush(collection, lambda n, p: versions.append(p["entity_version"]))
    assert versions == [1, 2, 3]
