"""Satisfaction alerts in reporting's database (ADR 12): the alert and its
event are one document (outbox), so a crash cannot lose the event or send
it twice under different ids. What makes an alert is `alerts`."""
from pymongo.errors import DuplicateKeyError

from services.common import events
from services.common.outbox import outbox_entry
from services.common.storage import Repository

INDEXES = {"alerts": [([("scope", 1), ("entity_id", 1), ("day", -1)], {"name": "by_entity"})]}


class AlertStore(Repository):
    """The alerts raised, each with its pending event."""

    def record(self, found, today):
        """Store each new alert with its event; the ones that were new today."""
        new = []
        for alert in found:
            alert_id = "|".join((alert["scope"], alert["entity_id"], today.isoformat()))
            payload = events.new_event("satisfaction_alert", dict(alert, alert_id=alert_id))
            try:
                self._db.alerts.insert_one(dict(alert, _id=alert_id, day=today.isoformat(),
                                                outbox=[outbox_entry("satisfaction_alert",
                                                                     payload)]))
            except DuplicateKeyError:
                continue
            new.append(alert)
        return new

    def recent(self, scope=None, entity_id=None, limit=50):
        criteria = {}
        if scope:
            criteria["scope"] = scope
        if entity_id:
            criteria["entity_id"] = entity_id
        return [dict({k: v for k, v in doc.items() if k != "_id"}, alert_id=doc["_id"])
                for doc in self._db.alerts.find(criteria, {"outbox": 0})
                .sort([("day", -1), ("_id", 1)]).limit(limit)]
