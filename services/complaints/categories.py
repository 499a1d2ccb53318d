"""Complaint categories: the Open311 service codes of the complaints service.

Plain data, Thai first. Each category has a default SLA (calendar days to
resolution); operators override it per category with
CFZ_COMPLAINT_SLA_BY_CATEGORY ("CORRUPTION=7,ROAD-PUBLIC-WORKS=30").
"""
from services.common.errors import ValidationFailed

CATEGORIES = [
    {"code": "SERVICE-DELAY", "group_th": "การให้บริการ", "group_en": "Service",
     "name_th": "ให้บริการล่าช้า", "name_en": "Slow service",
     "description_th": "รอนาน ดำเนินการเกินเวลาที่คู่มือสำหรับประชาชนกำหนด",
     "description_en": "Long waits, or processing beyond the time in the Citizen's Manual",
     "keywords": ["ล่าช้า", "รอนาน", "delay", "waiting"]},
    {"code": "STAFF-CONDUCT", "group_th": "การให้บริการ", "group_en": "Service",
     "name_th": "พฤติกรรมเจ้าหน้าที่", "name_en": "Staff conduct",
     "description_th": "เจ้าหน้าที่ไม่สุภาพ ไม่ให้ความช่วยเหลือ หรือไม่อยู่ปฏิบัติหน้าที่",
     "description_en": "Impolite, unhelpful or absent staff",
     "keywords": ["เจ้าหน้าที่", "ไม่สุภาพ", "staff", "rude"]},
    {"code": "COPY-DEMANDED", "group_th": "ลดสำเนาเอกสาร", "group_en": "Zero Copy",
     "name_th": "ถูกเรียกสำเนาเอกสารที่ราชการออกให้", "name_en": "Photocopy of a government document demanded",
     "description_th": "ถูกเรียกสำเนาบัตรประชาชน ทะเบียนบ้าน หรือเอกสารที่ราชการออกให้",
     "description_en": "Asked to bring copies of an ID card, house registration or another "
                       "government-issued document",
     "keywords": ["สำเนา", "zero copy", "photocopy"]},
    {"code": "FEE-ISSUE", "group_th": "การให้บริการ", "group_en": "Service",
     "name_th": "ค่าธรรมเนียมไม่ถูกต้อง", "name_en": "Wrong or unofficial fee",
     "description_th": "เรียกเก็บค่าธรรมเนียมเกินหรือไม่ตรงกับที่กำหนด",
     "description_en": "A fee above, or other than, the official one",
     "keywords": ["ค่าธรรมเนียม", "fee"]},
    {"code": "CORRUPTION", "group_th": "ทุจริต", "group_en": "Integrity",
     "name_th": "ทุจริตหรือเรียกรับสินบน", "name_en": "Corruption or bribery",
     "description_th": "เรียกรับเงินหรือประโยชน์อื่นใดโดยมิชอบ",
     "description_en": "Asking for money or favours improperly",
     "keywords": ["ทุจริต", "สินบน", "bribe", "corruption"]},
    {"code": "INFORMATION", "group_th": "การให้บริการ", "group_en": "Service",
     "name_th": "ข้อมูลไม่ถูกต้องหรือไม่ครบถ้วน", "name_en": "Wrong or missing information",
     "description_th": "ข้อมูลขั้นตอน เอกสาร หรือเวลาเปิดทำการไม่ตรงกับความจริง",
     "description_en": "Steps, documents or opening hours that do not match reality",
     "keywords": ["ข้อมูล", "information"]},
    {"code": "FACILITY", "group_th": "สถานที่", "group_en": "Premises",
     "name_th": "สถานที่และสิ่งอำนวยความสะดวก", "name_en": "Premises and accessibility",
     "description_th": "ที่จอดรถ ห้องน้ำ ทางลาด หรือสิ่งอำนวยความสะดวกสำหรับคนพิการ",
     "description_en": "Parking, toilets, ramps or facilities for people with disabilities",
     "keywords": ["สถานที่", "ทางลาด", "accessibility"]},
    {"code": "ROAD-PUBLIC-WORKS", "group_th": "สาธารณูปโภค", "group_en": "Public works",
     "name_th": "ถนน ทางเท้า ไฟฟ้าส่องสว่าง", "name_en": "Roads, pavements, street lights",
     "description_th": "ถนนชำรุด ทางเท้าเสียหาย ไฟฟ้าส่องสว่างดับ",
     "description_en": "Damaged roads or pavements, broken street lights",
     "keywords": ["ถนน", "ไฟดับ", "road", "street light"]},
    {"code": "NUISANCE", "group_th": "สาธารณูปโภค", "group_en": "Public works",
     "name_th": "เหตุเดือดร้อนรำคาญ", "name_en": "Public nuisance",
     "description_th": "เสียงดัง กลิ่น ขยะ หรือสิ่งกีดขวางในที่สาธารณะ",
     "description_en": "Noise, smells, rubbish or obstructions in public places",
     "keywords": ["เสียงดัง", "ขยะ", "noise", "rubbish"]},
    {"code": "OTHER", "group_th": "อื่น ๆ", "group_en": "Other",
     "name_th": "เรื่องอื่น ๆ", "name_en": "Other",
     "description_th": "เรื่องร้องเรียนที่ไม่อยู่ในหมวดอื่น",
     "description_en": "Anything not covered by another category",
     "keywords": []},
]
BY_CODE = {c["code"]: c for c in CATEGORIES}


def get(code):
    return BY_CODE.get(code)


def codes():
    return [c["code"] for c in CATEGORIES]


def parse_sla_overrides(text):
    """"CODE=days,CODE=days" -> {code: days}; ValueError on a bad entry."""
    result = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        code, sep, days = part.partition("=")
        code = code.strip()
        if not sep or code not in BY_CODE:
            raise ValueError("unknown complaint category in SLA overrides: {!r}".format(part))
        value = int(days)
        if not 1 <= value <= 365:
            raise ValueError("SLA days must be 1-365: {!r}".format(part))
        result[code] = value
    return result


def sla_days(code, default_days=15, overrides=None):
    """Days to resolution for a category: override, else default."""
    overrides = overrides or {}
    if code in overrides:
        return overrides[code]
    return int(default_days)


def view(category, sla=None):
    body = {k: category[k] for k in ("code", "name_th", "name_en", "description_th",
                                     "description_en", "group_th", "group_en")}
    if sla is not None:
        body["sla_days"] = sla
    return body


def require(code):
    if code not in BY_CODE:
        raise ValidationFailed("Unknown complaint category.", {"fields": {"category": [
            "Not a complaint category; choose one of: {}.".format(", ".join(codes()))]}})
    return BY_CODE[code]
