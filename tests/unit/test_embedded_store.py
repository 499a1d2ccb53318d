"""The embedded store's shortcuts (services/common/embedded_store.py) give the same
answers as MongoDB's rules: lookups by _id and by a unique field, and
unique-index checks on insert and update, over random sequences of writes
checked against a plain-Python model."""
import datetime
import json
import random

import bson
import pytest
from pymongo.errors import DuplicateKeyError

from services.common.storage import get_client

KEYS = ["k1", "k2", "k3", None, 7]           # k: unique where it is a string
PAIRS = ["x", "y", None]                     # (a, b): unique, missing = None
TAGS = ["t1", "t2", "t3", ["t1", "t4"], ["t5", "t6"]]  # tag: unique, sparse, multikey


def _entries(doc):
    """(index name, entry) pairs the document holds, by MongoDB's rules."""
    held = []
    if isinstance(doc.get("k"), str):
        held.append(("k", doc["k"]))
    held.append(("ab", (doc.get("a"), doc.get("b"))))
    if "tag" in doc:
        tags = doc["tag"] if isinstance(doc["tag"], list) else [doc["tag"]]
        held += [("tag", t) for t in tags]
    return set(held)


def _conflicts(model, doc):
    mine = _entries(doc)
    return any(mine & _entries(other) for other_id, other in model.items() if other_id != doc["_id"])


def _random_doc(rng, doc_id):
    doc = {"_id": doc_id}
    k = rng.choice(KEYS)
    if k is not None or rng.random() < 0.5:
        doc["k"] = k
    for field in ("a", "b"):
        value = rng.choice(PAIRS)
        if value is not None:
            doc[field] = value
    if rng.random() < 0.4:
        doc["tag"] = rng.choice(TAGS)
    return doc


@pytest.fixture
def collection(request):
    client = get_client("mongomock://embedded-store-test-{}".format(request.node.name))
    coll = client["db"]["things"]
    coll.drop()
    coll.create_index([("k", 1)], unique=True, name="k",
                      partialFilterExpression={"k": {"$type": "string"}})
    coll.create_index([("a", 1), ("b", 1)], unique=True, name="ab")
    coll.create_index([("tag", 1)], unique=True, sparse=True, name="tag")
    return coll


@pytest.mark.parametrize("seed", range(6))
def test_random_writes_follow_unique_rules(collection, seed):
    rng = random.Random(seed)
    model = {}
    refused = accepted = 0
    for step in range(600):
        action = rng.random()
        if action < 0.45 or not model:
            doc = _random_doc(rng, "d{}".format(step))
            expected = _conflicts(model, doc)
            try:
                collection.insert_one(dict(doc))
                model[doc["_id"]] = doc
                accepted += 1
                assert not expected, "accepted a duplicate: {}".format(doc)
            except DuplicateKeyError:
                refused += 1
                assert expected, "refused a unique document: {}".format(doc)
        elif action < 0.8:
            doc_id = rng.choice(sorted(model))
            changed = _random_doc(rng, doc_id)
            expected = _conflicts(model, changed)
            try:
                collection.replace_one({"_id": doc_id}, changed)
                model[doc_id] = changed
                assert not expected, "accepted a duplicate: {}".format(changed)
            except DuplicateKeyError:
                refused += 1
                assert expected, "refused a unique document: {}".format(changed)
        elif action < 0.9:
            doc_id = rng.choice(sorted(model))
            collection.delete_one({"_id": doc_id})
            del model[doc_id]
        elif action < 0.995:
            k = rng.choice(["k1", "k2", "k3"])
            found = collection.find_one({"k": k})
            holders = [d for d in model.values() if d.get("k") == k]
            assert (found and found["_id"]) == (holders[0]["_id"] if holders else None)
            found = collection.find_one({"k": k, "a": "x"})
            holders = [d for d in holders if d.get("a") == "x"]
            assert (found and found["_id"]) == (holders[0]["_id"] if holders else None)
        else:
            collection.delete_many({})
            model.clear()
        assert sorted(d["_id"] for d in collection.find({}, {"_id": 1})) == sorted(model)
    assert refused > 50 and accepted > 50  # the sequence exercised both outcomes


