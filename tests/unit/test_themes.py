"""Comment themes: segmentation of realistic comments, the keyness
statistic against hand-computed values, and the three views on a table of
comments (services/reporting/themes.py)."""
import math

import pytest

from services.reporting import themes

# (comment as a citizen writes it, satisfaction, terms it must give, terms
# it must not give: what naive splitting on spaces, on a dictionary's
# shorter words or on every character would produce)
COMMENTS = [
    ("รอคิวนานมากกกก กว่าจะได้เรียกชื่อ", 2, {"รอ", "คิว", "นาน", "รอ คิว", "คิว นาน"},
     {"รอคิวนานมากกกก", "มากกกก", "มาก"}),
    ("รอคิวตั้งแต่เช้า ๓ ชั่วโมงกว่าจะได้ทำบัตร", 1, {"รอ", "คิว", "ชั่วโมง"}, {"๓", "3"}),
    ("คิวยาวมาก เจ้าหน้าที่มีแค่สองคน", 2, {"คิว", "ยาว", "เจ้าหน้าที่"}, {"หน้าที่", "เจ้า", "หน้า"}),
    ("บัตรคิวหมดตั้งแต่แปดโมง ต้องมาใหม่พรุ่งนี้", 1, {"บัตร", "คิว", "พรุ่งนี้"}, {"บัตรคิวหมด"}),
    ("ระบบคิวออนไลน์ใช้ไม่ได้ ต้องมารอที่สำนักงาน", 2, {"ระบบ", "คิว", "ออนไลน์", "สำนักงาน"},
     {"ไลน์", "ออน"}),
    ("เจ้าหน้าที่พูดจาไม่สุภาพ ตะคอกใส่ประชาชน", 1,
     {"เจ้าหน้าที่", "พูดจา", "ไม่สุภาพ", "ตะคอก", "พูดจา ไม่สุภาพ"}, {"สุภาพ", "ไม่"}),
    ("เจ้าหน้าที่หน้าบึ้ง ไม่ยิ้มเลย ถามอะไรก็ไม่ตอบ", 1, {"เจ้าหน้าที่", "หน้าบึ้ง", "ไม่ยิ้ม", "ไม่ตอบ"},
     {"ยิ้ม", "เลย"}),
    ("พนักงานพูดจาไม่ดี ไม่ให้เกียรติผู้สูงอายุ", 2, {"พนักงาน", "พูดจา", "ไม่ดี", "ผู้สูงอายุ"}, {"ดี"}),
    ("เจ้าหน้าที่เล่นโทรศัพท์ ไม่สนใจประชาชนที่รอ", 1, {"เจ้าหน้าที่", "โทรศัพท์", "ไม่สนใจ", "ประชาชน"},
     {"ที่"}),
    ("ต้องถ่ายเอกสารสำเนาบัตรประชาชนมาเอง ทั้งที่มีบัตรตัวจริง", 2,
     {"ถ่ายเอกสาร", "สำเนา", "บัตรประชาชน", "ถ่ายเอกสาร สำเนา"}, {"ถ่าย", "เอกสาร", "ต้อง"}),
    ("ยังเรียกสำเนาทะเบียนบ้านอยู่ ทั้งที่ประกาศว่าไม่ต้องใช้สำเนาแล้ว", 1,
     {"สำเนาทะเบียนบ้าน", "สำเนา", "ไม่ต้อง"}, {"ทะเบียน", "บ้าน"}),
    ("ร้านถ่ายเอกสารอยู่ไกล ต้องเดินไปถ่ายเอกสารหน้าปากซอย", 2, {"ร้าน", "ถ่ายเอกสาร", "ปากซอย"}, set()),
    ("ขอสำเนาเอกสารหลายชุดมาก เสียเงินถ่ายเอกสารหลายบาท", 2,
     {"สำเนา", "เอกสาร", "ถ่ายเอกสาร", "เสียเงิน"}, {"ขอ", "หลาย"}),
    ("ที่จอดรถไม่พอ ต้องไปจอดข้างถนน", 2, {"ที่จอดรถ", "ไม่พอ", "ที่จอดรถ ไม่พอ"}, {"จอดรถ", "พอ"}),
    ("ที่จอดรถเต็มตั้งแต่เช้า วนหาที่จอดรถนานมาก", 2, {"ที่จอดรถ", "เต็ม", "นาน"}, {"จอดรถ"}),
    ("ไม่มีที่จอดรถสำหรับผู้พิการ", 1, {"ไม่มี", "ที่จอดรถ", "ไม่มี ที่จอดรถ"}, {"ไม่ที่จอดรถ"}),
    ("ค่าธรรมเนียมแพงเกินไป ไม่มีใบเสร็จให้", 1,
     {"ค่าธรรมเนียม", "แพง", "ใบเสร็จ", "ค่าธรรมเนียม แพง"}, {"ธรรม", "เนียม", "ค่า"}),
    ("เก็บค่าธรรมเนียมเพิ่มโดยไม่แจ้งล่วงหน้า", 1, {"ค่าธรรมเนียม", "ไม่แจ้ง"}, {"แจ้ง"}),
    ("ไม่ติดป้ายอัตราค่าธรรมเนียม ไม่รู้ว่าต้องจ่ายเท่าไหร่", 2, {"ค่าธรรมเนียม", "จ่าย", "ไม่รู้"},
     {"เท่าไหร่"}),
    ("เจ้าหน้าที่บริการดีมาก ยิ้มแย้มแจ่มใส", 5, {"เจ้าหน้าที่", "บริการ", "ดี", "ยิ้มแย้มแจ่มใส"},
     {"ดีมาก", "มาก"}),
    ("บริการรวดเร็ว ได้บัตรภายในสิบห้านาที ประทับใจมากครับ", 5, {"บริการ", "รวดเร็ว", "ประทับใจ"},
     {"ครับ", "มาก"}),
    ("ขอบคุณเจ้าหน้าที่ที่ช่วยอธิบายขั้นตอนอย่างละเอียด", 5, {"ขอบคุณ", "เจ้าหน้าที่", "อธิบาย", "ขั้นตอน"},
     {"ที่"}),
    ("สถานที่สะอาด มีที่นั่งรอเพียงพอ แอร์เย็นสบาย", 4, {"สถานที่", "สะอาด", "ที่นั่ง", "แอร์"}, set()),
    ("ไม่ต้องใช้สำเนาแล้ว สะดวกมาก ขอบคุณค่ะ", 5, {"ไม่ต้อง", "สำเนา", "สะดวก", "ขอบคุณ"}, {"ค่ะ"}),
    ("ประทับใจการบริการ เจ้าหน้าที่ใจดีมากค่ะ", 5, {"ประทับใจ", "บริการ", "เจ้าหน้าที่"}, {"ค่ะ"}),
    ("ระบบล่มทั้งวัน ทำอะไรไม่ได้เลย", 1, {"ระบบ", "ล่ม", "ระบบ ล่ม"}, {"อะไร"}),
    ("ห้องน้ำสกปรก ไม่มีสบู่ล้างมือ", 2, {"ห้องน้ำ", "สกปรก", "สบู่", "ห้องน้ำ สกปรก"}, {"น้ำ"}),
    ("ป้ายบอกทางไม่ชัดเจน หาช่องบริการไม่เจอ", 3, {"ป้ายบอกทาง", "ไม่ชัดเจน", "ไม่เจอ"}, {"ชัดเจน"}),
    ("โทรไปสอบถามไม่มีคนรับสาย", 2, {"โทร", "สอบถาม", "รับสาย"}, set()),
    ("เปิดบริการช้ากว่าเวลาที่ประกาศ ปิดพักเที่ยงนาน", 2, {"ช้า", "พักเที่ยง", "นาน"}, set()),
    ("เจ้าหน้าที่แนะนำเอกสารไม่ครบ ต้องกลับไปเอามาใหม่", 2, {"เจ้าหน้าที่", "แนะนำ", "เอกสาร", "ไม่ครบ"},
     {"ครบ"}),
    ("Staff were rude and the queue was VERY long", 1, {"staff", "rude", "queue", "long", "staff rude"},
     {"the", "very", "was"}),
    ("Very fast service, friendly staff. Thank you!", 5, {"fast", "service", "friendly", "staff"},
     {"you", "very"}),
    ("Had to bring photocopies of my ID card even though it is not required", 2,
     {"photocopies", "card", "id card"}, {"my", "of"}),
    ("No parking space, had to park far away", 2, {"parking", "space", "parking space"}, {"no"}),
    ("บริการดี แต่ที่จอดรถน้อยไปหน่อย", 4, {"บริการ", "ดี", "ที่จอดรถ"}, {"แต่", "หน่อย"}),
    ("รอนานมากกก แต่เจ้าหน้าที่สุภาพดี", 3, {"รอ", "นาน", "เจ้าหน้าที่", "สุภาพ"}, {"แต่"}),
    ("ค่าบริการถ่ายเอกสารหน้าสำนักงานแพงมาก หน้าละห้าบาท", 2, {"ค่าบริการ", "ถ่ายเอกสาร", "แพง"}, set()),
    ("ได้รับบริการที่ดี ข้อมูลถูกต้อง รวดเร็วทันใจ", 5, {"บริการ", "ดี", "ข้อมูล"}, set()),
    ("ต้องจ่ายเงินใต้โต๊ะถึงจะได้คิวเร็ว", 1, {"ใต้โต๊ะ", "คิว", "จ่าย"}, {"โต๊ะ"}),
    ("กรอกแบบฟอร์มซ้ำหลายรอบ เสียเวลามาก", 2, {"กรอก", "แบบฟอร์ม", "เสียเวลา"}, set()),
    ("เจ้าหน้าที่ช่วยเหลือดี บริการด้วยใจ", 5, {"เจ้าหน้าที่", "ช่วยเหลือ", "บริการ"}, set()),
    ("โทร [เบอร์โทรถูกซ่อน] ไม่มีใครรับสาย", 2, {"โทร", "รับสาย"}, {"เบอร์โทร", "ซ่อน", "ถูกซ่อน"}),
    ("คิวยาวมาก รอ๒ชั่วโมงกว่าจะได้ท\u0e4d\u0e32บัตร", 2, {"คิว", "รอ", "ชั่วโมง", "บัตร"},
     {"2", "๒", "\u0e4d"}),
]


