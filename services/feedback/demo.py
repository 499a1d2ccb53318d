"""Demo ratings for `cfz run`: about six months of visits to the demo points
(plain module).

Seeded, so a demo looks the same every time. Every rating goes through
`FeedbackStore.submit` with its visit's time: the same validation, Zero Copy check,
redaction, moderation and outbox as a citizen's, so reporting counts the
demo from the same events (and a recount agrees).

What it shows: a few busy offices among many quiet ones, a few excellent
and a few poor ones, drivers that move with satisfaction, more ratings as
the programme rolls out, QR-verified visits, photocopies still demanded,
comments with personal data to mask and a few abusive ones waiting for a
moderator, and a few busy offices whose satisfaction fell in the last week
(so a satisfaction alert fires).
"""
import math
import random
from datetime import datetime, time, timedelta, timezone

from services.common.thai import BANGKOK
from services.feedback import schemas, tokens

SEED = 2569
DAYS = 182
# Sized so that reporting counts the demo within about 20 s of its start
# on two cores: on the embedded store a rating costs reporting ~3-5 ms.
RATINGS = 1300       # about this many at scale 1 (plus the alert points' recent weeks)
ALERT_POINTS = 3
ALERT_DROP_DAYS = 8  # their satisfaction fell this many days ago (angry people rate more)
ALERT_DAILY = (3, 8)  # ratings a weekday at those points before and since the drop
ALERT_RECENT_DAYS = 35  # the alert's 28-day baseline and 7-day window
DRIVERS = ("trust", "ease", "efficiency", "staff", "transparency")
KEY_PREFIX = "demo-"

POSITIVE = [
    "เจ้าหน้าที่บริการดีมาก ยิ้มแย้มแจ่มใส อธิบายขั้นตอนชัดเจน",
    "รวดเร็วกว่าที่คิด ใช้เวลาไม่ถึงครึ่งชั่วโมง ขอบคุณค่ะ",
    "ไม่ต้องถ่ายสำเนาบัตรประชาชนแล้ว สะดวกมาก",
    "มีบัตรคิวและที่นั่งรอเพียงพอ ห้องแอร์เย็นสบาย",
    "เจ้าหน้าที่ช่วยกรอกแบบฟอร์มให้ผู้สูงอายุ ประทับใจครับ",
    "ระบบคิวออนไลน์ใช้งานง่าย มาถึงแล้วได้รับบริการเลย",
    "บริการเป็นกันเอง แนะนำเอกสารที่ต้องใช้ครบถ้วน",
    "ขอบคุณเจ้าหน้าที่ที่อยู่ช่วยจนเสร็จแม้ใกล้เวลาปิด",
]
NEUTRAL = [
    "โดยรวมพอใช้ แต่ต้องรอคิวนานช่วงเช้า",
    "เจ้าหน้าที่สุภาพ แต่ขั้นตอนยังหลายขั้น",
    "ที่จอดรถไม่พอ ต้องจอดริมถนน",
    "ป้ายบอกทางในอาคารไม่ชัดเจน หาช่องบริการไม่เจอ",
    "ควรเปิดช่องบริการเพิ่มในช่วงพักเที่ยง",
    "ข้อมูลบนเว็บไซต์ไม่ตรงกับเอกสารที่ขอจริง",
]
NEGATIVE = [
    "รอคิวนานกว่าสามชั่วโมง มีช่องบริการเปิดแค่ช่องเดียว",
    "ถูกเรียกสำเนาบัตรประชาชนและทะเบียนบ้าน ทั้งที่ยื่นบัตรตัวจริงแล้ว",
    "เจ้าหน้าที่พูดจาไม่สุภาพ ถามอะไรก็ไม่ค่อยตอบ",
    "ระบบล่มทั้งวัน ต้องกลับมาใหม่อีกรอบ",
    "แจ้งเอกสารไม่ครบตั้งแต่แรก ต้องไปถ่ายเอกสารเพิ่มสองรอบ",
    "ไม่มีทางลาดสำหรับรถเข็น ผู้สูงอายุขึ้นบันไดลำบาก",
    "นัดให้มารับเอกสารแล้วยังไม่เสร็จ ต้องลางานมาอีกวัน",
]
# personal data a citizen typed in: masked before the comment is published
CONTACT_TAILS = [
    " ติดต่อกลับได้ที่ 081-234-5678",
    " ถ้าต้องการข้อมูลเพิ่มโทร 089 765 4321 ได้ค่ะ",
    " ส่งรายละเอียดมาที่ somchai.k@example.com ได้ครับ",
    " ไลน์ไอดี: somsri_2512 ติดต่อได้ค่ะ",
]
# abusive words (services/feedback/moderation.py): held for a moderator
ABUSIVE = [
    "บริการเฮงซวยที่สุด รอทั้งวันไม่ได้อะไรเลย",
    "เจ้าหน้าที่โง่มาก อธิบายอะไรก็ไม่เข้าใจ ให้กลับไปถ่ายเอกสารมาใหม่",
    "ระบบระยำ ล่มทุกครั้งที่มา",
    "this office is a joke, stupid queue system",
]


