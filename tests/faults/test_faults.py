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

On a private RabbitMQ node of its own (scripts/private-rabbitmq: the shared
broker serves every other test on the machine and must never restart),
under the same load:

- the broker is stopped and started again;
- an operator converts geo's queue to a quorum queue under the running
  process that holds geo and the gateway, so the broker refuses geo's
  consumer: /readyz names geo and the process exits non-zero (never
  half-alive) and is started again, as Compose or Kubernetes would.

With MONGO_URI set (a real MongoDB keeps the state when a process dies) the
process holding registry, feedback, complaints and reporting is killed too;
without it that test is skipped, as the embedded store dies with its process.

At the end every accepted rating is counted exactly once in reporting and
the operator's recount agrees, every complaint is at PMOC exactly once
(told by the reference in its text), the poison event waits in a
dead-letter queue, nothing is pending, and the recovery times are printed.
"""
import json
import os
import re
import signal
import subprocess
import time
import uuid
from datetime import date, timedelta

import eventlet
import pytest
import requests
from requests.auth import HTTPBasicAuth
from nameko.standalone.events import event_dispatcher
from nameko.testing.utils import find_free_port
from six.moves.urllib.parse import urlparse

from services.common import deadletter
from services.common.storage import get_client
from services.complaints.pmoc_sim import PmocSimulator
from tests.conftest import ADMIN, TEST_SETTINGS
from tests.e2e.conftest import Api
from tests.e2e.test_cfz_run import cfz_command, start_cfz_run, stop_cfz_run
from tests.helpers import POINT, agency, wait_for

MARKER = re.compile(r"\[CFZ:([^\]]+)\]")
LOAD_SECONDS = 50
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRIVATE_RABBIT = os.path.join(ROOT, "scripts", "private-rabbitmq")
REAL_MONGO = bool(os.environ.get("MONGO_URI", "").startswith("mongodb"))
CORE = ["registry", "feedback", "complaints", "reporting"]


class Process:
    """One `cfz run SERVICES` that can be killed and started again."""

    def __init__(self, env, services):
        self.env, self.services = env, services
        self.process = None
        self.output = []

    def start(self):
        self.process, self.output = start_cfz_run(self.env, seconds=240,
                                                  args=list(self.services) + ["--no-demo"])
        assert "Stop with Ctrl-C" in "".join(self.output), "".join(self.output)[-3000:]

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self):
        if self.process:
            stop_cfz_run(self.process)


def _settings(amqp_uri, port, pmoc):
    env = dict(os.environ, **TEST_SETTINGS)
    env.update(AMQP_URI=amqp_uri, GATEWAY_PORT=str(port), CFZ_METRICS_PORT="0",
               CFZ_DB_PREFIX="cfzfaults_{}_".format(uuid.uuid4().hex[:8]),
               PMOC_URL=pmoc.url, CFZ_PMOC_TIMEOUT="0.5", CFZ_PMOC_RELAY_INTERVAL="0.3",
               CFZ_PMOC_BACKOFF_BASE="0.2", CFZ_PMOC_BACKOFF_MAX="1", PMOC_POLL_SECONDS="2",
               CFZ_PMOC_MAX_ATTEMPTS="200", CFZ_FEEDBACK_RATE_LIMIT="100000/minute",
               CFZ_EVENT_RETRY_DELAY="0.1")
    return env


def _drop_databases(env):
    """A real MongoDB keeps the test's databases: drop them (the embedded
    store died with the processes)."""
    if REAL_MONGO:
        client = get_client(env["MONGO_URI"])
        for name in client.list_database_names():
            if name.startswith(env["CFZ_DB_PREFIX"]):
                client.drop_database(name)


@pytest.fixture
def deployment(request, vhost_pipeline):
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    pmoc = PmocSimulator().start()
    with vhost_pipeline.get() as vhost:
        port = find_free_port()
        env = _settings("{}://{}/{}".format(amqp.scheme, amqp.netloc, vhost), port, pmoc)
        processes = {"core": Process(env, CORE), "geo": Process(env, ["geo"]),
                     "gateway": Process(env, ["gateway"])}
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
            _drop_databases(env)


class PrivateBroker:
    """A RabbitMQ node of this test's own (scripts/private-rabbitmq), which
    it may stop, start and reconfigure."""

    def __init__(self, directory):
        self.directory = directory
        self.env = dict(os.environ,
                        PRIVATE_RABBIT_AMQP_PORT=os.environ.get("CFZ_FAULTS_AMQP_PORT", "5782"),
                        PRIVATE_RABBIT_MGMT_PORT=os.environ.get("CFZ_FAULTS_MGMT_PORT", "15782"),
                        PRIVATE_RABBIT_DIST_PORT=os.environ.get("CFZ_FAULTS_DIST_PORT", "25782"),
                        PRIVATE_RABBIT_NODENAME="cfz-faults-{}@localhost".format(
                            uuid.uuid4().hex[:6]))
        self.amqp_uri = "amqp://guest:guest@127.0.0.1:{}/".format(
            self.env["PRIVATE_RABBIT_AMQP_PORT"])
        self.management = "http://127.0.0.1:{}/api".format(self.env["PRIVATE_RABBIT_MGMT_PORT"])

    def _script(self, *args, timeout=180):
        return subprocess.run([PRIVATE_RABBIT, args[0], self.directory, *args[1:]], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def start(self):
        done = self._script("start")
        assert done.returncode == 0, done.stdout + done.stderr

    def stop(self):
        self._script("stop")

    def ctl(self, *args):
        done = self._script("ctl", *args, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr

    def operator(self, method, path, **kwargs):
        """The management API as an operator (not the services' user) uses it."""
        return requests.request(method, self.management + path, timeout=30,
                                auth=HTTPBasicAuth("operator", "operator-for-tests"), **kwargs)


@pytest.fixture
def private_broker(tmp_path):
    if not os.path.exists("/usr/lib/rabbitmq/bin/rabbitmq-server") and \
            subprocess.run(["which", "rabbitmq-server"], capture_output=True).returncode:
        pytest.skip("no rabbitmq-server on this machine for a private node")
    broker = PrivateBroker(str(tmp_path / "rabbitmq"))
    broker.start()
    try:
        broker.ctl("add_user", "operator", "operator-for-tests")
        broker.ctl("set_user_tags", "operator", "administrator")
        broker.ctl("set_permissions", "-p", "/", "operator", ".*", ".*", ".*")
        yield broker
    finally:
        broker.stop()


def _ok(api, path):
    try:
        return api.get(path).status_code == 200
    except requests.RequestException:
        return False


def _readiness(api):
    """What /readyz says of each service ({} when it does not answer)."""
    try:
        body = api.get("/readyz").json()
    except (requests.RequestException, ValueError):
        return {}
    return body.get("services") or body.get("details", {}).get("services") or {}


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


class Load:
    """The steady mixed load: two clients rating, one filing complaints,
    one looking for the nearest points, for `seconds`."""

    def __init__(self, api, seconds=LOAD_SECONDS):
        self.api, self.seconds = api, seconds
        officer, self.agency = api.approved_agency(agency("faults"))
        self.points = []
        for n in range(2):
            point = api.post("/api/v1/service-points", token=officer, json=dict(
                POINT, name_th="จุดบริการทดสอบ {}".format(n),
                location={"lat": 18.79 + n / 100, "lon": 98.98})).json()
            api.put("/api/v1/service-points/{}/services".format(point["id"]), token=officer,
                    json={"services": [{"service_code": "DOPA-ID-NEW", "documents": []}]})
            self.points.append(point["id"])
        self.near = {"lat": 18.8, "lon": 98.98, "k": 2}
        assert wait_for(self.nearby_answered, timeout=30)
        self.ratings, self.complaints, self.lookups = [], [], {"ok": 0, "failed": 0}
        self.recovered = {}

    def nearby_answered(self):
        try:
            found = self.api.get("/api/v1/service-points/nearby", params=self.near)
            return found.status_code == 200 and len(found.json().get("results", [])) == 2
        except (requests.RequestException, ValueError):
            return False

    def start(self):
        self.stop_at = time.monotonic() + self.seconds
        self.client = Client(self.api.base, self.stop_at + 120)
        self.workers = [eventlet.spawn(fn) for fn in (self._rate, self._rate, self._complain,
                                                      self._look)]

    def _rate(self):
        n = 0
        while time.monotonic() < self.stop_at:
            n += 1
            self.ratings.append(self.client.send("/api/v1/service-points/{}/feedback".format(
                self.points[n % 2]), {"service_code": "DOPA-ID-NEW", "channel": "walk_in",
                                      "answers": {"satisfaction": 1 + n % 5}})["feedback_id"])
            eventlet.sleep(0.15)

    def _complain(self):
        n = 0
        while time.monotonic() < self.stop_at:
            n += 1
            self.complaints.append(self.client.send("/api/v1/complaints", {
                "category": "SERVICE-DELAY", "description": "รอคิวนานมาก ครั้งที่ {}".format(n),
                "service_point_id": self.points[n % 2]})["complaint_id"])
            eventlet.sleep(1.0)

    def _look(self):
        while time.monotonic() < self.stop_at:
            try:
                found = requests.get(self.api.base + "/api/v1/service-points/nearby",
                                     params=self.near, timeout=10)
                self.lookups["ok" if found.status_code == 200 else "failed"] += 1
            except requests.RequestException:
                self.lookups["failed"] += 1
            eventlet.sleep(0.2)

    def wait(self):
        for worker in self.workers:
            worker.wait()

    def recovery(self, name, check, since=None, timeout=120):
        """Seconds from `since` (the fault; now when None) until `check` holds."""
        started = time.monotonic() if since is None else since
        assert wait_for(check, timeout=timeout, interval=0.1), name
        self.recovered[name] = time.monotonic() - started

    def check_everything_once(self, env, pmoc, since_pmoc_healthy=None, dead_letters=0,
                              minimum=(100, 20)):
        """Every accepted rating counted once (and the recount agrees), every
        complaint at PMOC once, nothing pending; the figures printed."""
        api = self.api
        admin = api.token(ADMIN["username"], ADMIN["password"])
        span = {"from": (date.today() - timedelta(days=1)).isoformat(),
                "to": (date.today() + timedelta(days=1)).isoformat()}

        def counted():
            return api.get("/api/v1/reports/agencies/" + self.agency["id"],
                           params=span).json()["count"]
        self.recovery("load end to every rating counted", lambda: counted() >= len(self.ratings),
                      timeout=60)
        assert counted() == len(self.ratings) == len(set(self.ratings))

        def relayed():
            stats = api.get("/api/v1/admin/complaints/relay", token=admin).json()
            return stats["pending"] == 0 and stats["relayed"] == len(self.complaints)
        self.recovery("PMOC healthy to every complaint relayed (the load went on)"
                      if since_pmoc_healthy else "load end to every complaint relayed", relayed,
                      since=since_pmoc_healthy, timeout=90)
        held = {}
        for record in pmoc.snapshot()["requests"]:
            held.setdefault(MARKER.search(record["description"]).group(1), []).append(
                record["service_request_id"])
        assert sorted(held) == sorted(self.complaints)
        assert all(len(ids) == 1 for ids in held.values()), {
            k: v for k, v in held.items() if len(v) > 1}
        assert api.get("/api/v1/admin/complaints/relay",
                       token=admin).json()["duplicated_at_pmoc"] == 0

        assert wait_for(lambda: deadletter.count(env["AMQP_URI"], "reporting") == dead_letters,
                        timeout=30)
        assert deadletter.count(env["AMQP_URI"], "geo") == 0
        recount = subprocess.run(cfz_command() + ["reporting", "recount"], env=env,
                                 capture_output=True, text=True, timeout=300)
        assert recount.returncode == 0, recount.stdout[-3000:] + recount.stderr[-3000:]

        stats = pmoc.snapshot()["stats"]
        print("\nfaults: {} ratings and {} complaints accepted in {} s ({} client retries; "
              "lookups {ok} answered, {failed} failed); PMOC saw {} POSTs, {} answers lost; "
              "recovery: {}".format(
                  len(self.ratings), len(self.complaints), self.seconds, self.client.failures,
                  stats["post_calls"], stats["timed_out"],
                  ", ".join("{} {:.1f} s".format(k, v) for k, v in self.recovered.items()),
                  **self.lookups))
        # the load really ran through the faults (ratings, complaints)
        assert len(self.ratings) > minimum[0] and len(self.complaints) > minimum[1]


def test_the_suite_survives_faults_and_counts_everything_once(deployment):
    api, processes, pmoc, env = deployment
    load = Load(api)
    load.start()

    eventlet.sleep(4)
    killed = time.monotonic()
    processes["gateway"].kill()
    processes["gateway"].start()
    load.recovery("gateway SIGKILL to answering", lambda: _ok(api, "/healthz"), since=killed)

    killed = time.monotonic()
    processes["geo"].kill()
    processes["geo"].start()
    load.recovery("geo SIGKILL to nearby answered (resync)",
                  lambda: _ok(api, "/readyz") and load.nearby_answered(), since=killed)

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
    poison = api.get("/api/v1/reports/agencies/" + load.agency["id"], params=far)
    assert poison.status_code == 400, poison.text
    with eventlet.Timeout(30):
        dispatch = event_dispatcher({"AMQP_URI": env["AMQP_URI"]})
        dispatch("feedback", "feedback_submitted", {"feedback_id": "poison", "nonsense": True})

    load.wait()
    assert _ok(api, "/readyz")
    load.check_everything_once(env, pmoc, since_pmoc_healthy=pmoc_healthy, dead_letters=1)


@pytest.mark.skipif(not REAL_MONGO, reason="needs MONGO_URI=mongodb://...: the embedded store "
                                           "dies with the process that holds it")
def test_every_process_killed_on_a_real_mongodb(deployment):
    """With the state in MongoDB, any process may die: the one holding
    registry, feedback, complaints and reporting too."""
    api, processes, pmoc, env = deployment
    load = Load(api, seconds=40)
    load.start()
    for name in ("core", "geo", "gateway"):
        eventlet.sleep(3)
        killed = time.monotonic()
        processes[name].kill()
        processes[name].start()
        load.recovery("{} SIGKILL to ready".format(name), lambda: _ok(api, "/readyz") and
                      load.nearby_answered(), since=killed)
    load.wait()
    load.check_everything_once(env, pmoc, minimum=(40, 5))


def test_broker_restart_and_a_service_the_broker_refuses(private_broker):
    """RabbitMQ restarted under the load; then geo's queue is converted to a
    quorum queue under the running `cfz run geo gateway` (the capacity plan's
    advice, done wrong: live, by deleting and declaring it), so the broker
    refuses geo's consumer on every redeclare with 406. nameko would retry
    that for ever with the gateway serving beside it; /readyz names geo and
    the process exits non-zero within CFZ_CONSUMER_REFUSED_SECONDS."""
    broker = private_broker
    refused_seconds = 6
    pmoc = PmocSimulator().start()
    port = find_free_port()
    env = _settings(broker.amqp_uri, port, pmoc)
    env["CFZ_CONSUMER_REFUSED_SECONDS"] = str(refused_seconds)
    processes = {"core": Process(env, CORE), "edge": Process(env, ["geo", "gateway"])}
    try:
        for process in processes.values():
            process.start()
        api = Api("http://127.0.0.1:{}".format(port))
        assert wait_for(lambda: _ok(api, "/readyz"), timeout=60)
        load = Load(api, seconds=40)
        load.start()
        eventlet.sleep(4)

        # --- RabbitMQ restarted -------------------------------------------------
        stopped = time.monotonic()
        broker.stop()
        eventlet.sleep(2)
        broker.start()
        started = time.monotonic()
        load.recovery("broker start to /readyz 200", lambda: _ok(api, "/readyz"), since=started)
        load.recovery("broker stop to nearby answered", load.nearby_answered, since=stopped)
        assert processes["core"].process.poll() is None and processes["edge"].process.poll() is None

        # --- the broker refuses geo ------------------------------------------------
        queue = "/queues/%2F/rpc-geo"
        broker.ctl("set_permissions", "-p", "/", "guest", "^(?!rpc-geo$).*", ".*", ".*")
        assert broker.operator("DELETE", queue).status_code == 204
        assert broker.operator("PUT", queue, data=json.dumps(
            {"durable": True, "arguments": {"x-queue-type": "quorum"}}),
            headers={"content-type": "application/json"}).status_code in (201, 204)
        broker.ctl("set_permissions", "-p", "/", "guest", ".*", ".*", ".*")
        converted = time.monotonic()
        assert wait_for(lambda: _readiness(api).get("geo") not in (None, "ok"),
                        timeout=refused_seconds), _readiness(api)
        named = _readiness(api)
        assert named.get("gateway", "ok") == "ok" and named.get("registry") == "ok", named
        edge = processes["edge"].process
        try:
            code = edge.wait(timeout=refused_seconds + 20)
        except subprocess.TimeoutExpired:
            raise AssertionError("the process stayed up, half-alive:\n" +
                                 "".join(processes["edge"].output)[-3000:])
        load.recovered["queue converted to process exited ({})".format(code)] = \
            time.monotonic() - converted
        assert code != 0
        assert "the broker has refused geo" in "".join(processes["edge"].output)

        # the operator undoes it; the orchestrator starts the process again
        assert broker.operator("DELETE", queue).status_code == 204
        restarted = time.monotonic()
        processes["edge"].start()
        load.recovery("edge restart to nearby answered",
                      lambda: _ok(api, "/readyz") and load.nearby_answered(), since=restarted)

        load.wait()
        assert _ok(api, "/readyz")
        load.check_everything_once(env, pmoc, minimum=(40, 5))
    finally:
        for process in processes.values():
            process.stop()
        pmoc.stop()
        _drop_databases(env)
