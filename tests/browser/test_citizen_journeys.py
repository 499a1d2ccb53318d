"""A citizen's journeys through the web app, on a phone, in Thai (and once
in English): find the service and the nearest point that demands no copies,
read what to bring, rate through a counter's QR code, see the comment
published with the phone number masked; file a complaint, follow it to the
1111 centre and to its resolution, rate it; location denied; a rating made
offline is stored exactly once."""
import base64
import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO_OFFICERS

pytestmark = pytest.mark.browser


def claims(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def officer_of(site, agency_id):
    for who in DEMO_OFFICERS:
        token = site.officer_token(who)
        if claims(token)["agency_id"] == agency_id:
            return token
    raise AssertionError("no demo officer for agency " + agency_id)


def no_copy_point_near_bangkok(site, service_code):
    results = site.api("GET", "/api/v1/service-points/nearby", params={
        "lat": 13.7563, "lon": 100.5018, "k": 10, "service_code": service_code,
        "zero_copy": "true"}).json()["results"]
    assert results, "the demo needs a point near Bangkok offering {} without copies".format(service_code)
    return results[0]["service_point"]


def test_find_a_service_read_what_to_bring_rate_it_and_see_the_comment(site, phone):
    page = phone.page
    page.goto(site.base + "/")
    expect(page.get_by_role("heading", name="ค้นหาจุดบริการ")).to_be_visible()
    phone.shot("home")
    page.get_by_label("ต้องการทำเรื่องอะไร").fill("บัตรประชาชนหาย")
    lost = page.get_by_role("link", name=re.compile("บัตรสูญหาย"))
    expect(lost).to_be_visible()
    phone.shot("search")
    lost.click()

    # the service page: the Citizen's Manual entry and the nearest points
    expect(page).to_have_url(re.compile(r"/services/DOPA-ID-LOST$"))
    expect(page.get_by_role("heading", name="ขั้นตอน")).to_be_visible()
    expect(page.locator("#documents li").first).to_be_visible()
    page.get_by_label("เฉพาะจุดที่ไม่ขอสำเนาเอกสาร").check()
    page.get_by_role("button", name="หาจุดบริการใกล้ฉัน").click()
    first = page.locator("#near li").first
    expect(first.locator(".badge")).to_have_text("ไม่ขอสำเนา")
    phone.shot("service")
    expected = no_copy_point_near_bangkok(site, "DOPA-ID-LOST")
    expect(first.locator("a.title")).to_have_text(expected["name_th"])
    first.locator("a.title").click()

    # the point page: documents to bring and their copy status, hours, phone
    expect(page).to_have_url(re.compile("/points/" + expected["id"]))
    expect(page.get_by_role("heading", level=1)).to_have_text(expected["name_th"])
    card = page.locator("#services section", has=page.get_by_role("link", name=re.compile("บัตรสูญหาย")))
    expect(card.get_by_text("ไม่ขอสำเนาเอกสารเลย")).to_be_visible()
    expect(card.locator("li").first.get_by_text("ไม่ต้องถ่ายสำเนา")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^โทร "))).to_have_attribute("href", re.compile("^tel:0"))
    phone.shot("point")

    # rate through the counter's QR code: a verified rating
    officer = officer_of(site, expected["agency_id"])
    qr = site.api("GET", "/api/v1/service-points/{}/qr".format(expected["id"]), token=officer,
                  params={"kind": "counter", "format": "svg"})
    assert qr.status_code == 200, qr.text
    page.goto(qr.headers["X-Feedback-Url"])
    expect(page.get_by_text("ยืนยันการมาใช้บริการแล้ว")).to_be_visible()
    page.get_by_label("งานบริการที่มาใช้").select_option("DOPA-ID-LOST")
    page.locator("label[for=satisfaction-5]").click()
    marker = "ทดสอบ{}".format(int(time.time() * 1000) % 100000)
    page.get_by_label(re.compile("ความคิดเห็น|ข้อเสนอแนะ")).fill(
        "เจ้าหน้าที่บริการดีมาก {} โทรกลับได้ที่ 081-234-5678".format(marker))
    phone.shot("rating")
    page.get_by_role("button", name="ส่งแบบประเมิน").click()
    expect(page.get_by_text("ขอบคุณสำหรับความคิดเห็น")).to_be_visible()
    phone.shot("rated")

    # the comment is published on the point page, the phone number masked
    page.goto(site.base + "/points/" + expected["id"])
    comment = page.locator("#comments li", has_text=marker)
    expect(comment).to_be_visible()
    expect(comment).not_to_contain_text("081-234-5678")
    expect(comment.get_by_text("ยืนยันการมาใช้บริการ")).to_be_visible()
    phone.shot("comment")


def test_file_a_complaint_follow_it_to_1111_and_rate_its_resolution(site, phone):
    page = phone.page
    point = no_copy_point_near_bangkok(site, "DOPA-ID-LOST")
    page.goto(site.base + "/points/" + point["id"])
    page.get_by_role("main").get_by_role("link", name="ร้องเรียน").click()
    expect(page).to_have_url(re.compile(r"/complaints/new\?point="))
    expect(page.locator("#point-name")).to_have_text(point["name_th"])
    # sent without a category: the field's own message, in Thai
    page.get_by_role("button", name="ส่งเรื่องร้องเรียน").click()
    expect(page.locator("#category").locator("xpath=..").get_by_text("กรุณาเลือกประเภทเรื่อง")).to_be_visible()
    page.get_by_label("ประเภทเรื่อง").select_option("SERVICE-DELAY")
    page.get_by_label("รายละเอียด").fill("รอคิวทำบัตรประชาชนนานกว่า 3 ชั่วโมง ไม่มีการเรียกคิว")
    page.get_by_label("โทรศัพท์").fill("089-765-4321")
    phone.shot("form")
    page.get_by_role("button", name="ส่งเรื่องร้องเรียน").click()

    expect(page).to_have_url(re.compile(r"/track/[A-Z0-9-]+\?new=1$"))
    expect(page.get_by_text("กรุณาจดหรือถ่ายภาพรหัสติดตามนี้ไว้")).to_be_visible()
    code = page.locator("#tracking").inner_text()
    # the relay reaches the PMOC stand-in: the page shows its reference
    deadline = time.monotonic() + 30
    while "ศูนย์ 1111:" not in page.locator("#pmoc").inner_text() and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator("#pmoc")).to_contain_text("เลขที่เรื่องที่ศูนย์ 1111:")
    expect(page.locator("#history")).to_contain_text("ส่งต่อศูนย์บริการประชาชน 1111 แล้ว")
    phone.shot("relayed")

    # the agency works on it (through the API); the citizen sees each step
    complaint = site.api("GET", "/api/v1/complaints/" + code).json()
    officer = officer_of(site, point["agency_id"])
    for status, note in [("in_progress", "กำลังตรวจสอบระบบคิว"), ("resolved", "เพิ่มเจ้าหน้าที่ช่วงเช้าแล้ว")]:
        moved = site.api("POST", "/api/v1/officer/complaints/{}/status".format(complaint["complaint_id"]),
                         token=officer, json={"status": status, "note": note})
        assert moved.status_code == 200, moved.text
    page.reload()
    expect(page.get_by_role("heading", name="แก้ไขเสร็จสิ้น")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("เพิ่มเจ้าหน้าที่ช่วงเช้าแล้ว")
    page.locator("label[for=rating-4]").click()
    page.get_by_role("button", name="ส่งคะแนน").click()
    expect(page.get_by_text("ขอบคุณสำหรับคะแนน 4/5").first).to_be_visible()
    phone.shot("rated")
    assert site.api("GET", "/api/v1/complaints/" + code).json()["rating"] == 4

    # typing the code on the tracking form finds it too
    page.goto(site.base + "/track")
    page.get_by_label("รหัสติดตามเรื่อง").fill(code.lower())
    page.get_by_role("button", name="ค้นหา").click()
    expect(page.locator("#tracking")).to_have_text(code)
    page.get_by_label("รหัสติดตามเรื่อง").fill("CFZ-NOPE-NOPE")
    page.get_by_role("button", name="ค้นหา").click()
    expect(page.get_by_text("ไม่พบเรื่องตามรหัสนี้")).to_be_visible()


def test_the_same_in_english(site, phone):
    page = phone.page
    point = no_copy_point_near_bangkok(site, "DOPA-ID-LOST")
    page.goto(site.base + "/points/" + point["id"])
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(point["name_en"])
    expect(page.get_by_role("heading", name="Services and documents to bring")).to_be_visible()
    expect(page.get_by_text("no copy needed").first).to_be_visible()
    phone.shot("point-en")
    # the choice is remembered on the next page; server messages in English
    page.get_by_role("main").get_by_role("link", name="Complain").click()
    page.get_by_label("What is it about?").select_option("SERVICE-DELAY")
    page.get_by_label("What happened").fill("Waited three hours")
    page.get_by_label("Phone").fill("12345")
    page.get_by_role("button", name="Send the complaint").click()
    expect(page.get_by_text(re.compile("Not a Thai phone number"))).to_be_visible()
    phone.shot("complaint-en")
    page.get_by_role("button", name="เปลี่ยนเป็นภาษาไทย").click()
    expect(page.get_by_role("heading", name="ร้องเรียน")).to_be_visible()


def test_location_denied_asks_for_a_tap_and_never_pretends(site, phone_factory):
    phone = phone_factory(geolocation=None)
    page = phone.page
    page.goto(site.base + "/")
    page.get_by_role("button", name="หาจุดบริการใกล้ฉัน").click()
    expect(page.get_by_text("ไม่ทราบตำแหน่งของคุณ")).to_be_visible()
    expect(page.locator("#near li")).to_have_count(0)
    phone.shot("denied")
    # a tap on the map (Chiang Mai at the default view) is taken as the place
    the_map = page.locator("#map")
    the_map.scroll_into_view_if_needed()
    box = the_map.bounding_box()
    the_map.tap(position={"x": box["width"] * 0.3, "y": box["height"] * 0.2})
    expect(page.get_by_text("ใช้ตำแหน่งที่คุณแตะบนแผนที่")).to_be_visible()
    expect(page.locator("#near li").first).to_be_visible()
    phone.shot("tapped")


def test_a_rating_made_offline_is_sent_once_when_back_online(site, phone):
    page = phone.page
    point = no_copy_point_near_bangkok(site, "DOPA-ID-LOST")
    page.goto(site.base + "/feedback?point=" + point["id"])
    expect(page.get_by_role("button", name="ส่งแบบประเมิน")).to_be_visible()
    marker = "ออฟไลน์{}".format(int(time.time() * 1000) % 100000)
    phone.allow("ERR_INTERNET_DISCONNECTED")
    page.locator("label[for=satisfaction-4]").click()
    page.get_by_label(re.compile("ความคิดเห็น|ข้อเสนอแนะ")).fill("คิวเร็วดี " + marker)
    phone.context.set_offline(True)
    page.get_by_role("button", name="ส่งแบบประเมิน").click()
    expect(page.get_by_text("บันทึกแบบประเมินไว้ในเครื่องแล้ว")).to_be_visible(timeout=30000)
    phone.shot("queued")
    phone.context.set_offline(False)
    expect(page.get_by_text("ส่งแบบประเมินที่บันทึกไว้เรียบร้อยแล้ว")).to_be_visible(timeout=15000)
    phone.shot("sent")
    # opening the app again sends nothing more: it is stored exactly once
    page.goto(site.base + "/points/" + point["id"])
    expect(page.locator("#comments li", has_text=marker)).to_have_count(1)
    comments = site.api("GET", "/api/v1/service-points/{}/feedback".format(point["id"]),
                        params={"limit": 100}).json()["results"]
    assert sum(marker in c["comment"] for c in comments) == 1
