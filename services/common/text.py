"""Text normalisation: Thai text is stored and compared in Unicode NFC."""
import os
import re
import unicodedata

# Control characters have no place in names or addresses; tab/newline are
# allowed only where a field says so (multi-line text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Shown as nothing: zero-width space, non-joiner and joiner, word joiner,
# BOM, soft hyphen. They can hide inside a number (redaction.py matches
# through them) or make two names that look the same differ.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
# Bidirectional embeddings, overrides and isolates: they reorder what a
# reader sees ("8765432180" shown as "0812345678"), which no Thai or
# English text needs. (The plain marks U+200E/U+200F are left alone.)
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ZERO_WIDTH = re.compile("[" + "".join(sorted(ZERO_WIDTH)) + "]")


def encodable(value):
    """False for text UTF-8 cannot hold (a lone surrogate such as "\\ud800",
    which JSON can carry but BSON, and so MongoDB, cannot store)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def strip_zero_width(value):
    return _ZERO_WIDTH.sub("", value)


# Thai sequences NFC leaves alone but readers see as one letter: SARA AM
# typed as NIKHAHIT + SARA AA, and SARA AE typed as two SARA E.
_THAI_LOOKALIKES = (("\u0e4d\u0e32", "\u0e33"), ("\u0e40\u0e40", "\u0e41"))


def nfc(value):
    value = unicodedata.normalize("NFC", value)
    for typed, letter in _THAI_LOOKALIKES:
        value = value.replace(typed, letter)
    return value


def clean_text(value, multiline=False):
    """NFC-normalise and trim; collapse inner whitespace unless multi-line."""
    value = nfc(value).strip()
    if not multiline:
        value = " ".join(value.split())
    return value


def has_control_chars(value, multiline=False):
    if _CONTROL.search(value):
        return True
    return not multiline and ("\n" in value or "\r" in value or "\t" in value)


def search_key(value):
    """A form for substring search: NFC, case-folded, single spaces."""
    return " ".join(nfc(value).casefold().split())


# --- search -----------------------------------------------------------------
# What citizens type is looser than what agencies publish: Thai digits,
# stretched letters ("บัตรรรร", "ด่วนนน"), doubled tone marks, abbreviation
# dots ("ท.ร.14", "รง.4") and punctuation. Both the query and the indexed
# text go through the same folding, so they meet in the middle.
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
# A vowel sign or tone mark typed twice shows as one.
_REPEATED_MARK = re.compile(r"([\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])\1+")
# Three or more of one letter is stretching, never spelling: Thai words
# double a letter at most ("ธรรม"), English ones too ("passport").
_REPEATED_THAI = re.compile(r"([\u0e01-\u0e2e\u0e30\u0e32\u0e33\u0e40-\u0e44])\1{2,}")
_REPEATED_LATIN = re.compile(r"([a-z])\1{2,}")
# Dots and apostrophes join ("ท.ร.14" = "ทร14", "driver's" = "drivers");
# any other non-letter, non-digit separates words. MAI YAMOK (ๆ) repeats
# the word before it, which adds nothing to a search.
_JOINERS = re.compile(r"[.'\u2019]")
_SEPARATORS = re.compile(r"[^\w\u0e00-\u0e4e]+|_|ๆ")


def loose_key(value):
    """search_key, plus the folding above: what search compares."""
    value = search_key(value).translate(_THAI_DIGITS)
    value = _REPEATED_MARK.sub(r"\1", value)
    value = _REPEATED_THAI.sub(r"\1", value)
    value = _REPEATED_LATIN.sub(r"\1\1", value)
    value = _JOINERS.sub("", value)
    return " ".join(_SEPARATORS.sub(" ", value).split())


_segment = None


def _segmenter():
    """PyThaiNLP's newmm (dictionary maximal matching) tokenizer, loaded on
    first use: importing it costs ~0.1 s and its dictionary ~0.8 s more, so
    only a process that searches pays, once. It needs only the dictionary
    shipped inside the package; read-only and offline mode make sure it
    never creates ~/pythainlp-data or tries to download anything."""
    global _segment
    if _segment is None:
        os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
        os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
        from pythainlp.tokenize import word_tokenize

        def _segment(text):
            return word_tokenize(text, engine="newmm", keep_whitespace=False)
        _segment("บัตรประชาชน")  # loads the dictionary now, not in a request
    return _segment


def words(value):
    """The words of `value` after loose_key: Thai is written without spaces
    between words, so it is segmented with the dictionary; other scripts
    split at spaces."""
    key = loose_key(value)
    if not key:
        return []
    segment = _segmenter()
    return [token for token in segment(key) if token.strip()]
