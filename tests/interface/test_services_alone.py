"""One service at a time: feedback in a nameko container against the real
RabbitMQ, the registry it asks about points replaced (`replace_dependencies`)
by a stand-in that answers as the registry's `get_service_point` does, so a
failure here is feedback's own. The multi-service tests beside this one
(tests/interface/test_feedback_service.py) run it with the real registry."""
import eventlet
import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, replace_dependencies

from services.common import events
from services.common.errors import NotFound, ValidationFailed
from services.feedback.service import FeedbackService
from tests.helpers import wait_for

POINT = {"id": "sp-alone-1", "agency_id": "ag-alone", "province_code": "50", "status": "open",
         "name_th": "ที่ว่าการอำเภอเมืองเชียงใหม่", "name_en": "Mueang Chiang Mai District Office",
         "location": {"lat": 18.79, "lon": 98.98},
         "services": [{"service_code": "DOPA-ID-NEW", "documents": [
             {"name_th": "สูติบัตร", "government_issued": True, "copy_required": False}]}]}


class Answer:
    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


class PointLookup:
    def __init__(self, points):
        self.points, self.asked = points, []

    def call_async(self, point_id):
        self.asked.append(point_id)
        if point_id not in self.points:
            return Answer(error=NotFound("No such service point."))
        return Answer(dict(self.points[point_id]))


class RegistryStandIn:
    """The registry as feedback calls it (services/common/rpc.py)."""
    service_name = "registry"
    worker_ctx = None

    def __init__(self, points):
        self.get_service_point = PointLookup({p["id"]: p for p in points})


class Recorder:
    name = "alone_recorder"
    received = []

    @event_handler("feedback", "feedback_submitted")
    def submitted(self, payload):
        self.received.append(events.parse_event("feedback_submitted", payload))


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


@pytest.fixture
def feedback(container_factory, config):
    Recorder.received = []
    container = container_factory(FeedbackService, config)
    registry = RegistryStandIn([POINT])
    replace_dependencies(container, registry=registry)
    container_factory(Recorder, config).start()
    container.start()
    return container, registry


def test_feedback_alone_stores_a_rating_once_and_tells_of_it_with_the_registrys_point(feedback):
    container, registry = feedback
    data = {"service_code": "DOPA-ID-NEW", "channel": "walk_in",
            "answers": {"satisfaction": 2}, "copies_requested": ["สูติบัตร"],
            "comment": "รอนานมาก โทรกลับที่ 0812345678 ด้วย"}
    first = call(container, "submit", POINT["id"], data, "alone-key-0001", "client-a")
    again = call(container, "submit", POINT["id"], data, "alone-key-0001", "client-a")
    assert again["feedback_id"] == first["feedback_id"] and again["replayed"]
    assert registry.get_service_point.asked[0] == POINT["id"]
    assert wait_for(lambda: Recorder.received)
    eventlet.sleep(0.3)  # a second event would have arrived by now
    [event] = Recorder.received
    assert event["feedback_id"] == first["feedback_id"]
    assert (event["agency_id"], event["province_code"]) == ("ag-alone", "50")
    assert event["zero_copy_breaches"] == [{"document": "สูติบัตร", "reason": "government_issued"}]
    assert event["comment_public"].startswith("รอนานมาก") and "0812345678" not in event["comment_public"]


def test_feedback_alone_refuses_a_point_the_registry_does_not_know(feedback):
    container, _ = feedback
    with pytest.raises((NotFound, ValidationFailed)):
        call(container, "submit", "sp-nowhere", {"answers": {"satisfaction": 4}}, None, "client-b")
    eventlet.sleep(0.3)
    assert Recorder.received == []
