"""Hypothesis properties of redaction (services/common/redaction.py) and
text normalisation (services/common/text.py)."""
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common import redaction, text
from tests.unit.test_redaction_table import core

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

THAI_LETTERS = [chr(c) for c in range(0x0E01, 0x0E4F)]  # no Thai digits (U+0E50-59)
thai_text = st.text(st.sampled_from(THAI_LETTERS + [" ", ",", "!", "?", "ๆ"]), max_size=30)
# anything a comment may hold: Thai, digits of both kinds, separators, @, Latin, invisibles
any_text = st.text(st.sampled_from(
    THAI_LETTERS[:20] + list("0123456789๐๘ +-./()@:_abclinedotmx＠．０８") + ["\u200b", "\u00ad", "\n"]),
    max_size=60)


def to_thai_digits(value):
    return value.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


def grouped(digits, sizes, sep):
    out, at = [], 0
    for size in sizes:
        out.append(digits[at:at + size])
        at += size
    return sep.join(out)


@st.composite
def phones(draw):
    kind = draw(st.sampled_from(["mobile", "bangkok", "provincial"]))
    if kind == "mobile":
        digits = draw(st.sampled_from("689")).join(["0", ""]) + draw(st.text("0123456789", min_size=8, max_size=8))
        sizes = draw(st.sampled_from([[10], [3, 3, 4], [2, 4, 4], [3, 7], [4, 3, 3]]))
    elif kind == "bangkok":
        digits = "02" + draw(st.text("0123456789", min_size=7, max_size=7))
        sizes = draw(st.sampled_from([[9], [2, 3, 4], [2, 7]]))
    else:
        digits = "0" + draw(st.sampled_from("34567")) + draw(st.text("0123456789", min_size=7, max_size=7))
        sizes = draw(st.sampled_from([[9], [3, 3, 3], [3, 6]]))
    sep = draw(st.sampled_from(["", " ", "-", ".", "/"])) if len(sizes) > 1 else ""
    written = grouped(digits, sizes, sep)
    if draw(st.booleans()):
        # the trunk 0 gives way to the country code
        written = draw(st.sampled_from(["+66 ", "+66", "66", "+66 (0)", "+66-"])) + written[1:].lstrip(" -./")
    if draw(st.booleans()):
        written = to_thai_digits(written)
    if draw(st.booleans()):
        at = draw(st.integers(1, len(written) - 1))
        written = written[:at] + draw(st.sampled_from(["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad"])) + written[at:]
    return digits, written


@st.composite
def citizen_ids(draw):
    first12 = draw(st.sampled_from("123456789")) + draw(st.text("0123456789", min_size=11, max_size=11))
    total = sum(int(d) * (14 - i) for i, d in enumerate(first12, start=1))
    digits = first12 + str((11 - total % 11) % 10)
    sizes = draw(st.sampled_from([[13], [1, 4, 5, 2, 1], [1, 12], [1, 4, 5, 3]]))
    written = grouped(digits, sizes, draw(st.sampled_from(["", " ", "-", ".", "/"])))
    if draw(st.booleans()):
        written = to_thai_digits(written)
    return digits, written


emails = st.from_regex(r"\A[a-z][a-z0-9._]{0,15}[a-z0-9](@|＠)[a-z][a-z0-9\-]{1,10}(\.[a-z]{2,3}){1,2}\Z")


@SETTINGS
@given(any_text)
def test_masking_is_idempotent(value):
    once = redaction.redact(value)[0]
    assert redaction.redact(once)[0] == once


@SETTINGS
@given(thai_text)
def test_text_without_digits_at_or_latin_letters_is_unchanged(value):
    # Latin letters alone can be personal data ("ไลน์ somchai", "a at b dot com")
    assert redaction.redact(value) == (text.nfc(value), [])


@SETTINGS
@given(thai_text, phones(), thai_text)
def test_a_phone_number_in_thai_text_is_always_masked(before, phone, after):
    digits, written = phone
    public, kinds = redaction.redact(before + written + after)
    assert digits[1:] not in core(public), public
    # after "ไลน์" a number is masked as the LINE id it also is
    assert kinds in (["phone"], ["line_id"]), kinds


@SETTINGS
@given(thai_text, citizen_ids(), thai_text)
def test_a_citizen_id_in_thai_text_is_always_masked(before, cid, after):
    digits, written = cid
    public, kinds = redaction.redact(before + " " + written + after)
    assert digits not in core(public), public
    assert kinds in (["citizen_id"], ["line_id"]), kinds


@SETTINGS
@given(thai_text, emails, thai_text)
def test_an_email_in_thai_text_is_always_masked(before, email, after):
    public, kinds = redaction.redact(before + " " + email + " " + after)
    assert redaction.EMAIL_MASK in public and "@" not in public and "＠" not in public, public
    assert kinds == ["email"]


# --- text normalisation -------------------------------------------------------
any_unicode = st.text(st.characters(exclude_categories=["Cs"]), max_size=40) | st.text(
    st.sampled_from(["\u0e4d", "\u0e32", "\u0e40", "\u0e33", "\u0e48", "\u0e38", "a", "\u0301",
                     "\t", "\n", "\r", "\x00", "\x7f", " ", "\u200b"]), max_size=20)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@SETTINGS
@given(any_unicode)
def test_nfc_is_idempotent(value):
    assert text.nfc(text.nfc(value)) == text.nfc(value)


@SETTINGS
@given(any_unicode, st.booleans())
def test_clean_text_never_grows_control_characters(value, multiline):
    cleaned = text.clean_text(value, multiline)
    assert len(CONTROL.findall(cleaned)) <= len(CONTROL.findall(value))
    if not text.has_control_chars(value, multiline):
        assert not text.has_control_chars(cleaned, multiline)
    assert text.clean_text(cleaned, multiline) == cleaned