def test_update_refused_then_value_freed(collection):
    collection.insert_one({"_id": 1, "k": "a", "a": 1})
    collection.insert_one({"_id": 2, "k": "b", "a": 2})
    with pytest.raises(DuplicateKeyError):
        collection.update_one({"_id": 2}, {"$set": {"k": "a"}})
    assert collection.find_one({"k": "b"})["_id"] == 2  # restored and still found
    with pytest.raises(DuplicateKeyError):
        collection.insert_one({"_id": 3, "k": "b", "a": 3})
    collection.update_one({"_id": 1}, {"$set": {"k": "c"}})
    collection.insert_one({"_id": 4, "k": "a", "a": 4})  # freed by the update
    assert collection.find_one({"k": "a"})["_id"] == 4
    assert collection.find_one({"k": "c"})["_id"] == 1


def test_values_outside_a_partial_index_are_not_unique(collection):
    collection.insert_one({"_id": 1, "k": 5, "a": "x"})
    collection.insert_one({"_id": 2, "k": 5, "a": "y"})  # an int is outside the index
    assert sorted(d["_id"] for d in collection.find({"k": 5})) == [1, 2]


def test_index_created_after_the_documents(collection):
    collection.database["late"].insert_many([{"_id": i, "code": "c{}".format(i)} for i in range(5)])
    late = collection.database["late"]
    late.create_index([("code", 1)], unique=True, name="code")
    with pytest.raises(DuplicateKeyError):
        late.insert_one({"_id": 9, "code": "c3"})
    assert late.find_one({"code": "c3"})["_id"] == 3


def test_cursors_page_like_mongodb(collection):
    collection.insert_many([{"_id": i, "k": "k{}".format(i), "a": i, "v": i % 3} for i in range(50)])
    ids = lambda cursor: [d["_id"] for d in cursor]  # noqa: E731
    assert ids(collection.find({})) == list(range(50))
    assert ids(collection.find({"v": 1}).skip(4).limit(5)) == [13, 16, 19, 22, 25]
    assert ids(collection.find({}).sort("_id", -1).skip(10).limit(3)) == [39, 38, 37]
    assert ids(collection.find({}).limit(-2)) == [0, 1]
    assert ids(collection.find({}).skip(48)) == [48, 49]
    cursor = collection.find({"v": 0}).limit(4)
    first = ids(cursor)
    cursor.rewind()
    assert ids(cursor) == first == [0, 3, 6, 9]
    assert collection.find({}).skip(3)[0]["_id"] == 3


@pytest.mark.parametrize("seed", range(3))
def test_pending_outbox_lookups_follow_the_documents(collection, seed):
    """A sparse index on outbox.event_id answers `$exists` from a member list;
    pushes, pulls, replacements and deletes keep it right."""
    rng = random.Random(seed)
    outbox = collection.database["outboxed"]
    outbox.drop()
    outbox.create_index([("outbox.event_id", 1)], sparse=True, name="outbox")
    model = {}  # id -> pending event ids
    for step in range(400):
        action = rng.random()
        doc_id = "e{}".format(rng.randrange(40))
        if action < 0.35:
            event = "ev{}".format(step)
            outbox.update_one({"_id": doc_id}, {"$push": {"outbox": {"event_id": event}},
                                                "$set": {"odd": step % 2}}, upsert=True)
            model.setdefault(doc_id, []).append(event)
        elif action < 0.65 and model.get(doc_id):
            outbox.update_many({"_id": {"$in": [doc_id]}},
                               {"$pull": {"outbox": {"event_id": {"$in": model[doc_id][:1]}}}})
            model[doc_id] = model[doc_id][1:]
        elif action < 0.75:
            outbox.delete_one({"_id": doc_id})
            model.pop(doc_id, None)
        elif action < 0.8:
            outbox.replace_one({"_id": doc_id}, {"odd": 1}, upsert=True)
            model[doc_id] = []
        pending = sorted(d["_id"] for d in outbox.find({"outbox.event_id": {"$exists": True}}))
        assert pending == sorted(i for i, events in model.items() if events)
    odd = {d["_id"] for d in outbox.find({"outbox.event_id": {"$exists": True}, "odd": 1})}
    assert odd == {d["_id"] for d in outbox.find({"odd": 1}) if d.get("outbox")}


def test_read_only_lookups_by_id_project_like_find(collection):
    from services.common.storage import by_ids
    collection.insert_many([
        {"_id": "b1", "a": 1, "count": 3, "hist": {"satisfaction": {"4": 2, "5": 1}, "ease": {"3": 3}},
         "counted": ["f1", "f2", "f3"]},
        {"_id": "b2", "a": 2, "count": 1, "counted": ["f4"]}])
    ids = ["b2", "nope", "b1"]
    for projection in (None, {"counted": 0}, {"count": 1, "hist.satisfaction": 1},
                       {"_id": 0, "hist.ease": 1}, {"hist.missing.deep": 1},
                       {"a": 1, "hist.satisfaction.4": 1, "hist.satisfaction.9": 1, "hist.ease": 1,
                        "count.x": 1}):
        canonical = lambda doc: json.dumps(doc, sort_keys=True)  # noqa: E731
        got = sorted(map(canonical, by_ids(collection, ids, projection)))
        want = sorted(map(canonical, collection.find({"_id": {"$in": ids}}, projection)))
        assert got == want, projection