def test_the_table_is_realistic_in_size():
    assert len(COMMENTS) >= 40


@pytest.mark.parametrize("comment,rating,expected,absent", COMMENTS,
                         ids=[str(i) for i in range(len(COMMENTS))])
def test_terms_of_each_comment(comment, rating, expected, absent):
    found = themes.terms(comment)
    assert expected <= set(found), (comment, found)
    assert not (absent & set(found)), (comment, found)
    assert len(found) == len(set(found))


def test_normalisation_nfc_digits_stretching_case():
    assert themes.terms("รอนานมากกกกก") == themes.terms("รอนานมาก") == ["รอ", "นาน", "รอ นาน"]
    assert themes.terms("QUEUE Long") == themes.terms("queue long")
    # a decomposed SARA AM (NIKHAHIT + SARA AA) reads as one letter
    assert themes.terms("สำเนา") == themes.terms("ส\u0e4d\u0e32เนา") == ["สำเนา"]
    assert themes.terms("") == [] and themes.terms("ค่ะ ครับ 555") == []


def test_terms_are_bounded_per_comment():
    long = " ".join(["คิว{} ที่จอดรถ{}".format(w, w) for w in ["ยาว", "สั้น", "ใหม่", "เก่า"]] * 60)
    assert len(themes.terms(long)) <= themes.MAX_TERMS


