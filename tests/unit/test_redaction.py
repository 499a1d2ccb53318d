"""Personal data is masked before a comment is public; ordinary numbers stay."""
import pytest

from services.common.redaction import EMAIL_MASK, ID_MASK, LINE_MASK, PHONE_MASK, redact, valid_citizen_id


def with_check_digit(first12):
    """REFERENCE.md: d13 = (11 - sum(d_i * (14 - i)) mod 11) mod 10."""
    total = sum(int(d) * (14 - i) for i, d in enumerate(first12, start=1))
    return first12 + str((11 - total % 11) % 10)


ID_A = with_check_digit("110370207183")       # 13 digits, valid
ID_B = with_check_digit("350990012345")
ID_A_DASHED = "{}-{}-{}-{}-{}".format(ID_A[0], ID_A[1:5], ID_A[5:10], ID_A[10:12], ID_A[12])
ID_B_SPACED = "{} {} {} {} {}".format(ID_B[0], ID_B[1:5], ID_B[5:10], ID_B[10:12], ID_B[12])
BAD_ID = ID_A[:12] + str((int(ID_A[12]) + 1) % 10)   # wrong check digit

CASES = [
    # (comment, expected public text)
    ("เจ้าหน้าที่บริการดีมาก โทรกลับที่ 081-234-5678 ได้เลยค่ะ",
     "เจ้าหน้าที่บริการดีมาก โทรกลับที่ {} ได้เลยค่ะ".format(PHONE_MASK)),
    ("ติดต่อ 0812345678 นะครับ", "ติดต่อ {} นะครับ".format(PHONE_MASK)),
    ("เบอร์ +66 81 234 5678 ค่ะ", "เบอร์ {} ค่ะ".format(PHONE_MASK)),
    ("โทร +66812345678", "โทร {}".format(PHONE_MASK)),
    ("โทรไปที่อำเภอ 02-123-4567 ไม่มีคนรับสาย", "โทรไปที่อำเภอ {} ไม่มีคนรับสาย".format(PHONE_MASK)),
    ("เบอร์สำนักงาน 053 112 345 ไม่มีคนรับ", "เบอร์สำนักงาน {} ไม่มีคนรับ".format(PHONE_MASK)),
    ("เบอร์บ้าน 074-123456", "เบอร์บ้าน {}".format(PHONE_MASK)),
    ("มือถือ 09-8765-4321 ค่ะ", "มือถือ {} ค่ะ".format(PHONE_MASK)),
    ("line id: somchai99 ทักมาได้", "{} ทักมาได้".format(LINE_MASK)),
    ("ไลน์ @somying_2024 นะคะ", "{} นะคะ".format(LINE_MASK)),
    ("เลขบัตรประชาชนผม {} ถูกบันทึกผิด".format(ID_A), "เลขบัตรประชาชนผม {} ถูกบันทึกผิด".format(ID_MASK)),
    ("บัตร {} หาย".format(ID_A_DASHED), "บัตร {} หาย".format(ID_MASK)),
    ("เลข {} ค่ะ".format(ID_B_SPACED), "เลข {} ค่ะ".format(ID_MASK)),
    ("อีเมล somchai.j@gmail.com ครับ", "อีเมล {} ครับ".format(EMAIL_MASK)),
    ("ส่งผลมาที่ nid+cfz@example.go.th ด้วย", "ส่งผลมาที่ {} ด้วย".format(EMAIL_MASK)),
    ("ติดต่อ 081-234-5678 หรือ a@b.co", "ติดต่อ {} หรือ {}".format(PHONE_MASK, EMAIL_MASK)),
    # numbers that are not personal data stay as they are
    ("รอคิวนานมาก ได้คิวที่ 125 รอ 2 ชั่วโมง", None),
    ("ค่าธรรมเนียม 1,500 บาท แพงไป", None),
    ("จ่ายไป 20 บาท ค่าถ่ายเอกสาร 3 แผ่น", None),
    ("มาวันที่ 12/03/2567 เวลา 08:30 น.", None),
    ("มาตั้งแต่ 8.30 ถึง 16.30 น.", None),
    ("โทร 1111 ร้องเรียนแล้ว", None),
    ("สายด่วน 1548 ให้ข้อมูลดี", None),
    ("เลข {} ไม่ใช่เลขบัตรจริง".format(BAD_ID), None),
    ("ใบเสร็จเลขที่ 2567000123 หายไป", None),
    ("ทะเบียนรถ กข 1234 กรุงเทพมหานคร", None),
    ("รหัสไปรษณีย์ 50200 ผิด", None),
    ("ปี 2567 ดีกว่าปี 2566 มาก", None),
    ("ราคา 120000 บาท สำหรับใบอนุญาตก่อสร้าง", None),
    ("ยอดเงิน 1234567.50 บาท", None),
    ("ช่อง 3 บริการดี เจ้าหน้าที่ยิ้มแย้ม", None),
    ("พอใจมาก 5 ดาว ไม่ต้องถ่ายสำเนาบัตรแล้ว", None),
    ("Staff were helpful; the wait was 45 minutes.", None),
]


@pytest.mark.parametrize("comment,expected", CASES, ids=[str(i) for i in range(len(CASES))])
def test_redaction_table(comment, expected):
    public, _ = redact(comment)
    assert public == (expected if expected is not None else comment)


def test_at_least_thirty_realistic_comments():
    assert len(CASES) >= 30


def test_kinds_of_personal_data_found_are_reported():
    _, kinds = redact("โทร 0812345678 อีเมล a@b.co บัตร {}".format(ID_A))
    assert kinds == ["citizen_id", "email", "phone"]
    assert redact("คิวที่ 12")[1] == []


def test_citizen_id_checksum():
    assert valid_citizen_id(ID_A) and valid_citizen_id(ID_B)
    assert not valid_citizen_id(BAD_ID)
    assert not valid_citizen_id("123")


def test_decomposed_thai_is_normalised_before_publication():
    public, _ = redact("ทํางานดี")  # NIKHAHIT + SARA AA typed for SARA AM
    assert public == "ทำงานดี"


@pytest.mark.parametrize("url,public", [
    ("https://example.org/photo1.jpg", "https://example.org/photo1.jpg"),
    ("https://example.org/p.jpg?phone=0812345678&x=1#top", "https://example.org/p.jpg"),
    ("https://somchai:secret@example.org/p.jpg", "https://example.org/p.jpg"),
    ("https://example.org:8443/a/b.png?email=a%40b.co", "https://example.org:8443/a/b.png"),
    ("https://example.org/u/0812345678/p.jpg", None),
    ("https://example.org/u/081%20234%205678.jpg", None),
    ("https://example.org/somchai@gmail.com/p.jpg", None),
    ("https://example.org/photos/2567-10-12/125.jpg", "https://example.org/photos/2567-10-12/125.jpg"),
])
def test_public_links_lose_query_strings_and_personal_paths(url, public):
    from services.common.redaction import public_url
    assert public_url(url) == public