def test_lookups_by_id_hand_out_what_no_caller_can_change(collection):
    import copy
    from services.common.storage import by_ids
    stored = {"_id": "b1", "count": 3, "hist": {"satisfaction": {"4": 2}},
              "ex": {"คิว": ["2026-12-01 f1"]}, "pk": b"\x01\x02"}
    collection.insert_one(copy.deepcopy(stored))
    edits = [lambda d: d["hist"].__setitem__("new", {}),
             lambda d: d["hist"]["satisfaction"].update({"4": 99}),
             lambda d: d["hist"].pop("satisfaction"),
             lambda d: d["ex"]["คิว"].append("2026-12-02 f2"),
             lambda d: d["ex"]["คิว"].sort(),
             lambda d: d["ex"].setdefault("x", [])]
    # an inclusion's dicts down to its paths are its own (plain); below them, frozen
    for projection, reaching in ((None, edits), ({"counted": 0}, edits),
                                 ({"hist.satisfaction": 1, "ex": 1, "count": 1}, edits[1:2] + edits[3:])):
        for edit in reaching:
            doc = by_ids(collection, ["b1"], projection)[0]
            with pytest.raises(TypeError):
                edit(doc)
        mine = copy.deepcopy(by_ids(collection, ["b1"], projection)[0])  # a plain copy: editable
        mine["hist"]["satisfaction"]["4"] = 99
        mine["ex"]["คิว"].append("x")
    # a projection's own top level is a new dict: editing it changes nothing stored
    by_ids(collection, ["b1"], {"count": 1, "hist": 1})[0]["count"] = 99
    assert collection.find_one({"_id": "b1"}) == stored
    assert by_ids(collection, ["b1"]) == [stored]
    # a write is seen by the next read, whatever was read before
    collection.update_one({"_id": "b1"}, {"$inc": {"hist.satisfaction.4": 1},
                                          "$push": {"ex.คิว": "2026-12-03 f3"}})
    assert by_ids(collection, ["b1"], {"hist": 1, "ex": 1}) == [
        {"_id": "b1", "hist": {"satisfaction": {"4": 3}},
         "ex": {"คิว": ["2026-12-01 f1", "2026-12-03 f3"]}}]
    # read by paths before any whole read: only those paths are frozen, and frozen they are
    for edit in (lambda d: d["hist"]["satisfaction"].update({"4": 99}),
                 lambda d: d["ex"]["คิว"].append("x")):
        with pytest.raises(TypeError):
            edit(by_ids(collection, ["b1"], {"hist": 1, "ex.คิว": 1})[0])
    collection.replace_one({"_id": "b1"}, {"count": 1})
    assert by_ids(collection, ["b1"]) == [{"_id": "b1", "count": 1}]
    collection.delete_one({"_id": "b1"})
    assert by_ids(collection, ["b1"]) == []


def test_a_lookup_by_id_after_a_write_that_failed_half_way_sees_what_find_sees(collection):
    from services.common.storage import by_ids
    collection.insert_one({"_id": "a", "a": 1, "b": "x", "l": [1]})
    assert by_ids(collection, ["a"]) == [{"_id": "a", "a": 1, "b": "x", "l": [1]}]  # its snapshot
    with pytest.raises(Exception):
        # the library applies `a` in place, then fails on the bad $slice (a server
        # would refuse it whole; this one is not among those refused before)
        collection.update_one({"_id": "a"}, {"$inc": {"a": 1},
                                             "$push": {"l": {"$each": [2], "$slice": "x"}}})
    assert by_ids(collection, ["a"]) == [collection.find_one({"_id": "a"})]


