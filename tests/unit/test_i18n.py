"""Thai for error answers: every error code the services raise has a Thai
sentence, and common field messages are translated, not just replaced."""
import pathlib
import re

from services.common import errors, i18n

ROOT = pathlib.Path(__file__).resolve().parents[2] / "services"


def test_every_error_code_in_the_code_has_a_thai_sentence():
    codes = set()
    for path in ROOT.rglob("*.py"):
        codes.update(re.findall(r'code="([A-Z_]+)"', path.read_text(encoding="utf-8")))
    codes.update(cls.code for cls in vars(errors).values()
                 if isinstance(cls, type) and issubclass(cls, errors.CfzError))
    assert codes - set(i18n.BY_CODE) == set()


def test_field_messages_keep_their_numbers_in_thai():
    assert i18n.thai_field_message("Must be at most 200 characters.") == "ต้องยาวไม่เกิน 200 ตัวอักษร"
    assert i18n.thai_field_message("At most 400 days in one report.") == "เลือกช่วงเวลาได้ไม่เกิน 400 วัน"
    assert i18n.thai_field_message("Missing data for required field.") == "กรุณากรอกช่องนี้"
    assert i18n.thai_field_message("Something nobody translated.") == i18n.FIELD_GENERAL
    assert i18n.thai_fields({"location": {"lat": ["Must be a number."]}, "x": ["Unknown field."]}) == \
        {"location": {"lat": ["ต้องเป็นตัวเลข"]}, "x": ["ไม่รู้จักช่องนี้"]}
