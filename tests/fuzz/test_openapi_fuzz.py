"""Schemathesis over the gateway's own OpenAPI document, against `cfz run`
with its demo data: anonymous, as a demo officer and as the system
administrator, every operation gets schema-derived and boundary inputs
(its coverage phase) and random ones; no answer may be a 5xx, none may
take longer than MAX_RESPONSE_SECONDS, and the suite must still be ready
afterwards. Real ids (a demo point, a complaint's tracking code, the
officer's agency) are given through a config file so the operations behind
them are reached, not only their 404s.

Schemathesis runs as its own process (its CLI), not inside this eventlet-
patched pytest process. Seeded: a failure reproduces with the same seed.
"""
import os
import re
import shutil
import subprocess
import sys
import uuid

import pytest
import requests
from nameko.testing.utils import find_free_port
from six.moves.urllib.parse import urlparse

from tests.conftest import ADMIN, TEST_SETTINGS
from tests.e2e.test_cfz_run import start_cfz_run, stop_cfz_run

SEED = 20261202
EXAMPLES = 6  # per operation and phase: with the coverage phase's boundaries, ~3,000 requests a run
MAX_RESPONSE_SECONDS = 10


def schemathesis_command():
    found = shutil.which("schemathesis", path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "schemathesis.cli"]


@pytest.fixture(scope="module")
def stack(request, vhost_pipeline):
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    with vhost_pipeline.get() as vhost:
        port = find_free_port()
        env = dict(os.environ, **TEST_SETTINGS)
        env.update(AMQP_URI="{}://{}/{}".format(amqp.scheme, amqp.netloc, vhost),
                   GATEWAY_PORT=str(port), CFZ_METRICS_PORT="0", CFZ_TILE_URL="",
                   CFZ_DB_PREFIX="cfzfuzz_{}_".format(uuid.uuid4().hex[:8]),
                   # fuzzing sends thousands of anonymous writes from one address
                   CFZ_FEEDBACK_RATE_LIMIT="100000/minute",
                   CFZ_VISIT_TOKENS_PER_CLIENT_DAY="100000")
        env.pop("MONGO_URI", None)
        process, output = start_cfz_run(env, seconds=300)
        try:
            text = "".join(output)
            assert "Stop with Ctrl-C" in text, text[-3000:]
            yield "http://127.0.0.1:{}".format(port), text
        finally:
            stop_cfz_run(process)


@pytest.fixture(scope="module")
def known(stack):
    """Real identifiers and tokens for the operations that need them."""
    base, banner = stack
    api = requests.Session()
    nearby = api.get(base + "/api/v1/service-points/nearby",
                     params={"lat": 13.75, "lon": 100.5, "k": 1}, timeout=30).json()
    point = nearby["results"][0]["service_point"]
    services = api.get("{}/api/v1/service-points/{}/services".format(base, point["id"]),
                       timeout=30).json()["services"]
    filed = api.post(base + "/api/v1/complaints", timeout=30, json={
        "category": "SERVICE-DELAY", "description": "รอคิวนานมาก",
        "service_point_id": point["id"]}).json()
    officer_name = re.search(r"officers ([^,\s]+)", banner).group(1)
    officer = api.post(base + "/api/v1/auth/token", timeout=30, json={
        "username": officer_name, "password": "demo-password-2569"}).json()["access_token"]
    admin = api.post(base + "/api/v1/auth/token", timeout=30, json=ADMIN).json()["access_token"]
    return {"base": base, "officer": officer, "admin": admin, "parameters": {
        "point_id": point["id"], "agency_id": point["agency_id"],
        "service_code": services[0]["service_code"] if services else "DOPA-ID-NEW",
        "tracking_code": filed["tracking_code"], "complaint_id": filed["complaint_id"],
        "province_code": point.get("province_code") or "10"}}


INTERPRETER_BUG = "SystemError: AST constructor recursion depth mismatch"


def fuzz(known, tmp_path, who, token=None):
    config = tmp_path / "schemathesis-{}.toml".format(who)
    config.write_text("[parameters]\n" + "".join(
        '"path.{}" = "{}"\n'.format(name, value) for name, value in known["parameters"].items()))
    command = schemathesis_command() + [
        "--config-file", str(config), "run", known["base"] + "/api/v1/openapi.json",
        "--checks", "not_a_server_error", "--phases", "coverage,fuzzing",
        "--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "2",
        "--request-timeout", "30", "--max-response-time", str(MAX_RESPONSE_SECONDS),
        "--generation-database", "none", "--no-color", "--warnings", "off",
        # what an operator may do on purpose: stop the suite's own data feeds
        "--exclude-path-regex", "^/api/v1/admin/(geo/resync|reports/recount)$"]
    if token:
        command += ["--header", "Authorization: Bearer " + token]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 and INTERPRETER_BUG in done.stdout and \
            re.search(r"(\d+) generated, \1 passed\n", done.stdout):
        # CPython 3.11's ast race between threads (python/cpython#106905),
        # hit by hypothesis describing a lambda in the coverage phase: the
        # generator broke, not our server; one more run with the same seed
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    summary = "\n".join(done.stdout.splitlines()[-25:])
    print("\nschemathesis as {}:\n{}".format(who, summary))
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"\d+ generated", done.stdout), summary
    ready = requests.get(known["base"] + "/readyz", timeout=30)
    assert ready.status_code == 200, ready.text


def test_anonymous_fuzzing_finds_no_server_error_and_no_hang(known, tmp_path):
    fuzz(known, tmp_path, "anonymous")


def test_officer_fuzzing_finds_no_server_error_and_no_hang(known, tmp_path):
    fuzz(known, tmp_path, "officer", known["officer"])


def test_administrator_fuzzing_finds_no_server_error_and_no_hang(known, tmp_path):
    fuzz(known, tmp_path, "admin", known["admin"])
