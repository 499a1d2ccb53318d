"""Faults under a steady load, bounded in time: the suite runs as three
`cfz run` processes, as a small deployment would (the services that keep
state on the embedded store, geo, and the gateway), while citizens rate,
file complaints and look for points, each client retrying what failed with
its Idempotency-Key as the web app's outbox does. Meanwhile:

- the gateway process is killed with SIGKILL and started again;
- the geo process is killed with SIGKILL and started again (it resyncs);
- the PMOC centre is down, then stores requests but loses its answers,
  then does the same while ignoring Idempotency-Key, as a plain Open311
  server does;
- a poison request (a report over 2,000 years) and a poison event (an
  invalid feedback_submitted) are sent.

At the end every accepted rating is counted exactly once in reporting and
the operator's recount agrees, every complaint is at PMOC exactly once
(told by the reference in its text), the poison event waits in a
dead-letter queue, nothing is pending, and the recovery times are printed.
With MONGO_URI set the same runs against a real MongoDB.
"""
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

import eventlet
import pytest
import requests
from nameko.standalone.events import event_dispatcher
from nameko.testing.utils import find_free_port
from six.moves.urllib.parse import urlparse

from services.common import deadletter
from services.complaints.pmoc_sim import PmocSimulator
from tests.conftest import ADMIN, TEST_SETTINGS
from tests.e2e.conftest import Api
from tests.e2e.test_cfz_run import cfz_command, start_cfz_run, stop_cfz_run
from tests.helpers import POINT, agency, wait_for

MARKER = re.compile(r"\[CFZ:([^\]]+)\]")
LOAD_SECONDS = 50


class Process:
    """One `cfz run SERVICES` that can be killed and started again."""

    def __init__(self, env, services):
        self.env, self.services = env, services
        self.process = None

    def start(self):
        self.process, output = start_cfz_run(self.env, seconds=240,
                                             args=list(self.services) + ["--no-demo"])
        assert "Stop with Ctrl-C" in "".join(output), "".join(output)[-3000:]

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self):
        if self.process:
            stop_cfz_run(self.process)


@pytest.fixture
def deployment(request, vhost_pipeline):
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    pmoc = PmocSimulator().start()
    with vhost_pipeline.get() as vhost:
        port = find_free_port()
        env = dict(os.environ, **TEST_SETTINGS)
        env.update(AMQP_URI="{}://{}/{}".format(amqp.scheme, amqp.netloc, vhost),
                   GATEWAY_PORT=str(port), CFZ_METRICS_PORT="0",
                   CFZ_DB_PREFIX="cfzfaults_{}_".format(uuid.uuid4().hex[:8]),
                   PMOC_URL=pmoc.url, CFZ_PMOC_TIMEOUT="0.5", CFZ_PMOC_RELAY_INTERVAL="0.3",
                   CFZ_PMOC_BACKOFF_BASE="0.2", CFZ_PMOC_BACKOFF_MAX="1", PMOC_POLL_SECONDS="2",
                   CFZ_PMOC_MAX_ATTEMPTS="200", CFZ_FEEDBACK_RATE_LIMIT="100000/minute",
                   CFZ_EVENT_RETRY_DELAY="0.1")
        processes = {"core": Process(env, ["registry", "feedback", "complaints", "reporting"]),
                     "geo": Process(env, ["geo"]), "gateway": Process(env, ["gateway"])}
        try:
            for name in ("core", "geo", "gateway"):
                processes[name].start()
            api = Api("http://127.0.0.1:{}".format(port))
            assert wait_for(lambda: _ok(api, "/readyz"), timeout=60)
            yield api, processes, pmoc, env
        finally:
            for process in processes.values():
                process.stop()
            pmoc.stop()


def _ok(api, path):
    try:
        return api.get(path).status_code == 200
    except requests.RequestException:
        return False


class Client:
    """A citizen's phone: sends each write until it is answered, with the
    same Idempotency-Key every time (a lost answer, a 503 or a refused
    connection is tried again), as the web app's outbox does."""

    def __init__(self, base, deadline):
        self.base, self.deadline = base, deadline
        self.failures = 0

    def send(self, path, body):
        key = uuid.uuid4().hex
        while time.monotonic() < self.deadline:
            try:
                answer = requests.post(self.base + path, json=body, timeout=10,
                                       headers={"Idempotency-Key": key})
                if answer.status_code in (200, 201):
                    return answer.json()
                assert answer.status_code in (429, 502, 503, 504), (path, answer.text)
            except requests.RequestException:
                pass
            self.failures += 1
            eventlet.sleep(0.3)
        raise AssertionError("{} not accepted before the deadline".format(path))


