"""The Citizen's Manual catalogue: import (cfz-catalogue/1) and search.

Search works on words. Thai is written without spaces between words, so
both the query and each entry's names, keywords and description are
segmented with a dictionary (services.common.text.words), fillers people
add ("อยากจะทำ…ที่ไหน") are dropped and synonyms brought to one spelling
(search_terms). The catalogue is small (hundreds to a few thousand
entries), so ranking runs over every entry's precomputed words.
"""
import functools
import hashlib
import json
import os
import re
from datetime import datetime, timezone
from importlib import metadata

from services.common.text import loose_key, words
from services.registry import schemas, search_terms

STARTER_PATH = os.path.join(os.path.dirname(__file__), "data", "catalogue.json")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_SEPARATOR = "|"
# Stored search fields carry this version; it changes with the word lists,
# the tokenizer's version (its dictionary) or the index layout ("2"), so a
# catalogue indexed before is rebuilt (reindex) rather than searched wrong.
SEARCH_VERSION = "2-" + hashlib.sha256(repr((
    search_terms.FILLERS_TH, search_terms.EN_STOP_WORDS, search_terms.SYNONYMS,
    metadata.version("pythainlp"))).encode()).hexdigest()[:12]

PUBLIC_FIELDS = ("service_code", "name_th", "name_en", "description_th", "description_en",
                 "responsible_agency_th", "responsible_agency_en", "legal_basis",
                 "fee_baht", "fee_note_th", "fee_note_en", "processing_time", "steps",
                 "documents", "keywords_th", "keywords_en")


def _search_fields(entry):
    return {
        "v": SEARCH_VERSION,
        "names": _index_words([entry["name_th"], entry["name_en"], entry["service_code"]]),
        "keywords": _index_words(entry.get("keywords_th", []) + entry.get("keywords_en", [])),
        "text": _index_words([entry.get("description_th", ""), entry.get("description_en", ""),
                              entry["responsible_agency_th"], entry.get("responsible_agency_en", "")]),
    }


def import_entries(storage, payload):
    """Validate a cfz-catalogue/1 document and upsert every entry by code.

    All entries are validated before any is written, so a bad file writes
    nothing.
    """
    data = schemas.load(schemas.CatalogueImport, payload)
    now = datetime.now(timezone.utc)
    created = updated = 0
    for entry in data["entries"]:
        doc = dict(entry, search=_search_fields(entry), updated_at=now)
        if storage.upsert_catalogue_entry(dict(doc, _id=entry["service_code"])):
            updated += 1
        else:
            created += 1
    return {"created": created, "updated": updated, "total": storage.count_catalogue()}


def load_starter(storage):
    """Import the starter catalogue shipped with the project if none exists."""
    if storage.count_catalogue() > 0:
        return None
    with open(STARTER_PATH, encoding="utf-8") as f:
        return import_entries(storage, json.load(f))


def entry_view(doc):
    return {key: doc.get(key) for key in PUBLIC_FIELDS}


def summary_view(doc):
    return {key: doc.get(key) for key in _SUMMARY_FIELDS}


def _bounded(variant):
    """Thai has no spaces between words, so a Thai spelling is replaced
    wherever it occurs; a Latin one only as whole words ("id card")."""
    if _THAI.search(variant):
        return re.escape(variant)
    return r"(?<![a-z0-9])" + re.escape(variant) + r"(?![a-z0-9])"


@functools.lru_cache(maxsize=None)
def _vocabulary():
    """The ignored words and the synonym rewrite, built once (segmenting
    the fillers needs the dictionary, so not at import)."""
    ignored = set()
    for word in search_terms.FILLERS_TH + search_terms.EN_STOP_WORDS:
        ignored.update(words(word))
    variants = {}
    for group in search_terms.SYNONYMS:
        for variant in group[1:]:
            variants[loose_key(variant)] = loose_key(group[0])
    pattern = re.compile("|".join(_bounded(v) for v in sorted(variants, key=len, reverse=True)))
    return frozenset(ignored), pattern, variants


def _canonical(key):
    _, pattern, variants = _vocabulary()
    return pattern.sub(lambda m: variants[m.group(0)], key)


