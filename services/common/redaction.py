"""Redaction of personal data from every public text (plain module).

Masked: Thai phone numbers (mobiles 06/08/09, landlines 02 and 03x-07x;
with +66, 66 or "+66 (0)", any separators: space, dash, dot, slash,
brackets; glued to Thai words), 13-digit citizen IDs that pass their
checksum (as 13 digits or grouped x-xxxx-xxxxx-xx-x with any separators),
e-mail addresses (also with a full-width @ or spelled "at"/"dot",
"แอท"/"ดอท") and LINE IDs in everyday phrasing (ไลน์, ไลน์ไอดี, ไอดีไลน์,
แอดไลน์, line id, id line, LINE@, an @handle after "line"). Kept: prices,
queue numbers, dates, times, hotlines such as 1111, house numbers, counts,
and numbers that merely look long (a 13-digit number with a wrong check
digit is not an ID).

Matching runs on a normalised copy of the text (NFKC for full-width forms,
invisible characters removed, Thai digits as ASCII) that remembers where
each of its characters came from, so the mask replaces the ORIGINAL span:
the published text keeps its Thai, its spacing and its Thai digits
elsewhere, and a zero-width space inside a number does not hide it.
"""
import hashlib
import os
import re
import unicodedata
from urllib.parse import unquote, urlsplit, urlunsplit

from services.common.text import ZERO_WIDTH, nfc


def _rules_digest():
    """A digest of the code that decides what is masked (this module and
    the text normalisation it uses): stored with each redacted comment, so
    a release that changes it has the old comments redacted again
    (feedback's redaction sweep) without anyone remembering to bump a
    version."""
    digest = hashlib.sha256()
    here = os.path.dirname(__file__)
    for name in ("redaction.py", "text.py"):
        with open(os.path.join(here, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]


RULES = _rules_digest()

PHONE_MASK = "[เบอร์โทรถูกซ่อน]"
ID_MASK = "[เลขบัตรถูกซ่อน]"
EMAIL_MASK = "[อีเมลถูกซ่อน]"
LINE_MASK = "[ไลน์ไอดีถูกซ่อน]"
MASKS = (PHONE_MASK, ID_MASK, EMAIL_MASK, LINE_MASK)

# shown as nothing, so they can hide inside a number or an address
INVISIBLE = ZERO_WIDTH
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def normalised(text):
    """(normalised text, for each of its characters the index of the
    original character it came from)."""
    out, origin = [], []
    for i, ch in enumerate(text):
        if ch in INVISIBLE:
            continue
        # only full-width and other compatibility forms: NFKC would split
        # Thai SARA AM, harmless here but pointless
        form = ch if "\u0e00" <= ch <= "\u0e7f" else unicodedata.normalize("NFKC", ch)
        for piece in form.translate(_THAI_DIGITS):
            out.append(piece)
            origin.append(i)
    return "".join(out), origin


# --- e-mails ----------------------------------------------------------------
_AT = r"(?:@|\s*(?:\bat\b|\[at\]|\(at\)|แอท)\s*)"
_DOT = r"(?:\.|\s*(?:\bdot\b|\[dot\]|\(dot\)|ดอท)\s*)"
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+" + _AT
    + r"[A-Za-z0-9\-]+(?:" + _DOT + r"[A-Za-z0-9\-]+)*" + _DOT + r"[A-Za-z]{2,}(?![A-Za-z])",
    re.IGNORECASE)

# --- LINE ids ----------------------------------------------------------------
# A word that says "LINE id" plainly: whatever ASCII handle follows is one.
# ("ออนไลน์" online and "ออฟไลน์" offline are not LINE)
_LINE_TH = r"(?<!ออฟ)(?<!ออน)ไลน์"
_LINE_STRONG = (_LINE_TH + r"\s*ไอดี|ไอดี\s*ไลน์|ไอดี\s*line|แอด\s*ไลน์|แอด\s*line|" + _LINE_TH
                + r"\s*แอด|" + _LINE_TH
                + r"|(?<![a-z])(?:line\s*id|id\s*line|add\s*line)(?![a-z])|(?<![a-z])line\s*@")
_LINE_ID = r"[A-Za-z0-9._\-]{2,20}(?![A-Za-z0-9._\-])"
_LINE = re.compile(
    r"(?:" + _LINE_STRONG + r")\s*(?:[:=\-]|คือ)?\s*@?" + _LINE_ID
    # plain "line" is also an English word ("waited in line for"): only
    # with a colon, an @handle, or a handle that has a digit, _ or .
    + r"|(?<![a-z])line\s*(?:[:=]\s*@?|@)" + _LINE_ID
    + r"|(?<![a-z])line\s+(?=[a-z0-9._\-]*[0-9_.])[a-z][A-Za-z0-9._\-]{1,19}(?![A-Za-z0-9._\-])",
    re.IGNORECASE)

# --- numbers -----------------------------------------------------------------
# digit groups joined by short separator runs; the run is then searched for
# the phone or id that it holds (a date, a price or a count beside a phone
# number must not swallow it or be swallowed)
_SEP = r"[ \-./()]{1,3}"
_NUMBER_RUN = re.compile(r"\+?\d+(?:" + _SEP + r"\d+)*")
_GROUP = re.compile(r"\d+")
_DATE_START = re.compile(r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})(?![\d\-./]\d|\d)")
_ID_BOUNDARIES = {1, 5, 10, 12}


