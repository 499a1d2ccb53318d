"""The Citizen's Manual catalogue: import (cfz-catalogue/1) and search.

Search is substring matching over NFC, case-folded text, because Thai is
written without spaces between words: "บัตรประชาชน" must find
"การทำบัตรประจำตัวประชาชน"-style names through its keywords, and English
matches on any word. The catalogue is small (hundreds to a few thousand
entries), so ranking runs over the documents' precomputed search keys.
"""
import json
import os
import re
from datetime import datetime, timezone

from services.common.text import search_key
from services.registry import schemas

STARTER_PATH = os.path.join(os.path.dirname(__file__), "data", "catalogue.json")
INDEXES = {"catalogue": [([("search.names", 1)], {"name": "names"})]}

PUBLIC_FIELDS = ("service_code", "name_th", "name_en", "description_th", "description_en",
                 "responsible_agency_th", "responsible_agency_en", "legal_basis",
                 "fee_baht", "fee_note_th", "fee_note_en", "processing_time", "steps",
                 "documents", "keywords_th", "keywords_en")


def _search_fields(entry):
    return {
        "names": search_key(" | ".join([entry["name_th"], entry["name_en"], entry["service_code"]])),
        "keywords": search_key(" | ".join(entry.get("keywords_th", []) + entry.get("keywords_en", []))),
        "text": search_key(" | ".join([entry.get("description_th", ""), entry.get("description_en", ""),
                                       entry["responsible_agency_th"],
                                       entry.get("responsible_agency_en", "")])),
    }


def import_entries(db, payload):
    """Validate a cfz-catalogue/1 document and upsert every entry by code.

    All entries are validated before any is written, so a bad file writes
    nothing.
    """
    data = schemas.load(schemas.CatalogueImport, payload)
    now = datetime.now(timezone.utc)
    created = updated = 0
    for entry in data["entries"]:
        doc = dict(entry, search=_search_fields(entry), updated_at=now)
        result = db.catalogue.replace_one({"_id": entry["service_code"]},
                                          dict(doc, _id=entry["service_code"]), upsert=True)
        if result.matched_count:
            updated += 1
        else:
            created += 1
    return {"created": created, "updated": updated, "total": db.catalogue.count_documents({})}


def load_starter(db):
    """Import the starter catalogue shipped with the project if none exists."""
    if db.catalogue.count_documents({}) > 0:
        return None
    with open(STARTER_PATH, encoding="utf-8") as f:
        return import_entries(db, json.load(f))


def entry_view(doc):
    return {key: doc.get(key) for key in PUBLIC_FIELDS}


def summary_view(doc):
    return {key: doc.get(key) for key in ("service_code", "name_th", "name_en",
                                          "responsible_agency_th", "responsible_agency_en",
                                          "fee_baht", "processing_time")}


def _matcher(term):
    """Latin terms match at a word start ("id" must not hit "disability");
    Thai is written without spaces, so Thai terms match anywhere."""
    if re.search(r"[a-z0-9]", term) and not re.search(r"[\u0e00-\u0e7f]", term):
        pattern = re.compile(r"(?<![a-z0-9])" + re.escape(term))
        return lambda text: pattern.search(text) is not None
    return lambda text: term in text


def search(db, q, limit=20):
    """Entries matching every word of `q`, best first.

    A word scores 3 in a name, 2 in a keyword, 1 in the description; the
    whole phrase found in a name or keyword scores extra.
    """
    phrase = search_key(q)
    matchers = [_matcher(term) for term in phrase.split()]
    docs = db.catalogue.find({}, {"search": 1, "service_code": 1, "name_th": 1, "name_en": 1,
                                  "responsible_agency_th": 1, "responsible_agency_en": 1,
                                  "fee_baht": 1, "processing_time": 1})
    scored = []
    for doc in docs:
        s = doc["search"]
        score = 0
        for matches in matchers:
            if matches(s["names"]):
                score += 3
            elif matches(s["keywords"]):
                score += 2
            elif matches(s["text"]):
                score += 1
            else:
                score = None
                break
        if score is None:
            continue
        if phrase and len(matchers) > 1:
            whole = _matcher(phrase)
            score += 4 * whole(s["names"]) + 3 * whole(s["keywords"])
        scored.append((-score, doc["service_code"], doc))
    scored.sort(key=lambda item: item[:2])
    return {"results": [summary_view(doc) for _, _, doc in scored[:limit]],
            "total": len(scored)}


def get_entries(db, codes):
    """The catalogue entries for `codes`, by code (missing codes are absent)."""
    return {doc["_id"]: doc for doc in db.catalogue.find({"_id": {"$in": list(codes)}})}
