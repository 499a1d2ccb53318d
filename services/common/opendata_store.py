"""Open data files stored in bounded chunks, by generation (plain module).

A service that publishes open data (the registry: the register of points;
reporting: satisfaction per point and month) generates whole files ahead of
time and stores them here, in its own database; the gateway streams the
stored bytes chunk by chunk. Files of 100,000 points are tens of MB, over
MongoDB's 16 MiB document limit and CFZ_RPC_MAX_REPLY_BYTES, hence chunks.

A generation is written in three steps, so a reader never mixes two:
1. every chunk of the new generation (raw and gzip-compressed), under the
   new generation id;
2. the manifest document, replaced in one write (atomic: readers see the
   old generation or the new one);
3. the chunks of generations older than the previous one are deleted (the
   previous one stays, so a download that started on it can finish).

Regeneration is debounced: writes `mark_dirty`; a timer calls `due`, which
takes a lease (one generator at a time across replicas) when the files are
dirty and the last generation started at least `min_seconds` ago, so a
burst of a thousand changes regenerates once.
See docs/adr/0007-open-data.md.
"""
import base64
import gzip
import hashlib
import io
import time
import uuid
from datetime import datetime, timedelta, timezone

from bson import Binary
from pymongo import ReturnDocument

from services.common.errors import NotFound

CHUNK_BYTES = 1024 * 1024  # 1 MiB: well under 16 MiB and the RPC reply limit
INDEXES = {"open_data_chunks": [([("generation", 1), ("name", 1), ("encoding", 1),
                                  ("index", 1)], {"name": "by_file"})]}
MANIFEST = "manifest"
STATE = "state"
LEASE_SECONDS = 600  # a generator that died lets another one try after this
ENCODINGS = ("identity", "gzip")
# the one file reporting publishes (a public URL, so a contract: the
# gateway asks reporting for it and the registry for every other)
SATISFACTION_FILE = "satisfaction-by-point-month.csv"


def _now():
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


# --- when to regenerate ------------------------------------------------------
def mark_dirty(db):
    """Something published changed: the files are to be generated again."""
    db.open_data_state.update_one({"_id": STATE}, {"$inc": {"dirty": 1}}, upsert=True)


def due(db, min_seconds, now=None):
    """The dirty count to pass to `finished` when a generation should run
    now (and this caller holds the lease), else None. Before the first
    generation the files count as dirty."""
    now = now or _now()
    db.open_data_state.update_one({"_id": STATE}, {"$setOnInsert": {
        "dirty": 1, "generated": 0, "lease_until": None, "started_at": None}}, upsert=True)
    state = db.open_data_state.find_one({"_id": STATE})
    if state.get("dirty", 0) == state.get("generated", 0) \
            and db.open_data_manifest.find_one({"_id": MANIFEST}, {"_id": 1}) is not None:
        return None
    taken = db.open_data_state.find_one_and_update(
        {"_id": STATE, "$and": [
            {"$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$or": [{"started_at": None},
                     {"started_at": {"$lte": now - timedelta(seconds=min_seconds)}}]}]},
        {"$set": {"lease_until": now + timedelta(seconds=LEASE_SECONDS), "started_at": now}},
        return_document=ReturnDocument.AFTER)
    return None if taken is None else taken.get("dirty", 0)


def finished(db, dirty):
    """The generation that began at dirty count `dirty` is stored; changes
    made meanwhile keep the files dirty (the next tick regenerates)."""
    db.open_data_state.update_one({"_id": STATE},
                                  {"$set": {"generated": dirty, "lease_until": None}})


def release(db):
    db.open_data_state.update_one({"_id": STATE}, {"$set": {"lease_until": None}})


def _aware(value):
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


