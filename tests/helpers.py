"""Test helpers: an event recorder service and sample inputs."""
from nameko.events import event_handler

from services.common import events

POINT = {
    "name_th": "ที่ว่าการอำเภอเมืองเชียงใหม่",
    "name_en": "Mueang Chiang Mai District Office",
    "address": "ถนนช้างเผือก ตำบลศรีภูมิ อำเภอเมืองเชียงใหม่",
    "province_code": "50",
    "location": {"lat": 18.7953, "lon": 98.9862},
    "opening_hours": "จ.-ศ. 08:30-16:30",
    "phone": "053-112-345",
}


def agency(suffix, **overrides):
    data = {"name_th": "สำนักงานทดสอบ {}".format(suffix),
            "name_en": "Test Office {}".format(suffix),
            "ministry": "กระทรวงมหาดไทย", "contact_email": "office{}@example.go.th".format(suffix),
            "username": "officer-{}".format(suffix), "password": "correct horse {}".format(suffix)}
    data.update(overrides)
    return data


def make_recorder(received):
    """A service that records the registry's and feedback's events, by name."""

    class EventRecorder:
        name = "event_recorder"

        @event_handler("registry", "office_registered")
        def office_registered(self, payload):
            received.append(("office_registered", events.parse_event("office_registered", payload)))

        @event_handler("registry", "office_updated")
        def office_updated(self, payload):
            received.append(("office_updated", events.parse_event("office_updated", payload)))

        @event_handler("registry", "office_closed")
        def office_closed(self, payload):
            received.append(("office_closed", events.parse_event("office_closed", payload)))

        @event_handler("registry", "services_changed")
        def services_changed(self, payload):
            received.append(("services_changed", events.parse_event("services_changed", payload)))

        @event_handler("feedback", "feedback_submitted")
        def feedback_submitted(self, payload):
            received.append(("feedback_submitted", events.parse_event("feedback_submitted", payload)))

    return EventRecorder


def wait_for(predicate, timeout=10.0, interval=0.02):
    import eventlet
    with eventlet.Timeout(timeout, False):
        while not predicate():
            eventlet.sleep(interval)
        return True
    return predicate()