@pytest.mark.parametrize("update, code", [
    ({"$inc": {"a": 1, "b": 1}}, 14),           # $inc of a string
    ({"$inc": {"a": 1, "n": "1"}}, 14),         # by a string
    ({"$mul": {"d.e": 2, "b": 2}}, 14),
    ({"$inc": {"a": 1}, "$set": {"b.c": 1}}, 28),  # a path through a string
    ({"$inc": {"a": 1, "d.e.f": 1}}, 28),
    ({"$inc": {"a": 1}, "$push": {"b": 1}}, 2),    # $push to a string
])
def test_an_update_that_cannot_apply_is_refused_whole_like_a_server(collection, update, code):
    from pymongo.errors import WriteError
    stored = {"_id": "a", "a": 1, "b": "x", "d": {"e": 1}, "l": [1]}
    collection.insert_one(dict(stored))
    for write in (collection.update_one, collection.update_many, collection.find_one_and_update):
        with pytest.raises(WriteError) as refused:
            write({"_id": "a"}, update)
        assert refused.value.code == code
    # nothing of it was applied (the library would have applied `a` first)
    assert collection.find_one({"_id": "a"}) == stored
    # a document the rest of the filter does not match is not updated: no refusal
    # (a non-numeric amount is refused whatever matches, as a server parses it first)
    if all(not isinstance(amount, str) for amount in update.get("$inc", {}).values()):
        assert collection.update_one({"_id": "a", "missing": 1}, update).matched_count == 0
        assert collection.find_one({"_id": "a"}) == stored
    # what can apply still does, new paths and all
    collection.update_one({"_id": "a"}, {"$inc": {"a": 1, "d.e": 1, "d.f": 2, "n": 1},
                                         "$push": {"l": 2}, "$set": {"b": "y"}})
    assert collection.find_one({"_id": "a"}) == {"_id": "a", "a": 2, "b": "y", "d": {"e": 2, "f": 2},
                                                 "l": [1, 2], "n": 1}


