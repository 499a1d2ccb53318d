"""Demo complaints for `cfz run`: about six months of complaints about the
demo points, in every state (plain module).

Seeded, so a demo looks the same every time (tracking codes aside: they are
drawn like real ones). Each complaint is filed, relayed, handled, rated and
reopened through the ComplaintStore's own operations, at the times the
story says: the same validation, history, SLA and outbox as a real
complaint, so reporting's copies come from the same events (and a recount
agrees).
When a PMOC client is given, complaints are relayed to it for real (the
stand-in of `cfz run`), with the relay's own bookkeeping.
"""
import random
from datetime import datetime, time, timedelta, timezone

from services.common.actor import OFFICER, Actor
from services.common.thai import BANGKOK
from services.complaints import lifecycle, relay, schemas

SEED = 2569
DAYS = 182
COMPLAINTS = 200   # at scale 1
KEY_PREFIX = "demo-complaint-"

CATEGORY_WEIGHTS = {
    "SERVICE-DELAY": 24, "STAFF-CONDUCT": 14, "COPY-DEMANDED": 13, "INFORMATION": 10,
    "FACILITY": 10, "FEE-ISSUE": 6, "ROAD-PUBLIC-WORKS": 8, "NUISANCE": 6, "CORRUPTION": 3,
    "OTHER": 6,
}
DESCRIPTIONS = {
    "SERVICE-DELAY": [
        "ยื่นคำขอตั้งแต่ต้นเดือน คู่มือสำหรับประชาชนกำหนดไว้ 7 วันทำการ แต่จนถึงวันนี้ยังไม่ได้รับเอกสาร",
        "รอคิวตั้งแต่ 8 โมงเช้าจนบ่ายสามโมง เปิดช่องบริการเพียงช่องเดียว เจ้าหน้าที่ส่วนใหญ่ไปประชุม",
        "นัดรับเอกสารแล้วสองครั้งแต่ยังไม่เสร็จ ต้องลางานมาเองทุกครั้ง ขอให้เร่งรัดด้วย",
    ],
    "STAFF-CONDUCT": [
        "เจ้าหน้าที่ช่องบริการพูดจาไม่สุภาพ ตะคอกใส่ผู้สูงอายุที่กรอกแบบฟอร์มไม่ถูก",
        "เจ้าหน้าที่เล่นโทรศัพท์ระหว่างให้บริการ ถามขั้นตอนแล้วไม่ตอบ ให้ไปถามคนอื่นเอง",
        "เจ้าหน้าที่ไม่อยู่ประจำโต๊ะช่วงบ่าย ประชาชนรอกันหลายสิบคน",
    ],
    "COPY-DEMANDED": [
        "เจ้าหน้าที่ขอสำเนาบัตรประชาชนและสำเนาทะเบียนบ้าน ทั้งที่ยื่นบัตรตัวจริงแล้ว และหน่วยงานประกาศว่าไม่ต้องใช้สำเนา",
        "ถูกให้ไปถ่ายสำเนาโฉนดที่ดินร้านข้างนอก ร้านคิดแผ่นละ 5 บาท ทั้งที่ทางราชการออกเอกสารเอง",
        "ต้องถ่ายสำเนาเล่มทะเบียนรถและเซ็นรับรองสำเนาทุกหน้า ระบบเชื่อมข้อมูลน่าจะตรวจได้อยู่แล้ว",
    ],
    "INFORMATION": [
        "เว็บไซต์แจ้งว่าเปิดวันเสาร์ แต่มาถึงแล้วปิด เสียเวลาเดินทางมาจากอำเภออื่น",
        "รายการเอกสารที่ประกาศไว้ไม่ตรงกับที่เจ้าหน้าที่ขอจริง ต้องกลับไปเอาเอกสารเพิ่ม",
        "โทรสอบถามเบอร์สำนักงานไม่มีคนรับสาย ข้อมูลค่าธรรมเนียมในป้ายประกาศไม่ชัดเจน",
    ],
    "FACILITY": [
        "ไม่มีทางลาดและห้องน้ำสำหรับคนพิการ ผู้ใช้รถเข็นต้องให้คนช่วยยกขึ้นบันได",
        "ที่จอดรถไม่เพียงพอ ต้องจอดริมถนนใหญ่ และถูกเจ้าหน้าที่จราจรเรียกปรับ",
        "เก้าอี้ที่นั่งรอไม่พอ เครื่องปรับอากาศเสีย ผู้สูงอายุต้องยืนรอกลางแดด",
    ],
    "FEE-ISSUE": [
        "ถูกเรียกเก็บค่าธรรมเนียม 200 บาท แต่ประกาศของกรมกำหนดไว้ 100 บาท และไม่ได้รับใบเสร็จ",
        "เจ้าหน้าที่เรียกค่าดำเนินการเร่งด่วนเพิ่ม ซึ่งไม่มีในระเบียบ",
    ],
    "ROAD-PUBLIC-WORKS": [
        "ถนนหน้าสำนักงานเป็นหลุมลึกหลายจุด รถจักรยานยนต์ล้มเมื่อคืน แจ้งเทศบาลแล้วยังไม่ซ่อม",
        "ไฟฟ้าส่องสว่างบนถนนเข้าหมู่บ้านดับมาสองสัปดาห์ ตอนกลางคืนมืดมาก ไม่ปลอดภัย",
        "ทางเท้าชำรุด แผ่นปูนแตกยกตัว คนเดินสะดุดล้มบ่อย",
    ],
    "NUISANCE": [
        "ร้านค้าข้างสำนักงานเปิดเพลงเสียงดังถึงตีสอง รบกวนการพักผ่อนของชาวบ้าน",
        "มีการเผาขยะในที่ดินว่างใกล้ชุมชนทุกเย็น ควันเข้าบ้าน เด็กเป็นโรคหอบ",
        "ขยะหน้าตลาดไม่มีการเก็บมาหนึ่งสัปดาห์ ส่งกลิ่นเหม็นและมีแมลงวันจำนวนมาก",
    ],
    "CORRUPTION": [
        "เจ้าหน้าที่บอกว่าถ้าอยากได้เร็วให้จ่ายเพิ่ม 500 บาท โดยไม่มีใบเสร็จ",
        "มีนายหน้าหน้าสำนักงานรับเดินเรื่องแทนโดยอ้างว่ารู้จักเจ้าหน้าที่ข้างใน คิดค่าบริการสูงมาก",
    ],
    "OTHER": [
        "ขอให้เพิ่มช่องทางนัดหมายออนไลน์ เพราะคนทำงานไม่สามารถมาในเวลาราชการได้",
        "ระบบบัตรคิวอัตโนมัติเสียบ่อย ขอให้ปรับปรุง",
    ],
}
FIRST_NAMES = ["สมชาย", "สมศรี", "วิชัย", "มาลี", "ประเสริฐ", "สุดารัตน์", "อนุชา", "กาญจนา", "ธนพล", "พิมพ์ชนก"]
LAST_NAMES = ["ใจดี", "ศรีสุข", "แสงทอง", "บุญมา", "วงศ์ไทย", "ทองคำ", "รักษ์ไทย", "มั่นคง"]
NOTES = {
    lifecycle.ACCEPTED: "รับเรื่องแล้ว มอบหมายงานบริการประชาชนตรวจสอบ",
    lifecycle.IN_PROGRESS: "อยู่ระหว่างตรวจสอบข้อเท็จจริงกับเจ้าหน้าที่ที่เกี่ยวข้อง",
    lifecycle.RESOLVED: "ดำเนินการแก้ไขแล้ว และชี้แจงผู้ร้องเรียนทางโทรศัพท์",
    lifecycle.REJECTED: "ตรวจสอบแล้วไม่พบข้อเท็จจริงตามที่ร้องเรียน เอกสารที่ขอเป็นไปตามระเบียบ",
    lifecycle.FORWARDED: "เรื่องอยู่ในอำนาจหน้าที่ของหน่วยงานอื่น ส่งต่อผ่านศูนย์ดำรงธรรมจังหวัดแล้ว",
}
REOPEN_REASON = "ปัญหายังเกิดขึ้นอีกเมื่อไปรับบริการครั้งล่าสุด"
RATING_COMMENTS = {5: "แก้ไขรวดเร็ว ขอบคุณมากครับ", 4: "ได้รับการชี้แจงแล้ว", 2: "ใช้เวลานานเกินไป",
                   1: "ไม่ได้แก้ปัญหาจริง"}
