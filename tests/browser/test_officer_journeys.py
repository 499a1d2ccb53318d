"""The programme's flow in the officer app, on a phone: register an agency,
the administrator approves it in the UI, the officer pins a point with "use
my location" (the page waits for a good fix), declares services and copies,
prints the QR poster (decoded here), a citizen rates through it; moderation;
a complaint handled to resolution; bad input; offline creation; another
agency's point."""
import io
import re
import time
import uuid

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import ADMIN

pytestmark = pytest.mark.browser
CHIANG_MAI = {"latitude": 18.7953, "longitude": 98.9862}


def log_in(page, base, who):
    page.goto(base + "/officer/login")
    page.get_by_label("ชื่อผู้ใช้").fill(who["username"])
    page.get_by_label("รหัสผ่าน").fill(who["password"])
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page).to_have_url(re.compile(r"/officer$"))


def register_and_approve(site, officer_phone, admin_phone):
    suffix = uuid.uuid4().hex[:6]
    who = {"username": "officer-" + suffix, "password": "correct horse battery " + suffix}
    page = officer_phone.page
    page.goto(site.base + "/officer/register")
    page.get_by_label("ชื่อหน่วยงาน (ไทย)").fill("สำนักงานทดสอบ " + suffix)
    page.get_by_label("ชื่อหน่วยงาน (อังกฤษ)").fill("Test Office " + suffix)
    page.get_by_label("กระทรวง / สังกัด").fill("กระทรวงมหาดไทย")
    page.get_by_label("อีเมลติดต่อหน่วยงาน").fill("office{}@example.go.th".format(suffix))
    page.get_by_label("ชื่อผู้ใช้").fill(who["username"])
    page.get_by_label(re.compile("^รหัสผ่าน")).fill(who["password"])
    page.get_by_role("button", name="ลงทะเบียนหน่วยงาน").click()
    expect(page.get_by_role("heading", name="ส่งคำขอแล้ว รอการอนุมัติ")).to_be_visible()
    officer_phone.shot("registered")
    # before approval the login says so, in Thai
    page.goto(site.base + "/officer/login")
    page.get_by_label("ชื่อผู้ใช้").fill(who["username"])
    page.get_by_label("รหัสผ่าน").fill(who["password"])
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    expect(page.get_by_text("บัญชีนี้รอผู้ดูแลระบบอนุมัติ")).to_be_visible()

    admin = admin_phone.page
    log_in(admin, site.base, ADMIN)
    admin.get_by_role("link", name="อนุมัติหน่วยงาน").click()
    row = admin.locator("#pending li", has_text="สำนักงานทดสอบ " + suffix)
    row.get_by_role("button", name="อนุมัติ", exact=True).click()
    expect(admin.get_by_text("อนุมัติแล้ว: สำนักงานทดสอบ " + suffix)).to_be_visible()
    admin_phone.shot("approved")
    return who