# --- writing -----------------------------------------------------------------
def _gzip(body, step=CHUNK_BYTES):
    """gzip.compress(body, 6, mtime=0) a MiB at a time, yielding to eventlet
    between steps (a generation compresses hundreds of MB)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0) as packed:
        for start in range(0, len(body), step):
            packed.write(body[start:start + step])
            time.sleep(0)
    return out.getvalue()


def _chunks(body, size):
    return [body[i:i + size] for i in range(0, len(body), size)] or [b""]


def publish(db, files, generated_at=None, chunk_bytes=CHUNK_BYTES):
    """Store a new generation of `files` and make it current.

    `files`: [{"name", "media_type", "body" (bytes), "resource" (its data
    package descriptor, without bytes and hash)}]. Returns the manifest."""
    generated_at = generated_at or _now()
    generation = uuid.uuid4().hex
    entries = []
    for item in files:
        body = item["body"]
        compressed = _gzip(body)
        sha = hashlib.sha256(body).hexdigest()
        entry = {"name": item["name"], "media_type": item["media_type"], "bytes": len(body),
                 "sha256": sha, "etag": sha[:32], "modified": generated_at,
                 "resource": dict(item.get("resource") or {})}
        for encoding, data in (("identity", body), ("gzip", compressed)):
            parts = _chunks(data, chunk_bytes)
            db.open_data_chunks.insert_many([
                {"_id": "{}|{}|{}|{:06d}".format(generation, item["name"], encoding, i),
                 "generation": generation, "name": item["name"], "encoding": encoding,
                 "index": i, "data": Binary(part)} for i, part in enumerate(parts)])
            entry[encoding] = {"bytes": len(data), "chunks": len(parts)}
        # a file unchanged since the last generation keeps its date: its
        # Last-Modified and ETag then still revalidate
        entries.append(entry)
    previous = db.open_data_manifest.find_one({"_id": MANIFEST}) or {}
    earlier = {f["name"]: f for f in previous.get("files", [])}
    for entry in entries:
        old = earlier.get(entry["name"])
        if old and old["sha256"] == entry["sha256"]:
            entry["modified"] = old["modified"]
    manifest = {"_id": MANIFEST, "generation": generation, "generated_at": generated_at,
                "previous_generation": previous.get("generation"), "files": entries}
    db.open_data_manifest.replace_one({"_id": MANIFEST}, manifest, upsert=True)
    keep = [generation] + ([previous["generation"]] if previous.get("generation") else [])
    db.open_data_chunks.delete_many({"generation": {"$nin": keep}})
    return manifest


def regenerate(db, build, min_seconds, chunk_bytes=CHUNK_BYTES):
    """One timer tick of an owner: when `due`, store `build()`'s files as
    the new generation; the manifest, or None when nothing was due."""
    dirty = due(db, min_seconds)
    if dirty is None:
        return None
    try:
        manifest = publish(db, build(), chunk_bytes=chunk_bytes)
    except Exception:
        release(db)
        raise
    finished(db, dirty)
    return manifest


def table_schema(columns, **keys):
    """A Frictionless Table Schema from (name, type, Thai, English) columns;
    descriptions in Thai and English; `keys`: primaryKey, foreignKeys."""
    return dict({"fields": [{"name": name, "type": kind, "description": "{} / {}".format(th, en),
                             **({"format": "%Y-%m-%dT%H:%M:%SZ"} if kind == "datetime" else {})}
                            for name, kind, th, en in columns],
                 "missingValues": [""]}, **keys)


# --- reading -----------------------------------------------------------------
def manifest_view(db):
    """The current manifest as JSON-able data (dates in ISO 8601); None
    before the first generation."""
    doc = db.open_data_manifest.find_one({"_id": MANIFEST})
    if doc is None:
        return None
    return {"generation": doc["generation"], "generated_at": _aware(doc["generated_at"]).isoformat(),
            "files": [dict(f, modified=_aware(f["modified"]).isoformat()) for f in doc["files"]]}


def chunk(db, generation, name, encoding, index):
    """One chunk, base64 (RPC answers are JSON); NotFound once its
    generation has been replaced twice over."""
    if encoding not in ENCODINGS:
        raise NotFound("No such encoding.", {"encoding": encoding})
    doc = db.open_data_chunks.find_one(
        {"_id": "{}|{}|{}|{:06d}".format(generation, name, encoding, int(index))})
    if doc is None:
        raise NotFound("That generation of the file is gone; start the download again.",
                       {"name": name, "generation": generation}, code="OPEN_DATA_GONE")
    return base64.b64encode(bytes(doc["data"])).decode("ascii")


class OpenDataFiles:
    """A repository's share of the open data files (services/common/storage.py):
    `self._db` is its service's database."""

    def mark_open_data_dirty(self):
        mark_dirty(self._db)

    def regenerate_open_data(self, build, min_seconds, chunk_bytes=CHUNK_BYTES):
        return regenerate(self._db, build, min_seconds, chunk_bytes)

    def open_data_manifest(self):
        return manifest_view(self._db)

    def open_data_chunk(self, generation, name, encoding, index):
        return chunk(self._db, generation, name, encoding, index)