@pytest.mark.parametrize("update", [
    {"$push": {"history": {"$each": [{"note": "\ud800"}]}}},
    {"$push": {"history": "\udfff"}},
    {"$addToSet": {"tags": "\ud800"}},
    {"$set": {"ok": 1, "name": "x\ud800"}},
    {"$set": {"\ud800": 1}},
])
def test_strings_bson_cannot_encode_are_refused_like_a_server(collection, update):
    collection.insert_one({"_id": "a", "history": []})
    with pytest.raises(UnicodeEncodeError):
        collection.update_one({"_id": "a"}, update)
    with pytest.raises(UnicodeEncodeError):
        collection.find_one_and_update({"_id": "a"}, update)
    # refused whole: not even the encodable part of the update was applied
    assert collection.find_one({"_id": "a"}) == {"_id": "a", "history": []}
    with pytest.raises(UnicodeEncodeError):
        collection.insert_one({"_id": "b", "note": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        collection.find_one({"note": "\ud800"})
    assert collection.count_documents({}) == 1


def test_documents_over_16_mib_are_refused_like_a_server_and_nothing_is_written(collection):
    from pymongo.errors import DocumentTooLarge
    five_mib = "x" * (5 * 1024 * 1024)
    collection.insert_one({"_id": "a", "a": 1, "parts": [five_mib, five_mib, five_mib]})  # 15 MiB: fine
    with pytest.raises(DocumentTooLarge):
        collection.update_one({"_id": "a"}, {"$push": {"parts": five_mib}})
    with pytest.raises(DocumentTooLarge):
        collection.find_one_and_update({"_id": "a"}, {"$set": {"more": five_mib}})
    with pytest.raises(DocumentTooLarge):
        collection.replace_one({"_id": "a"}, {"parts": [five_mib] * 4})
    assert len(collection.find_one({"_id": "a"})["parts"]) == 3  # each refused whole
    with pytest.raises(DocumentTooLarge):
        collection.insert_one({"_id": "b", "a": 4, "parts": [five_mib] * 4})
    with pytest.raises(DocumentTooLarge):
        collection.insert_many([{"_id": "c", "a": 2}, {"_id": "d", "a": 3, "parts": [five_mib] * 4}])
    assert sorted(d["_id"] for d in collection.find({}, {"_id": 1})) == ["a", "c"]  # as ordered inserts do
    # not a duplicate: callers that treat a duplicate key as "already done" see the refusal
    with pytest.raises(DocumentTooLarge):
        try:
            collection.insert_one({"_id": "e", "a": 5, "parts": [five_mib] * 4})
        except DuplicateKeyError:
            pytest.fail("a too-large document was reported as a duplicate")


def _random_update(rng):
    """An update of the kinds the services write (counters, an id pushed, a
    value set) and some the in-place path leaves to the library (an index's
    field, a $push with modifiers, a datetime, a mistyped path)."""
    kinds = {
        "$inc": lambda: {rng.choice(["n", "s", "t.x.c", "t.y.c", "t.x.s", "name", "deep.a.b"]):
                         rng.choice([1, 2, 0, -1, 0.5, 3])},
        "$set": lambda: {rng.choice(["name", "meta.a", "t.x.c", "k", "note", "t.z"]):
                         rng.choice(["x", "ยาว", 1, 1.0, None, True, [1, "a"], {"p": 1}, 7])},
        "$push": lambda: {rng.choice(["counted", "list.x", "name"]): rng.choice(
            ["fb-1", "fb-2", {"$each": ["fb-3", "fb-4"]}, {"$each": []},
             {"$each": ["fb-5"], "$slice": -2}, 5])},
        "$addToSet": lambda: {"days": rng.choice(["2026-11-01", "2026-11-02"])},
        "$setOnInsert": lambda: {"level": "point"},
    }
    update = {}
    for op in rng.sample(sorted(kinds), rng.randint(1, 3)):
        update.setdefault(op, {}).update(kinds[op]())
    if rng.random() < 0.05:
        update.setdefault("$set", {})["when"] = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    return update


@pytest.mark.parametrize("seed", range(6))
def test_updates_applied_in_place_equal_the_librarys_own(monkeypatch, seed):
    """update_one in place (embedded_store._update_in_place) gives the same
    documents, counts and errors as the library's own path, over random
    sequences of updates, filters and upserts."""
    from services.common import embedded_store
    from services.common.storage import by_ids
    client = get_client("mongomock://in-place-{}".format(seed))
    pair = [client["fast"]["c"], client["library"]["c"]]
    for coll in pair:
        coll.drop()
        coll.create_index([("k", 1)], unique=True, name="k")
        coll.create_index([("level", 1), ("n", 1)], name="plain")  # no map of ours: in place
    taken = []
    original = embedded_store._update_in_place

    def counted(*args, **kwargs):
        result = original(*args, **kwargs)
        taken.append(result is not None)
        return result
    monkeypatch.setattr(embedded_store, "_update_in_place", counted)
    rng = random.Random(seed)
    for step in range(400):
        doc_id = rng.choice(["a", "b", "c", 7])
        query = {"_id": doc_id}
        if rng.random() < 0.3:
            query["counted"] = {"$ne": rng.choice(["fb-1", "fb-2", "fb-3"])}
        update, upsert = _random_update(rng), rng.random() < 0.5
        if rng.random() < 0.1:
            query, upsert = {"name": "x"}, False  # not by _id: the library's
        outcomes = []
        for coll, fast in zip(pair, (True, False)):
            monkeypatch.setattr(embedded_store, "FAST_UPDATES", fast)
            try:
                result = coll.update_one(query, update, upsert=upsert)
                outcomes.append((result.matched_count, result.modified_count, result.upserted_id))
            except Exception as exc:  # the same refusal either way
                outcomes.append((type(exc).__name__, getattr(exc, "code", None)))
        assert outcomes[0] == outcomes[1], (step, query, update)
        docs = [json.dumps(list(coll.find({}, sort=[("_id", 1)])), default=str) for coll in pair]
        assert docs[0] == docs[1], (step, query, update)
        # a snapshot made before an update in place is not handed out after it
        assert sorted(by_ids(pair[0], ["a", "b", "c", 7]), key=lambda d: str(d["_id"])) == sorted(
            pair[0].find({"_id": {"$in": ["a", "b", "c", 7]}}), key=lambda d: str(d["_id"]))
        if rng.random() < 0.02:
            for coll in pair:
                coll.delete_one({"_id": doc_id})
    assert sum(taken) > 60  # the in-place path answered many of them


def test_updates_in_place_stop_at_16_mib_as_the_library_does(monkeypatch, collection):
    from pymongo.errors import DocumentTooLarge
    from services.common import embedded_store
    one_mib = "x" * (1024 * 1024)
    pushed = {}
    for fast in (True, False):
        monkeypatch.setattr(embedded_store, "FAST_UPDATES", fast)
        collection.delete_many({})
        collection.insert_one({"_id": "big", "parts": []})
        for n in range(20):
            try:
                collection.update_one({"_id": "big"}, {"$push": {"parts": one_mib}, "$inc": {"n": 1}})
            except DocumentTooLarge:
                break
        doc = collection.find_one({"_id": "big"})
        assert len(bson.encode(doc)) <= embedded_store.MAX_DOCUMENT_BYTES
        pushed[fast] = (n, len(doc["parts"]), doc["n"])
    assert pushed[True] == pushed[False] == (15, 15, 15)  # refused whole at the 16th
