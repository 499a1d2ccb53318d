"""The feedback service in a container with the registry, real RabbitMQ."""
import eventlet
import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook

from services.common import events
from services.common.errors import Conflict, RateLimited, ValidationFailed
from services.feedback import tokens
from services.feedback.service import FeedbackService
from services.registry.service import RegistryService
from tests.conftest import ADMIN
from tests.helpers import POINT, agency, wait_for

SUBMISSION = {"service_code": "DOPA-ID-NEW", "channel": "walk_in",
              "answers": {"satisfaction": 5, "staff": 4}, "comment": "บริการรวดเร็ว"}


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


class FeedbackEvents:
    name = "feedback_recorder"
    received = []

    @event_handler("feedback", "feedback_submitted")
    def submitted(self, payload):
        self.received.append(("feedback_submitted", events.parse_event("feedback_submitted", payload)))

    @event_handler("feedback", "feedback_moderated")
    def moderated(self, payload):
        self.received.append(("feedback_moderated", events.parse_event("feedback_moderated", payload)))


@pytest.fixture
def stack(container_factory, config):
    FeedbackEvents.received = []
    conf = dict(config, CFZ_FEEDBACK_RATE_LIMIT="3/minute")
    registry = container_factory(RegistryService, conf)
    feedback = container_factory(FeedbackService, conf)
    recorder = container_factory(FeedbackEvents, conf)
    for container in (registry, feedback, recorder):
        container.start()
    registration = call(registry, "register_agency", agency("fb"))
    admin = call(registry, "authenticate", ADMIN["username"], ADMIN["password"])["access_token"]
    call(registry, "approve_agency", admin, registration["agency"]["id"])
    officer = call(registry, "authenticate", "officer-fb", "correct horse fb")["access_token"]
    point = call(registry, "create_service_point", officer, POINT)
    call(registry, "set_services", officer, point["id"], {"services": [{"service_code": "DOPA-ID-NEW", "documents": [
        {"name_th": "สูติบัตร", "government_issued": True, "copy_required": False}]}]})
    return feedback, point, officer


def test_submission_is_stored_once_and_its_event_arrives_once(stack):
    feedback, point, _ = stack
    data = dict(SUBMISSION, copies_requested=["สูติบัตร"])
    first = call(feedback, "submit", point["id"], data, "retry-key-0001", "client-1")
    retried = call(feedback, "submit", point["id"], data, "retry-key-0001", "client-1")
    assert retried["feedback_id"] == first["feedback_id"] and retried["replayed"]
    assert wait_for(lambda: FeedbackEvents.received)
    eventlet.sleep(0.5)
    assert [(n, e["feedback_id"]) for n, e in FeedbackEvents.received] == [
        ("feedback_submitted", first["feedback_id"])]
    event = FeedbackEvents.received[0][1]
    assert event["agency_id"] == point["agency_id"] and event["province_code"] == "50"
    assert event["answers"] == {"satisfaction": 5, "staff": 4} and event["verified"] is False
    assert event["zero_copy_breaches"] == [{"document": "สูติบัตร", "reason": "government_issued"}]
    assert event["questionnaire_version"] == 1


def test_a_reused_visit_token_is_refused(stack):
    feedback, point, _ = stack
    token = tokens.issue_single_use(feedback.config["CFZ_JWT_SECRET"], point["id"])["visit_token"]
    data = dict(SUBMISSION, visit_token=token)
    assert call(feedback, "submit", point["id"], data, None, "client-2")["verified"] is True
    with pytest.raises(Conflict) as used:
        call(feedback, "submit", point["id"], data, None, "client-3")
    assert used.value.error_code == "TOKEN_USED"


def test_unverified_clients_are_rate_limited_verified_ones_are_not(stack):
    feedback, point, _ = stack
    for _ in range(3):
        call(feedback, "submit", point["id"], SUBMISSION, None, "client-4")
    with pytest.raises(RateLimited) as limited:
        call(feedback, "submit", point["id"], SUBMISSION, None, "client-4")
    assert 0 < limited.value.details["retry_after_seconds"] <= 60
    call(feedback, "submit", point["id"], SUBMISSION, None, "client-5")  # someone else
    code = tokens.counter_code(feedback.config["CFZ_JWT_SECRET"], point["id"])
    visit = call(feedback, "issue_visit_token", point["id"], {"code": code, "device_id": "device-0001"}, "client-6")
    verified = call(feedback, "submit", point["id"], dict(SUBMISSION, visit_token=visit["visit_token"]), None, "client-4")
    assert verified["verified"] is True


def test_abusive_comment_waits_for_its_agencys_moderator(stack):
    feedback, point, officer = stack
    held = call(feedback, "submit", point["id"], dict(SUBMISSION, comment="เจ้าหน้าที่โง่มาก โทร 0812345678"), None, "c7")
    assert held["comment_status"] == "pending"
    assert call(feedback, "list_public", point["id"])["total"] == 0
    queue = call(feedback, "moderation_queue", officer)
    assert [q["feedback_id"] for q in queue["results"]] == [held["feedback_id"]]
    assert queue["results"][0]["comment_original"].endswith("0812345678")
    decided = call(feedback, "moderate", officer, held["feedback_id"],
                   {"decision": "publish", "comment": "เจ้าหน้าที่ไม่สุภาพ โทร 0812345678"})
    assert decided["comment_status"] == "published"
    public = call(feedback, "list_public", point["id"])["results"]
    assert [p["comment"] for p in public] == ["เจ้าหน้าที่ไม่สุภาพ โทร [เบอร์โทรถูกซ่อน]"]
    assert wait_for(lambda: any(n == "feedback_moderated" for n, _ in FeedbackEvents.received))
    with pytest.raises(ValidationFailed):
        call(feedback, "moderate", officer, held["feedback_id"], {"decision": "maybe"})
