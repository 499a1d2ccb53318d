"""Thai for the API's error answers (plain module).

Errors are raised with English text, the API's language for developers.
Citizens and officers read Thai, so the gateway adds `message_th` and, for
field messages, `details.fields_th` (same shape as `fields`). A message is
translated by its error code first (one sentence a code says enough to a
citizen), field messages by pattern; a field message without a pattern gets
a general Thai sentence, so a Thai page never shows English alone.
"""
import re

from services.common import thai

# One Thai sentence per error code: what a citizen or officer should know.
BY_CODE = {
    "OPEN_DATA_NOT_READY": "กำลังสร้างไฟล์ข้อมูลเปิด กรุณาลองใหม่อีกครู่",
    "OPEN_DATA_NOT_FOUND": "ไม่มีไฟล์ข้อมูลเปิดนี้ ดูรายการไฟล์ได้ที่ datapackage.json",
    "OPEN_DATA_GONE": "ไฟล์ข้อมูลเปิดรุ่นนี้ถูกแทนที่แล้ว กรุณาดาวน์โหลดใหม่",
    "VALIDATION_ERROR": "ข้อมูลบางช่องไม่ถูกต้อง กรุณาตรวจสอบแล้วส่งใหม่",
    "MALFORMED_JSON": "ข้อมูลที่ส่งมาอ่านไม่ได้",
    "EMPTY_BODY": "ไม่มีข้อมูลที่ส่งมา",
    "INVALID_ENCODING": "ข้อมูลต้องเข้ารหัสแบบ UTF-8",
    "UNSUPPORTED_MEDIA_TYPE": "รูปแบบข้อมูลที่ส่งมาไม่รองรับ",
    "PAYLOAD_TOO_LARGE": "ข้อมูลที่ส่งมามีขนาดใหญ่เกินไป",
    "ANSWER_TOO_LARGE": "คำขอนี้ได้ผลลัพธ์มากเกินไป กรุณาเลือกช่วงเวลาให้สั้นลง",
    "REQUEST_TIMEOUT": "ส่งข้อมูลไม่ครบภายในเวลาที่กำหนด กรุณาลองใหม่",
    "UNAUTHORIZED": "กรุณาเข้าสู่ระบบก่อน",
    "MISSING_TOKEN": "กรุณาเข้าสู่ระบบก่อน",
    "INVALID_TOKEN": "การเข้าสู่ระบบไม่ถูกต้อง กรุณาเข้าสู่ระบบใหม่",
    "TOKEN_EXPIRED": "หมดเวลาการเข้าสู่ระบบ กรุณาเข้าสู่ระบบใหม่",
    "INVALID_CREDENTIALS": "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
    "ACCOUNT_PENDING": "บัญชีนี้รอผู้ดูแลระบบอนุมัติ",
    "ACCOUNT_DISABLED": "บัญชีนี้ถูกระงับการใช้งาน",
    "AGENCY_NOT_APPROVED": "หน่วยงานนี้ยังไม่ได้รับการอนุมัติ",
    "ACCOUNT_REJECTED": "คำขอลงทะเบียนหน่วยงานนี้ไม่ได้รับการอนุมัติ",
    "AGENCY_REJECTED": "หน่วยงานนี้ไม่ได้รับการอนุมัติแล้ว ต้องลงทะเบียนใหม่",
    "AGENCY_NOT_PENDING": "หน่วยงานนี้ไม่ได้อยู่ระหว่างรออนุมัติ",
    "TOKEN_REVOKED": "การเข้าสู่ระบบนี้ถูกยกเลิกแล้ว กรุณาเข้าสู่ระบบใหม่",
    "CANNOT_DISABLE_SELF": "ระงับบัญชีของตัวเองไม่ได้",
    "FORBIDDEN": "คุณไม่มีสิทธิ์ทำรายการนี้",
    "OTHER_AGENCY": "รายการนี้เป็นของหน่วยงานอื่น",
    "NOT_FOUND": "ไม่พบข้อมูลที่ต้องการ",
    "NO_SUCH_ENDPOINT": "ไม่พบข้อมูลที่ต้องการ",
    "UNKNOWN_TRACKING_CODE": "ไม่พบเรื่องร้องเรียนตามรหัสติดตามนี้ กรุณาตรวจสอบรหัสอีกครั้ง",
    "POINT_CLOSED": "จุดบริการนี้ปิดแล้ว",
    "CONFLICT": "ข้อมูลนี้มีอยู่แล้วหรือถูกแก้ไขไปก่อนหน้า",
    "USERNAME_TAKEN": "ชื่อผู้ใช้นี้มีผู้ใช้แล้ว กรุณาเลือกชื่ออื่น",
    "CONCURRENT_UPDATE": "มีผู้แก้ไขข้อมูลนี้พร้อมกัน กรุณาโหลดใหม่แล้วลองอีกครั้ง",
    "IDEMPOTENCY_KEY_REUSED": "คำขอนี้ถูกส่งไปแล้วด้วยข้อมูลอื่น",
    "TOKEN_USED": "คุณประเมินการมาใช้บริการครั้งนี้ไปแล้ว ขอบคุณค่ะ",
    "INVALID_VISIT_TOKEN": "รหัสยืนยันการมาใช้บริการไม่ถูกต้องหรือหมดอายุ",
    "INVALID_COUNTER_CODE": "QR code นี้ไม่ใช่ของจุดบริการนี้",
    "VISIT_TOKEN_LIMIT": "QR code นี้ออกรหัสยืนยันให้ครบจำนวนของวันนี้แล้ว ท่านยังประเมินได้โดยไม่ต้องยืนยัน",
    "INVALID_TRANSITION": "เปลี่ยนสถานะเช่นนี้ไม่ได้",
    "NOT_RESOLVED": "ประเมินได้เมื่อเรื่องได้รับการแก้ไขแล้วเท่านั้น",
    "NOT_CLOSED": "เรื่องนี้ยังไม่ปิด",
    "ALREADY_REOPENED": "เรื่องนี้ถูกเปิดใหม่ไปแล้ว",
    "REOPEN_WINDOW_PASSED": "พ้นกำหนดเวลาที่ขอเปิดเรื่องใหม่ได้แล้ว",
    "RATE_LIMITED": "ส่งบ่อยเกินไป กรุณารอสักครู่แล้วลองใหม่",
    "LOGIN_LOCKED": "เข้าสู่ระบบผิดหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่",
    "BUSY": "ระบบมีผู้ใช้มาก กรุณาลองใหม่ในอีกสักครู่",
    "HASHING_BUSY": "มีผู้เข้าสู่ระบบพร้อมกันมาก กรุณาลองใหม่ในอีกสักครู่",
    "TOO_MANY_CONNECTIONS": "ระบบมีผู้ใช้มาก กรุณาลองใหม่ในอีกสักครู่",
    "SERVICE_UNAVAILABLE": "ระบบไม่ตอบสนองชั่วคราว กรุณาลองใหม่ในอีกสักครู่",
    "BROKER_UNAVAILABLE": "ระบบรับส่งข้อความขัดข้องชั่วคราว กรุณาลองใหม่ในอีกสักครู่",
    "SHUTTING_DOWN": "ระบบกำลังเริ่มทำงานใหม่ กรุณาลองใหม่ในอีกสักครู่",
    "NOT_READY": "ระบบยังไม่พร้อมให้บริการ",
    "TRY_AGAIN": "กรุณาลองใหม่อีกครั้ง",
    "DEMO_DISABLED": "ไม่ได้เปิดใช้ข้อมูลตัวอย่าง",
    "NO_CLIENT_ID": "ไม่สามารถระบุผู้ส่งได้",
    "INTERNAL": "ระบบขัดข้อง เราบันทึกปัญหาไว้แล้ว กรุณาลองใหม่ภายหลัง",
}
GENERAL = "เกิดข้อผิดพลาด กรุณาลองใหม่"
FIELD_GENERAL = "ข้อมูลช่องนี้ไม่ถูกต้อง"

