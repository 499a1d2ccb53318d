"""MongoDB access: real MongoDB when MONGO_URI says so, else mongomock-ng.

One database per service (`{CFZ_DB_PREFIX}{service_name}`); no service opens
another's database. The embedded store lives as long as the process, so a
service container that is killed and started again finds its data, as it
would with a real server.
"""
import threading

from nameko.extensions import DependencyProvider

from services.common.config import DEFAULTS

SERVER_SELECTION_TIMEOUT_MS = 5000
_embedded_clients = {}
_embedded_lock = threading.Lock()


def is_embedded(uri):
    return not uri or uri.startswith("mongomock://")


_SCALAR_IDS = (str, int)


def _ids_named(selector):
    """The `_id`s a filter names outright ({"_id": x} or {"_id": {"$in": [...]}}
    with string or integer ids), or None when it names none."""
    if not isinstance(selector, dict) or "_id" not in selector:
        return None
    wanted = selector["_id"]
    if isinstance(wanted, _SCALAR_IDS) and not isinstance(wanted, bool):
        return [wanted]
    if (isinstance(wanted, dict) and list(wanted) == ["$in"] and isinstance(wanted["$in"], list)
            and all(isinstance(i, _SCALAR_IDS) and not isinstance(i, bool) for i in wanted["$in"])):
        return list(dict.fromkeys(wanted["$in"]))
    return None


def _use_primary_key(collection_class):
    """Teach mongomock-ng the `_id` index every MongoDB has.

    mongomock-ng tests every stored document against every filter, so a
    lookup by `_id` costs time in proportion to the collection; services
    that address documents by id (outbox updates, report buckets) then slow
    down as data grows, which a real server's primary index prevents. This
    looks the named ids up directly and applies the rest of the filter to
    them, so results are the same; other filters take the library's path.
    """
    original = collection_class._iter_documents
    if getattr(original, "cfz_primary_key", False):
        return

    def _iter_documents(self, filter):
        ids = _ids_named(filter)
        if ids is None:
            return original(self, filter)
        from mongomock_ng.filtering import filter_applies
        store = self._store
        found = [store[i] for i in ids if i in store]
        rest = {name: value for name, value in filter.items() if name != "_id"}
        if not rest:  # found by id: nothing else to check
            return iter(found)
        return (doc for doc in found if filter_applies(rest, doc))

    _iter_documents.cfz_primary_key = True
    collection_class._iter_documents = _iter_documents


def get_client(uri):
    """A client for `uri`; the embedded store is shared per URI in-process."""
    if is_embedded(uri):
        import mongomock_ng
        from mongomock_ng.collection import Collection
        _use_primary_key(Collection)
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
    """Injects the service's own pymongo Database.

    `indexes` maps a collection name to a list of (keys, options) pairs,
    created at setup so uniqueness rules hold before the first request.
    `on_start(db, container)` runs when the container starts.
    """

    def __init__(self, indexes=None, on_start=None):
        self.indexes = indexes or {}
        self.on_start = on_start
        self.client = None
        self.db = None

    def setup(self):
        config = self.container.config
        self.uri = config.get("MONGO_URI") or DEFAULTS["MONGO_URI"]
        self.client = get_client(self.uri)
        self.db = self.client[database_name(config, self.container.service_name)]
        ensure_indexes(self.db, self.indexes)

    def start(self):
        # one-off work (bootstrap accounts, starter data) once indexes exist
        if self.on_start is not None:
            self.on_start(self.db, self.container)

    def stop(self):
        self._close()

    def kill(self):
        self._close()

    def _close(self):
        if self.client is not None:
            close_client(self.uri, self.client)
            self.client = None

    def get_dependency(self, worker_ctx):
        return self.db