def test_register_pin_survey_poster_rate_moderate_and_answer_a_complaint(site, phone_factory):
    officer_phone = phone_factory(geolocation=dict(CHIANG_MAI, accuracy=120))
    admin_phone, citizen = phone_factory(), phone_factory()
    who = register_and_approve(site, officer_phone, admin_phone)
    page = officer_phone.page
    log_in(page, site.base, who)
    page.get_by_role("link", name="ปักหมุดจุดบริการใหม่").click()
    baseline_bangkok = site.api("GET", "/api/v1/service-points",
                                params={"province_code": "10", "limit": 1}).json()["total"]

    # bad input first: the fields' own messages, nothing written
    page.get_by_label("ละติจูด").fill("10.0")
    page.get_by_label("ลองจิจูด").fill("101.5")
    page.get_by_label("ลองจิจูด").press("Tab")
    expect(page.locator("#pin-province")).to_have_text("ตำแหน่งนี้อยู่นอกประเทศไทย")  # at once, as the pin moves
    page.get_by_role("button", name="บันทึกจุดบริการ").click()
    expect(page.locator("#err-location")).to_have_text("ตำแหน่งนี้อยู่นอกประเทศไทย")
    expect(page.locator("#f-name_th").locator("xpath=..").get_by_text("กรุณากรอกช่องนี้")).to_be_visible()
    officer_phone.shot("bad-input")
    # a pin in Chiang Mai for a point said to be in Bangkok: told before sending, refused on sending
    page.get_by_label("จังหวัด").select_option("10")
    page.get_by_label("ละติจูด").fill(str(CHIANG_MAI["latitude"]))
    page.get_by_label("ลองจิจูด").fill(str(CHIANG_MAI["longitude"]))
    page.get_by_label("ลองจิจูด").press("Tab")
    expect(page.locator("#pin-province")).to_have_text(
        "หมุดอยู่ที่ เชียงใหม่ ไม่ตรงกับจังหวัดที่เลือก กรุณาย้ายหมุดหรือเปลี่ยนจังหวัด")
    page.get_by_label("ชื่อจุดบริการ (ไทย)").fill("ที่ว่าการอำเภอทดสอบ")
    page.get_by_label("ชื่อจุดบริการ (อังกฤษ)").fill("Test District Office")
    page.get_by_label("ที่อยู่").fill("ถนนช้างเผือก อำเภอเมืองเชียงใหม่")
    page.get_by_role("button", name="บันทึกจุดบริการ").click()
    expect(page.locator("#err-location")).to_have_text(
        "ตำแหน่งนี้อยู่ในจังหวัดเชียงใหม่ ไม่ใช่กรุงเทพมหานครที่เลือกไว้ กรุณาย้ายหมุดหรือเลือกจังหวัดให้ถูกต้อง")
    officer_phone.shot("other-province")
    assert site.api("GET", "/api/v1/service-points", params={"province_code": "10", "limit": 200}).json()[
        "total"] == baseline_bangkok  # nothing was written

    page.get_by_label("ชื่อจุดบริการ (ไทย)").fill("ที่ว่าการอำเภอทดสอบ")
    page.get_by_label("ชื่อจุดบริการ (อังกฤษ)").fill("Test District Office")
    page.get_by_label("ที่อยู่").fill("ถนนช้างเผือก อำเภอเมืองเชียงใหม่")
    page.get_by_label("จังหวัด").select_option("50")
    expect(page.locator("#pin-province")).to_have_text("หมุดอยู่ที่: เชียงใหม่")
    # "use my location": a 120 m fix is not accepted; the page waits for 15 m
    page.get_by_role("button", name="ใช้ตำแหน่งของฉัน (GPS)").click()
    expect(page.locator("#gps-status")).to_contain_text("±120 ม.")
    expect(page.get_by_role("button", name="ใช้ตำแหน่งนี้")).to_be_visible()
    officer_phone.shot("gps-120")
    officer_phone.context.set_geolocation(dict(CHIANG_MAI, accuracy=15))
    expect(page.locator("#gps-status")).to_contain_text("ได้ตำแหน่งแล้ว ±15 ม.", timeout=15000)
    officer_phone.shot("gps-15")
    page.get_by_role("button", name="บันทึกจุดบริการ").click()
    expect(page.get_by_text("บันทึกจุดบริการแล้ว")).to_be_visible()
    point_id = page.url.split("/officer/points/")[1].split("?")[0]
    point = site.api("GET", "/api/v1/service-points/" + point_id).json()
    assert point["pin"]["method"] == "gps" and point["pin"]["accuracy_m"] == 15

    # the survey: two services from the manual, one copy still demanded
    search = page.get_by_label("เพิ่มงานบริการ (ค้นจากคู่มือสำหรับประชาชน)")
    cards = page.locator("#survey .card")
    search.fill("บัตรประชาชนหาย")
    page.locator("#service-results button", has_text="สูญหาย").first.click()
    expect(cards).to_have_count(1)
    search.fill("ย้ายเข้า")
    page.locator("#service-results button", has_text="ย้ายเข้า").first.click()
    expect(cards).to_have_count(2)
    first_doc = cards.nth(1).locator("li.doc").first
    first_doc.get_by_label("ยังขอสำเนา", exact=True).check()
    page.get_by_role("button", name="บันทึกการสำรวจ").click()
    expect(first_doc.get_by_text("กรุณาระบุเหตุผลที่ยังขอสำเนา")).to_be_visible()
    first_doc.get_by_label("เหตุผลที่ยังขอสำเนา").fill("ระบบเชื่อมโยงข้อมูลยังไม่พร้อม")
    first_doc.get_by_label("วันที่จะเลิกขอสำเนา").fill("2027-03-31")
    page.get_by_role("button", name="บันทึกการสำรวจ").click()
    expect(page.locator("#survey-status")).to_have_text("บันทึกแล้ว")
    officer_phone.shot("surveyed")
    services = site.api("GET", "/api/v1/service-points/{}/services".format(point_id)).json()
    demanded = [d for s in services["services"] for d in (s["documents"] or []) if d["copy_required"]]
    assert [(d["copy_reason"], d["copy_planned_end_date"]) for d in demanded] == \
        [("ระบบเชื่อมโยงข้อมูลยังไม่พร้อม", "2027-03-31")]

    # the QR poster: decode the code the page shows, as a phone camera would
    page.get_by_role("link", name="พิมพ์ QR code").click()
    qr = page.locator("#qr")
    expect(qr).to_have_attribute("data-url", re.compile("/feedback"))
    page.wait_for_function("document.getElementById('qr').naturalWidth > 0")
    officer_phone.shot("poster")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert decoded, "the poster's QR code cannot be read"
    url = decoded[0].text
    assert url.startswith(site.base + "/feedback?") and "point=" + point_id in url

    # a citizen rates through it, with a comment that waits for moderation
    cpage = citizen.page
    cpage.goto(url)
    expect(cpage.get_by_text("ยืนยันการมาใช้บริการแล้ว")).to_be_visible()
    cpage.locator("label[for=satisfaction-2]").click()
    cpage.get_by_label(re.compile("ความคิดเห็น|ข้อเสนอแนะ")).fill("เจ้าหน้าที่พูดจาเหมือนควาย รอนานมาก")
    cpage.get_by_role("button", name="ส่งแบบประเมิน").click()
    expect(cpage.get_by_text("จะเผยแพร่หลังเจ้าหน้าที่ตรวจสอบ")).to_be_visible()

    # moderation: the original with the matched word highlighted; edit and publish
    page.goto(site.base + "/officer/moderation")
    item = page.locator("#queue li").first
    expect(item.locator("mark")).to_have_text("ควาย")
    officer_phone.shot("moderation")
    item.get_by_label("แก้ไขแล้วเผยแพร่").fill("เจ้าหน้าที่พูดจาไม่สุภาพ รอนานมาก")
    item.get_by_role("button", name="แก้ไขแล้วเผยแพร่").click()
    expect(page.get_by_text("ไม่มีความคิดเห็นที่รอตรวจ")).to_be_visible()
    cpage.goto(site.base + "/points/" + point_id)
    expect(cpage.locator("#comments")).to_contain_text("เจ้าหน้าที่พูดจาไม่สุภาพ")
    # the rating counts in the point's results (reporting follows its events)
    deadline = time.monotonic() + 30
    while "1 คน" not in cpage.locator("#satisfaction").inner_text() and time.monotonic() < deadline:
        cpage.wait_for_timeout(500)
        cpage.reload()
    expect(cpage.locator("#satisfaction")).to_contain_text("1 คน")
    expect(cpage.locator("#pin")).to_have_text("ปักหมุดที่จุดบริการ (GPS ±15 ม.)")

    # a complaint about the point, handled in the inbox, seen on the tracking page
    filed = site.api("POST", "/api/v1/complaints", json={
        "category": "STAFF-CONDUCT", "description": "เจ้าหน้าที่ไม่สุภาพ", "service_point_id": point_id,
        "contact": {"phone": "081-234-5678"}}).json()
    page.goto(site.base + "/officer/complaints")
    page.locator("#inbox a.title").first.click()
    expect(page.get_by_text("phone: 0812345678")).to_be_visible()
    page.get_by_label("เปลี่ยนสถานะ").select_option("in_progress")
    page.get_by_role("button", name="รับเรื่องแล้ว กำลังตรวจสอบข้อเท็จจริง").click()
    page.get_by_role("button", name="บันทึก").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("อยู่ระหว่างดำเนินการ")
    page.get_by_label("เปลี่ยนสถานะ").select_option("resolved")
    page.get_by_role("button", name="ได้ดำเนินการแก้ไขแล้ว ขอบคุณที่แจ้ง").click()
    page.get_by_role("button", name="บันทึก").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("แก้ไขเสร็จสิ้น")
    officer_phone.shot("complaint")
    cpage.goto(site.base + "/track/" + filed["tracking_code"])
    expect(cpage.get_by_role("heading", name="แก้ไขเสร็จสิ้น")).to_be_visible()
    expect(cpage.locator("#history")).to_contain_text("ได้ดำเนินการแก้ไขแล้ว ขอบคุณที่แจ้ง")

    # the agency administrator sees each change in the audit trail and adds an officer
    page.goto(site.base + "/officer/audit")
    expect(page.locator("#audit li").first).to_be_visible()
    assert page.locator("#audit li").count() >= 3  # created, surveyed twice
    expect(page.locator("#audit")).to_contain_text("ระบบเชื่อมโยงข้อมูลยังไม่พร้อม")
    # the moderation and the complaint's changes, from their events, in Thai
    resolved = page.locator("#audit li[data-action='complaint.status']", has_text="หลัง แก้ไขเสร็จสิ้น")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
            resolved.count() and page.locator("#audit li[data-action='comment.moderate']").count()):
        page.wait_for_timeout(500)
        page.reload()
    expect(resolved.locator("[data-field=status]")).to_have_text(
        "สถานะ: ก่อน อยู่ระหว่างดำเนินการ → หลัง แก้ไขเสร็จสิ้น")
    expect(resolved.locator("strong")).to_have_text("เปลี่ยนสถานะเรื่องร้องเรียน")
    moderated = page.locator("#audit li[data-action='comment.moderate']")
    expect(moderated.locator("[data-field=status]")).to_have_text("สถานะ: ก่อน รอตรวจ → หลัง เผยแพร่แล้ว")
    expect(moderated.locator("[data-field=comment]")).to_contain_text("หลัง เจ้าหน้าที่พูดจาไม่สุภาพ รอนานมาก")
    officer_phone.shot("audit")
    page.goto(site.base + "/officer/officers")
    page.get_by_label("ชื่อผู้ใช้").fill(who["username"] + "-b")
    page.get_by_label(re.compile("^รหัสผ่าน")).fill("another long password 42")
    page.get_by_role("button", name="เพิ่มเจ้าหน้าที่").click()
    expect(page.locator("#officers")).to_contain_text(who["username"] + "-b")

    # another agency's point cannot be opened for editing
    other = site.api("GET", "/api/v1/service-points", params={"limit": 1}).json()["results"][0]
    page.goto(site.base + "/officer/points/" + other["id"])
    expect(page.get_by_text("หน้านี้สำหรับเจ้าหน้าที่ของหน่วยงานเจ้าของจุดบริการ")).to_be_visible()