def _rng_for(seed, *parts):
    return random.Random("|".join(str(p) for p in (seed,) + parts))


def _sorted_points(points):
    """Points in an order that does not depend on their random ids."""
    return sorted(points, key=lambda p: (p["province_code"], p["name_en"], p["name_th"], p["id"]))


def _profile(rng, point):
    """How an office does: volume weight, quality, driver offsets, habits."""
    busy = rng.lognormvariate(0.0, 1.7)
    if "Land Transport" in point["name_en"]:
        busy *= 2.0   # a licence or tax counter sees many more people
    if point["province_code"] == "10":
        busy *= 1.5
    kind = rng.random()
    if kind < 0.06:
        quality = rng.uniform(4.5, 4.8)      # excellent
    elif kind < 0.13:
        quality = rng.uniform(2.4, 3.0)      # poor
    else:
        quality = min(4.6, max(3.2, rng.gauss(4.0, 0.3)))
    habit = rng.random()
    copies = 0.45 if habit < 0.04 else (0.15 if habit < 0.25 else 0.02)
    return {"busy": busy, "quality": quality, "copies": copies,
            "qr": rng.choice((0.0, 0.1, 0.3, 0.5, 0.7)),
            "offsets": {d: rng.gauss(0, 0.3) for d in DRIVERS}}


def _day_weights(today, days):
    """Ratings grow as the programme rolls out; offices close at weekends
    (online and phone ratings still come in)."""
    out = []
    for age in range(days - 1, -1, -1):
        day = today - timedelta(days=age)
        ramp = 0.3 + 0.7 * (days - 1 - age) / max(1, days - 1)
        out.append((day, ramp * (0.12 if day.weekday() >= 5 else 1.0)))
    return out


