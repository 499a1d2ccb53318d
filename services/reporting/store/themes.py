"""Comment themes kept incrementally: reporting's copy of the published
comments, their day buckets and month buckets, behind ThemeStore (ADR 12; see ADR 6).
What needs no storage is `theme_buckets`.

Collections (reporting's database):
* `theme_comments` (`_id` = feedback id): where the comment was made, its
  day, satisfaction, the published text now (None when not public), its
  terms, `digest` of that text, and `rank`, the moment of the decision
  that set it ("" for the submission, else the moderation time): a later
  decision wins whatever the order events arrive in. `versions` keeps the
  terms of each text a bucket may still have counted (a moderator's edit).
* `theme_days` (`_id` = `level|key|day`, levels point, agency, province,
  nation): a bucket (themes.py) plus `counted` {feedback id: digest}, and
  `rev` for guarded rewrites. A bucket counts each comment once, in the
  text it has now; a comment moderated away leaves it.
* `theme_months` (`_id` = `level|key|YYYY-MM`): derived from the days by
  `compact`, like the satisfaction month buckets; a month with more terms
  than PART_TERMS is split into parts by a hash of the term
  (`…|YYYY-MM|p<i>`), so no document grows with the country. A month keeps
  its terms' sums packed (`pk`: little-endian int32 arrays `ids`, `c`, `s`,
  `lo`, `hi`, by term id), so a year of a scope sums with numpy instead of
  a Python loop over every term of every month; `ex` keeps the examples
  by term. (A month written before packing has `t` and is read as a day.)
  A month in one document also keeps its days packed (`pn`: each day's
  comment counts; `pd`: every term entry of its days by term id and day,
  with running sums), up to DAY_ENTRIES entries, so a range that cuts the
  month sums two rows of running sums per term instead of reading its days.
* `theme_terms` (`_id` = term, `n` = its id) and `theme_term_ids` (`_id` =
  id, `term`): the term dictionary of the packed months, append-only; an
  id is never reused or changed. `theme_counters` hands out ids.
* `theme_dirty` (`_id` = the month bucket's): months to derive again.
"""
import math
from datetime import timedelta
import zlib

import numpy as np
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common.storage import Repository, by_ids, existing_ids
from services.reporting import themes
from services.reporting.rating_buckets import days, month_days, month_spans
from services.reporting.theme_buckets import (
    NATION, counted_comment, least_count_to_stand_out, maybe_themes, period_id, rebuild, scopes,
    together, with_terms)

PART_TERMS = 10000      # terms of one month document: ~3.4 MB with their examples (340 B a term)
RETRIES = 20
INDEXES = {}


# --- the term dictionary of packed months ---------------------------------------------
PACKED = ("c", "s", "lo", "hi")
PACKED_TYPE = "<i4"


PROJECTED_TERMS = 500  # see ThemeStore.reference_documents
# a month's days packed (ThemeStore.pack_days): keys term id * DAY_SLOTS + day
DAY_SLOTS, DAY_KEY_TYPE, DAY_SUM_TYPE = 32, "<i8", "<i4"
DAY_ENTRIES = 100_000  # term entries of a month's days packed with it: 2.4 MB at most


def _packed(doc):
    """(term ids, an (ids, 4) matrix of PACKED) of a packed document: a
    stored month's `pk`, or what `month_slice` summed."""
    if "cut" in doc:
        if "sums" not in doc:
            doc["sums"] = _cut_sums(doc["cut"])
        return doc["sums"]
    pk = doc["pk"]
    return (np.frombuffer(pk["ids"], dtype=PACKED_TYPE),
            np.stack([np.frombuffer(pk[name], dtype=PACKED_TYPE) for name in PACKED], axis=1))


def _merged(space, sums, ids, values, keep_sorted):
    """Term sums (`space`: distinct ids ascending, `sums` by row) plus
    another's: the rows of ids both hold added, the others after them
    (ascending again if `keep_sorted`). `sums` is changed."""
    at = np.searchsorted(space, ids)
    inside = at < len(space)
    inside[inside] = space[at[inside]] == ids[inside]
    sums[at[inside]] += values[inside]  # distinct on both sides: no repeats
    new = ~inside
    if not new.any():
        return space, sums
    space, sums = np.concatenate([space, ids[new]]), np.concatenate([sums, values[new]])
    if keep_sorted:
        order = np.argsort(space)
        space, sums = space[order], sums[order]
    return space, sums


def _day_sums(doc):
    """A month's packed days (`pd`): the sorted keys (term id * 32 + day)
    of its term entries and the running sums of their PACKED columns, from
    a zero row (the sums of the entries before key k are row k)."""
    pd = doc["pd"]
    return (np.frombuffer(pd["key"], dtype=DAY_KEY_TYPE),
            np.frombuffer(pd["sums"], dtype=DAY_SUM_TYPE).reshape(-1, len(PACKED)))


def _cut_sums(cut):
    """(term ids ascending, their sums) over the days of a month's slice."""
    keys, running, ids, first, last = cut
    ids = ids * DAY_SLOTS
    sums = (running[np.searchsorted(keys, ids + (last + 1))]
            - running[np.searchsorted(keys, ids + first)]).astype(np.int64)
    held = np.flatnonzero(sums[:, 0])
    return ids[held] // DAY_SLOTS, sums[held]