# --- keyness against hand-computed values -----------------------------------------
def test_g2_against_hand_computed_values():
    # a term in 10 of a scope's 100 comments and 20 of the reference's 1,000:
    # N = 1,100, expected 100*30/1100 = 2.7273, 1000*30/1100 = 27.273,
    # 100*1070/1100 = 97.273, 1000*1070/1100 = 972.73;
    # G² = 2 (10 ln(10/2.7273) + 20 ln(20/27.273) + 90 ln(90/97.273) + 980 ln(980/972.73))
    assert themes.g2(10, 100, 20, 1000) == pytest.approx(14.1915404, abs=1e-6)
    # in all 3 of 3 and none of 7: G² = 2 (3 ln(10/3) + 7 ln(10/7))
    assert themes.g2(3, 3, 0, 7) == pytest.approx(12.2172860, abs=1e-6)
    # the same proportion on both sides: no keyness
    assert themes.g2(5, 50, 50, 500) == pytest.approx(0.0, abs=1e-9)
    assert themes.g2(0, 0, 3, 10) == 0.0


def test_p_value_of_g2():
    assert themes.p_value(3.841459) == pytest.approx(0.05, abs=1e-6)
    assert themes.p_value(6.634897) == pytest.approx(0.01, abs=1e-6)


def test_keyness_needs_a_minimum_count_and_an_excess():
    # one comment never makes a theme, however rare the term elsewhere
    assert themes.keyness(1, 2, 0, 10000) is None
    assert themes.keyness(2, 2, 0, 10000) is None
    assert themes.keyness(3, 3, 0, 10000) == pytest.approx(themes.g2(3, 3, 0, 10000))
    # less frequent in the scope than in the reference: not a theme of it
    assert themes.keyness(10, 100, 300, 1000) is None
    # frequent enough, but not significant
    assert themes.keyness(3, 100, 20, 1000) is None