DEAD_LETTER_REASON = "PMOC refused with 422: address_string is not a Thai address"
DEAD_LETTERS = 2
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _rng(seed, *parts):
    return random.Random("|".join(str(p) for p in (seed,) + parts))


def _filed_at(rng, today, days, now):
    """More complaints as the programme became known; any day, 07:00-22:00."""
    for _ in range(20):
        age = int(days * (1 - rng.random() ** 0.7))   # skewed towards recent days
        day = today - timedelta(days=min(days - 1, age))
        minute = rng.randint(7 * 60, 22 * 60 - 1)
        moment = datetime.combine(day, time(minute // 60, minute % 60), BANGKOK).astimezone(timezone.utc)
        if moment < now - HOUR:
            return moment
    return now - 2 * HOUR


def _body(rng, point, category):
    body = {"category": category, "description": rng.choice(DESCRIPTIONS[category]),
            "service_point_id": point["id"]}
    if rng.random() < 0.12:
        body["anonymous"] = True
    if rng.random() < 0.75:
        body["contact"] = {"first_name": rng.choice(FIRST_NAMES), "last_name": rng.choice(LAST_NAMES),
                           "phone": "08{}-{:03d}-{:04d}".format(rng.randint(1, 9), rng.randint(0, 999),
                                                               rng.randint(0, 9999))}
    if rng.random() < 0.2:
        body["media_urls"] = ["https://example.org/cfz-demo/photo-{}.jpg".format(rng.randint(1000, 9999))]
    return body


def _story(rng, filed_at, sla_days, now):
    """What happens to a complaint: [(status, at)], the rating, a reopen.

    Older complaints are mostly closed (a few resolved late, a few still
    open past their SLA: overdue); recent ones are still being handled."""
    age = (now - filed_at) / DAY
    sla = timedelta(days=sla_days)
    steps = [(lifecycle.ACCEPTED, filed_at + timedelta(hours=rng.uniform(3, 48)))]
    steps.append((lifecycle.IN_PROGRESS, steps[-1][1] + timedelta(hours=rng.uniform(4, 96))))
    x = rng.random()
    closed_share = 0.93 if age > 45 else 0.65 if age > sla_days else 0.3 if age > 3 else 0.0
    if x < closed_share:
        y = rng.random()
        late = rng.random() < 0.2
        took = sla * (rng.uniform(1.05, 2.0) if late else rng.uniform(0.15, 0.95))
        end = filed_at + took
        target = (lifecycle.RESOLVED if y < 0.8 else lifecycle.REJECTED if y < 0.9
                  else lifecycle.FORWARDED)
        if target == lifecycle.FORWARDED:
            steps = steps[:1]   # passed on soon after it was read
            end = steps[0][1] + timedelta(hours=rng.uniform(2, 48))
        steps.append((target, max(end, steps[-1][1] + HOUR)))
    else:
        # still open: stopped at accepted, in progress or not yet accepted
        steps = steps[:rng.choice((0, 1, 2, 2))]
    steps = [(status, at) for status, at in steps if at < now - HOUR / 2]
    rating = None
    reopen_at = None
    if steps and steps[-1][0] in (lifecycle.RESOLVED, lifecycle.REJECTED) and rng.random() < 0.55:
        closed_at = steps[-1][1]
        rated_at = closed_at + timedelta(hours=rng.uniform(2, 72))
        if rated_at < now:
            good = steps[-1][0] == lifecycle.RESOLVED and closed_at <= filed_at + sla
            rating = (rng.choices((5, 4, 3, 2, 1), (40, 35, 12, 8, 5))[0] if good
                      else rng.choices((5, 4, 3, 2, 1), (5, 15, 25, 30, 25))[0])
            rating = (rating, rated_at)
    if (steps and steps[-1][0] == lifecycle.RESOLVED and rating is None
            and now - steps[-1][1] < timedelta(days=25) and rng.random() < 0.25):
        reopen_at = steps[-1][1] + timedelta(days=rng.uniform(1, 4))
        if reopen_at >= now:
            reopen_at = None
    return steps, rating, reopen_at


def plan(points, now, seed=SEED, scale=1.0, days=DAYS, sla_days=15):
    """Every demo complaint, oldest first: [{point, body, filed_at, steps,
    rating, reopen_at, dead_letter, key}]."""
    today = now.astimezone(BANGKOK).date()
    ordered = sorted((p for p in points if p.get("status", "open") == "open"),
                     key=lambda p: (p["province_code"], p["name_en"], p["name_th"], p["id"]))
    if not ordered:
        return []
    rng = _rng(seed, "complaints")
    categories, weights = zip(*CATEGORY_WEIGHTS.items())
    complaints = []
    for number in range(max(12, round(COMPLAINTS * scale))):
        crng = _rng(seed, "complaint", number)
        point = ordered[int(len(ordered) * rng.random() ** 1.6)]   # some points draw many
        category = crng.choices(categories, weights)[0]
        filed_at = _filed_at(crng, today, days, now)
        steps, rating, reopen_at = _story(crng, filed_at, sla_days, now)
        complaints.append({"point": point, "body": _body(crng, point, category),
                           "filed_at": filed_at, "steps": steps, "rating": rating,
                           "reopen_at": reopen_at, "dead_letter": False})
    complaints.sort(key=lambda c: c["filed_at"])
    if not any(c["reopen_at"] for c in complaints):
        # a small demo still shows a reopened complaint: the latest resolved one
        for complaint in reversed(complaints):
            steps = complaint["steps"]
            if steps and steps[-1][0] == lifecycle.RESOLVED and now - steps[-1][1] > DAY:
                complaint["rating"] = None
                complaint["reopen_at"] = steps[-1][1] + min((now - steps[-1][1]) / 2,
                                                            timedelta(days=20))
                break
    # a couple PMOC refused: they wait, received, for an operator
    fresh = [c for c in complaints if not c["steps"]]
    for complaint in fresh[-DEAD_LETTERS:]:
        complaint["dead_letter"] = True
    for number, complaint in enumerate(complaints):
        complaint["key"] = "{}{}-{:05d}".format(KEY_PREFIX, seed, number)
    return complaints


def first_key(seed=SEED):
    return "{}{}-{:05d}".format(KEY_PREFIX, seed, 0)


def load(complaints, points, agencies, settings, client=None, pool=None, now=None, seed=SEED,
         scale=1.0, pause=None):
    """File and handle the demo complaints in `complaints` (the
    ComplaintStore) unless they are there; a summary.

    `points` are the registry's point payloads, `agencies` {id: agency view},
    `settings` the relay settings (SLA days, attempts), `client` a PMOC
    client (None: complaints stay pending for the relay timer) and `pool`
    runs relay attempts side by side (anything with `imap`)."""
    now = now or datetime.now(timezone.utc)
    if complaints.is_replay(first_key(seed)):
        return {"loaded": False, "complaints": complaints.count()}
    create, change = schemas.ComplaintCreate(), schemas.StatusChange()
    sla = (settings.sla_default, settings.sla_overrides)
    items = plan(points, now, seed, scale, sla_days=settings.sla_default)
    claims = []
    for item in items:
        point = item["point"]
        view, _ = complaints.file(create.load(item["body"]), point,
                                  agencies.get(point["agency_id"]), item["key"], sla,
                                  now=item["filed_at"])
        item["id"], item["code"] = view["complaint_id"], view["tracking_code"]
        if client is not None or item["dead_letter"]:
            # claimed at once (the relay's own lease), so the relay timer
            # leaves it to this load, which relays it at the story's time
            claims.extend((item, doc)
                          for doc in complaints.claim_due(now, settings.lease_seconds, 1)
                          if doc["_id"] == item["id"])
    relay_all(complaints, client, settings, claims, pool or map)
    for number, item in enumerate(items):
        officer = Actor(account_id="demo-officer", role=OFFICER,
                        agency_id=item["point"]["agency_id"])
        for status, at in item["steps"]:
            step = change.load({"status": status, "note": NOTES[status]})
            complaints.change_status(officer, item["id"], step["status"], step["note"], now=at)
        if item["rating"]:
            score, at = item["rating"]
            complaints.rate(item["code"], score, RATING_COMMENTS.get(score), now=at)
        if item["reopen_at"]:
            complaints.reopen(item["code"], REOPEN_REASON, sla, now=item["reopen_at"])
        if pause and number % 20 == 19:
            pause()
    counts = {}
    for item in items:
        status = complaints.get(item["id"])["status"]
        counts[status] = counts.get(status, 0) + 1
    return {"loaded": True, "complaints": len(items), "by_status": counts,
            "relayed": complaints.relay_counts()}


def relay_all(complaints, client, settings, claims, imap):
    """Relay each claimed complaint two minutes after it was filed, through
    the relay's own attempt and bookkeeping; PMOC refuses the dead letters."""
    def attempt(claim):
        item, doc = claim
        at = item["filed_at"] + timedelta(minutes=2)
        if item["dead_letter"]:
            complaints.record_failure(doc, DEAD_LETTER_REASON, None, at)
            return "dead_letter"
        return relay.relay_one(complaints, client, doc, settings, now_fn=lambda: at)[0]
    return list(imap(attempt, claims))
