"""Words that hold a comment for moderation before it is published.

The list is ours to maintain: common Thai and English insults and
profanity. A match never rejects a comment by itself; it waits for a
moderator of the point's agency, who publishes or rejects it.
"""
import re

from services.common.text import search_key

ABUSIVE_TH = [
    "ควาย", "เหี้ย", "สัตว์", "ไอ้สัตว์", "อีสัตว์", "ชิบหาย", "ฉิบหาย", "เย็ด", "สันดาน",
    "ระยำ", "ตอแหล", "ส้นตีน", "หน้าหี", "หี", "ควย", "แม่ง", "มึง", "กู", "ดอกทอง",
    "อีดอก", "ไอ้เวร", "เฮงซวย", "สถุน", "โง่", "ปัญญาอ่อน", "ไอ้บ้า", "อีบ้า",
]
ABUSIVE_EN = [
    "fuck", "fucking", "shit", "bitch", "bastard", "asshole", "idiot", "stupid", "moron",
    "dick", "cunt", "crap", "damn", "retard", "scum",
]
# Thai has no spaces between words, so Thai terms match anywhere; a few
# short ones are also parts of everyday words (ปศุสัตว์ livestock, แม่งาน
# organiser, กูเกิล Google) and count only as a separate word.
_SHORT_THAI_NEEDS_CONTEXT = {"หี", "กู", "มึง", "สัตว์", "แม่ง"}
_THAI_CONTEXT_FREE = [w for w in ABUSIVE_TH if w not in _SHORT_THAI_NEEDS_CONTEXT]
_THAI_CONTEXTUAL = re.compile(r"(?:^|[\s\"'(])(" + "|".join(map(re.escape, sorted(
    _SHORT_THAI_NEEDS_CONTEXT, key=len, reverse=True))) + r")(?=$|[\s\"'!?.,)])")
_ENGLISH = re.compile(r"(?<![a-z])(" + "|".join(map(re.escape, ABUSIVE_EN)) + r")(?![a-z])")


def abusive_terms(text):
    """The abusive terms found in `text` (empty when it may be published)."""
    key = search_key(text)
    found = {w for w in _THAI_CONTEXT_FREE if w in key}
    found.update(m.group(1) for m in _THAI_CONTEXTUAL.finditer(key))
    found.update(m.group(1) for m in _ENGLISH.finditer(key))
    return sorted(found)
