"""The words catalogue search ignores and the ones it treats as the same.

One place for both, so the query and the indexed text agree. Changing a
list here changes the search index's version (catalogue.SEARCH_VERSION),
and the registry rebuilds the stored index on its next start.
"""

# Words people wrap around what they want ("อยากจะทำบัตรประชาชนต้องใช้
# เอกสารอะไรบ้าง"): requests, question words, politeness, pronouns and
# joining words. They appear in many names too ("การขอ…"), so a query word
# among them would rank by noise. Entries are segmented like any text, so
# a phrase such as "อยากจะ" drops its words ("อยาก", "จะ").
FILLERS_TH = (
    "ทำ", "ขอ", "การ", "ยื่น", "อยากจะ", "อยาก", "ต้องการ", "ต้อง", "ที่ไหน", "ไหน", "ยังไง",
    "อย่างไร", "เอกสาร", "อะไร", "บ้าง", "ได้", "ไหม", "มั้ย", "หรือเปล่า", "เปล่า",
    "ครับ", "ค่ะ", "คะ", "ค่า", "นะ", "จ้า", "จ้ะ", "หน่อย", "ช่วย", "วิธี", "ขั้นตอน",
    "ที่", "ไป", "มา", "ของ", "ให้", "กับ", "และ", "หรือ", "เพราะ", "ว่า", "แล้ว", "จะ",
    "ผม", "ฉัน", "หนู", "ดิฉัน", "เรา", "กรณี", "ใช้", "เมื่อไหร่", "เท่าไหร่", "กี่", "มี",
    "ใน", "เป็น", "คือ", "นี้", "ตรง", "อยู่",
)

EN_STOP_WORDS = (
    "a", "an", "the", "of", "for", "to", "in", "on", "at", "and", "or", "my", "i", "me",
    "how", "where", "what", "when", "do", "does", "can", "get", "need", "want", "is",
    "are", "with", "apply", "please", "s",
)

# Groups of spellings for the same thing, the one the catalogue uses first.
# A query's spelling is rewritten to the first; indexed text is indexed in
# both its own spelling and the first, so either finds it. Only real
# equivalents belong here: entry-specific everyday phrasings are keywords
# in the catalogue itself.
SYNONYMS = (
    ("บัตรประชาชน", "บัตรประจำตัวประชาชน", "บัตรปชช", "บัตร ปชช"),
    ("ใบขับขี่", "ใบอนุญาตขับรถ", "ใบอนุญาตขับขี่", "ใบขับรถ"),
    ("หนังสือเดินทาง", "พาสปอร์ต", "พาสสปอร์ต", "พาสปอต"),
    ("ผู้สูงอายุ", "คนชรา", "คนแก่", "ผู้สูงวัย", "คนสูงอายุ"),
    ("สูติบัตร", "ใบเกิด", "ใบแจ้งเกิด"),
    ("มรณบัตร", "ใบมรณะ", "ใบมรณบัตร", "ใบตาย"),
    ("สมรส", "แต่งงาน"),
    ("หนังสือรับรองความประพฤติ", "ใบรับรองความประพฤติ"),
    ("ผู้พิการ", "คนพิการ"),
    ("licence", "license"),
    ("id card", "identity card", "identification card"),
)