# (English message pattern, Thai): marshmallow's own messages and ours.
FIELD_PATTERNS = [(re.compile(p), th) for p, th in [
    (r"Missing data for required field\.", "กรุณากรอกช่องนี้"),
    (r"Field may not be null\.", "กรุณากรอกช่องนี้"),
    (r"Unknown field\.", "ไม่รู้จักช่องนี้"),
    (r"Not a valid string\.", "ต้องเป็นข้อความ"),
    (r"Not a valid (integer|number)\.", "ต้องเป็นตัวเลข"),
    (r"Not a valid boolean\.", "ต้องเป็นใช่หรือไม่ใช่"),
    (r"Not a valid (list|mapping type)\.", "รูปแบบข้อมูลไม่ถูกต้อง"),
    (r"Not a valid email address\.", "อีเมลไม่ถูกต้อง"),
    (r"Not a valid URL\.", "ลิงก์ไม่ถูกต้อง"),
    (r"Must be one of: (.*)\.", r"ต้องเป็นค่าใดค่าหนึ่งต่อไปนี้: \1"),
    (r"Length must be between (\d+) and (\d+)\.", r"ความยาวต้องอยู่ระหว่าง \1 ถึง \2"),
    (r"Shorter than minimum length (\d+)\.", r"ต้องยาวอย่างน้อย \1 ตัวอักษร"),
    (r"Longer than maximum length (\d+)\.", r"ต้องยาวไม่เกิน \1 ตัวอักษร"),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
     r"ต้องอยู่ระหว่าง \1 ถึง \2"),
    (r"Must be greater than or equal to (\S+)\.", r"ต้องไม่น้อยกว่า \1"),
    (r"Must be less than or equal to (\S+)\.", r"ต้องไม่มากกว่า \1"),
    (r"Must be at most (\d+) characters\.", r"ต้องยาวไม่เกิน \1 ตัวอักษร"),
    (r"Must be (\d+) to (\d+) characters\.", r"ต้องยาว \1 ถึง \2 ตัวอักษร"),
    (r"Must not contain control characters\.", "มีอักขระที่ใช้ไม่ได้"),
    (r"Must be valid Unicode text.*", "มีอักขระที่บันทึกไม่ได้ (รหัสอักขระไม่สมบูรณ์)"),
    (r"Must not contain bidirectional control characters\.",
     "มีอักขระควบคุมทิศทางข้อความซึ่งใช้ไม่ได้"),
    (r"Must not be blank\.", "กรุณากรอกช่องนี้"),
    (r"Must be a number\.", "ต้องเป็นตัวเลข"),
    (r"Must be a finite number\.", "ต้องเป็นตัวเลข"),
    (r"Must be a whole number\.", "ต้องเป็นจำนวนเต็ม"),
    (r"Must be a whole number from 1 to 5\.", "ต้องเป็นคะแนน 1 ถึง 5"),
    (r"Must be 1-5\.", "ต้องเป็นคะแนน 1 ถึง 5"),
    (r"Must be true or false\.", "ต้องเป็นใช่หรือไม่ใช่"),
    (r"Must be a date as YYYY-MM-DD\.", "ต้องเป็นวันที่ในรูปแบบ ปปปป-ดด-วว (ค.ศ.)"),
    (r"Must be between 1900-01-01 and 2199-12-31\.", "วันที่อยู่นอกช่วงที่รับได้"),
    (r"Must be an ISO 8601 date-time.*", "ต้องเป็นวันเวลาที่ถูกต้อง"),
    (r"At most (\d+) days in one report\.", r"เลือกช่วงเวลาได้ไม่เกิน \1 วัน"),
    (r"Must not be before `from`\.", "ต้องไม่ก่อนวันเริ่มต้น"),
    (r"Given more than once\.", "ส่งช่องนี้ซ้ำ"),
    (r"Required for this level\.", "ต้องระบุรหัสเมื่อเลือกระดับนี้"),
    (r"Not a Thai phone number.*", "หมายเลขโทรศัพท์ไม่ถูกต้อง (เช่น 02-123-4567 หรือ 081-234-5678)"),
    (r"Not an official province code.*", "รหัสจังหวัดไม่ถูกต้อง"),
    (r"Not a service code.*", "รหัสงานบริการไม่ถูกต้อง"),
    (r"Not in the Citizen's Manual catalogue.*", "ไม่มีงานบริการนี้ในคู่มือสำหรับประชาชน"),
    (r"Not offered at this service point\.", "จุดบริการนี้ไม่มีงานบริการนี้"),
    (r"Not a complaint category.*", "กรุณาเลือกประเภทเรื่องร้องเรียน"),
    (r"Unknown complaint category\.", "กรุณาเลือกประเภทเรื่องร้องเรียน"),
    (r"Not a service point id\.", "รหัสจุดบริการไม่ถูกต้อง"),
    (r"Not this counter's code\.", "QR code นี้ไม่ใช่ของจุดบริการนี้"),
    (r"Already used\.", "ใช้ไปแล้ว"),
    (r"The visit token is for another service\.", "รหัสยืนยันนี้ใช้ประเมินงานบริการอื่น"),
    (r"The visit token belongs to another service point\.", "รหัสยืนยันนี้เป็นของจุดบริการอื่น"),
    (r"The visit token has expired; scan the QR code again\.", "รหัสยืนยันหมดอายุ กรุณาสแกน QR code ใหม่"),
    (r"The visit token is not valid\.", "รหัสยืนยันไม่ถูกต้อง"),
    (r"Must not be only spaces, nor one repeated character\.",
     "ต้องไม่เป็นช่องว่างหรืออักขระเดียวซ้ำกัน"),
    (r"Must differ from the username\.", "ต้องไม่เหมือนชื่อผู้ใช้"),
    (r"Give a phone number or an e-mail address.*", "กรุณาให้หมายเลขโทรศัพท์หรืออีเมลเพื่อติดต่อกลับ"),
    (r"Give the date the agency plans to stop demanding the copy\.",
     "กรุณาระบุวันที่จะเลิกขอสำเนา"),
    (r"Only when copy_required is true\.", "ระบุได้เฉพาะเมื่อยังขอสำเนา"),
    (r"Must be a number in decimal degrees\.", "ต้องเป็นพิกัดทศนิยม (องศา)"),
    (r".*(outside Thailand|not in Thailand|must lie in Thailand).*", "ตำแหน่งนี้อยู่นอกประเทศไทย"),
    (r"The pin lies in .* \((\d\d)\), not in the chosen province .* \((\d\d)\)\.",
     lambda m: "ตำแหน่งนี้อยู่ใน{} ไม่ใช่{}ที่เลือกไว้ กรุณาย้ายหมุดหรือเลือกจังหวัดให้ถูกต้อง".format(
         _province_th(m[1]), _province_th(m[2]))),
    (r"The pin is far from the chosen province .* \((\d\d)\)\.",
     lambda m: "ตำแหน่งนี้อยู่ห่างจาก{}ที่เลือกไว้ กรุณาย้ายหมุดหรือเลือกจังหวัดให้ถูกต้อง".format(
         _province_th(m[1]))),
    (r"Send at least one field to change\.", "กรุณาแก้ไขอย่างน้อยหนึ่งช่อง"),
    (r"Send a JSON object\.", "รูปแบบข้อมูลไม่ถูกต้อง"),
    (r"Say why a copy is still demanded\.", "กรุณาระบุเหตุผลที่ยังขอสำเนา"),
    (r"Say where.*", "กรุณาระบุสถานที่: จุดบริการ ตำแหน่งบนแผนที่ หรือที่อยู่"),
    (r"Say why.*", "กรุณาระบุเหตุผล"),
    (r"Send the location this pin is for\.", "กรุณาส่งตำแหน่งพร้อมกับข้อมูลการปักหมุด"),
    (r"One of: gps, drag, typed\.", "วิธีปักหมุดไม่ถูกต้อง"),
    (r"Must be between 0 and 10,000 metres\.", "ความคลาดเคลื่อนต้องอยู่ระหว่าง 0 ถึง 10,000 เมตร"),
    (r"8-128 characters.*", "รหัสคำขอไม่ถูกต้อง"),
    (r"Each service once.*", "เลือกงานบริการแต่ละงานได้ครั้งเดียว"),
]]


def _province_th(code):
    names = thai.province_names(code)
    if names is None:
        return "จังหวัด " + code
    # Bangkok is not called a จังหวัด
    return names["name_th"] if code == "10" else "จังหวัด" + names["name_th"]


def thai_message(code, english):
    return BY_CODE.get(code) or GENERAL


def thai_field_message(english):
    if not isinstance(english, str):
        return FIELD_GENERAL
    for pattern, thai in FIELD_PATTERNS:
        if pattern.fullmatch(english):
            return pattern.sub(thai, english)
    return FIELD_GENERAL


def thai_fields(fields):
    """`fields` (marshmallow's nested messages) with every message in Thai."""
    if isinstance(fields, dict):
        return {key: thai_fields(value) for key, value in fields.items()}
    if isinstance(fields, list):
        return [thai_fields(value) for value in fields]
    return thai_field_message(fields)