def test_a_point_created_offline_exists_once_when_back_online(site, phone_factory):
    officer_phone, admin_phone = phone_factory(geolocation=dict(CHIANG_MAI, accuracy=10)), phone_factory()
    who = register_and_approve(site, officer_phone, admin_phone)
    page = officer_phone.page
    log_in(page, site.base, who)
    page.goto(site.base + "/officer/points/new")
    name = "จุดบริการออฟไลน์ " + uuid.uuid4().hex[:5]
    page.get_by_label("ชื่อจุดบริการ (ไทย)").fill(name)
    page.get_by_label("ชื่อจุดบริการ (อังกฤษ)").fill("Offline point")
    page.get_by_label("ที่อยู่").fill("เชียงใหม่")
    page.get_by_label("จังหวัด").select_option("50")
    page.get_by_role("button", name="ใช้ตำแหน่งของฉัน (GPS)").click()
    expect(page.locator("#gps-status")).to_contain_text("ได้ตำแหน่งแล้ว")
    officer_phone.allow("ERR_INTERNET_DISCONNECTED")
    officer_phone.context.set_offline(True)
    page.get_by_role("button", name="บันทึกจุดบริการ").click()
    expect(page.get_by_text("บันทึกไว้ในเครื่องแล้ว")).to_be_visible(timeout=30000)
    officer_phone.shot("offline")
    officer_phone.context.set_offline(False)
    expect(page.get_by_text("บันทึกจุดบริการแล้ว")).to_be_visible(timeout=20000)
    agency_id = site.api("GET", "/api/v1/service-points/" + page.url.split("/officer/points/")[1].split("?")[0]).json()["agency_id"]
    mine = site.api("GET", "/api/v1/service-points", params={"agency_id": agency_id}).json()["results"]
    assert [p["name_th"] for p in mine] == [name]