def _moment(rng, day, now):
    """A time during opening hours (08:30-16:30 Bangkok), never after `now`."""
    for _ in range(20):
        minute = rng.randint(8 * 60 + 30, 16 * 60 + 29)
        local = datetime.combine(day, time(minute // 60, minute % 60, rng.randint(0, 59)), BANGKOK)
        moment = local.astimezone(timezone.utc)
        if moment <= now:
            return moment
    return None


def _score(value):
    return max(1, min(5, int(math.floor(value + 0.5))))


def _copies(rng, service):
    """Documents a citizen was asked to photocopy: mostly the ID card and
    house registration (government-issued: always a breach)."""
    documents = (service or {}).get("documents") or []
    if not documents:
        return ["สำเนาบัตรประจำตัวประชาชน"]   # the point never declared: undeclared
    government = [d["name_th"] for d in documents if d["government_issued"]]
    others = [d["name_th"] for d in documents if not d["government_issued"]]
    pool = government * 3 + others
    return sorted(set(rng.sample(pool, min(len(pool), rng.choice((1, 1, 2))))))


def _comment(rng, satisfaction):
    if rng.random() > (0.35 if satisfaction <= 2 else 0.18):
        return None
    text = rng.choice(NEGATIVE if satisfaction <= 2 else NEUTRAL if satisfaction == 3 else POSITIVE)
    if rng.random() < 0.06:
        text += rng.choice(CONTACT_TAILS)
    return text


def _rating(rng, point, profile, moment, quality):
    services = point.get("services") or []
    service = rng.choice(services) if services else None
    channel = rng.choices(("walk_in", "online", "phone"), (0.78, 0.14, 0.08))[0]
    data = {"channel": channel, "service_code": service["service_code"] if service else None}
    copies = []
    if channel == "walk_in" and rng.random() < profile["copies"]:
        copies = _copies(rng, service)
        quality -= 0.3   # being sent to the photocopier annoys
    latent = quality + rng.gauss(0, 0.85)
    answers = {"satisfaction": _score(latent)}
    if rng.random() < 0.75:   # most answer the drivers too
        for driver in DRIVERS:
            answers[driver] = _score(latent + profile["offsets"][driver] + rng.gauss(0, 0.6))
    data["answers"] = answers
    if copies:
        data["copies_requested"] = copies
    comment = _comment(rng, answers["satisfaction"])
    if comment:
        data["comment"] = comment
    verified = channel == "walk_in" and rng.random() < profile["qr"]
    return {"point": point, "data": data, "at": moment, "verified": verified}


def plan(points, now, seed=SEED, scale=1.0, days=DAYS):
    """Every demo rating, oldest first: [{point, data, at, verified, key}]."""
    today = now.astimezone(BANGKOK).date()
    ordered = _sorted_points([p for p in points if p.get("status", "open") == "open"])
    if not ordered:
        return []
    rng = _rng_for(seed, "feedback")
    profiles = [_profile(rng, p) for p in ordered]
    weights = _day_weights(today, days)
    day_list = [d for d, _ in weights]
    cumulative = []
    running = 0.0
    for _, w in weights:
        running += w
        cumulative.append(running)
    # the busiest of the rest get a drop in the last days
    by_volume = sorted(range(len(ordered)), key=lambda i: (-profiles[i]["busy"], i))
    alerting = set(by_volume[1:1 + ALERT_POINTS])
    drop_from = today - timedelta(days=ALERT_DROP_DAYS - 1)
    recent_from = today - timedelta(days=ALERT_RECENT_DAYS - 1)
    total_busy = sum(p["busy"] for p in profiles)
    ratings = []
    for index, (point, profile) in enumerate(zip(ordered, profiles)):
        prng = _rng_for(seed, "point", index)
        expected = RATINGS * scale * profile["busy"] / total_busy
        count = _poisson(prng, expected)
        days_drawn = prng.choices(day_list, cum_weights=cumulative, k=count)
        if index in alerting:
            profile["quality"] = max(profile["quality"], 4.2)
            days_drawn = [d for d in days_drawn if d < recent_from]
            for age in range(ALERT_RECENT_DAYS):
                day = today - timedelta(days=age)
                daily = ALERT_DAILY[day >= drop_from] if day.weekday() < 5 else 1
                days_drawn.extend([day] * daily)
        for day in days_drawn:
            moment = _moment(prng, day, now)
            if moment is None:
                continue
            quality = profile["quality"]
            if index in alerting and day >= drop_from:
                quality -= 1.4   # a broken queue system, a new counter team...
            ratings.append(_rating(prng, point, profile, moment, quality))
    ratings.sort(key=lambda r: (r["at"], r["point"]["id"]))
    _add_abusive(rng, ratings, max(2, round(len(ABUSIVE) * min(1.0, scale))))
    for number, rating in enumerate(ratings):
        rating["key"] = "{}{}-{:06d}".format(KEY_PREFIX, seed, number)
    return ratings


def _poisson(rng, mean):
    if mean <= 0:
        return 0
    if mean > 50:   # normal approximation: Knuth's product underflows
        return max(0, int(round(rng.gauss(mean, math.sqrt(mean)))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _add_abusive(rng, ratings, count):
    """A few unhappy citizens who swore: their comments wait for moderation."""
    unhappy = [r for r in ratings if r["data"]["answers"]["satisfaction"] <= 2]
    for rating, text in zip(rng.sample(unhappy, min(count, len(unhappy))), ABUSIVE):
        rating["data"]["comment"] = text


def first_key(seed=SEED):
    return "{}{}-{:06d}".format(KEY_PREFIX, seed, 0)


def load(feedback_store, points, secret, now=None, seed=SEED, scale=1.0, pause=None):
    """Submit the demo ratings to `feedback_store` (a FeedbackStore) unless
    they are there; a summary.

    `points` are the registry's views (its open_points payloads); `secret`
    signs the visit tokens of verified ratings; `pause()` is called now and
    then so a long load does not starve the rest of the process."""
    now = now or datetime.now(timezone.utc)
    if feedback_store.has_idempotency_key(first_key(seed)):
        return {"loaded": False, "ratings": feedback_store.count_ratings()}
    schema = schemas.FeedbackSubmission()
    counts = {"ratings": 0, "verified": 0, "breaches": 0, "pending_comments": 0}
    for number, rating in enumerate(plan(points, now, seed, scale)):
        point, at = rating["point"], rating["at"]
        data = schema.load(rating["data"])
        claims = None
        if rating["verified"]:
            # the counter's QR code scanned on the day of the visit
            service = data.get("service_code")
            issued = tokens.issue_counter_visit(
                secret, point["id"], service, tokens.counter_code(secret, point["id"], service),
                "demo-device-{}".format(number), now=at)
            claims = tokens.verify_visit(secret, issued["visit_token"], point["id"], now=at)
        answer = feedback_store.submit(point, data, claims, rating["key"], now=at)
        counts["ratings"] += 1
        counts["verified"] += answer.get("verified", False)
        counts["breaches"] += bool(answer.get("zero_copy_breaches"))
        counts["pending_comments"] += answer["comment_status"] == "pending"
        if pause and number % 200 == 199:
            pause()
    return dict(counts, loaded=True)
