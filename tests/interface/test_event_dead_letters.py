"""Events are never dropped on error: a failing handler is tried again, and
what still fails waits in a dead-letter queue until it is replayed — on the
real RabbitMQ, through our event entrypoint and the `cfz events` commands."""
import json
import subprocess
import sys

import pytest
from marshmallow import ValidationError
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_hook

from services.common import deadletter
from services.common.entrypoints import event_handler
from services.common.errors import ServiceUnavailable
from services.reporting.service import ReportingService
from tests.helpers import wait_for


class Flaky:
    """Fails its first `failures` deliveries of each event, then applies it."""
    name = "flaky"
    failures = 0
    attempts = []
    applied = []

    @event_handler("source", "thing_happened")
    def on_thing(self, payload):
        Flaky.attempts.append(payload["id"])
        if Flaky.attempts.count(payload["id"]) <= Flaky.failures:
            raise ServiceUnavailable("the database blinked")
        if payload.get("invalid"):
            raise ValidationError({"id": ["invalid"]})
        Flaky.applied.append(payload["id"])


@pytest.fixture
def flaky(container_factory, config):
    Flaky.attempts, Flaky.applied = [], []
    conf = dict(config, CFZ_EVENT_MAX_ATTEMPTS="3", CFZ_EVENT_RETRY_DELAY="0.05")
    container = container_factory(Flaky, conf)
    container.start()
    return conf, event_dispatcher(conf)


def test_a_transient_failure_is_tried_again_and_applied_once(flaky):
    conf, dispatch = flaky
    Flaky.failures = 2
    dispatch("source", "thing_happened", {"id": "a"})
    assert wait_for(lambda: Flaky.applied == ["a"], timeout=10)
    assert Flaky.attempts == ["a", "a", "a"]
    assert deadletter.count(conf["AMQP_URI"], "flaky") == 0


def test_what_still_fails_is_dead_lettered_with_why_and_replays_once_fixed(flaky):
    conf, dispatch = flaky
    Flaky.failures = 3  # every one of the 3 attempts CFZ_EVENT_MAX_ATTEMPTS allows
    dispatch("source", "thing_happened", {"id": "b"})
    assert wait_for(lambda: deadletter.count(conf["AMQP_URI"], "flaky") == 1, timeout=10)
    assert Flaky.applied == [] and Flaky.attempts == ["b"] * 3
    [letter] = deadletter.peek(conf["AMQP_URI"], "flaky")
    assert letter["event"] == "thing_happened" and letter["source"] == "source.events"
    assert letter["attempts"] == 3 and "the database blinked" in letter["error"]
    assert json.loads(letter["body"]) == {"id": "b"}
    assert deadletter.count(conf["AMQP_URI"], "flaky") == 1  # peeking leaves it there

    # fixed (the next delivery succeeds): the operator replays it
    assert deadletter.replay(conf["AMQP_URI"], "flaky") == 1
    assert wait_for(lambda: Flaky.applied == ["b"], timeout=10)
    assert deadletter.count(conf["AMQP_URI"], "flaky") == 0


def test_an_invalid_event_is_dead_lettered_at_once(flaky):
    conf, dispatch = flaky
    Flaky.failures = 0
    dispatch("source", "thing_happened", {"id": "c", "invalid": True})
    assert wait_for(lambda: deadletter.count(conf["AMQP_URI"], "flaky") == 1, timeout=10)
    assert Flaky.attempts == ["c"]
    assert deadletter.peek(conf["AMQP_URI"], "flaky")[0]["attempts"] == 1


def test_a_poison_event_leaves_reporting_up_and_is_listed_by_cfz(container_factory, config):
    reporting = container_factory(ReportingService, config)
    reporting.start()
    dispatch = event_dispatcher(config)
    dispatch("feedback", "feedback_submitted", {"feedback_id": "x" * 5, "nonsense": "\u0e01"})
    assert wait_for(lambda: deadletter.count(config["AMQP_URI"], "reporting") == 1, timeout=10)
    environment = {"AMQP_URI": config["AMQP_URI"], "PATH": "/usr/bin:/bin"}
    listed = subprocess.run([sys.executable, "-m", "services.cli", "events", "dead-letters",
                             "reporting", "--json"], env=environment, capture_output=True,
                            text=True, timeout=60, check=True)
    report = json.loads(listed.stdout)["reporting"]
    assert report["count"] == 1 and report["letters"][0]["event"] == "feedback_submitted"
    assert "ValidationError" in report["letters"][0]["error"]
    # the service still answers
    with entrypoint_hook(reporting, "health") as health:
        assert health()["status"] == "ok"
    replayed = subprocess.run([sys.executable, "-m", "services.cli", "events", "replay",
                               "reporting"], env=environment, capture_output=True, text=True,
                              timeout=60, check=True)
    assert "replayed 1 event(s)" in replayed.stdout
    # still invalid: back in the dead-letter queue, not lost and not looping
    assert wait_for(lambda: deadletter.count(config["AMQP_URI"], "reporting") == 1, timeout=10)