def test_the_counter_tablet_shows_a_fresh_code_after_each_rating(site, phone_factory):
    """A tablet at the counter shows a single-use code; a citizen rates
    through it (verified) and the tablet shows the next code by itself."""
    tablet, citizen = phone_factory(viewport={"width": 800, "height": 1280}), phone_factory()
    page = tablet.page
    log_in(page, site.base, ADMIN)
    nearby = site.api("GET", "/api/v1/service-points/nearby",
                      params={"lat": 13.75, "lon": 100.5, "k": 1}).json()
    point = nearby["results"][0]["service_point"]
    page.goto(site.base + "/officer/points/{}/tablet".format(point["id"]))
    qr = page.locator("#tablet-qr")
    expect(qr).to_have_attribute("data-url", re.compile("[?&]t="))
    page.wait_for_function("document.getElementById('tablet-qr').naturalWidth > 0")
    first = qr.get_attribute("data-url")
    tablet.shot("tablet")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert decoded and decoded[0].text == first, "the tablet's code cannot be read"

    cpage = citizen.page
    cpage.goto(first)
    expect(cpage.get_by_text("ยืนยันการมาใช้บริการแล้ว")).to_be_visible()
    cpage.locator("label[for=satisfaction-5]").click()
    cpage.get_by_role("button", name="ส่งแบบประเมิน").click()
    expect(cpage.get_by_text(re.compile("ขอบคุณ"))).to_be_visible()

    # the tablet notices within its polling interval and shows a new code
    expect(qr).not_to_have_attribute("data-url", first, timeout=15000)
    expect(page.locator("#tablet .status")).to_contain_text("ขอบคุณที่ประเมิน")
    page.wait_for_function("document.getElementById('tablet-qr').naturalWidth > 0")
    second = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert second and second[0].text != first and "&t=" in second[0].text
    tablet.shot("tablet-renewed")


