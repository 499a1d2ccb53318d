"""Open data files in bounded chunks by generation, and the debounce that
regenerates a burst of changes once (services/common/opendata_store.py)."""
import base64
import gzip
import os
from datetime import datetime, timedelta, timezone

import bson
import mongomock_ng
import pytest

from services.common import opendata_store as store
from services.common.errors import NotFound
from services.common.storage import ensure_indexes

MONGO_LIMIT = 16 * 1024 * 1024


@pytest.fixture
def db():
    database = mongomock_ng.MongoClient(tz_aware=True).registry
    ensure_indexes(database, store.INDEXES)
    return database


def read(db, name, encoding="identity"):
    manifest = store.manifest_view(db)
    entry = next(f for f in manifest["files"] if f["name"] == name)
    return b"".join(base64.b64decode(store.chunk(db, manifest["generation"], name, encoding, i))
                    for i in range(entry[encoding]["chunks"]))


def test_a_file_over_mongodbs_document_limit_is_stored_in_bounded_chunks(db):
    body = os.urandom(17 * 1024 * 1024)  # incompressible: the gzip copy is as large
    store.publish(db, [{"name": "big.bin", "media_type": "application/octet-stream",
                        "body": body}])
    sizes = [len(bson.encode(doc)) for doc in db.open_data_chunks.find()]
    assert max(sizes) < store.CHUNK_BYTES + 1024 < MONGO_LIMIT
    assert len(sizes) == 17 + 18  # 17 MiB, and a little more once gzipped
    assert read(db, "big.bin") == body
    assert gzip.decompress(read(db, "big.bin", "gzip")) == body
    entry = store.manifest_view(db)["files"][0]
    assert entry["bytes"] == len(body) and entry["identity"]["chunks"] == 17


def test_a_new_generation_replaces_the_manifest_at_once_and_keeps_the_previous_chunks(db):
    files = lambda text: [{"name": "a.csv", "media_type": "text/csv", "body": text}]  # noqa: E731
    first = store.publish(db, files(b"one" * 100), chunk_bytes=64)
    assert read(db, "a.csv") == b"one" * 100
    second = store.publish(db, files(b"two" * 100), chunk_bytes=64)
    assert read(db, "a.csv") == b"two" * 100
    # a download that began on the first generation can still finish
    assert base64.b64decode(store.chunk(db, first["generation"], "a.csv", "identity", 4))
    third = store.publish(db, files(b"three" * 100), chunk_bytes=64)
    with pytest.raises(NotFound) as gone:
        store.chunk(db, first["generation"], "a.csv", "identity", 0)
    assert gone.value.error_code == "OPEN_DATA_GONE"
    assert {d["generation"] for d in db.open_data_chunks.find()} == {second["generation"],
                                                                     third["generation"]}


def test_an_unchanged_file_keeps_its_date_so_validators_still_match(db):
    earlier = datetime(2026, 1, 1, tzinfo=timezone.utc)
    store.publish(db, [{"name": "a", "media_type": "text/plain", "body": b"same"},
                       {"name": "b", "media_type": "text/plain", "body": b"old"}], earlier)
    store.publish(db, [{"name": "a", "media_type": "text/plain", "body": b"same"},
                       {"name": "b", "media_type": "text/plain", "body": b"new"}],
                  earlier + timedelta(hours=1))
    files = {f["name"]: f for f in store.manifest_view(db)["files"]}
    assert files["a"]["modified"] == earlier.isoformat()
    assert files["b"]["modified"] == (earlier + timedelta(hours=1)).isoformat()


def test_a_burst_of_changes_regenerates_once_and_at_most_every_n_seconds(db):
    now = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    generations = []

    def tick(at):
        dirty = store.due(db, 60, now=at)
        if dirty is not None:
            store.publish(db, [{"name": "f", "media_type": "text/plain", "body": b"x"}])
            store.finished(db, dirty)
            generations.append(at)

    tick(now)  # no files yet: the first tick generates
    assert generations == [now]
    tick(now + timedelta(seconds=1))  # clean: nothing
    for _ in range(1000):
        store.mark_dirty(db)
    for second in range(2, 60):
        tick(now + timedelta(seconds=second))  # dirty, but within 60 s of the last
    assert len(generations) == 1
    tick(now + timedelta(seconds=60))
    tick(now + timedelta(seconds=61))
    assert generations == [now, now + timedelta(seconds=60)]  # 1,000 changes: one generation


def test_a_change_during_a_generation_keeps_the_files_dirty(db):
    now = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    dirty = store.due(db, 0, now=now)
    store.mark_dirty(db)  # written while the files were being built
    store.publish(db, [{"name": "f", "media_type": "text/plain", "body": b"x"}])
    store.finished(db, dirty)
    assert store.due(db, 0, now=now + timedelta(seconds=1)) is not None


def test_one_generator_at_a_time_and_a_dead_ones_lease_expires(db):
    now = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    assert store.due(db, 0, now=now) is not None
    # another replica, while the first is generating: refused
    assert store.due(db, 0, now=now + timedelta(seconds=5)) is None
    # the first died without finishing: after the lease, another may
    later = now + timedelta(seconds=store.LEASE_SECONDS + 1)
    assert store.due(db, 0, now=later) is not None
