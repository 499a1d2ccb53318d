"""reporting: aggregates fed by events, and reports (thin shell).

This first slice counts feedback; complaints, Zero Copy and rollout
progress, rankings, alerts and exports follow (issue 6)."""
from datetime import datetime

from marshmallow import ValidationError
from nameko.events import event_handler
from nameko.rpc import rpc

from services.common import events
from services.common.entrypoints import HealthMixin
from services.common.errors import EXPECTED, validation_error
from services.common.metrics import Metrics
from services.common.storage import Mongo
from services.registry.schemas import load
from services.reporting import aggregates, reports, schemas

LEVELS = {"service_point": "point", "agency": "agency", "province": "province", "nation": "nation"}


class ReportingService(HealthMixin):
    name = "reporting"

    db = Mongo(indexes=aggregates.INDEXES)
    metrics = Metrics()

    @event_handler("feedback", "feedback_submitted")
    def on_feedback_submitted(self, payload):
        aggregates.apply_feedback(self.db, events.parse_event("feedback_submitted", payload))

    @rpc(expected_exceptions=EXPECTED)
    def report(self, level, key, query=None):
        if level not in LEVELS:
            raise validation_error({"level": ["One of: " + ", ".join(LEVELS) + "."]})
        query = load(schemas.ReportQuery, query or {})
        try:
            start, end = schemas.date_range(query, datetime.now(aggregates.BANGKOK).date())
        except ValidationError as exc:
            raise validation_error(exc.messages)
        report = reports.report(self.db, LEVELS[level], key, start, end, query["min_sample"])
        if query["format"] == "csv":
            return {"csv": reports.report_csv(report),
                    "filename": "report-{}-{}-{}-{}.csv".format(level, key, report["from"], report["to"])}
        return report

    @rpc(expected_exceptions=EXPECTED)
    def rankings(self, query=None):
        query = load(schemas.RankingQuery, query or {})
        try:
            start, end = schemas.date_range(query, datetime.now(aggregates.BANGKOK).date())
        except ValidationError as exc:
            raise validation_error(exc.messages)
        return reports.rankings(self.db, LEVELS[query["level"]], start, end,
                                query["min_sample"], query["limit"])
