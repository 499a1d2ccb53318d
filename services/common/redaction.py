"""Redaction of personal data from comments before anything is public.

Removed: Thai phone numbers (mobiles 06/08/09, landlines 02 and 03x-07x,
with or without +66 and separators), 13-digit citizen IDs that pass their
checksum (in any common grouping), e-mail addresses and LINE IDs. Kept:
prices, queue numbers, dates, times, hotlines such as 1111 and numbers that
merely look long (a 13-digit number with a wrong check digit is not an ID).
"""
import re

from services.common.text import nfc

PHONE_MASK = "[เบอร์โทรถูกซ่อน]"
ID_MASK = "[เลขบัตรถูกซ่อน]"
EMAIL_MASK = "[อีเมลถูกซ่อน]"
LINE_MASK = "[ไลน์ไอดีถูกซ่อน]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_LINE = re.compile(r"(?i)\b(line\s*(?:id)?|ไลน์(?:ไอดี)?|ไอดีไลน์)\s*[:：]?\s*@?[A-Za-z0-9._\-]{3,20}")
# digits with optional single separators (space, dash, dot) between groups;
# not glued to other digits, letters or decimal points
_DIGIT_RUN = re.compile(r"(?<![\w.,/:])(\+?\d(?:[\s\-.]?\d){7,16})(?![\w]|[.,]\d|:\d)")


def valid_citizen_id(digits):
    """Thai 13-digit ID checksum: d13 = (11 - Σ d_i·(14-i) mod 11) mod 10."""
    if len(digits) != 13 or not digits.isdigit() or digits[0] == "0":
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def _phone(digits, raw):
    if raw.startswith("+"):
        if not digits.startswith("66"):
            return False
        digits = "0" + digits[2:]
    elif digits.startswith("66") and len(digits) in (10, 11):
        digits = "0" + digits[2:]
    if len(digits) == 10 and re.fullmatch(r"0[689]\d{8}", digits):
        return True
    return len(digits) == 9 and re.fullmatch(r"0(?:2|[3-7]\d)\d{6,7}", digits) is not None


def _replace_numbers(match):
    raw = match.group(1)
    digits = re.sub(r"\D", "", raw)
    if valid_citizen_id(digits):
        return ID_MASK
    if _phone(digits, raw):
        return PHONE_MASK
    return raw


def redact(text):
    """The text with personal data masked, and what kinds were found."""
    text = nfc(text)
    found = set()

    def mark(kind, mask):
        def sub(match):
            found.add(kind)
            return mask
        return sub

    text = _EMAIL.sub(mark("email", EMAIL_MASK), text)
    text = _LINE.sub(mark("line_id", LINE_MASK), text)

    def numbers(match):
        replaced = _replace_numbers(match)
        if replaced == ID_MASK:
            found.add("citizen_id")
        elif replaced == PHONE_MASK:
            found.add("phone")
        return replaced
    text = _DIGIT_RUN.sub(numbers, text)
    return text, sorted(found)
