"""Text normalisation: Thai text is stored and compared in Unicode NFC."""
import re
import unicodedata

# Control characters have no place in names or addresses; tab/newline are
# allowed only where a field says so (multi-line text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def nfc(value):
    return unicodedata.normalize("NFC", value)


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
