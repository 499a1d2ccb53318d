"""Shortcuts that make mongomock-ng, the embedded store, behave like a
MongoDB server with indexes (installed by storage.get_client).

mongomock-ng tests every stored document against every filter, checks
unique indexes by comparing a written document with every stored one,
copies a cursor's whole result list for each document it yields, and
deep-copies what it returns; services then slow down as data grows, which
a real server's indexes prevent. Each shortcut gives the library's answers
(tests/unit/test_embedded_store.py checks them against plain models):
lookups by `_id`, by a single-field unique index and by a sparse index's
`$exists`; unique checks from entry maps; linear cursors; and
`frozen_by_ids`, a lookup by `_id` that hands out frozen snapshots.
It also refuses, as a server does, what BSON cannot encode: the library
stores a lone surrogate through `$push` or `$addToSet`, which a server
never would, so only tests against a real MongoDB would have seen it; and a
document over MongoDB's 16 MiB, inserted or grown by an update, which the
library would keep (nothing is written: pymongo's DocumentTooLarge).
"""
import copy
import datetime
from collections import OrderedDict

from bson import ObjectId
from pymongo.errors import WriteError


def install():
    from mongomock_ng.collection import Collection, Cursor
    if not _too_large:
        _too_large.append(_make_too_large_error())
    _refuse_unencodable_strings(Collection)
    _use_primary_key(Collection)
    _use_unique_indexes(Collection)
    _use_linear_cursors(Cursor)
    _forget_snapshots_on_write()


# every call whose filter, document or update pymongo would encode as BSON
_COMMANDS = ("insert_one", "insert_many", "update_one", "update_many", "replace_one",
             "find_one_and_update", "find_one_and_replace", "find_one_and_delete",
             "delete_one", "delete_many", "find", "find_one", "count_documents",
             "distinct", "aggregate")


