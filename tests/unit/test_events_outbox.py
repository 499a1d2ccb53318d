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
    assert outbox.flush(collection, lambda batch: sent.extend(p["id"] for _, p in batch)) == 3
    assert sorted(sent) == ["sp-0", "sp-1", "sp-2"]
    assert outbox.pending_count(collection) == 0
    assert outbox.flush(collection, sent.extend) == 0  # nothing twice


def test_failed_publish_keeps_the_event_for_the_next_round(collection):
    _pending(collection, 2)

    def broker_down(batch):
        raise ConnectionError("broker unreachable")

    assert outbox.flush(collection, broker_down) == 0
    assert outbox.pending_count(collection) == 2
    sent = []
    assert outbox.flush(collection, sent.extend) == 2
    assert outbox.pending_count(collection) == 0


def test_events_of_one_document_keep_their_order(collection):
    entries = [outbox.outbox_entry("office_closed", events.new_event(
        "office_closed", {"id": "sp", "agency_id": "a", "entity_version": v})) for v in (1, 2, 3)]
    collection.insert_one({"_id": "sp", "outbox": entries})
    versions = []
    outbox.flush(collection, lambda batch: versions.extend(p["entity_version"] for _, p in batch))
    assert versions == [1, 2, 3]


# --- publishing at once, claims and order ------------------------------------------
def _closed(entity, version):
    return outbox.outbox_entry("office_closed", events.new_event(
        "office_closed", {"id": entity, "agency_id": "a", "entity_version": version}))


def _push(collection, entity, version):
    collection.update_one({"_id": entity}, outbox.push_events({}, [_closed(entity, version)]),
                          upsert=True)


def _versions(batch):
    return [(p["id"], p["entity_version"]) for _, p in batch]


def test_a_worker_knows_the_events_it_queued():
    outbox.take_pushed()
    first, second = _closed("sp-1", 1), _closed("sp-2", 1)
    assert outbox.take_pushed() == [first["event_id"], second["event_id"]]
    assert outbox.take_pushed() == []


def test_a_bulk_worker_leaves_its_events_to_the_timer(collection):
    outbox.take_pushed()
    for n in range(outbox.MAX_REMEMBERED + 1):
        _push(collection, "sp-{}".format(n), 1)
    assert outbox.take_pushed() == []  # selecting 101 documents by id: the timer's job
    sent = []
    assert outbox.flush(collection, sent.extend) == outbox.MAX_REMEMBERED + 1


def test_a_worker_publishes_its_own_documents_only(collection):
    _push(collection, "sp-other", 1)  # someone else's, e.g. left by a crash
    outbox.take_pushed()
    _push(collection, "sp-mine", 1)
    _push(collection, "sp-mine", 2)
    sent = []
    assert outbox.flush(collection, lambda b: sent.extend(_versions(b)),
                        event_ids=outbox.take_pushed()) == 2
    assert sent == [("sp-mine", 1), ("sp-mine", 2)]
    assert outbox.pending_count(collection) == 1
    assert outbox.flush(collection, sent.extend, event_ids=[]) == 0


def test_an_event_pushed_while_another_publisher_holds_the_entity_waits_its_turn(collection):
    """The worker of a later write and the timer race the holder of an
    earlier one: nobody publishes the entity beside the holder, and the
    holder publishes the later event after its own, exactly once."""
    _push(collection, "sp", 1)
    wire = []

    def holder_publishes(batch):
        wire.extend(_versions(batch))
        if len(wire) == 1:  # while the broker has v1 in hand, v2 is written
            outbox.take_pushed()
            _push(collection, "sp", 2)
            later = outbox.take_pushed()
            # the later write's worker and the timer find the entity held
            assert outbox.flush(collection, lambda b: wire.extend(_versions(b)),
                                event_ids=later) == 0
            assert outbox.flush(collection, lambda b: wire.extend(_versions(b))) == 0

    assert outbox.flush(collection, holder_publishes) == 2
    assert wire == [("sp", 1), ("sp", 2)]
    assert outbox.pending_count(collection) == 0


def test_a_crashed_holders_entities_are_taken_over_when_its_lease_ends(collection):
    _push(collection, "sp", 1)
    now = [1000.0]

    def crash(batch):
        raise SystemExit("the process died mid-publish")  # leaves its claim behind

    with pytest.raises(SystemExit):
        outbox.flush(collection, crash, clock=lambda: now[0])
    sent = []
    assert outbox.flush(collection, sent.extend, clock=lambda: now[0]) == 0  # still held
    now[0] += outbox.LEASE_SECONDS + 1
    assert outbox.flush(collection, lambda b: sent.extend(_versions(b)),
                        clock=lambda: now[0]) == 1
    assert sent == [("sp", 1)]


def test_a_failed_batch_is_released_for_the_next_round_at_once(collection):
    _push(collection, "sp", 1)
    failures = []

    def broker_down(batch):
        raise ConnectionError("broker unreachable")

    assert outbox.flush(collection, broker_down, on_failure=lambda: failures.append(1)) == 0
    assert failures == [1]
    sent = []
    assert outbox.flush(collection, lambda b: sent.extend(_versions(b))) == 1
    assert sent == [("sp", 1)]


def test_one_round_publishes_many_entities_in_one_batch(collection):
    for n in range(70):
        _push(collection, "sp-{}".format(n), 1)
    batches = []
    assert outbox.flush(collection, batches.append) == 70
    assert [len(batch) for batch in batches] == [70]
