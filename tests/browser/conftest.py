"""Browser tests: Debian's Chromium driven by Playwright (never a downloaded
browser) against a real `cfz run` with demo data, in a phone viewport with
touch and geolocation. Screenshots of each step go to test-artifacts/ (not
committed); every test fails on a console error or an uncaught exception."""
import os
import pathlib
import re
import uuid

import pytest
import requests
from nameko.testing.utils import find_free_port
from six.moves.urllib.parse import urlparse

from tests.conftest import TEST_SETTINGS
from tests.e2e.test_cfz_run import start_cfz_run, stop_cfz_run

CHROMIUM = os.environ.get("CFZ_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
BANGKOK = {"latitude": 13.7563, "longitude": 100.5018}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "th-TH", "timezone_id": "Asia/Bangkok"}
DEMO_OFFICERS = [{"username": name, "password": "demo-password-2569"}
                 for name in ("demo-dopa", "demo-dol", "demo-dlt", "demo-local")]


@pytest.fixture(scope="module")
def site(request, vhost_pipeline):
    """`cfz run` (the README's run command) on its own vhost and ports; no
    map tiles (no internet here, and the pages must work without them)."""
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        port, metrics = find_free_port(), find_free_port()
        env = dict(os.environ, **TEST_SETTINGS)
        env.update(AMQP_URI="{}://{}/{}".format(amqp.scheme, amqp.netloc, vhost), GATEWAY_PORT=str(port),
                   CFZ_METRICS_PORT=str(metrics), CFZ_DB_PREFIX="cfzweb_{}_".format(uuid.uuid4().hex[:8]),
                   CFZ_TILE_URL="", CFZ_PUBLIC_URL="http://127.0.0.1:{}".format(port),
                   CFZ_PMOC_RELAY_INTERVAL="0.3", PMOC_POLL_SECONDS="1")
        env.pop("MONGO_URI", None)
        # a busy machine may need longer for the demo (CFZ_BROWSER_START_SECONDS)
        process, output = start_cfz_run(env, seconds=int(os.environ.get("CFZ_BROWSER_START_SECONDS", "180")))
        try:
            assert "Stop with Ctrl-C" in "".join(output), "".join(output)[-3000:]
            base = "http://127.0.0.1:{}".format(port)
            yield Site(base, output)
        finally:
            stop_cfz_run(process)


class Site:
    def __init__(self, base, log):
        self.base = base
        self.log = log

    def api(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        return requests.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def officer_token(self, who):
        response = self.api("POST", "/api/v1/auth/token", json=who)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


class Phone:
    """A citizen's phone: one browser context, console errors collected."""

    def __init__(self, context, name):
        self.context = context
        self.name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        self.errors = []
        # Chromium logs every 4xx answer as a console error; a 4xx is how
        # the API answers bad input, which the pages then explain
        self.allowed = [r"the server responded with a status of 4\d\d"]
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append("uncaught: {}".format(exc)))
        self.step = 0

    def _console(self, message):
        text = message.text
        if message.type != "error" or any(re.search(p, text) for p in self.allowed):
            return
        self.errors.append("console: {}".format(text))

    def allow(self, pattern):
        """An error the test provokes on purpose (e.g. going offline)."""
        self.allowed.append(pattern)

    def shot(self, label):
        self.step += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / "{}-{:02d}-{}.png".format(self.name, self.step, label)),
                             full_page=True)


@pytest.fixture
def phone_factory(chromium, request):
    phones = []

    def make(geolocation=BANGKOK, **overrides):
        options = dict(PHONE, **overrides)
        if geolocation:
            options.update(geolocation=geolocation, permissions=["geolocation"])
        phone = Phone(chromium.new_context(**options), "{}-{}".format(request.node.name, len(phones)))
        phones.append(phone)
        return phone

    yield make
    errors = [e for phone in phones for e in phone.errors]
    for phone in phones:
        phone.context.close()
    assert not errors, "\n".join(errors)


@pytest.fixture
def phone(phone_factory):
    return phone_factory()
