"""The satisfaction questionnaire, versioned.

Modelled on OMB Circular A-11 §280 (GSA Touchpoints): overall satisfaction
plus drivers, each on a 1-5 scale. A report knows which version an answer
came from; a new version gets a new number and the old one stays readable.
"""

CURRENT_VERSION = 1
SCALE = (1, 2, 3, 4, 5)

QUESTIONNAIRES = {
    1: {
        "version": 1,
        "scale": {"min": 1, "max": 5,
                  "labels_th": ["ไม่พอใจมาก", "ไม่พอใจ", "เฉยๆ", "พอใจ", "พอใจมาก"],
                  "labels_en": ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied",
                                "Very satisfied"]},
        "questions": [
            {"code": "satisfaction", "required": True,
             "text_th": "โดยรวม ท่านพอใจกับบริการครั้งนี้เพียงใด",
             "text_en": "Overall, how satisfied are you with the service you received?"},
            {"code": "trust", "required": False,
             "text_th": "บริการครั้งนี้ทำให้ท่านเชื่อมั่นในหน่วยงานนี้มากขึ้น",
             "text_en": "This interaction increased my trust in this agency."},
            {"code": "ease", "required": False,
             "text_th": "ขั้นตอนการรับบริการง่ายและไม่ยุ่งยาก",
             "text_en": "It was easy to complete what I needed to do."},
            {"code": "efficiency", "required": False,
             "text_th": "ใช้เวลาในการรับบริการเหมาะสม",
             "text_en": "It took a reasonable amount of time to get what I needed."},
            {"code": "staff", "required": False,
             "text_th": "เจ้าหน้าที่ให้ความช่วยเหลือและสุภาพ",
             "text_en": "Employees I interacted with were helpful."},
            {"code": "transparency", "required": False,
             "text_th": "ได้รับการปฏิบัติอย่างเป็นธรรมและโปร่งใส",
             "text_en": "I was treated fairly and the process was transparent."},
        ],
        "channels": [
            {"code": "walk_in", "name_th": "ติดต่อที่สำนักงาน", "name_en": "In person"},
            {"code": "online", "name_th": "ออนไลน์", "name_en": "Online"},
            {"code": "phone", "name_th": "ทางโทรศัพท์", "name_en": "By phone"},
        ],
        "copies_question": {
            "text_th": "ท่านถูกขอให้ถ่ายสำเนาเอกสารใดบ้าง",
            "text_en": "Which documents were you asked to photocopy?"},
        "comment_question": {
            "text_th": "ข้อเสนอแนะเพิ่มเติม (ห้ามใส่เลขบัตรประชาชนหรือเบอร์โทรศัพท์)",
            "text_en": "Anything else? (please do not include ID or phone numbers)"},
    },
}


def current():
    return QUESTIONNAIRES[CURRENT_VERSION]


def question_codes(version=CURRENT_VERSION):
    return [q["code"] for q in QUESTIONNAIRES[version]["questions"]]


def channel_codes(version=CURRENT_VERSION):
    return [c["code"] for c in QUESTIONNAIRES[version]["channels"]]
