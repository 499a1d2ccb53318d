"""The personal-data table: how Thais really write phone numbers, citizen
ids, e-mails and LINE ids in a comment or a complaint, each row with the
secrets that must never be published and the ordinary numbers that must
stay. tests/e2e/test_redaction_http.py sends some of these rows through the
gateway; the Hypothesis properties are in test_redaction_properties.py."""
import re
import unicodedata

import pytest

from services.common.redaction import redact

ZW = "\u200b"     # zero-width space
ZWJ = "\u200d"
WJ = "\u2060"     # word joiner
SHY = "\u00ad"    # soft hyphen
BOM = "\ufeff"

# valid citizen ids (d13 = (11 - Σ d_i·(14 - i) mod 11) mod 10)
ID1 = "1101700123456"
ID2 = "3100600987659"
ID3 = "5409900123457"
ID4 = "3700100555126"


def grouped(cid, sep="-"):
    return sep.join((cid[0], cid[1:5], cid[5:10], cid[10:12], cid[12]))


def thai_digits(text):
    return text.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


# (text, secrets that must be masked, ordinary numbers that must stay)
TABLE = [
    # --- "ออนไลน์" (online) and "ออฟไลน์" (offline) contain ไลน์ but are not LINE
    ("สมัครออนไลน์ได้ 24 ชั่วโมง คิวที่ 15", [], ["24 ชั่วโมง", "15"]),
    ("ระบบออฟไลน์12345 ครั้งแล้ว แต่ไลน์ somchai99 ตอบเร็ว", ["somchai99"], ["12345"]),
    # --- phones: glued to Thai words --------------------------------------
    ("โทร0812345678ค่ะ", ["0812345678"], []),
    ("ติดต่อกลับเบอร์0891234567นะคะ", ["0891234567"], []),
    ("เบอร์081-234-5678ค่ะ รอ 3 ชั่วโมง", ["081-234-5678"], ["3 ชั่วโมง"]),
    ("โทรมาที่02-123-4567ได้ตลอด", ["02-123-4567"], []),
    ("มือถือ0639876543ครับ คิวที่ 125", ["0639876543"], ["125"]),
    # --- phones: Thai digits ----------------------------------------------
    ("โทร ๐๘๑๒๓๔๕๖๗๘ ค่ะ", ["๐๘๑๒๓๔๕๖๗๘"], []),
    ("เบอร์ ๐๘๑-๒๓๔-๕๖๗๘ นะครับ", ["๐๘๑-๒๓๔-๕๖๗๘"], []),
    ("โทร๐๒๑๒๓๔๕๖๗ค่ะ ค่าธรรมเนียม ๒๐ บาท", ["๐๒๑๒๓๔๕๖๗"], ["๒๐ บาท"]),
    # --- phones: brackets, slashes, dots, spaces ----------------------------
    ("เบอร์ (081) 234-5678 ค่ะ", ["081) 234-5678"], []),
    ("โทร (02) 123 4567 สำนักงานเขต", ["02) 123 4567"], []),
    ("โทร 081/234/5678 นะคะ", ["081/234/5678"], []),
    ("เบอร์ 081.234.5678 ครับ", ["081.234.5678"], []),
    ("ติดต่อ 081 234 5678 ได้ค่ะ", ["081 234 5678"], []),
    ("โทร 08-1234-5678 หรือ 1111", ["08-1234-5678"], ["1111"]),
    ("โทร 0812-345-678 ค่ะ", ["0812-345-678"], []),
    ("เบอร์บ้าน 0-2123-4567 ต่อ 12", ["0-2123-4567"], []),
    ("เบอร์สำนักงาน 053-112-345 ไม่มีคนรับ", ["053-112-345"], []),
    ("โทร 074 123456 ค่ะ", ["074 123456"], []),
    # --- phones: country codes --------------------------------------------
    ("โทร +66 (0)81 234 5678 ค่ะ", ["81 234 5678"], []),
    ("เบอร์ +66 81 234 5678", ["81 234 5678"], []),
    ("เบอร์ +66812345678 ค่ะ", ["66812345678"], []),
    ("โทร 66812345678 นะคะ", ["66812345678"], []),
    ("call +66-2-123-4567 please", ["2-123-4567"], []),
    ("เบอร์+66(0)891234567ค่ะ", ["891234567"], []),
    ("โทร +๖๖ ๘๑ ๒๓๔ ๕๖๗๘", ["๘๑ ๒๓๔ ๕๖๗๘"], []),
    # --- phones: invisible characters and full-width digits -----------------
    ("โทร 081" + ZW + "234" + ZW + "5678 ค่ะ", ["081" + ZW + "234" + ZW + "5678"], []),
    ("โทร 08" + ZWJ + "12345678", ["08" + ZWJ + "12345678"], []),
    ("เบอร์ 081" + SHY + "234" + SHY + "5678", ["081" + SHY + "234" + SHY + "5678"], []),
    ("เบอร์ 0" + WJ + "8" + WJ + "12345678 นะ", ["0" + WJ + "8" + WJ + "12345678"], []),
    ("โทร " + BOM + "0812345678", ["0812345678"], []),
    ("โทร ０８１２３４５６７８ ค่ะ", ["０８１２３４５６７８"], []),
    ("โทร ０８１－２３４－５６７８", ["０８１－２３４－５６７８"], []),
    # --- phones next to ordinary numbers ----------------------------------
    ("วันที่ 12/10/2567 โทร 0812345678 แล้วไม่มีคนรับ", ["0812345678"], ["12/10/2567"]),
    ("จ่าย 350 บาท 0812345678 คือเบอร์ผม", ["0812345678"], ["350 บาท"]),
    ("คิวที่ 125 เบอร์ 0812345678", ["0812345678"], ["คิวที่ 125"]),
    ("เวลา 08:30 โทร 02 123 4567", ["02 123 4567"], ["08:30"]),
    ("โทรกลับ 0812345678, 0898765432 ค่ะ", ["0812345678", "0898765432"], []),
    # --- citizen ids -------------------------------------------------------
    ("เลขบัตรประชาชน " + ID1 + " ค่ะ", [ID1], []),
    ("บัตรประชาชนเลข" + ID2 + "หายค่ะ", [ID2], []),
    ("เลขบัตร " + grouped(ID3) + " ถูกบันทึกผิด", [grouped(ID3)], []),
    ("เลขบัตร " + grouped(ID4, " ") + " ครับ", [grouped(ID4, " ")], []),
    ("เลขประจำตัว " + grouped(ID1, ".") + " ค่ะ", [grouped(ID1, ".")], []),
    ("บัตร " + grouped(ID2, "/") + " ค่ะ", [grouped(ID2, "/")], []),
    ("เลขบัตร " + thai_digits(grouped(ID3)) + " นะคะ", [thai_digits(grouped(ID3))], []),
    ("เลขบัตร" + thai_digits(ID4) + "ค่ะ", [thai_digits(ID4)], []),
    ("เลข " + ID1[:6] + ZW + ID1[6:] + " ครับ", [ID1[:6] + ZW + ID1[6:]], []),
    ("ID " + ID2[0] + " " + ID2[1:5] + " " + ID2[5:10] + " " + ID2[10:] + " จ้า",
     [ID2[1:5] + " " + ID2[5:10]], []),
    ("เลขบัตร " + ID3 + " และเบอร์ 0812345678", [ID3, "0812345678"], []),
    # --- e-mails -----------------------------------------------------------
    ("อีเมล somchai.j@gmail.com ครับ", ["somchai.j@gmail.com"], []),
    ("ส่งมาที่somchai@hotmail.comค่ะ", ["somchai@hotmail.com"], []),
    ("อีเมล somchai＠gmail．com ค่ะ", ["somchai＠gmail．com"], []),
    ("อีเมล ｓｏｍｃｈａｉ＠ｇｍａｉｌ．ｃｏｍ", ["ｓｏｍｃｈａｉ＠ｇｍａｉｌ．ｃｏｍ"], []),
    ("เมล somchai" + ZW + "@gmail.com ค่ะ", ["somchai" + ZW + "@gmail.com"], []),
    ("เมล som" + ZWJ + "chai@gm" + SHY + "ail.com", ["som" + ZWJ + "chai@gm" + SHY + "ail.com"], []),
    ("email: somchai at gmail dot com", ["somchai at gmail dot com"], []),
    ("อีเมล somchai [at] gmail [dot] com ครับ", ["somchai [at] gmail [dot] com"], []),
    ("อีเมล somchai แอท gmail ดอท com ค่ะ", ["somchai แอท gmail ดอท com"], []),
    ("ติดต่อ nid+cfz@example.go.th หรือ 02-123-4567", ["nid+cfz@example.go.th", "02-123-4567"], []),
    ("อีเมล SOMCHAI99@YAHOO.CO.TH", ["SOMCHAI99@YAHOO.CO.TH"], []),
    # --- LINE ids -----------------------------------------------------------
    ("ไลน์ไอดี somchai99 ค่ะ", ["somchai99"], []),
    ("ติดต่อทาง line: @shop ได้เลย", ["@shop"], []),
    ("แอดไลน์ somchai_99 นะคะ", ["somchai_99"], []),
    ("id line somchai ครับ", ["somchai"], []),
    ("ไลน์ @somying_2024 นะคะ", ["somying_2024"], []),
    ("ไอดีไลน์: nong.ploy ค่ะ", ["nong.ploy"], []),
    ("line id: somchai99 ทักมาได้", ["somchai99"], []),
    ("LINE@ cfzshop ค่ะ", ["cfzshop"], []),
    ("แอดline somsak_k นะครับ", ["somsak_k"], []),
    ("ไลน์somchai2530ค่ะ", ["somchai2530"], []),
    ("lineid=janjira.p", ["janjira.p"], []),
    ("ไลน์ ｓｏｍｃｈａｉ９９ ค่ะ", ["ｓｏｍｃｈａｉ９９"], []),
    ("Line : @" + ZW + "shopping_th", ["shopping_th"], []),
    ("ไลน์ไอดีคือ pimpa_s ค่ะ", ["pimpa_s"], []),
    # --- complaint fields: addresses, descriptions --------------------------
    ("บ้านเลขที่ 99/12 หมู่ 3 ต.บางพลี โทร 0812345678", ["0812345678"], ["99/12", "หมู่ 3"]),
    ("ซอยลาดพร้าว 101 แยก 5 บ้านคุณสมชาย 089-123-4567", ["089-123-4567"], ["ลาดพร้าว 101", "แยก 5"]),
    ("123/45 ถ.พหลโยธิน เขตจตุจักร กทม. 10900", [], ["123/45", "10900"]),
    ("หน้าสำนักงานเขต ติดต่อคุณแดง ไลน์ daeng_bkk", ["daeng_bkk"], []),
    ("ขอใบแทนบัตร เลข " + grouped(ID1) + " เจ้าหน้าที่ให้ถ่ายสำเนา 2 ชุด",
     [grouped(ID1)], ["2 ชุด"]),
    ("ร้องเรียนเจ้าหน้าที่ ติดต่อ somchai.k@outlook.co.th หรือโทร(02)1234567",
     ["somchai.k@outlook.co.th", "02)1234567"], []),
    # --- ordinary numbers that must stay --------------------------------------
    ("ค่าธรรมเนียม 350 บาท แพงเกินไป", [], ["350 บาท"]),
    ("ได้คิวที่ 125 รอ 3 ชั่วโมง", [], ["คิวที่ 125", "3 ชั่วโมง"]),
    ("มาวันที่ 12/10/2567 เวลา 08:30 น.", [], ["12/10/2567", "08:30"]),
    ("นัดวันที่ 2567-10-12 ตอน 13.30 น.", [], ["2567-10-12", "13.30"]),
    ("โทร 1111 แล้ว ต่อด้วย 1548 และ 191", [], ["1111", "1548", "191"]),
    ("เจ็บป่วยฉุกเฉินโทร 1669 มาเร็วมาก", [], ["1669"]),
    ("บ้านเลขที่ 99/12 ซอย 7", [], ["99/12", "ซอย 7"]),
    ("รอ 3 ชั่วโมง 45 นาที ช่อง 4 ปิด", [], ["3 ชั่วโมง 45 นาที", "ช่อง 4"]),
    ("ราคา ๓๕๐ บาท คิวที่ ๑๒๕", [], ["๓๕๐ บาท", "๑๒๕"]),
    ("ยอดเงิน 1,234,567.50 บาท", [], ["1,234,567.50"]),
    ("เลข 1101700123457 ไม่ใช่บัตรจริง (เลขตรวจสอบผิด)", [], ["1101700123457"]),
    ("ใบเสร็จเลขที่ 2567000123 หายไป", [], ["2567000123"]),
    ("วันที่ 02/12/2567 5 คน รอคิว", [], ["02/12/2567 5 คน"]),
    ("วันที่ 08/12/2567 55 คน มาก่อน", [], ["08/12/2567 55 คน"]),
    ("ทะเบียนรถ 1กข 1234 กรุงเทพมหานคร", [], ["1กข 1234"]),
    ("รหัสไปรษณีย์ 50200 ตำบล 4", [], ["50200"]),
    ("the line was long, waited in line for 2 hours", [], ["line was long", "in line for 2 hours"]),
    ("ระบบ online ใช้งานง่าย deadline 30 วัน", [], ["online", "deadline 30 วัน"]),
    ("ค่าปรับ 0.50 บาทต่อวัน ลดเหลือ 0.25", [], ["0.50", "0.25"]),
    ("เวลาทำการ 08.30-16.30 น. วันจันทร์-ศุกร์", [], ["08.30-16.30"]),
]


_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def core(text):
    """What a reader (or a scraper) can still recover: the characters that
    carry the secret, whatever the spelling, brackets and separators."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = text.translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")).lower()
    return re.sub(r"[\s\-./()+\[\]@:]", "", text)


def test_table_is_big_enough():
    assert len(TABLE) >= 80
    assert sum(len(secrets) for _, secrets, _ in TABLE) >= 70


@pytest.mark.parametrize("text,secrets,keep", TABLE, ids=[str(i) for i in range(len(TABLE))])
def test_personal_data_is_masked_and_ordinary_numbers_stay(text, secrets, keep):
    public, _kinds = redact(text)
    for secret in secrets:
        assert secret not in public, public
        assert core(secret) not in core(public), public
    for number in keep:
        assert number in public, public
    if not secrets:
        assert public == unicodedata.normalize("NFC", text)