def test_the_suite_survives_faults_and_counts_everything_once(deployment):
    api, processes, pmoc, env = deployment
    officer, own = api.approved_agency(agency("faults"))
    points = []
    for n in range(2):
        point = api.post("/api/v1/service-points", token=officer, json=dict(
            POINT, name_th="จุดบริการทดสอบ {}".format(n),
            location={"lat": 18.79 + n / 100, "lon": 98.98})).json()
        api.put("/api/v1/service-points/{}/services".format(point["id"]), token=officer,
                json={"services": [{"service_code": "DOPA-ID-NEW", "documents": []}]})
        points.append(point["id"])
    near = {"lat": 18.8, "lon": 98.98, "k": 2}
    assert wait_for(lambda: len(api.get("/api/v1/service-points/nearby", params=near)
                                .json().get("results", [])) == 2, timeout=30)

    # --- the steady load ------------------------------------------------------
    stop_at = time.monotonic() + LOAD_SECONDS
    client = Client(api.base, stop_at + 120)
    ratings, complaints, lookups = [], [], {"ok": 0, "failed": 0}

    def rate():
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            ratings.append(client.send("/api/v1/service-points/{}/feedback".format(
                points[n % 2]), {"service_code": "DOPA-ID-NEW", "channel": "walk_in",
                                 "answers": {"satisfaction": 1 + n % 5}})["feedback_id"])
            eventlet.sleep(0.15)

    def complain():
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            complaints.append(client.send("/api/v1/complaints", {
                "category": "SERVICE-DELAY", "description": "รอคิวนานมาก ครั้งที่ {}".format(n),
                "service_point_id": points[n % 2]})["complaint_id"])
            eventlet.sleep(1.0)

    def look():
        while time.monotonic() < stop_at:
            try:
                found = requests.get(api.base + "/api/v1/service-points/nearby", params=near,
                                     timeout=10)
                lookups["ok" if found.status_code == 200 else "failed"] += 1
            except requests.RequestException:
                lookups["failed"] += 1
            eventlet.sleep(0.2)

    workers = [eventlet.spawn(fn) for fn in (rate, rate, complain, look)]
    recovered = {}

    def recovery(name, check, since=None, timeout=120):
        """Seconds from `since` (the fault; now when None) until `check` holds."""
        started = time.monotonic() if since is None else since
        assert wait_for(check, timeout=timeout, interval=0.1), name
        recovered[name] = time.monotonic() - started

    # --- the faults -------------------------------------------------------------
    eventlet.sleep(4)
    killed = time.monotonic()
    processes["gateway"].kill()
    processes["gateway"].start()
    recovery("gateway SIGKILL to answering", lambda: _ok(api, "/healthz"), since=killed)

    killed = time.monotonic()
    processes["geo"].kill()
    processes["geo"].start()
    recovery("geo SIGKILL to nearby answered (resync)", lambda: _ok(api, "/readyz") and len(
        api.get("/api/v1/service-points/nearby", params=near).json().get("results", [])) == 2,
        since=killed)

    pmoc.stop()
    eventlet.sleep(3)
    pmoc.start()
    pmoc.set_faults(timeout_rate=1.0, hang_seconds=1.0)         # stores, answer lost
    eventlet.sleep(4)
    pmoc.set_faults(timeout_rate=0.5, hang_seconds=1.0, honour_idempotency_key=False)
    eventlet.sleep(4)
    pmoc.set_faults(honour_idempotency_key=False)                # healthy, plain Open311
    pmoc_healthy = time.monotonic()

    far = {"from": "0001-01-01", "to": date.today().isoformat()}
    poison = api.get("/api/v1/reports/agencies/" + own["id"], params=far)
    assert poison.status_code == 400, poison.text
    with eventlet.Timeout(30):
        dispatch = event_dispatcher({"AMQP_URI": env["AMQP_URI"]})
        dispatch("feedback", "feedback_submitted", {"feedback_id": "poison", "nonsense": True})

    for worker in workers:
        worker.wait()
    assert _ok(api, "/readyz")

    # --- everything once ------------------------------------------------------------
    admin = api.token(ADMIN["username"], ADMIN["password"])
    span = {"from": (date.today() - timedelta(days=1)).isoformat(),
            "to": (date.today() + timedelta(days=1)).isoformat()}

    def counted():
        return api.get("/api/v1/reports/agencies/" + own["id"], params=span).json()["count"]
    load_ended = time.monotonic()
    recovery("load end to every rating counted", lambda: counted() >= len(ratings), since=load_ended,
             timeout=60)
    assert counted() == len(ratings) == len(set(ratings))

    def relayed():
        stats = api.get("/api/v1/admin/complaints/relay", token=admin).json()
        return stats["pending"] == 0 and stats["relayed"] == len(complaints)
    recovery("PMOC healthy to every complaint relayed (the load went on)", relayed,
             since=pmoc_healthy, timeout=90)
    held = {}
    for record in pmoc.snapshot()["requests"]:
        held.setdefault(MARKER.search(record["description"]).group(1), []).append(
            record["service_request_id"])
    assert sorted(held) == sorted(complaints)
    assert all(len(ids) == 1 for ids in held.values()), {k: v for k, v in held.items() if len(v) > 1}
    assert api.get("/api/v1/admin/complaints/relay", token=admin).json()["duplicated_at_pmoc"] == 0

    assert wait_for(lambda: deadletter.count(env["AMQP_URI"], "reporting") == 1, timeout=30)
    recount = subprocess.run(cfz_command() + ["reporting", "recount"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert recount.returncode == 0, recount.stdout[-3000:] + recount.stderr[-3000:]

    stats = pmoc.snapshot()["stats"]
    print("\nfaults: {} ratings and {} complaints accepted in {} s ({} client retries; "
          "lookups {ok} answered, {failed} failed); PMOC saw {} POSTs, {} answers lost; "
          "recovery: {}".format(
              len(ratings), len(complaints), LOAD_SECONDS, client.failures, stats["post_calls"],
              stats["timed_out"], ", ".join("{} {:.1f} s".format(k, v)
                                            for k, v in recovered.items()), **lookups))
    assert len(ratings) > 100 and len(complaints) > 20
