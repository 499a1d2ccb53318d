"""Tracking codes: short, unguessable, easy to read aloud and type.

Ten symbols of Crockford's base 32 (no I, L, O, U: nothing to confuse with
1, 0 or V) carry 50 random bits, plus one check symbol (mod 37) that
catches a mistyped or swapped symbol; new codes never end in one of its
punctuation symbols (see new_code). Shown as XXXXX-XXXXX-C; typed in any
case, with or without dashes and spaces; O is read as 0 and I/L as 1.
The code is the complainant's key to the complaint: it never appears in
public lists, events or the relay (Open311 uses the complaint id).
"""
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
LENGTH = 10
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check_symbol(body):
    value = 0
    for ch in body:
        value = value * 32 + ALPHABET.index(ch)
    return CHECK_ALPHABET[value % 37]


def new_code(randbelow=secrets.randbelow):
    """A fresh code whose check is a letter or digit: Crockford's check
    symbols *, ~, $ and = are hard to read aloud to 1111 and to type on a
    phone's Thai keyboard, and "=" and "$" change in a URL; 4 bodies in 37
    are drawn again (49.8 random bits). Codes with them stay valid."""
    while True:
        body = "".join(ALPHABET[randbelow(32)] for _ in range(LENGTH))
        check = _check_symbol(body)
        if check in ALPHABET or check == "U":
            return format_code(body + check)


def format_code(compact):
    return "{}-{}-{}".format(compact[:5], compact[5:10], compact[10:])


def normalise(text):
    """The canonical XXXXX-XXXXX-C form of a typed code, or None if it is
    not a valid code (wrong length, symbol or check)."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    compact = re.sub(r"[\s\-]", "", text).upper().translate(_TYPO)
    if len(compact) != LENGTH + 1:
        return None
    body, check = compact[:LENGTH], compact[LENGTH:]
    if any(ch not in ALPHABET for ch in body) or check not in CHECK_ALPHABET:
        return None
    if _check_symbol(body) != check:
        return None
    return format_code(compact)
