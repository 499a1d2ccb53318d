"""The dashboard's comment themes on a phone: Thai first, the three views
with their examples, following an opened entity, English one tap away,
no serious accessibility violation (axe-core)."""
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages_quality import serious

pytestmark = pytest.mark.browser


def test_comment_themes_on_the_dashboard(site, phone):
    page = phone.page
    today = date.today()
    # the demo's six months: the dashboard's dates cover them
    page.goto(site.base + "/dashboard?from={}&to={}".format(
        (today - timedelta(days=179)).isoformat(), today.isoformat()))
    section = page.locator("#themes")
    expect(section.locator("h2")).to_have_text("ประชาชนพูดถึงอะไรในความคิดเห็น")
    expect(section.locator("#themes-scope")).to_have_text("ขอบเขต: ทั้งประเทศ")
    # the demo's six months of comments: the nation's most mentioned terms, with examples
    expect(section.locator("[data-view-box=themes] li.theme").first).to_be_visible(timeout=30000)
    expect(section.locator("[data-view-box=unhappy] li.theme").first).to_be_visible(timeout=30000)
    assert section.locator("[data-view-box=themes] li.theme ul.theme-ex li").count() >= 3
    summary = section.locator("#themes-summary").inner_text()
    assert "ความคิดเห็นที่เผยแพร่" in summary, summary
    unhappy = section.locator("[data-view-box=unhappy]").inner_text()
    assert "ผู้ไม่พอใจ" in unhappy and "ตัวอย่างความคิดเห็น" in unhappy
    expect(section.locator(".status.loading")).to_have_count(0, timeout=30000)
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(ARTIFACTS / "dashboard-themes-nation-th.png"))
    assert not serious(page)

    # opening a province's report from the rankings: the themes follow it
    page.select_option("#level", "province")
    first = page.locator("#rankings button.link").first
    expect(first).to_be_visible(timeout=30000)
    name = first.inner_text()
    first.click()
    expect(section.locator("#themes-scope")).to_contain_text("จังหวัด")
    expect(section.locator("#themes-nation")).to_be_visible()
    expect(section.locator(".status.loading")).to_have_count(0, timeout=30000)
    assert name.split(" ")[0] in section.locator("#themes-scope").inner_text()
    page.wait_for_load_state("networkidle")
    section.screenshot(path=str(ARTIFACTS / "dashboard-themes-province-th.png"))
    csv = section.locator("a.csv[data-view=rising]").get_attribute("href")
    assert csv.startswith("/api/v1/reports/themes/rising?level=province&") and csv.endswith("format=csv")
    answer = site.api("GET", csv)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")

    section.locator("#themes-nation").click()
    expect(section.locator("#themes-scope")).to_have_text("ขอบเขต: ทั้งประเทศ")
    page.click("#lang")
    expect(section.locator("h2")).to_have_text("What citizens write about")
    expect(section.locator("[data-view-box=unhappy] h3")).to_have_text("What the unhappy say")
    expect(section.locator("[data-view-box=themes] li.theme").first).to_be_visible(timeout=30000)
    expect(section.locator(".status.loading")).to_have_count(0, timeout=30000)
    page.wait_for_load_state("networkidle")
    assert not serious(page)
    section.screenshot(path=str(ARTIFACTS / "dashboard-themes-nation-en.png"))
