"""MongoDB access: real MongoDB when MONGO_URI says so, else mongomock-ng.

One database per service (`{CFZ_DB_PREFIX}{service_name}`); no service opens
another's database. The embedded store lives as long as the process, so a
service container that is killed and started again finds its data, as it
would with a real server.
"""
import logging
import threading

import eventlet
from nameko.extensions import DependencyProvider

from services.common import embedded_store
from services.common.config import DEFAULTS

SERVER_SELECTION_TIMEOUT_MS = 5000
PING_SECONDS = 5.0
log = logging.getLogger(__name__)
_embedded_clients = {}
_embedded_lock = threading.Lock()


def is_embedded(uri):
    return not uri or uri.startswith("mongomock://")


def by_ids(collection, ids, projection=None, batch=5000):
    """The documents with these `_id`s (in no set order), to read: on
    MongoDB a `$in` find in batches; on the embedded store a lookup each,
    handing out frozen snapshots (a change raises TypeError; copy.deepcopy
    gives plain ones) so a caller cannot change the store through them, and
    an unchanged document costs no copy (mongomock-ng would walk and
    deep-copy every document, which made the cost of a report grow with how
    full its buckets are). Callers only read what they get."""
    if not ids:
        return []
    if embedded_store.is_embedded_collection(collection):
        return embedded_store.frozen_by_ids(collection, ids, projection)
    found = []
    for start in range(0, len(ids), batch):
        found.extend(collection.find({"_id": {"$in": ids[start:start + batch]}}, projection))
    return found


def existing_ids(collection, ids, batch=5000):
    """The set of these `_id`s that are stored (on the embedded store a
    lookup each; on MongoDB an `_id`-only `$in` find in batches)."""
    if embedded_store.is_embedded_collection(collection):
        return embedded_store.stored_ids(collection, ids)
    return {doc["_id"] for doc in by_ids(collection, ids, {"_id": 1}, batch)}


def get_client(uri):
    """A client for `uri`; the embedded store is shared per URI in-process."""
    if is_embedded(uri):
        import mongomock_ng
        embedded_store.install()
        with _embedded_lock:
            client = _embedded_clients.get(uri)
            if client is None:
                client = mongomock_ng.MongoClient(tz_aware=True)
                _embedded_clients[uri] = client
            return client
    import pymongo
    return pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
        connectTimeoutMS=SERVER_SELECTION_TIMEOUT_MS, tz_aware=True)


def close_client(uri, client):
    if not is_embedded(uri):
        client.close()


def database_name(config, service_name):
    return "{}{}".format(config.get("CFZ_DB_PREFIX", DEFAULTS["CFZ_DB_PREFIX"]),
                         service_name)


def ensure_indexes(db, indexes):
    """Create every index of {collection: [(keys, options), ...]}."""
    for collection, specs in indexes.items():
        for keys, options in specs:
            db[collection].create_index(keys, **options)


class Mongo(DependencyProvider):
    """The service's own pymongo Database, connected at setup (the base of
    Storage, which is what services declare).

    `indexes` maps a collection name to a list of (keys, options) pairs,
    created at setup so uniqueness rules hold before the first request.
    """

    def __init__(self, indexes=None):
        self.indexes = indexes or {}
        self.client = None
        self.db = None

    def setup(self):
        config = self.container.config
        self.uri = config.get("MONGO_URI") or DEFAULTS["MONGO_URI"]
        self.client = get_client(self.uri)
        self.db = self.client[database_name(config, self.container.service_name)]
        ensure_indexes(self.db, self.indexes)

    def start(self):
        self._pinger = self.container.spawn_managed_thread(self._ping_forever,
                                                           identifier="mongo_ping")

    def _ping_forever(self):
        """cfz_mongo_up: whether the database answers, every PING_SECONDS
        (the embedded store is in the process: always up)."""
        from services.common.metrics import MONGO_UP
        gauge = MONGO_UP.labels(self.container.service_name)
        up = None
        while self.client is not None:
            was_up, up = up, 1
            if not is_embedded(self.uri):
                try:
                    self.client.admin.command("ping")
                except Exception as exc:  # any failure means "not answering"
                    up = 0
                    if was_up != 0:
                        log.warning("the database does not answer: %s", exc)
            gauge.set(up)
            eventlet.sleep(PING_SECONDS)

    def stop(self):
        self._stop_pinger()
        self._close()

    def kill(self):
        self._stop_pinger()
        self._close()

    def _stop_pinger(self):
        pinger = getattr(self, "_pinger", None)
        if pinger is not None:
            self._pinger = None
            pinger.kill()

    def _close(self):
        if self.client is not None:
            close_client(self.uri, self.client)
            self.client = None

def database_of(container):
    """The Database of a container's Storage provider: for the
    common machinery that keeps its own collections there (the outbox),
    never for a service's own code."""
    for provider in container.dependencies:
        if isinstance(provider, Mongo):
            return provider.db
    raise LookupError("{} has no Mongo dependency".format(container.service_name))


class Repository:
    """A service's persistence: the operations its domain needs, over the
    service's own database (`_db`, kept inside). Each service's store
    module subclasses it and names those operations; shells and domain
    modules reach stored data only through them (ADR 12)."""

    def __init__(self, db):
        self._db = db


class Storage(Mongo):
    """Injects the service's repository: `Storage(PointStore, indexes=...)`
    builds one PointStore over the service's database at setup and hands
    the same one to every worker (nameko-examples' StorageWrapper).
    `on_start(repository, container)` runs when the container starts."""

    def __init__(self, repository_class, indexes=None, on_start=None):
        super().__init__(indexes=indexes)
        self.repository_class = repository_class
        self.on_start = on_start
        self.repository = None

    def setup(self):
        super().setup()
        self.repository = self.repository_class(self.db)

    def start(self):
        # one-off work (bootstrap accounts, a layout upgrade) once indexes exist
        if self.on_start is not None:
            self.on_start(self.repository, self.container)
        super().start()

    def get_dependency(self, worker_ctx):
        return self.repository