def valid_citizen_id(digits):
    """Thai 13-digit ID checksum: d13 = (11 - Σ d_i·(14-i) mod 11) mod 10."""
    if len(digits) != 13 or not digits.isdigit() or digits[0] == "0":
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def _national(digits):
    return (len(digits) == 10 and re.fullmatch(r"0[689]\d{8}", digits) is not None
            or len(digits) == 9 and re.fullmatch(r"0(?:2|[3-7]\d)\d{6,7}", digits) is not None)


def _is_phone(groups, seps, plus):
    """groups: digit strings; seps: the separators between them."""
    if groups[0].startswith("66") and (plus or len("".join(groups)) in (10, 11)):
        # +66 / 66: the trunk 0 is dropped, or written as "(0)"
        rest = [groups[0][2:]] + groups[1:] if len(groups[0]) > 2 else groups[1:]
        if not rest:
            return False
        digits = "".join(rest)
        return _national(digits if digits.startswith("0") else "0" + digits)
    if plus:
        return False
    if len(groups) > 4 or len(groups[-1]) < 3:
        return False
    # a lone first digit is "0-2123-4567", never "0.812345678"
    if len(groups[0]) == 1 and (len(groups) == 1 or seps[0] != "-"):
        return False
    return _national("".join(groups))


def _is_citizen_id(groups):
    digits = "".join(groups)
    if not valid_citizen_id(digits):
        return False
    ends, total = set(), 0
    for group in groups[:-1]:
        total += len(group)
        ends.add(total)
    return ends <= _ID_BOUNDARIES


def _number_spans(norm):
    spans = []
    for run in _NUMBER_RUN.finditer(norm):
        start = run.start()
        if start and norm[start - 1].isdigit():
            continue
        groups = [(m.start() + start, m.end() + start) for m in _GROUP.finditer(run.group())]
        plus = run.group().startswith("+")
        i = 0
        while i < len(groups):
            found = None
            if (plus and i == 0) or not _DATE_START.match(norm, groups[i][0]):
                # longest first: an id before a phone it might contain
                for j in range(min(len(groups), i + 6), i, -1):
                    chunk = [norm[a:b] for a, b in groups[i:j]]
                    seps = [norm[groups[k][1]:groups[k + 1][0]] for k in range(i, j - 1)]
                    if sum(map(len, chunk)) > 13:
                        continue
                    with_plus = plus and i == 0
                    if not with_plus and _is_citizen_id(chunk):
                        found = (j, "citizen_id")
                        break
                    if _is_phone(chunk, [s.strip() or " " for s in seps], with_plus):
                        found = (j, "phone")
                        break
            if found is None:
                i += 1
                continue
            j, kind = found
            a, b = groups[i][0], groups[j - 1][1]
            if i == 0 and plus:
                a -= 1
            # "(081) 234-5678", "+66 (0)81…": the opening bracket goes too
            if norm[a:b].count(")") > norm[a:b].count("("):
                opening = norm.rfind("(", 0, a)
                if opening >= 0 and not norm[opening + 1:a].strip():
                    a = opening
            spans.append((a, b, kind))
            i = j
    return spans


_KINDS = {"email": EMAIL_MASK, "line_id": LINE_MASK, "phone": PHONE_MASK,
          "citizen_id": ID_MASK}


def spans(text):
    """(start, end, kind) of each piece of personal data in `text`, as
    indices into `text` itself, in order and not overlapping."""
    norm, origin = normalised(text)
    found = [(m.start(), m.end(), "email") for m in _EMAIL.finditer(norm)]
    found += [(m.start(), m.end(), "line_id") for m in _LINE.finditer(norm)]
    found += _number_spans(norm)
    taken, result = [], []
    for a, b, kind in found:  # e-mails, then LINE ids, then numbers win
        if a < b and not any(a < y and x < b for x, y in taken):
            taken.append((a, b))
            result.append((origin[a], origin[b - 1] + 1, kind))
    return sorted(result)


def redact(text):
    """The text with personal data masked, and what kinds were found."""
    text = nfc(text)
    pieces, found, last = [], set(), 0
    for start, end, kind in spans(text):
        pieces += [text[last:start], _KINDS[kind]]
        found.add(kind)
        last = end
    pieces.append(text[last:])
    return "".join(pieces), sorted(found)


def public_text(text):
    """redact() for a public view: the masked text, None and "" as they are."""
    return redact(text)[0] if text else text


def public_url(url):
    """A citizen's link (a photo) as the public may see it, or None.

    The query string, fragment and any user:password@ are dropped rather
    than masked: they carry form fields, tokens and tracking ("?phone=…",
    "?email=…") that no reader needs, and a photo host names the photo in
    the path. A link whose path itself holds personal data is left out
    altogether: a masked link would not open anyway."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.port:
        host += ":{}".format(parts.port)
    if spans(unquote(host + parts.path)):
        return None
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def public_urls(urls):
    """public_url of each link, the ones left out removed."""
    return [u for u in map(public_url, urls or []) if u]