def _index_words(parts):
    """The words of each part in its own spelling and in the synonyms'
    first spelling, fillers dropped, as one string with a space around
    every word (so a whole word, a word start and a run of words are each
    one substring test) and a separator between parts (so a run never goes
    from one keyword into the next)."""
    ignored = _vocabulary()[0]
    tokens = [_SEPARATOR]
    for part in parts:
        key = loose_key(part)
        for form in dict.fromkeys([key, _canonical(key)]):
            tokens.extend(word for word in words(form) if word not in ignored)
            tokens.append(_SEPARATOR)
    return " {} ".format(" ".join(tokens))


def query_terms(q):
    """What a query asks for: its words, in the synonyms' first spelling,
    fillers and stop words dropped, each once."""
    ignored = _vocabulary()[0]
    return list(dict.fromkeys(w for w in words(_canonical(loose_key(q))) if w not in ignored))


def _quality(term, field):
    """How well `term` matches an indexed field (see _index_words): 1 as a
    whole word; English at a word start ("licen" finds "licence", "id" not
    "disability"); Thai inside a longer word at half weight, since the
    segmenter may keep a compound whole ("บัตร" in "บัตรประชาชน") but a
    short word inside a long one is often another word ("ต่อ" in
    "ติดต่อ"). Numbers match whole ("4" is not "40")."""
    if " {} ".format(term) in field:
        return 1.0
    if term.isdigit():
        return 0.0
    if not _THAI.search(term):
        return 0.8 if " " + term in field else 0.0
    return 0.5 if len(term) > 1 and term in field else 0.0


def _score(terms, fields):
    """(score, coverage) for one entry. Each query word counts once, where
    it matches best (a name 3, a keyword 2, the description 1, times its
    match quality); all the query's words in a row in a name or a keyword
    score extra. Coverage adds up the qualities: how much of the query the
    entry answers."""
    score = coverage = 0
    for term in terms:
        best, quality = max((weight * q, q) for weight, field in fields
                            for q in [_quality(term, field)])
        score += best
        coverage += quality
    if len(terms) > 1 and coverage == len(terms):
        phrase = " {} ".format(" ".join(terms))
        for bonus, (_, field) in zip((4, 3), fields):
            if phrase in field:
                score += bonus
    return score, coverage


_SUMMARY_FIELDS = ("service_code", "name_th", "name_en", "responsible_agency_th",
                   "responsible_agency_en", "fee_baht", "processing_time")


def search(storage, q, limit=20):
    """Entries answering the query, best first (ties by code).

    A citizen's sentence ("ทำบัตรประชาชนใหม่เพราะหาย") has words no entry
    contains, so an entry need not match every word: it must answer at
    least half as much of the query as the best entry does (a word found
    only inside a longer one counts half). An empty query lists the whole
    catalogue; a query of only fillers finds nothing.
    """
    terms = query_terms(q)
    if not terms and loose_key(q):
        return {"results": [], "total": 0}
    docs = storage.catalogue_entries(("search",) + _SUMMARY_FIELDS)
    scored = []
    for doc in docs:
        s = doc.get("search") or {}
        if s.get("v") != SEARCH_VERSION:
            # Indexed by an older version (the registry reindexes at start).
            s = _search_fields(storage.catalogue_entry(doc["_id"]))
        score, coverage = _score(terms, ((3, s["names"]), (2, s["keywords"]), (1, s["text"])))
        scored.append((-score, doc["service_code"], coverage, doc))
    if terms:
        best = max((coverage for _, _, coverage, _ in scored), default=0)
        scored = [item for item in scored if item[2] and item[2] >= best / 2]
    scored.sort(key=lambda item: item[:2])
    return {"results": [summary_view(doc) for _, _, _, doc in scored[:limit]],
            "total": len(scored)}


def reindex(storage):
    """Rebuild the search fields indexed by an older SEARCH_VERSION (new
    synonyms or fillers, another tokenizer version). Returns how many."""
    stale = storage.catalogue_entries_not_indexed_by(SEARCH_VERSION)
    for doc in stale:
        storage.set_catalogue_search(doc["_id"], _search_fields(doc))
    _vocabulary()  # loads the tokenizer at start rather than in the first request
    return len(stale)


def get_entries(storage, codes):
    """The catalogue entries for `codes`, by code (missing codes are absent)."""
    return storage.catalogue_entries_by_code(codes)