THAI = re.compile("[\u0e00-\u0e7f]")
# what the officer app itself labels (not the data shown: names, comments);
# the language button names the other language, so it is left out
LABELS = ("main h1, main h2, main h3, main label, main legend, main button, main a, main option, main .hint, "
          "main .status, #audit strong, #audit .changes .muted, header nav a, header .brand")


def untranslated(page):
    """The app's own labels on this page still in Thai."""
    texts = page.locator(LABELS).evaluate_all("nodes => nodes.map(n => n.textContent.trim())")
    return [t for t in texts if THAI.search(t)]


def test_an_officer_works_in_english_and_the_audit_page_shows_a_moderation_and_a_complaint(site, phone_factory):
    """Switched to English once (kept for the next pages): log in, the
    point page, moderation, a complaint's status, the audit trail that
    says who published which text and who moved the complaint, in English."""
    suffix = uuid.uuid4().hex[:6]
    who = {"username": "en-officer-" + suffix, "password": "correct horse battery " + suffix}
    registered = site.api("POST", "/api/v1/agencies", json={
        "name_th": "สำนักงานทดสอบ " + suffix, "name_en": "English Test Office " + suffix,
        "ministry": "Ministry of Interior", "contact_email": "en{}@example.go.th".format(suffix), **who})
    assert registered.status_code == 201, registered.text
    admin = site.officer_token(ADMIN)
    agency_id = registered.json()["agency"]["id"]
    assert site.api("POST", "/api/v1/admin/agencies/{}/approve".format(agency_id), token=admin).ok
    officer = site.officer_token(who)
    point = site.api("POST", "/api/v1/service-points", token=officer, json={
        "name_th": "ที่ว่าการอำเภอทดสอบ " + suffix, "name_en": "Test District Office " + suffix,
        "address": "Chang Phueak Road, Chiang Mai", "province_code": "50",
        "location": {"lat": CHIANG_MAI["latitude"], "lon": CHIANG_MAI["longitude"]}}).json()
    held = site.api("POST", "/api/v1/service-points/{}/feedback".format(point["id"]), json={
        "answers": {"satisfaction": 1}, "comment": "staff were stupid, call me 081-234-5678"},
        headers={"Idempotency-Key": str(uuid.uuid4())}).json()
    assert held["comment_status"] == "pending"
    filed = site.api("POST", "/api/v1/complaints", json={
        "category": "STAFF-CONDUCT", "description": "Rude staff at the counter",
        "service_point_id": point["id"], "contact": {"phone": "081-234-5678"}})
    assert filed.status_code == 201, filed.text

    phone = phone_factory(geolocation=CHIANG_MAI)
    page = phone.page
    page.goto(site.base + "/officer/login")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill(who["username"])
    page.get_by_label("Password").fill(who["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello " + who["username"])).to_be_visible()
    assert untranslated(page) == []

    # the point page: every label in English
    page.get_by_role("link", name="Test District Office " + suffix).click()
    expect(page.get_by_label("Point name (English)")).to_have_value("Test District Office " + suffix)
    expect(page.get_by_role("heading", name="Services, documents and copies")).to_be_visible()
    expect(page.get_by_role("link", name="Print QR code")).to_be_visible()
    assert untranslated(page) == []
    phone.shot("en-point")

    # moderation: edit the abusive word out and publish
    page.goto(site.base + "/officer")
    page.get_by_role("link", name="Moderate comments").click()
    expect(page.get_by_role("heading", name="Comments waiting")).to_be_visible()
    item = page.locator("#queue li").first
    expect(item.locator("mark")).to_have_text("stupid")
    expect(item.get_by_text("Matched words: stupid")).to_be_visible()
    assert untranslated(page) == []
    phone.shot("en-moderation")
    item.get_by_label("Edit and publish").fill("staff were unhelpful, call me 081-234-5678")
    item.get_by_label("Note").fill("rude word taken out")
    item.get_by_role("button", name="Edit and publish").click()
    expect(page.get_by_text("No comment is waiting")).to_be_visible()

    # a complaint moved on with a ready-made text
    page.goto(site.base + "/officer")
    page.get_by_role("link", name="Complaints").click()
    expect(page.get_by_role("heading", name="Your agency's complaints")).to_be_visible()
    page.locator("#inbox a.title").first.click()
    page.get_by_label("Change status").select_option(label="In progress")
    page.get_by_role("button", name="Received; we are checking the facts").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("In progress")
    assert untranslated(page) == []

    # the audit trail: both arrive from their events within moments
    page.goto(site.base + "/officer")
    page.get_by_role("link", name="Change history").click()
    audit = page.locator("#audit")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
            audit.locator("li[data-action='comment.moderate']").count()
            and audit.locator("li[data-action='complaint.status']").count()):
        page.wait_for_timeout(500)
        page.reload()
    expect(page.get_by_role("heading", name="Change history")).to_be_visible()
    moderation = audit.locator("li[data-action='comment.moderate']")
    expect(moderation.locator("strong")).to_have_text("Comment moderated")
    expect(moderation).to_contain_text("by " + who["username"])
    expect(moderation.locator("[data-field=status]")).to_have_text(
        "Status: before waiting for moderation → after published")
    # both texts as the public sees them: the number masked, never the original
    expect(moderation.locator("[data-field=comment]")).to_contain_text("after staff were unhelpful, call me [")
    expect(moderation.locator("[data-field=comment]")).to_contain_text("before staff were stupid, call me [")
    expect(moderation.locator("[data-field=note]")).to_have_text("Note: before — → after rude word taken out")
    expect(audit).not_to_contain_text("081-234-5678")
    expect(audit).not_to_contain_text("0812345678")
    status = audit.locator("li[data-action='complaint.status']")
    expect(status.locator("strong")).to_have_text("Complaint status changed")
    expect(status).to_contain_text("by " + who["username"])
    expect(status.locator("[data-field=status]")).to_have_text(re.compile(
        r"^Status: before (Received|Relayed to the PMOC 1111 centre) → after In progress$"))
    expect(status.locator("[data-field=note]")).to_have_text(
        "Note: before — → after Received; we are checking the facts")
    expect(status.get_by_role("link", name="Open the complaint")).to_be_visible()
    expect(audit.locator("li[data-action='point.create'] strong")).to_have_text("Point pinned")
    expect(audit.locator("li[data-action='agency.approve']")).to_contain_text("by admin (system administrator)")
    assert untranslated(page) == []
    phone.shot("en-audit")

    # the system administrator reads the same trail, choosing the agency
    admin_phone = phone_factory()
    apage = admin_phone.page
    apage.goto(site.base + "/officer/login")
    apage.get_by_role("button", name="Switch to English").click()
    apage.get_by_label("Username").fill(ADMIN["username"])
    apage.get_by_label("Password").fill(ADMIN["password"])
    apage.get_by_role("button", name="Log in").click()
    apage.get_by_role("link", name="Change history").click()
    apage.get_by_label("Agency").select_option(label="English Test Office " + suffix)
    expect(apage.locator("#audit li[data-action='comment.moderate']")).to_contain_text("by " + who["username"])
    assert untranslated(apage) == []
