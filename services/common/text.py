"""Text normalisation: Thai text is stored and compared in Unicode NFC."""
import re
import unicodedata

# Control characters have no place in names or addresses; tab/newline are
# allowed only where a field says so (multi-line text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