# --- the views on the table -----------------------------------------------------------
def bucket_of(rows, start=0):
    bucket = themes.empty_bucket()
    for i, (comment, rating) in enumerate(rows):
        themes.add_comment(bucket, {"id": "fb-{:04d}".format(start + i),
                                    "at": "2026-11-{:02d}T03:00:00.000Z".format(
                                        1 + (start + i) % 28),
                                    "rating": rating, "terms": themes.terms(comment)})
    return bucket


TABLE = [(c, r) for c, r, _, _ in COMMENTS]


def test_themes_of_a_counter_against_the_country():
    # a counter where citizens are sent out for photocopies, against the
    # country's comments (the table, four times over)
    counter = bucket_of([("ต้องถ่ายเอกสารสำเนาบัตรประชาชนเองอีกแล้ว", 2),
                         ("เจ้าหน้าที่ให้ไปถ่ายเอกสารที่ร้านข้างนอก", 1),
                         ("ถ่ายเอกสารหน้าละสามบาท แพง", 2),
                         ("รอไม่นาน บริการดี", 5)], start=9000)
    country = bucket_of(TABLE * 4)
    rest = themes.subtract(themes.merge([country, counter]), counter)
    rows = themes.distinctive(counter, rest, limit=5)
    assert rows[0]["term"] == "ถ่ายเอกสาร"
    assert rows[0]["count"] == 3 and rows[0]["share"] == pytest.approx(0.75)
    assert rows[0]["mean_satisfaction"] == pytest.approx(5 / 3)
    # against 4 x 4 of the 176 national comments that mention it
    assert rows[0]["g2"] == pytest.approx(themes.g2(3, 4, 16, 4 * len(TABLE)))
    assert len(rows[0]["examples"]) == 0  # filled by the store from the ids
    assert {row["term"] for row in rows} <= {"ถ่ายเอกสาร", "ถ่ายเอกสาร สำเนา", "สำเนา"}
    assert themes.example_id(counter["ex"]["ถ่ายเอกสาร"][0]) in {"fb-9000", "fb-9001", "fb-9002"}
    assert len(counter["ex"]["ถ่ายเอกสาร"]) == 3