def _cut_counts_at(cut, wanted):
    """How many comments of a month's slice mention each term id of `wanted`."""
    keys, running, _, first, last = cut
    wanted = wanted * DAY_SLOTS
    return (running[np.searchsorted(keys, wanted + (last + 1)), 0]
            - running[np.searchsorted(keys, wanted + first), 0]).astype(np.int64)


class Sums:
    """Term sums of some documents: the comment counts (`n`, `s`, `lo`,
    `hi`) and, aligned with `keys` (a term's id, or the term itself when
    only day buckets hold it), an int64 matrix `values` of the columns
    PACKED; `arrays` names its columns."""

    def __init__(self, counts, keys, values):
        self.counts, self.keys, self.values = counts, keys, values
        self.arrays = {name: values[:, j] for j, name in enumerate(PACKED)}
        self._ids_at = self._positions = None

    def names(self, store, positions):
        """The terms at `positions` of `keys` (named by `store`, a ThemeStore)."""
        keys = self.keys
        wanted = [keys[k] for k in positions]
        named = store.term_names([key for key in wanted if not isinstance(key, str)])
        return [key if isinstance(key, str) else named[key] for key in wanted]

    def ids_at(self):
        """(term ids held, their positions in `keys`) as arrays, made once
        (a reference in two parts asks twice)."""
        if self._ids_at is None:
            by_id = [(k, key) for k, key in enumerate(self.keys) if not isinstance(key, str)]
            self._ids_at = (np.array([key for _, key in by_id], dtype=np.int64),
                            np.array([k for k, _ in by_id], dtype=np.int64))
        return self._ids_at

    def positions(self, store):
        """{term: its position in `keys`}, made once."""
        if self._positions is None:
            self._positions = dict(zip(self.names(store, range(len(self.keys))),
                                       range(len(self.keys))))
        return self._positions

    def at_least(self, count):
        """These sums of the terms mentioned by at least `count` comments."""
        kept = np.nonzero(self.values[:, 0] >= count)[0]
        if len(kept) == len(self.keys):
            return self
        keys = self.keys
        return Sums(self.counts, [keys[k] for k in kept.tolist()], self.values[kept])

    def bucket(self, store, positions):
        """These terms as a themes bucket (what the views read)."""
        total = dict(self.counts)
        rows = self.values[positions].tolist()
        total["t"] = {name: dict(zip(PACKED, row))
                      for name, row in zip(self.names(store, positions), rows)}
        return total


def _counts(documents):
    return {name: sum(doc.get(name, 0) for doc in documents) for name in ("n", "s", "lo", "hi")}


def _loose_counts_at(documents, position):
    """How many comments of day buckets mention each term of `position`
    ({term: k}), as a list by k (a reference reads a scope's terms only:
    the terms both hold, intersected in C)."""
    counts = [0] * len(position)
    wanted = position.keys()
    for doc in documents:
        held = doc.get("t")
        if held:
            for term in held.keys() & wanted:
                counts[position[term]] += held[term]["c"]
    return counts


# --- months --------------------------------------------------------------------------
def _part(term, parts):
    return zlib.crc32(term.encode("utf-8")) % parts


# --- recount -------------------------------------------------------------------------------
def _content(bucket):
    content = {name: bucket.get(name, 0) for name in ("n", "s", "lo", "hi")}
    content.update({name: bucket.get(name) or {} for name in ("t", "ex", "counted")})
    return content


def _empty(bucket):
    return not bucket.get("n") and not bucket.get("counted")


class _Collections:
    """A database's collections by attribute, each made once: pymongo and
    mongomock-ng make a Collection object per access, which a report making
    a dozen reads in a millisecond felt."""

    def __init__(self, db):
        self._database = db

    def __getattr__(self, name):
        collection = getattr(self._database, name)
        setattr(self, name, collection)
        return collection