def _check_encodable(value):
    """Raise pymongo's UnicodeEncodeError for a string BSON cannot hold."""
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_encodable(key)
            _check_encodable(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_encodable(item)


def _refuse_unencodable_strings(collection_class):
    """The whole command is refused before anything is written (the
    library would apply a `$set` field by field and stop half way)."""
    for name in _COMMANDS:
        original = getattr(collection_class, name)
        if getattr(original, "cfz_encodable", False):
            continue

        def checked(self, *args, _original=original, _name=name, **kwargs):
            _check_encodable(args)
            _check_encodable(kwargs)
            if _name in _UPDATES:
                _refuse_mistyped_update(self, _name, args, kwargs)
                if _name == "update_one":
                    done = _update_in_place(self, args, kwargs)
                    if done is not None:
                        return done
            try:
                return _original(self, *args, **kwargs)
            except Exception as exc:
                # a library write that failed half way may have changed a
                # stored document in place without storing it again
                self._store.__dict__.pop(_SNAPSHOTS, None)
                self._store.__dict__.pop(_SIZES, None)
                from pymongo.errors import BulkWriteError, DocumentTooLarge
                if _too_large and isinstance(exc, _too_large[0]):
                    raise DocumentTooLarge(exc.args[0]) from None
                if isinstance(exc, BulkWriteError):
                    for error in exc.details.get("writeErrors", []):
                        if error.get("code") == TOO_LARGE_CODE:
                            raise DocumentTooLarge(error.get("errmsg")) from None
                raise
        checked.cfz_encodable = True
        checked.__name__ = name
        setattr(collection_class, name, checked)


_UPDATES = ("update_one", "update_many", "find_one_and_update")
_NUMBERS = (int, float)  # (bool is an int: refused apart)


def _refuse_mistyped_update(collection, name, args, kwargs):
    """Refuse, as MongoDB does, an update that cannot apply to a document
    it matches (WriteError, nothing written): `$inc`/`$mul` of a value that
    is not a number or by an amount that is not one, `$push` to a value
    that is not an array, or any path through a value that is not a
    document. mongomock-ng would apply the paths before the bad one and
    then raise TypeError, or skip it silently."""
    filter = args[0] if args else kwargs.get("filter")
    update = args[1] if len(args) > 1 else kwargs.get("update")
    if not isinstance(update, dict) or kwargs.get("sort") is not None:
        return  # a pipeline, or a sorted pick: the library's way
    numeric = [(op, path, amount) for op in ("$inc", "$mul")
               for path, amount in (update.get(op) or {}).items()]
    for op, path, amount in numeric:
        if not isinstance(amount, _NUMBERS) or isinstance(amount, bool):
            _write_error(14, "Cannot {} with non-numeric argument: {{{}: {!r}}}".format(
                "increment" if op == "$inc" else "multiply", path, amount))
    # positional paths ("a.$.b", "a.$[].b") are the library's to resolve
    paths = [(op, path) for op in ("$set", "$inc", "$mul", "$push", "$addToSet")
             for path in (update.get(op) or {}) if "$" not in path]
    if not paths or (name == "update_many" and _ids_named(filter) is None):
        return  # (a filter on other fields would walk the collection twice)
    from mongomock_ng import helpers
    from mongomock_ng.filtering import filter_applies
    # the filter as the library matches it (datetimes without their zone)
    filter = helpers.patch_datetime_awareness_in_document(filter)
    ids = _ids_named(filter)
    if ids is None:
        doc = next(iter(collection._iter_documents(filter)), None)
        if doc is not None:
            _check_paths(doc, paths)
        return
    documents = collection._store._documents
    candidates = [documents[i] for i in ids if i in documents]
    rest = {key: value for key, value in filter.items() if key != "_id"}
    if name == "update_many" or len(candidates) <= 1:
        # the rest of the filter (a `counted` list's $ne: thousands of ids)
        # is matched only when a path would be refused
        for doc in candidates:
            try:
                _check_paths(doc, paths)
            except WriteError:
                if not rest or filter_applies(rest, doc):
                    raise
        return
    for doc in candidates:  # update_one of one of several ids: the first that matches
        if not rest or filter_applies(rest, doc):
            _check_paths(doc, paths)
            return


def _check_paths(doc, paths):
    """Raise the server's WriteError when one of the update's `paths`
    ((operator, path)) cannot apply to `doc`."""
    parents = {"": doc}  # a path's parent, resolved once (`t.<term>.c`, `.s`, ...)
    for op, path in paths:
        parent_path, _, leaf = path.rpartition(".")
        parent = parents.get(parent_path, _UNRESOLVED)
        if parent is _UNRESOLVED:
            parent = parents[parent_path] = _resolve(doc, parent_path)
        if parent is None:
            continue  # a missing parent: made by the update
        if isinstance(parent, dict):
            if leaf not in parent:
                continue
            value = parent[leaf]
        elif isinstance(parent, list) and leaf.isdigit():
            if int(leaf) >= len(parent):
                continue
            value = parent[int(leaf)]
        else:
            _write_error(28, "Cannot create field '{}' in element {{{}: {!r}}}".format(
                leaf, parent_path.rpartition(".")[2], parent))
        if op in ("$inc", "$mul") and (not isinstance(value, _NUMBERS)
                                       or isinstance(value, bool)):
            _write_error(14, "Cannot apply {} to a value of non-numeric type. {{_id: {!r}}} "
                         "has the field '{}' of non-numeric type {}".format(
                             op, doc.get("_id"), path, type(value).__name__))
        if op in ("$push", "$addToSet") and not isinstance(value, list):
            _write_error(2, "The field '{}' must be an array but is of type {} in "
                         "document {{_id: {!r}}}".format(path, type(value).__name__,
                                                         doc.get("_id")))


_UNRESOLVED = object()


def _resolve(doc, path):
    """The value at `path` of `doc` (a dotted path; "" is the document),
    None when a part of it is missing; a path through a value that is not
    a document or array is refused (code 28)."""
    value = doc
    parts = path.split(".") if path else []
    for k, part in enumerate(parts):
        if isinstance(value, dict):
            if part not in value:
                return None
            value = value[part]
        elif isinstance(value, list) and part.isdigit():
            if int(part) >= len(value):
                return None
            value = value[int(part)]
        else:
            _write_error(28, "Cannot create field '{}' in element {{{}: {!r}}}".format(
                part, parts[k - 1] if k else "", value))
    return value


FAST_UPDATES = True  # tests turn it off to compare with the library's own path
_SIZES = "_cfz_sizes"  # CollectionStore attribute: {_id: an upper bound of its BSON size}
_IN_PLACE = frozenset(("$inc", "$set", "$setOnInsert", "$push", "$addToSet"))
_PLAIN = (str, int, float, bool, type(None), bytes)


def _plain(value):
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is dict:
        return all(type(key) is str and key and key[0] != "$" and "." not in key and _plain(item)
                   for key, item in value.items())
    if kind is list:
        return all(_plain(item) for item in value)
    return False


def _element_bound(parts, value):
    """At most the bytes an element adds at `parts` holding `value` (its
    key, and the documents made on the way)."""
    import bson
    return sum(len(part.encode()) + 7 for part in parts) + len(bson.encode({"v": value}))


def _update_in_place(collection, args, kwargs):
    """update_one applied to the stored document in place, for what the
    services write most (a bucket's `$inc` of counters, `$push` of an id,
    `$set` of a value, by `_id`): the library would copy the whole document
    to apply it, compare it with the copy and (with our size check)
    BSON-encode it, which grew with every rating a national day bucket
    counts. The size is bounded from the last exact encoding plus what each
    path can add, and encoded again only near MongoDB's 16 MiB. The result
    is the library's (tests compare the two on random updates); None when
    the update is not of this kind (an insert, an upsert that inserts,
    operators or values beyond these, a field an index holds, paths that
    overlap), for the library's way."""
    if not FAST_UPDATES or len(args) > 3 or set(kwargs) - {"filter", "update", "upsert"}:
        return None
    filter = args[0] if args else kwargs.get("filter")
    update = args[1] if len(args) > 1 else kwargs.get("update")
    upsert = args[2] if len(args) > 2 else kwargs.get("upsert", False)
    if (not isinstance(filter, dict) or not isinstance(update, dict) or not update
            or not _IN_PLACE.issuperset(update)
            or any(not isinstance(fields, dict) or not fields for fields in update.values())):
        return None
    doc_id = filter.get("_id")
    if not isinstance(doc_id, _SCALAR_IDS) or isinstance(doc_id, bool):
        return None
    store = collection._store
    store._remove_expired_documents()
    doc = store._documents.get(doc_id)
    if doc is None:
        return None  # an insert or nothing: the library's
    steps = []  # (op, parts, value)
    for op, fields in update.items():
        if op == "$setOnInsert":
            continue  # the document exists
        for path, value in fields.items():
            parts = path.split(".")
            if any(not part or part[0] == "$" for part in parts):
                return None
            steps.append((op, parts, value))
    touched = {parts[0] for _, parts, _ in steps}
    for index in store.indexes.values():
        if (index.get("unique") or index.get("sparse") or "partialFilterExpression" in index) and any(
                field.split(".")[0] in touched for field, _ in index["key"]):
            return None  # entries we keep maps of (unique, sparse): the library's to keep
    names = sorted(".".join(parts) for _, parts, _ in steps)
    if any(b == a or b.startswith(a + ".") for a, b in zip(names, names[1:])):
        return None  # overlapping paths: a server refuses them; the library's error
    rest = {key: value for key, value in filter.items() if key != "_id"}
    if rest:
        from mongomock_ng import helpers
        from mongomock_ng.filtering import filter_applies
        if not filter_applies(helpers.patch_datetime_awareness_in_document(rest), doc):
            return None if upsert else _update_result(0, 0)
    growth = 0
    for op, parts, value in steps:
        parent = doc
        for part in parts[:-1]:
            parent = parent.get(part, _MISSING) if isinstance(parent, dict) else None
            if parent is _MISSING:
                break
            if not isinstance(parent, dict):
                return None  # through a non-document: refused before, or the library's
        held = parent.get(parts[-1], _MISSING) if parent is not _MISSING else _MISSING
        if op == "$inc":
            if type(value) not in (int, float) or (held is not _MISSING and type(held) not in (
                    int, float)):
                return None
            growth += 4 if held is not _MISSING else _element_bound(parts, value)
        elif op == "$set":
            if not _plain(value):
                return None  # datetimes and the rest: the library converts them
            growth += _element_bound(parts, value)
        else:  # $push, $addToSet: a value, or {"$each": [values]}
            items = value["$each"] if type(value) is dict and list(value) == ["$each"] else [value]
            if type(items) is not list or not _plain(items) or (held is not _MISSING and type(
                    held) is not list) or any(type(item) is dict for item in items) or (
                    op == "$addToSet" and any(type(item) is not str for item in items)):
                return None
            growth += _element_bound(parts, items) + 8 * len(items)
    sizes = store.__dict__.setdefault(_SIZES, {})
    size = sizes.get(doc_id)
    if size is None or size + growth > MAX_DOCUMENT_BYTES:
        import bson
        size = len(bson.encode(doc))
        if size + growth > MAX_DOCUMENT_BYTES:
            return None  # near the limit: the library's exact check refuses it whole
    changed = False
    for op, parts, value in steps:
        parent = doc
        for part in parts[:-1]:
            parent = parent.setdefault(part, {})
        leaf = parts[-1]
        held = parent.get(leaf, _MISSING)
        if op == "$inc":
            parent[leaf] = value if held is _MISSING else held + value
            changed = changed or held is _MISSING or parent[leaf] != held
        elif op == "$set":
            parent[leaf] = copy.deepcopy(value)
            changed = changed or held is _MISSING or held != value
        else:
            items = value["$each"] if type(value) is dict else [value]
            target = parent.setdefault(leaf, [])
            for item in items:
                if op == "$push" or item not in target:
                    target.append(copy.deepcopy(item))
                    changed = True
            changed = changed or held is _MISSING
    sizes[doc_id] = size + growth
    snapshots = store.__dict__.get(_SNAPSHOTS)
    if snapshots:
        snapshots.pop(doc_id, None)
    return _update_result(1, 1 if changed else 0)


_MISSING = object()


def _update_result(matched, modified):
    from pymongo.results import UpdateResult
    return UpdateResult({"n": matched, "nModified": modified, "ok": 1, "upserted": None,
                         "updatedExisting": bool(matched)}, acknowledged=True)


def _write_error(code, message):
    raise WriteError(message, code, {"code": code, "errmsg": message})


MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # MongoDB's maxBsonObjectSize
TOO_LARGE_CODE = 10334  # MongoDB's BSONObjectTooLarge
_too_large = []  # the error class, made at install (the library imported)


def _make_too_large_error():
    # the library undoes a write only for its duplicate-key error: raised
    # as one inside it, turned into pymongo's DocumentTooLarge outside
    # (`checked`), so no caller mistakes it for a duplicate
    from mongomock_ng import DuplicateKeyError

    class TooLarge(DuplicateKeyError):
        pass
    return TooLarge


def _check_size(document):
    import bson
    size = len(bson.encode(document))
    if size > MAX_DOCUMENT_BYTES:
        raise _too_large[0](
            "BSON document too large ({} bytes) - the connected server supports BSON document "
            "sizes up to {} bytes.".format(size, MAX_DOCUMENT_BYTES), TOO_LARGE_CODE)


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
    them, so results are the same; filters naming a single-field unique
    index or a sparse index's `$exists` go through those (below); other
    filters take the library's path.
    """
    original = collection_class._iter_documents
    if getattr(original, "cfz_primary_key", False):
        return

    def _iter_documents(self, filter):
        from mongomock_ng.filtering import filter_applies
        ids = _ids_named(filter)
        if ids is None:
            found = _unique_lookup(self, filter)
            if found is None:
                found = _sparse_lookup(self, filter)
            if found is None:
                return original(self, filter)
            return (doc for doc in found if filter_applies(filter, doc))
        store = self._store
        store._remove_expired_documents()  # TTL indexes, as the library does
        documents = store._documents  # a dict: no lock and expiry check per id
        found = [documents[i] for i in ids if i in documents]
        rest = {name: value for name, value in filter.items() if name != "_id"}
        if not rest:  # found by id: nothing else to check
            return iter(found)
        return (doc for doc in found if filter_applies(rest, doc))

    _iter_documents.cfz_primary_key = True
    collection_class._iter_documents = _iter_documents


_UNIQUE_CACHE = "_cfz_unique_entries"


def _index_signature(index):
    return (tuple(map(tuple, index.get("key"))), bool(index.get("sparse")),
            repr(index.get("partialFilterExpression")))


def _index_entries(collection_class, doc, index):
    """The entries `doc` holds in a unique index: a list of tuples, or None
    when the document is not in the index (sparse or partial)."""
    from mongomock_ng.filtering import filter_applies
    partial = index.get("partialFilterExpression")
    if partial is not None and not filter_applies(partial, doc):
        return None
    return collection_class._compute_index_entries(doc, index.get("key"), index.get("sparse"))


class _UniqueEntries:
    """entry -> _id of the document that holds it, for one unique index.

    Built by one scan the first time the index is needed, then kept up to
    date by every write that passes the uniqueness check. An entry may go
    stale (its document was updated or deleted): every hit is verified
    against the stored document, so a stale entry never causes a false
    conflict, and every document that holds an entry was recorded when it
    was written, so none is missed. `usable` is False when some entry cannot
    be hashed; the library's scan is used for that index then.
    """

    def __init__(self, collection_class, store, index, exclude=None):
        self.collection_class, self.store, self.index = collection_class, store, index
        self.owner = {}
        self.usable = True
        for doc in store.documents:
            # the document being checked is in the store already (insert)
            # or changed in place (update): the caller records it if it passes
            if doc["_id"] != exclude and not self.record(doc, first_wins=True):
                self.usable = False
                break

    def holds(self, doc_id, entry):
        if doc_id not in self.store:
            return False
        entries = _index_entries(self.collection_class, self.store[doc_id], self.index)
        return entries is not None and entry in entries

    def conflict(self, doc_id, entries):
        """The _id of another document holding one of `entries`, or None."""
        for entry in entries:
            holder = self.owner.get(entry)
            if holder is not None and holder != doc_id and self.holds(holder, entry):
                return holder
        return None

    def record(self, doc, first_wins=False):
        entries = _index_entries(self.collection_class, doc, self.index)
        try:
            for entry in entries or ():
                if first_wins:
                    self.owner.setdefault(entry, doc["_id"])
                else:
                    self.owner[entry] = doc["_id"]
        except TypeError:  # an unhashable value (a sub-document)
            return False
        return True


def _store_cache(store, name, create=True):
    """A dict kept on a collection's store under `name`, emptied when the
    store's documents are replaced (a drop, an aborted transaction); None
    when there is none and `create` is False."""
    cache = getattr(store, name, None)
    if cache is None or cache[0] is not store._documents:
        if not create:
            return None
        cache = (store._documents, {})
        setattr(store, name, cache)
    return cache[1]


def _forget_unique_entries(store):
    if hasattr(store, _UNIQUE_CACHE):
        delattr(store, _UNIQUE_CACHE)


def _unique_entries(collection, index, exclude=None):
    """The collection store's _UniqueEntries for `index`."""
    cache = _store_cache(collection._store, _UNIQUE_CACHE)
    signature = _index_signature(index)
    entries = cache.get(signature)
    if entries is None:
        entries = cache[signature] = _UniqueEntries(type(collection), collection._store, index,
                                                    exclude)
    return entries


def _use_unique_indexes(collection_class):
    """Teach mongomock-ng to look unique indexes up instead of scanning.

    mongomock-ng checks a unique index by comparing the written document
    with every stored one, on every insert and on every update of any field,
    so writes slow down as the collection grows (an outbox update of a
    feedback document re-checked two unique indexes over all feedback).
    This keeps entry -> _id maps (see _UniqueEntries), raises the same
    DuplicateKeyError, and serves equality lookups on a single-field unique
    index ({"idempotency_key": k}) from the map; the rest of the filter is
    still applied to the document found.
    """
    original_ensure = collection_class._ensure_uniques
    if getattr(original_ensure, "cfz_unique_lookup", False):
        return
    from mongomock_ng import DuplicateKeyError, helpers

    def _ensure_uniques(self, new_data):
        _check_size(new_data)
        doc_id = new_data.get("_id")
        checked = []
        for index in self._store.indexes.values():
            if not index.get("unique"):
                continue
            entries = _unique_entries(self, index, exclude=doc_id)
            if not entries.usable:
                continue
            new_entries = _index_entries(collection_class, new_data, index)
            if new_entries is None:
                continue
            try:
                holder = entries.conflict(doc_id, new_entries)
            except TypeError:
                entries.usable = False
                continue
            if holder is not None:
                # the library now restores the document's previous version,
                # which a map built without it would not know: rebuild
                _forget_unique_entries(self._store)
                unique = index.get("key")
                raise DuplicateKeyError(
                    "E11000 Duplicate Key Error", 11000,
                    {"keyPattern": dict(unique),
                     "keyValue": {k: helpers.get_value_by_dot(new_data, k) for k, _ in unique}})
            checked.append(entries)
        if any(index.get("unique") and not _unique_entries(self, index).usable
               for index in self._store.indexes.values()):
            original_ensure(self, new_data)  # raises before anything is recorded
        for entries in checked:
            entries.record(new_data)
        _record_sparse(self, new_data)

    _ensure_uniques.cfz_unique_lookup = True
    collection_class._ensure_uniques = _ensure_uniques


_SPARSE_CACHE = "_cfz_sparse_members"


def _sparse_members(collection, field, create=True):
    """Ids of the documents that have `field`, for a sparse index on it: an
    insertion-ordered dict built by one scan when first needed, then added
    to by every write (_ensure_uniques runs on each insert and each update
    that changes a document). Like _UniqueEntries, members can go stale and
    are checked when read."""
    from mongomock_ng.filtering import filter_applies
    store = collection._store
    cache = _store_cache(store, _SPARSE_CACHE, create)
    if cache is None:
        return None
    members = cache.get(field)
    if members is None and create:
        has = {field: {"$exists": True}}
        members = cache[field] = {doc["_id"]: None for doc in store.documents
                                  if filter_applies(has, doc)}
    return members


def _sparse_fields(collection):
    return [index["key"][0][0] for index in collection._store.indexes.values()
            if index.get("sparse") and len(index["key"]) == 1]


def _record_sparse(collection, doc):
    from mongomock_ng.filtering import filter_applies
    for field in _sparse_fields(collection):
        members = _sparse_members(collection, field, create=False)
        if members is not None and filter_applies({field: {"$exists": True}}, doc):
            members[doc["_id"]] = None


def _sparse_lookup(collection, filter):
    """Documents that can match a filter asking for `{field: {"$exists":
    True}}` on a field with a sparse index (the outbox's pending events),
    in the order they came to have it; None when the filter asks no such
    thing. Stale members are dropped."""
    if not isinstance(filter, dict):
        return None
    for field in _sparse_fields(collection):
        if filter.get(field) == {"$exists": True}:
            from mongomock_ng.filtering import filter_applies
            members = _sparse_members(collection, field)
            collection._store._remove_expired_documents()  # TTL, as the library does
            documents = collection._store._documents
            has = {field: {"$exists": True}}
            found = []
            for doc_id in list(members):
                doc = documents.get(doc_id)
                if doc is None or not filter_applies(has, doc):
                    del members[doc_id]
                else:
                    found.append(doc)
            return found
    return None


def _unique_lookup(collection, filter):
    """Documents that can match `filter` found through a single-field unique
    index it names by equality, or None when it names none."""
    if not isinstance(filter, dict):
        return None
    for index in collection._store.indexes.values():
        key = index.get("key")
        if not index.get("unique") or len(key) != 1:
            continue
        field = key[0][0]
        value = filter.get(field)
        if not isinstance(value, _SCALAR_IDS) or isinstance(value, bool):
            continue
        partial = index.get("partialFilterExpression")
        if partial is not None:
            from mongomock_ng.filtering import filter_applies
            # only when every document matching field == value is indexed
            if set(partial) != {field} or not filter_applies(partial, {field: value}):
                continue
        entries = _unique_entries(collection, index)
        if not entries.usable:
            continue
        holder = entries.owner.get((value,))
        if holder is not None and entries.holds(holder, (value,)):
            return [collection._store[holder]]
        return []
    return None


def _use_linear_cursors(cursor_class):
    """Stop mongomock-ng from copying a cursor's whole result list for each
    document it yields: `Cursor.__next__` slices skip/limit out of the
    results on every call, so iterating over n documents cost n^2 (a
    million feedback records took hours). The slice is kept while the
    results, skip and limit are unchanged."""
    original = cursor_class._compute_results
    if getattr(original, "cfz_linear", False):
        return

    def _compute_results(self, with_limit_and_skip=False):
        results = original(self, with_limit_and_skip=False)
        if not with_limit_and_skip:
            return results
        window = getattr(self, "_cfz_window", None)
        if window is not None and window[0] is results and window[1] == (self._skip, self._limit):
            return window[2]
        sliced = results[self._skip:]
        if self._limit:
            sliced = sliced[:abs(self._limit)]
        self._cfz_window = (results, (self._skip, self._limit), sliced)
        return sliced

    _compute_results.cfz_linear = True
    cursor_class._compute_results = _compute_results


def _projector(projection):
    """A function giving a projection of a document: plain dicts down to
    the paths, what is below them shared. An inclusion ({"a.b": 1}) walks
    a tree of the paths, meeting a document's keys by set intersection, so
    thousands of paths under one field ("t.<term>", one per term a report
    needs) cost the keys both hold, not the paths; an exclusion ({"a": 0})
    leaves out top-level fields. Projections of a few paths are made once
    (a report reads a dozen times with the same two or three)."""
    if projection and len(projection) <= FEW_PATHS:
        key = tuple(projection.items())
        made = _PROJECTORS.get(key)
        if made is None:
            if len(_PROJECTORS) >= FEW_PATHS * 16:
                _PROJECTORS.clear()
            made = _PROJECTORS[key] = _make_projector(projection)
        return made
    return _make_projector(projection)


_PROJECTORS = {}


def _make_projector(projection):
    if not projection:
        return lambda doc, leaf=_shared: leaf(doc)
    if not any(projection.values()):
        excluded = frozenset(projection)

        def leave_out(doc, leaf=_shared):
            if leaf is _shared:  # what is kept is shared: no call per field
                return {k: v for k, v in doc.items() if k not in excluded}
            return {k: leaf(v) for k, v in doc.items() if k not in excluded}
        return leave_out
    with_id = bool(projection.get("_id", 1))
    tree = {}
    for path in projection:
        if path == "_id":
            continue
        *parents, leaf = path.split(".")
        node = tree
        for part in parents:
            child = node.setdefault(part, {})
            if child is _WHOLE:
                break  # "a" and "a.b" both named: a server refuses; "a" whole here
            node = child
        else:
            node[leaf] = _WHOLE

    def leaves_only(node):  # {"c": _WHOLE, ...} -> frozenset: a field's many paths met at once
        for key, below in node.items():
            if below is not _WHOLE:
                node[key] = leaves_only(below)
        if all(below is _WHOLE for below in node.values()):
            return frozenset(node)
        return node
    tree = leaves_only(tree)

    def walk(source, node, out, leaf):
        for key in node & source.keys() if type(node) is frozenset else node.keys() & source.keys():
            below = _WHOLE if type(node) is frozenset else node[key]
            value = source[key]
            if below is _WHOLE:
                out[key] = leaf(value)
            elif not isinstance(value, dict):
                continue  # a path through a scalar keeps nothing
            elif type(below) is frozenset:  # "t.<term>" for many terms
                out[key] = {k: leaf(value[k]) for k in below & value.keys()}
            else:
                out[key] = walk(value, below, {}, leaf)
        return out

    def pick(doc, leaf=_shared):
        return walk(doc, tree, {"_id": doc["_id"]} if with_id else {}, leaf)
    return pick


def _shared(value):
    return value


_WHOLE = None  # a leaf of the projection tree: the field and all below it


def is_embedded_collection(collection):
    return type(collection).__module__.startswith("mongomock_ng")


def frozen_by_ids(collection, ids, projection=None):
    """The stored documents with these `_id`s as frozen snapshots, projected
    (datetimes with their zone, UTC, as a tz-aware client's find gives them).

    mongomock-ng would walk every document and deep-copy what it returns,
    which made the cost of a report grow with how full its buckets are.
    This hands out a snapshot of each document that nobody can change
    (`FrozenDict`, `FrozenList`: a change raises TypeError), made when a
    document is first read after a write and kept until its next write
    (`CollectionStore.__setitem__` and `__delitem__` forget it; a failed
    write command forgets them all), so a report over buckets that did not
    change copies nothing, and no caller can change the store through what
    it got. A projection builds plain dicts down to its paths and shares
    the frozen values below them; an inclusion of a document with no
    snapshot freezes only its paths (a bucket's own write checks one path
    of it after every write: no whole copy each time)."""
    if not collection.codec_options.tz_aware:  # (every client of get_client is)
        return list(collection.find({"_id": {"$in": list(ids)}}, projection))
    store = collection._store
    store._remove_expired_documents()  # TTL indexes, as the library does
    documents = store._documents
    snapshots = store.__dict__.setdefault(_SNAPSHOTS, {})
    pick = _projector(projection)
    # a few paths of a document written since its last read (the write
    # path's own check, `counted.<id>`) freeze just those paths; many (a
    # reference at a scope's terms) make the snapshot the next read shares
    paths_only = (bool(projection) and any(projection.values())
                  and len(projection) <= FEW_PATHS)
    found = []
    for i in ids:
        stored = documents.get(i)
        if stored is None:
            continue
        held = snapshots.get(i)
        if held is not None and held[0] is stored:
            found.append(pick(held[1]))
        elif paths_only:
            found.append(pick(stored, frozen))
        else:
            if len(snapshots) >= MAX_SNAPSHOTS:
                snapshots.pop(next(iter(snapshots)))  # the oldest made
            snapshots[i] = (stored, frozen(stored))
            found.append(pick(snapshots[i][1]))
    return found


FEW_PATHS = 64
_SNAPSHOTS = "_cfz_snapshots"  # CollectionStore attribute: {_id: (stored, snapshot)}
MAX_SNAPSHOTS = 100_000  # per collection: the memory a store of reports may hold twice


def _forget_snapshots_on_write():
    from mongomock_ng.store import CollectionStore
    if getattr(CollectionStore.__setitem__, "cfz_snapshots", False):
        return
    original_set, original_del = CollectionStore.__setitem__, CollectionStore.__delitem__

    def __setitem__(self, key, val):
        for name in (_SNAPSHOTS, _SIZES):
            held = self.__dict__.get(name)
            if held:
                held.pop(key, None)
        original_set(self, key, val)

    def __delitem__(self, key):
        for name in (_SNAPSHOTS, _SIZES):
            held = self.__dict__.get(name)
            if held:
                held.pop(key, None)
        original_del(self, key)

    __setitem__.cfz_snapshots = True
    CollectionStore.__setitem__, CollectionStore.__delitem__ = __setitem__, __delitem__


def _refuse(self, *args, **kwargs):
    raise TypeError("a stored document read through storage.by_ids cannot be changed: "
                    "copy it first (copy.deepcopy)")


class FrozenDict(dict):
    """A dict that refuses every change; copies of it are plain dicts."""
    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self):
        return dict, (dict(self),)

    def __copy__(self):
        return dict(self)

    def __deepcopy__(self, memo):
        return {key: copy.deepcopy(value, memo) for key, value in self.items()}


