"""Every page, measured rather than assumed: axe-core finds no serious or
critical accessibility violation, the map page's first load stays within
150 KB on the wire, and every JSON answer is compressed."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.test_citizen_journeys import no_copy_point_near_bangkok

pytestmark = pytest.mark.browser
FIRST_LOAD_BUDGET = 150 * 1024


def serious(page):
    results = Axe().run(page)
    return ["{} ({}): {}".format(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violation_on_any_page(site, phone):
    page = phone.page
    point = no_copy_point_near_bangkok(site, "DOPA-ID-LOST")
    complaint = site.api("POST", "/api/v1/complaints", json={
        "category": "SERVICE-DELAY", "description": "รอนานมาก", "service_point_id": point["id"]}).json()
    pages = [("/", "#map"), ("/?q=บัตรประชาชน", "#services li"), ("/services/DOPA-ID-LOST", "#steps li"),
             ("/points/" + point["id"], "#services section"), ("/feedback?point=" + point["id"], "#questions fieldset"),
             ("/complaints/new", "#category option >> nth=1"), ("/track/" + complaint["tracking_code"], "#history li"),
             ("/track", "#code"), ("/dashboard", "main")]
    found = {}
    for path, ready in pages:
        page.goto(site.base + path)
        page.locator(ready).first.wait_for(state="attached")
        page.wait_for_load_state("networkidle")
        problems = serious(page)
        if problems:
            found[path] = problems
        page.click("#lang")  # the English version of each page too
        problems = serious(page)
        if problems:
            found[path + " [en]"] = problems
        page.click("#lang")
    assert not found, found


def test_no_serious_accessibility_violation_on_the_officer_pages(site, phone):
    from tests.browser.test_officer_journeys import log_in
    from tests.conftest import ADMIN
    page = phone.page
    log_in(page, site.base, ADMIN)
    point = no_copy_point_near_bangkok(site, "DOPA-ID-LOST")
    pages = [("/officer", "h1"), ("/officer/admin", "#pending li"), ("/officer/points/new", "#map"),
             ("/officer/points/" + point["id"], "#survey .card"), ("/officer/points/{}/poster".format(point["id"]), "#qr"),
             ("/officer/points/{}/tablet".format(point["id"]), "#tablet-qr[data-url]"),
             ("/officer/moderation", "#queue li"), ("/officer/complaints", "#inbox li"),
             # the demo's complaint status changes are in the point's agency's trail
             ("/officer/audit?agency=" + point["agency_id"], "#audit li[data-action]")]
    found = {}
    for path, ready in pages:
        page.goto(site.base + path)
        page.locator(ready).first.wait_for(state="attached")
        page.wait_for_load_state("networkidle")
        for lang in ("th", "en"):
            problems = serious(page)
            if problems:
                found["{} [{}]".format(path, lang)] = problems
            page.click("#lang")
    page.goto(site.base + "/officer/login")
    page.wait_for_load_state("networkidle")
    found.update({"/officer/login": serious(page)} if serious(page) else {})
    assert not found, found


def test_the_map_page_first_load_is_light_and_json_is_compressed(site, chromium):
    from tests.browser.conftest import PHONE
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    answers = []
    page.on("requestfinished", lambda request: answers.append(request))
    page.goto(site.base + "/")
    expect(page.locator("#map-status")).to_contain_text(re.compile(r"\d"))
    page.wait_for_load_state("networkidle")
    total, rows, uncompressed = 0, [], []
    for request in answers:
        response = request.response()
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += size
        rows.append((size, request.url))
        headers = response.all_headers()
        if "json" in headers.get("content-type", "") and sizes["responseBodySize"] > 860 \
                and headers.get("content-encoding") != "gzip":
            uncompressed.append(request.url)
    context.close()
    print("first load of /: {:.1f} KB in {} requests".format(total / 1024, len(rows)))
    for size, url in sorted(rows, reverse=True):
        print("  {:7.1f} KB  {}".format(size / 1024, url))
    assert total <= FIRST_LOAD_BUDGET, sorted(rows, reverse=True)
    assert not uncompressed


def test_the_open_data_page_lists_every_file_and_has_no_serious_violation(site, phone):
    """The map page's footer leads to /open-data/, which lists every file
    of the data package with its size and date."""
    page = phone.page
    for _ in range(60):  # the first generation follows the start within a second or two
        if site.api("GET", "/open-data/datapackage.json").status_code == 200:
            break
        page.wait_for_timeout(500)
    resources = site.api("GET", "/open-data/datapackage.json").json()["resources"]
    page.goto(site.base + "/")
    page.locator("footer a[href='/open-data/']").click()
    page.wait_for_url(site.base + "/open-data/")
    page.wait_for_load_state("networkidle")
    names = page.locator("tbody tr td:first-child a").all_inner_texts()
    assert sorted(names) == sorted(r["path"] for r in resources)
    assert not serious(page)