class ThemeStore(Repository):
    """The comment themes of reporting's database: the copy of the comments,
    their day buckets, the packed month documents and their term
    dictionary, and the theme reports read from them."""

    def __init__(self, db):
        super().__init__(_Collections(db))
        # a term's id and an id's name never change once stored: remembered
        self._ids, self._names = {}, {}

    # --- events in ---------------------------------------------------------------------
    def record(self, state):
        """Apply one comment state (from an event); the number of buckets changed."""
        doc = self._db.theme_comments.find_one({"_id": state["_id"]})
        if doc is None:
            if state.get("point") is None and state.get("text"):
                return 0  # no idea where it was made: the recount brings it
            if state.get("point") is None:
                return 0  # rejected before we knew it: nothing to count
            try:
                self._db.theme_comments.insert_one(with_terms(state))
            except DuplicateKeyError:
                pass
            doc = self._db.theme_comments.find_one({"_id": state["_id"]})
        elif state["rank"] > doc["rank"]:
            fresh = with_terms(state)
            update = {"$set": {"text": fresh["text"], "terms": fresh["terms"],
                               "digest": fresh["digest"], "rank": state["rank"]}}
            if fresh["digest"]:
                update["$set"]["versions." + fresh["digest"]] = fresh["terms"]
            self._db.theme_comments.update_one({"_id": doc["_id"], "rank": doc["rank"]}, update)
            doc = self._db.theme_comments.find_one({"_id": state["_id"]})
        return self.reconcile(doc)

    def _mark_dirty(self, doc):
        month = doc["day"][:7]
        for level, key in scopes(doc):
            self._db.theme_dirty.update_one({"_id": period_id(level, key, month)},
                                            {"$inc": {"rev": 1}, "$setOnInsert": {
                                                "level": level, "key": key, "month": month}},
                                            upsert=True)

    def _others(self, bucket, feedback_id):
        cache = {}

        def others(term):
            if "docs" not in cache:
                ids = [fid for fid in bucket.get("counted", {}) if fid != feedback_id]
                cache["docs"] = [(doc, bucket["counted"][doc["_id"]])
                                 for doc in by_ids(self._db.theme_comments, ids)]
            return [counted_comment(doc, digest) for doc, digest in cache["docs"]
                    if term in counted_comment(doc, digest)["terms"]]
        return others

    def reconcile(self, doc):
        """Bring the comment's four day buckets to its stored state: each
        counts it once, in its current text, or not at all. Safe to repeat
        and to interrupt (every bucket write is one guarded document write)."""
        wanted = doc["digest"] if doc.get("text") else None
        self._mark_dirty(doc)  # before: a crash after a day write leaves its month dirty
        changed = 0
        for level, key in scopes(doc):
            bucket_id = period_id(level, key, doc["day"])
            for _ in range(RETRIES):
                found = by_ids(self._db.theme_days, [bucket_id], {"counted." + doc["_id"]: 1})
                counted = found[0].get("counted", {}).get(doc["_id"]) if found else None
                if counted == wanted:
                    break
                if counted is None:
                    if self._add(bucket_id, level, key, doc, wanted):
                        changed += 1
                        break
                    continue  # counted meanwhile (another delivery): look again
                if self._take_out(bucket_id, doc, counted):
                    changed += 1  # then count the current text, if public, on the next pass
        # after: a compaction that read the days before this write stays dirty
        self._mark_dirty(doc)
        return changed

    def _add(self, bucket_id, level, key, doc, digest):
        """Count the comment in one atomic update of the paths it changes,
        only if the bucket has not counted it (a repeat finds it counted)."""
        comment = counted_comment(doc, digest)
        rating = comment["rating"]
        low, high = (1 if rating in themes.LOW else 0), (1 if rating in themes.HIGH else 0)
        inc = {"n": 1, "s": rating, "lo": low, "hi": high, "rev": 1}
        push = {}
        for term in comment["terms"]:
            for name, value in (("c", 1), ("s", rating), ("lo", low), ("hi", high)):
                inc["t.{}.{}".format(term, name)] = value
            push["ex." + term] = {"$each": [comment["at"] + " " + comment["id"]],
                                  "$sort": -1, "$slice": themes.EXAMPLES}
        update = {"$inc": inc, "$set": {"counted." + doc["_id"]: digest},
                  "$setOnInsert": {"level": level, "key": key, "day": doc["day"]}}
        if push:
            update["$push"] = push
        try:
            self._db.theme_days.update_one(
                {"_id": bucket_id, "counted." + doc["_id"]: {"$exists": False}}, update,
                upsert=True)
        except DuplicateKeyError:  # the bucket exists and has counted it
            return False
        return True

    def _take_out(self, bucket_id, doc, digest):
        """Take a counted text out of one bucket (moderation: rare): the whole
        document rewritten, guarded by its `rev`; False when a write came first."""
        bucket = self._db.theme_days.find_one({"_id": bucket_id})
        if bucket is None or bucket.get("counted", {}).get(doc["_id"]) != digest:
            return False
        new = dict(bucket, t=dict(bucket.get("t", {})), ex=dict(bucket.get("ex", {})),
                   counted=dict(bucket["counted"]))
        themes.remove_comment(new, counted_comment(doc, digest), self._others(new, doc["_id"]))
        new["counted"].pop(doc["_id"])
        new["rev"] = bucket.get("rev", 0) + 1
        return self._db.theme_days.replace_one({"_id": bucket_id, "rev": bucket.get("rev", 0)},
                                               new).matched_count == 1

    def term_ids(self, terms, allocate=False):
        """{term: id} of the `terms` that have one; `allocate`: name the others.
        Remembered as the names are (a term's id, once stored, stands)."""
        known = self._ids
        found = {term: known[term] for term in terms if term in known}
        asked = list(dict.fromkeys(term for term in terms if term not in found))
        if asked:
            found.update((doc["_id"], doc["n"]) for doc in by_ids(self._db.theme_terms, asked))
        missing = [term for term in asked if term not in found]
        if missing and allocate:
            counter = self._db.theme_counters.find_one_and_update(
                {"_id": "terms"}, {"$inc": {"next": len(missing)}}, upsert=True,
                return_document=ReturnDocument.AFTER)
            first = counter["next"] - len(missing)
            # the id's name first: a crash before the term's own entry leaves
            # an id nobody uses, never a used id without its name
            self._db.theme_term_ids.insert_many([{"_id": first + i, "term": term}
                                                 for i, term in enumerate(missing)])
            try:
                self._db.theme_terms.insert_many([{"_id": term, "n": first + i}
                                                  for i, term in enumerate(missing)], ordered=False)
            except (BulkWriteError, DuplicateKeyError):
                pass  # another compaction named some of them first: its ids stand
            found.update({doc["_id"]: doc["n"]
                          for doc in by_ids(self._db.theme_terms, missing)})
        if asked:
            known.update(found)
            self._names.update((i, term) for term, i in found.items())
        return found

    def term_names(self, ids):
        """{id: term} for term ids (remembered: an id is never reused or
        renamed, so what any process read once stands)."""
        known = self._names
        ids = [int(i) for i in ids]
        unknown = [i for i in ids if i not in known]
        if unknown:
            known.update((doc["_id"], doc["term"])
                         for doc in by_ids(self._db.theme_term_ids, unknown))
        return {i: known[i] for i in ids if i in known}

    def pack(self, entries):
        """{term: {c, s, lo, hi}} as packed arrays by term id (ids ascending)."""
        ids = self.term_ids(entries, allocate=True)
        order = sorted(entries, key=ids.__getitem__)
        packed = {"ids": np.array([ids[term] for term in order], dtype=PACKED_TYPE).tobytes()}
        for name in PACKED:
            packed[name] = np.array([entries[term][name] for term in order],
                                    dtype=PACKED_TYPE).tobytes()
        return packed

    def pack_days(self, days):
        """A month's day buckets packed into its document, so a range that
        cuts the month reads one document, not its days: `pn`, [day of the
        month, n, s, lo, hi] of each day that counts comments, and `pd`,
        every term entry of those days by key (term id * 32 + day), with the
        running sums of their c, s, lo, hi: the sums of a term over days
        a..b are the difference of two rows (`month_slice`). The month's own
        `pack` has named every term."""
        counts, rows = [], []
        for day in sorted(days, key=lambda day: day["day"]):
            if not day.get("n"):
                continue  # emptied by moderation: it counts nothing
            number, entries = int(day["day"][8:10]), day.get("t") or {}
            counts.append([number] + [day.get(name, 0) for name in ("n", "s", "lo", "hi")])
            ids = self.term_ids(entries)
            rows.extend((ids[term] * DAY_SLOTS + number, entry["c"], entry["s"], entry["lo"],
                         entry["hi"]) for term, entry in entries.items())
        rows.sort()
        table = np.array(rows, dtype=np.int64).reshape(-1, len(PACKED) + 1)
        running = np.concatenate([np.zeros((1, len(PACKED)), dtype=np.int64),
                                  np.cumsum(table[:, 1:], axis=0)])
        if running[-1].max() > np.iinfo(DAY_SUM_TYPE).max:
            return {}  # sums past int32 (no month of one document comes near): read its days
        return {"pn": counts, "pd": {"key": table[:, 0].astype(DAY_KEY_TYPE).tobytes(),
                                     "sums": running.astype(DAY_SUM_TYPE).tobytes()}}

    @staticmethod
    def month_slice(doc, first, last, days, day_ids):
        """Days `first`..`last` (days of the month) of a month document
        holding its days packed, as a document of their counts whose term
        sums are made when asked (`_packed`; a reference asks only how many
        mention some terms, `_cut_counts_at`): each term's entries of those
        days lie between two keys, and their sums are the difference of the
        running sums there. `days`: the rows of `pn` in the range;
        `day_ids`: the ids of those days' buckets, where their examples are."""
        keys, running = _day_sums(doc)
        sliced = {"_id": doc["_id"], "days": day_ids, "cut": (
            keys, running, np.frombuffer(doc["pk"]["ids"], dtype=PACKED_TYPE).astype(np.int64),
            first, last)}
        sliced.update(zip(("n", "s", "lo", "hi"), map(sum, list(zip(*days))[1:] or [()] * 4)))
        return sliced

    def unpacked(self, doc):
        """A month document with its packed sums as a `t` mapping, to merge."""
        if "pk" not in doc:
            return doc
        ids, values = _packed(doc)
        names = self.term_names(ids)
        terms = {names[i]: dict(zip(PACKED, row))
                 for i, row in zip(ids.tolist(), values.tolist())}
        return dict({key: value for key, value in doc.items() if key not in ("pk", "pd", "pn")},
                    t=terms)

    def packed_days(self, doc):
        """A month document's packed days as {day of the month: (n, s, lo,
        hi, {term: entry})}, to compare (None when it holds none)."""
        if "pd" not in doc:
            return None
        keys, running = _day_sums(doc)
        entries = np.diff(running.astype(np.int64), axis=0).tolist()
        names = self.term_names((keys // DAY_SLOTS).tolist())
        days = {row[0]: tuple(row[1:]) + ({},) for row in doc["pn"]}
        for key, row in zip(keys.tolist(), entries):
            days[key % DAY_SLOTS][-1][names[key // DAY_SLOTS]] = dict(zip(PACKED, row))
        return days

    def _loose(self, documents):
        """Day buckets (and months stored before packing) summed: [(term, id or
        None, [c, s, lo, hi])]."""
        summed = themes.term_lists(documents)
        ids = self.term_ids(summed)
        return [(term, ids.get(term), entry) for term, entry in summed.items()]

    def term_sums(self, documents, min_count=1):
        """The Sums of the terms of `documents` mentioned by at least
        `min_count` comments: packed months summed with numpy by term id, day
        buckets added to them."""
        packed = [_packed(doc) for doc in documents if "pk" in doc or "cut" in doc]
        loose = self._loose([doc for doc in documents if "pk" not in doc and "cut" not in doc])
        if len(packed) in (1, 2):  # a point's month: its ids are distinct and ascending already
            space = packed[0][0].astype(np.int64)
            sums = packed[0][1].astype(np.int64)
            if len(packed) == 2:  # and a cut of another (a 30-day range)
                space, sums = _merged(space, sums, *packed[1], keep_sorted=bool(loose))
        elif packed:
            # summed by position in `space`, the distinct ids held (sorted): a
            # point's few hundred terms must not cost the dictionary's length
            space, position = np.unique(np.concatenate([ids for ids, _ in packed]),
                                        return_inverse=True)
            values = np.concatenate([values for _, values in packed])
            sums = np.stack([np.bincount(position, weights=values[:, k], minlength=len(space))
                             for k in range(len(PACKED))], axis=1).astype(np.int64)
        else:
            space, sums = np.zeros(0, dtype=np.int64), np.zeros((0, len(PACKED)), dtype=np.int64)
        extra_keys, extra = [], np.zeros((0, len(PACKED)), dtype=np.int64)
        if loose:
            held = np.array([-1 if i is None else i for _, i, _ in loose], dtype=np.int64)
            values = np.array([entry for _, _, entry in loose], dtype=np.int64)
            at = np.searchsorted(space, held)
            inside = at < len(space)
            inside[inside] = space[at[inside]] == held[inside]
            sums[at[inside]] += values[inside]  # ids are distinct on both sides: no repeats
            # day-bucket terms no packed month here holds
            outside = np.nonzero(~inside & (values[:, 0] >= min_count))[0]
            extra_keys = [term if i is None else i
                          for term, i, _ in (loose[k] for k in outside.tolist())]
            extra = values[outside]
        chosen = np.nonzero(sums[:, 0] >= min_count)[0]
        return Sums(_counts(documents), space[chosen].tolist() + extra_keys,
                    np.concatenate([sums[chosen], extra]))

    def counts_at(self, reference, scope):
        """A reference (the nation, the period before; `reference_documents`)
        for the terms of a scope's Sums, in its order: its comment counts
        (`n`, `s`, `lo`, `hi`) and how many of its comments mention each term
        (the views compare only those)."""
        plus, minus = reference
        counts, mentions = self._counts_at(plus, scope)
        if minus:
            less_counts, less_mentions = self._counts_at(minus, scope)
            counts = {name: value - less_counts[name] for name, value in counts.items()}
            mentions = mentions - less_mentions
        return counts, mentions

    def _counts_at(self, documents, scope):
        keys = scope.keys
        mentions = np.zeros(len(keys), dtype=np.int64)
        wanted, places = scope.ids_at()
        if len(wanted):
            for doc in documents:
                if "cut" in doc:
                    mentions[places] += _cut_counts_at(doc["cut"], wanted)
                elif "pk" in doc:
                    doc_ids, doc_counts = (np.frombuffer(doc["pk"][name], dtype=PACKED_TYPE)
                                           for name in ("ids", "c"))
                    at = np.searchsorted(doc_ids, wanted)
                    hit = at < len(doc_ids)
                    hit[hit] = doc_ids[at[hit]] == wanted[hit]
                    mentions[places[hit]] += doc_counts[at[hit]]
        loose_docs = [doc for doc in documents if "pk" not in doc and "cut" not in doc]
        if loose_docs and keys:
            mentions += np.array(_loose_counts_at(loose_docs, scope.positions(self)),
                                 dtype=np.int64)
        return _counts(documents), mentions

    def month_documents(self, month_id, bucket, days=None):
        """The month document(s) of a merged bucket: one, or a head and parts;
        their terms packed (new terms are named in the term dictionary). A
        month in one document also keeps its `days` (the day buckets merged)
        packed, when they hold at most DAY_ENTRIES term entries."""
        head = {"_id": month_id, "n": bucket["n"], "s": bucket["s"], "lo": bucket["lo"],
                "hi": bucket["hi"]}
        parts = max(1, math.ceil(len(bucket["t"]) / PART_TERMS))
        head["parts"] = parts
        if parts == 1:
            head.update(pk=self.pack(bucket["t"]), ex=bucket["ex"])
            if days is not None and sum(len(day.get("t") or ()) for day in days) <= DAY_ENTRIES:
                head.update(self.pack_days(days))
            return [head]
        docs = [{"_id": "{}|p{}".format(month_id, i), "t": {}, "ex": {}} for i in range(parts)]
        for term, entry in bucket["t"].items():
            doc = docs[_part(term, parts)]
            doc["t"][term] = entry
            doc["ex"][term] = bucket["ex"].get(term, [])
        for doc in docs:
            doc["pk"] = self.pack(doc.pop("t"))
        return [head] + docs

    def compact(self, limit=1000):
        """Derive the month buckets of dirty months from their days; a marker
        goes only if no write came meanwhile. The number of months derived."""
        markers = list(self._db.theme_dirty.find({}).limit(limit))
        for marker in markers:
            level, key, month = marker["level"], marker["key"], marker["month"]
            day_ids = [period_id(level, key, day) for day in month_days(month)]
            month_days_read = by_ids(self._db.theme_days, day_ids, {"counted": 0})
            merged = themes.merge(month_days_read)
            month_id = period_id(level, key, month)
            old = self._db.theme_months.find_one({"_id": month_id}, {"parts": 1}) or {}
            docs = self.month_documents(month_id, merged, month_days_read)
            for doc in docs[1:] + docs[:1]:  # the head last: it says how many parts
                self._db.theme_months.replace_one({"_id": doc["_id"]}, doc, upsert=True)
            stale = ["{}|p{}".format(month_id, i) for i in range(
                docs[0]["parts"] if docs[0]["parts"] > 1 else 0, old.get("parts", 1))
                if old.get("parts", 1) > 1]
            if stale:
                self._db.theme_months.delete_many({"_id": {"$in": stale}})
            self._db.theme_dirty.delete_one({"_id": marker["_id"], "rev": marker["rev"]})
        return len(markers)

    # --- reading a range -------------------------------------------------------------------
    def range_bucket(self, level, key, start, end, only=None):
        """The merged bucket of one scope over [start, end]: whole clean months
        from their month documents, the rest from day buckets."""
        return themes.merge([self.unpacked(doc) for doc in self.range_documents(
            level, key, start, end, with_examples=True)], only)

    def range_documents(self, level, key, start, end, with_examples=False):
        """The documents that hold one scope over [start, end], without their
        examples unless asked (`_examples` reads those of the terms shown).

        A clean month is read from its month document when the range covers it
        whole, or covers every day of it that has a bucket (the days after
        today have none: "the last 365 days" reads the current month whole);
        a clean month the range cuts, from its packed days (`month_slice`;
        not when examples are asked: they are the day buckets'); otherwise
        (a dirty month, or one without packed days) from the day buckets in
        the range."""
        return self._read(level, key, [(start, end, False)], with_examples)[0][0]

    def reference_documents(self, level, key, start, end, terms=None):
        """(plus, minus): documents whose sums less the others' are one
        scope's over [start, end], for a reference that is only counted. As
        range_documents, except that a clean month partly in the range
        without packed days is read as its month document less its day
        buckets out of the range
        when those are fewer than its days in the range (a 30-day window
        then reads a week of days, not a month of them). Counts subtract
        exactly; the examples of a month do not, so a scope's own documents
        never come so. `terms`: the only terms read of day buckets (a
        reference is compared at a scope's terms; a national day holds
        thousands), up to PROJECTED_TERMS of them: a scope with more holds
        most of what a day holds, and the projection would cost more than
        it leaves out."""
        return self._read(level, key, [(start, end, True)], terms=terms)[0]

    def _read(self, level, key, ranges, with_examples=False, terms=None):
        """For each (start, end, counted only) of `ranges` of one scope, its
        (documents, documents to subtract) as range_documents (counted only:
        reference_documents) reads them; what the ranges share is read once
        (a rising view reads its period and the one before, which meet in a
        month)."""
        plans = self._range_plans(level, key, ranges, with_examples)
        left_out = {} if with_examples else {"ex": 0}
        day_ids = sorted({i for _, _, days_in, minus in plans for i in days_in + minus})
        part_ids = sorted({i for _, parts, _, _ in plans for i in parts})
        whole = terms is None or len(terms) > PROJECTED_TERMS
        days_read = by_ids(self._db.theme_days, day_ids, dict(left_out, counted=0) if whole
                           else dict.fromkeys(["n", "s", "lo", "hi"] + ["t." + t for t in terms], 1))
        read = {doc["_id"]: doc for doc in by_ids(self._db.theme_months, part_ids,
                                                   left_out or None) + days_read}
        return [(heads + [read[i] for i in parts + days_in if i in read],
                 [read[i] for i in minus if i in read]) for heads, parts, days_in, minus in plans]

    def _range_plans(self, level, key, ranges, with_examples=False):
        """For each (start, end, counted only) of `ranges`: (month heads,
        month part ids, day bucket ids, ids of day buckets to subtract) that
        hold one scope over [start, end]; the months' state is read once
        for all."""
        spans = [month_spans(start, end) for start, end, _ in ranges]
        prefix = period_id(level, key, "")  # + a day or month: its bucket's id
        month_ids = {month: prefix + month for months in spans for month, _, _, _ in months}
        day_buckets, month_buckets = self._db.theme_days, self._db.theme_months
        dirty = existing_ids(self._db.theme_dirty, list(month_ids.values()))
        clean = [m for m in month_ids.values() if m not in dirty]
        # a month a range cuts is summed from its packed days (`month_slice`),
        # unless examples are asked (they are the days')
        cut = set() if with_examples else {month_ids[month] for months in spans
                                           for month, _, _, full in months if not full}
        heads = {doc["_id"]: doc for doc in by_ids(month_buckets, [m for m in clean if m in cut],
                                                   {"ex": 0})
                 + by_ids(month_buckets, [m for m in clean if m not in cut],
                          {"pd": 0} if with_examples else {"ex": 0, "pd": 0})}
        outside_of = []  # per range: {month id: the day ids of a partial clean month out of it}
        for months in spans:
            outside = {}
            for month, first, last, full in months:
                month_id = month_ids[month]
                if not full and month_id not in dirty and "pd" not in heads.get(month_id, ()):
                    month_of = month_days(month)
                    outside[month_id] = [prefix + day for day in
                                         month_of[:first.day - 1] + month_of[last.day:]]
            outside_of.append(outside)
        stored = existing_ids(day_buckets, sorted(
            {i for outside in outside_of for ids in outside.values() for i in ids}))
        plans = []
        for (_, _, counts_only), months, outside in zip(ranges, spans, outside_of):
            used, parts, day_ids, minus_ids = [], [], [], []
            for month, first, last, full in months:
                month_id = month_ids[month]
                head = heads.get(month_id)
                if not full and head is not None and "pd" in head:
                    low, high = first.day, last.day
                    held = [row for row in head["pn"] if low <= row[0] <= high]
                    if len(held) == len(head["pn"]):
                        used.append(head)  # every day with comments is in the range
                    elif held:
                        # a reference is only counted: no examples, no day ids
                        used.append(self.month_slice(head, low, high, held, () if counts_only else [
                            "{}{}-{:02d}".format(prefix, month, row[0]) for row in held]))
                    continue
                out = [i for i in outside.get(month_id, ()) if i in stored]
                less = (counts_only and head is not None and out
                        and len(out) < (last - first).days + 1)
                if month_id not in dirty and (full or not out or less):
                    if head is not None:
                        used.append(head)
                        if head.get("parts", 1) > 1:
                            parts.extend("{}|p{}".format(month_id, i)
                                         for i in range(head["parts"]))
                    if less:
                        minus_ids.extend(out)
                    continue  # a clean month without a document had no comments
                day_ids.extend(prefix + day for day in month_days(month)[first.day - 1:last.day])
            plans.append((used, parts, day_ids, sorted(minus_ids)))
        return plans

    def _examples(self, rows, documents):
        """Each row's examples: the newest of its term in the scope's
        `documents`, read for the rows' terms only, then their comments."""
        wanted_terms = sorted({row["term"] for row in rows})
        projection = dict.fromkeys(["ex." + term for term in wanted_terms], 1)
        held = []
        if wanted_terms:  # day buckets say their day, a month's slice its days
            days = ([doc["_id"] for doc in documents if "day" in doc]
                    + [i for doc in documents for i in doc.get("days", ())])
            months = [doc["_id"] for doc in documents if "day" not in doc and "days" not in doc]
            held = (by_ids(self._db.theme_days, days, projection)
                    + by_ids(self._db.theme_months, months, projection))
        chosen = themes.examples_of(held, set(wanted_terms))
        wanted = {themes.example_id(e) for examples in chosen.values() for e in examples}
        docs = {doc["_id"]: doc
                for doc in by_ids(self._db.theme_comments, sorted(wanted))}
        for row in rows:
            for example in chosen.get(row["term"], []):
                doc = docs.get(themes.example_id(example))
                if doc is None or not doc.get("text"):
                    continue  # moderated away since: its bucket follows
                row["examples"].append({"feedback_id": doc["_id"], "comment": doc["text"],
                                        "satisfaction": doc["rating"], "submitted_at": doc["at"]})

    def report(self, view, level, key, start, end, limit=20, min_count=themes.MIN_COUNT):
        """One of the three views ("themes", "unhappy", "rising") of a scope.

        The term sums are arrays; only the terms that may pass a view's test
        (or, for the nation, the most mentioned) become rows, computed by the
        views of `themes` exactly as they would be for every term."""
        if view == "rising":
            length = (end - start).days + 1
            before_end = start - timedelta(days=1)
            before_start = before_end - timedelta(days=length - 1)
            # its own earlier days are as small as its own: read whole, with its own
            (documents, _), (earlier, less) = self._read(
                level, key, [(start, end, False), (before_start, before_end, True)])
        else:
            documents = self.range_documents(level, key, start, end)
        # a term below min_count is no theme: only the others are read further
        scope = self.term_sums(documents, min_count)
        if view == "rising":
            scope = scope.at_least(least_count_to_stand_out(
                scope.counts["n"],
                sum(doc.get("n", 0) for doc in earlier) - sum(doc.get("n", 0) for doc in less),
                min_count, themes.G2_THRESHOLD))
        n = scope.counts
        result = {"view": view, "level": level, "id": key, "from": start.isoformat(),
                  "to": end.isoformat(), "comments": n["n"],
                  "mean_satisfaction": n["s"] / n["n"] if n["n"] else None,
                  "comments_unhappy": n["lo"], "comments_happy": n["hi"],
                  "min_count": min_count, "g2_threshold": themes.G2_THRESHOLD}
        c = scope.arrays["c"]
        if view == "themes":
            if level == "nation":
                most = limit * 3
                floor = np.sort(c)[-most] if len(c) > most else min_count
                chosen = np.nonzero(c >= max(floor, min_count))[0].tolist()  # ties at the edge too
                rows = themes.distinctive(scope.bucket(self, chosen), None, most, min_count)
                result["reference"] = None
            else:
                nation, nation_c = self.counts_at(self.reference_documents(
                    "nation", NATION, start, end, scope.names(self, range(len(scope.keys)))), scope)
                rest_n = nation["n"] - n["n"]
                rest_c = nation_c - c
                chosen = maybe_themes(c, n["n"], rest_c, rest_n, min_count, themes.G2_THRESHOLD)
                rest = {"n": rest_n, "t": {name: {"c": int(rest_c[k])} for name, k in
                                           zip(scope.names(self, chosen), chosen)}}
                rows = themes.distinctive(scope.bucket(self, chosen), rest, limit * 3, min_count)
                result["reference"] = {"level": "nation", "comments": rest_n,
                                       "note": "the rest of the country"}
        elif view == "unhappy":
            chosen = maybe_themes(scope.arrays["lo"], n["lo"], scope.arrays["hi"], n["hi"],
                                  min_count, themes.G2_THRESHOLD)
            rows = themes.unhappy(scope.bucket(self, chosen), limit * 3, min_count)
        else:
            previous, previous_c = self.counts_at((earlier, less), scope)
            chosen = maybe_themes(c, n["n"], previous_c, previous["n"], min_count,
                                  themes.G2_THRESHOLD) if previous["n"] else []
            before = dict(previous, t={name: {"c": int(previous_c[k])} for name, k
                                       in zip(scope.names(self, chosen), chosen)})
            rows = themes.rising(scope.bucket(self, chosen), before, limit * 3, min_count)
            result["previous"] = {"from": before_start.isoformat(), "to": before_end.isoformat(),
                                  "comments": previous["n"]}
        self._examples(rows, documents)
        result["themes"] = together(rows)[:limit]
        return result

    def differences(self, records):
        """What the stored day buckets and clean month buckets say that a
        rebuild from `records` does not (a list; empty when they agree)."""
        rebuilt = rebuild(records)
        found = []
        stored = {doc["_id"]: doc for doc in self._db.theme_days.find({})}
        for bucket_id in sorted(set(stored) | set(rebuilt)):
            mine, theirs = stored.get(bucket_id), rebuilt.get(bucket_id)
            if mine is not None and theirs is None and _empty(mine):
                continue  # emptied by moderation: nothing counted
            if mine is None or theirs is None or _content(mine) != _content(theirs):
                differing = sorted(name for name in _content(mine or {})
                                   if _content(mine or {})[name] != _content(theirs or {})[name])
                found.append({"bucket": bucket_id, "fields": differing,
                              "stored": None if mine is None else {"n": mine.get("n")},
                              "recounted": None if theirs is None else {"n": theirs["n"]}})
        dirty = {doc["_id"] for doc in self._db.theme_dirty.find({}, {"_id": 1})}
        months = {}
        for bucket_id, bucket in rebuilt.items():
            months.setdefault(bucket_id.rsplit("|", 1)[0] + "|" + bucket["day"][:7],
                              []).append(bucket)
        for head in self._db.theme_months.find({"parts": {"$exists": True}}):
            if head["_id"] in dirty:
                continue
            month_buckets = months.pop(head["_id"], [])
            merged = themes.merge(month_buckets)
            docs = {doc["_id"]: doc
                    for doc in self.month_documents(head["_id"], merged, month_buckets)}
            stored_docs = [head] + (list(self._db.theme_months.find({"_id": {"$in": [
                "{}|p{}".format(head["_id"], i) for i in range(head["parts"])]}}))
                if head["parts"] > 1 else [])
            for doc in stored_docs:
                built = docs.get(doc["_id"])
                # compared by content: a month stored before packing (or
                # before its days were packed) still agrees
                if (built is None or self.unpacked(built) != self.unpacked(doc) or (
                        "pd" in doc and self.packed_days(built) != self.packed_days(doc))) and not (
                        merged["n"] == 0 and not doc.get("n") and doc["_id"] == head["_id"]):
                    found.append({"month": doc["_id"], "stored": {"n": head.get("n")},
                                  "recounted": {"n": merged["n"]}})
        for month_id in months:
            if month_id not in dirty:
                found.append({"month": month_id, "stored": None, "recounted": {"n": sum(
                    b["n"] for b in months[month_id])}})
        return found