def test_what_the_unhappy_say():
    # the table four times over: 27 comments rated 1-2 and 10 rated 4-5 each time
    rows = themes.unhappy(bucket_of(TABLE * 4), limit=10)
    terms = [row["term"] for row in rows]
    assert terms[:3] == ["คิว", "ไม่มี", "ถ่ายเอกสาร"]
    for complaint in ("คิว", "ค่าธรรมเนียม", "นาน", "ถ่ายเอกสาร"):
        assert complaint in terms, terms
    for praise in ("ประทับใจ", "ขอบคุณ", "บริการ", "ดี"):
        assert praise not in terms
    first = rows[0]
    assert first["count_unhappy"] >= themes.MIN_COUNT
    assert first["share_unhappy"] > first["share_happy"]


def test_rising_themes():
    # last week's comments, twice over; this week the same plus a system
    # that keeps going down
    before = bucket_of(TABLE * 2)
    now = bucket_of(TABLE + [("ระบบล่มอีกแล้ว รอทั้งวัน", 1), ("ระบบคิวล่ม ต้องกลับบ้าน", 1),
                             ("ระบบล่มตั้งแต่เช้า", 1), ("ระบบล่ม ทำบัตรไม่ได้", 2),
                             ("ระบบล่มอีก", 1), ("วันนี้ระบบล่มอีก", 1)], start=500)
    rows = themes.rising(now, before, limit=5)
    assert rows[0]["term"] in {"ล่ม", "ระบบ ล่ม"}
    assert rows[0]["previous_count"] == 2 and rows[0]["count"] == 7
    assert rows[0]["g2"] == pytest.approx(themes.g2(7, len(TABLE) + 6, 2, 2 * len(TABLE)))
    assert not themes.rising(before, before, limit=5)  # nothing changed, nothing rose
    assert not themes.rising(now, themes.empty_bucket(), limit=5)  # nothing before to rise from


def test_remove_takes_a_comment_back_and_refills_examples():
    rows = [("รอคิวนาน", 2), ("คิวยาว", 2), ("คิวเยอะ", 2), ("คิวช้า", 2), ("บริการดี", 5)]
    bucket = bucket_of(rows)
    comments = [{"id": "fb-{:04d}".format(i), "at": "2026-11-{:02d}T03:00:00.000Z".format(1 + i),
                 "rating": r, "terms": themes.terms(c)} for i, (c, r) in enumerate(rows)]
    newest = comments[3]
    assert themes.example_id(bucket["ex"]["คิว"][0]) == newest["id"]
    others = [c for c in comments if c is not newest]
    themes.remove_comment(bucket, newest, lambda term: [c for c in others if term in c["terms"]])
    rebuilt = themes.empty_bucket()
    for comment in others:
        themes.add_comment(rebuilt, comment)
    assert bucket == rebuilt


def test_merge_sums_and_keeps_the_newest_examples():
    a, b = bucket_of(TABLE[:20]), bucket_of(TABLE[20:], start=20)
    merged = themes.merge([a, b])
    assert merged == bucket_of(TABLE)
    only = themes.merge([a, b], only={"คิว", "ไม่มีคำนี้"})
    assert set(only["t"]) == {"คิว"} and only["t"]["คิว"] == merged["t"]["คิว"]


def test_moments_sort_and_match_what_mongodb_keeps():
    assert themes.moment("2026-11-30T10:00:00+07:00") == "2026-11-30T03:00:00.000Z"
    # BSON keeps milliseconds: the event's time and the stored one agree
    assert themes.moment("2026-11-30T10:00:00.123456+07:00") == themes.moment(
        "2026-11-30T10:00:00.123+07:00") == "2026-11-30T03:00:00.123Z"