class FrozenList(list):
    """A list that refuses every change; copies of it are plain lists."""
    __setitem__ = __delitem__ = append = extend = insert = pop = remove = _refuse
    clear = reverse = sort = __iadd__ = __imul__ = _refuse

    def __reduce__(self):
        return list, (list(self),)

    def __copy__(self):
        return list(self)

    def __deepcopy__(self, memo):
        return [copy.deepcopy(value, memo) for value in self]


def frozen(value):
    """A frozen deep copy of a stored value: dicts and lists are the only
    mutable types BSON decodes to; everything else a document holds (str,
    numbers, bytes, datetimes, ObjectIds) is immutable and shared."""
    kind = type(value)
    if kind is dict or kind is FrozenDict or kind is OrderedDict:  # (an upsert stores the last)
        return FrozenDict({key: item if type(item) in _IMMUTABLE else frozen(item)
                           for key, item in value.items()})
    if kind is list or kind is FrozenList:
        return FrozenList([item if type(item) in _IMMUTABLE else frozen(item) for item in value])
    if kind in _IMMUTABLE:
        return value
    if kind is datetime.datetime:  # stored without its zone, UTC: handed out as find does
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value
    return copy.deepcopy(value)  # anything else (a dict subclass, ...): the slow, sure way


_IMMUTABLE = frozenset((str, int, float, bool, type(None), bytes, ObjectId))
_UTC = datetime.timezone.utc


def stored_ids(collection, ids):
    """Which of these `_id`s are stored (nothing handed out)."""
    store = collection._store
    store._remove_expired_documents()
    documents = store._documents
    return {i for i in ids if i in documents}
