"""reporting: aggregates fed by events, reports, alerts (thin shell).

Feedback goes into exactly-once day buckets (compacted into months by a
timer), complaints and service points into reporting's own copies kept by
entity version; reports, rankings, Zero Copy and rollout progress,
complaint performance and alerts are read from them. `recount` rebuilds
everything from the source services and lists any difference.
"""
import logging
from datetime import datetime


from marshmallow import ValidationError
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from nameko.timer import timer
from prometheus_client import Counter, Gauge

from services.common import auth, events
from services.common import rpc as rpc_calls
from services.common.config import get_float
from services.common.csvfile import to_csv
from services.common.entrypoints import ConfiguredTimer, HealthMixin, event_handler, outbox_timer, rpc
from services.common.errors import ServiceUnavailable, validation_error
from services.common.metrics import Metrics, service_metric
from services.common.outbox_publisher import OutboxPublisher
from services.common.opendata_service import OpenDataMixin
from services.common.resync import ResyncSchedule
from services.common.storage import Storage
from services.common.ttlcache import TtlCache
from services.common.schemas import load
from services.reporting import (alerts, complaints, opendata, rating_buckets, reports, rollout,
                                schemas, store, theme_buckets)

log = logging.getLogger(__name__)
LEVELS = {"service_point": "point", "agency": "agency", "province": "province", "nation": "nation"}
PRIOR_CACHE_SECONDS = 60.0  # the prior's weight reads every point of the range
RECOUNT_PAGE = 2000
COMMENT_PAGE = 500  # published comments carry up to 1,000 characters each
THEME_VIEWS = ("themes", "unhappy", "rising")
RESYNC_RETRY_SECONDS = 5.0

ALERTS_RAISED = service_metric("reporting", Counter(
    "cfz_satisfaction_alerts_total", "Satisfaction alerts raised", ["scope"], registry=None))
DIRTY_MONTHS = service_metric("reporting", Gauge(
    "cfz_reporting_dirty_months", "Month buckets waiting for compaction", registry=None))
EVENTS_APPLIED = service_metric("reporting", Counter(
    "cfz_reporting_events_applied_total", "Events applied to aggregates", ["event", "changed"],
    registry=None))


class Resync(DependencyProvider):
    def setup(self):
        self.schedule = ResyncSchedule(RESYNC_RETRY_SECONDS)

    def get_dependency(self, worker_ctx):
        return self.schedule


class Priors(DependencyProvider):
    def setup(self):
        self.cache = TtlCache(PRIOR_CACHE_SECONDS)

    def get_dependency(self, worker_ctx):
        return self.cache


def today():
    return datetime.now(rating_buckets.BANGKOK).date()


def _range(query):
    try:
        return schemas.date_range(query, today())
    except ValidationError as exc:
        raise validation_error(exc.messages)


class ReportingService(auth.TokenActor, OpenDataMixin, HealthMixin):
    name = "reporting"

    storage = Storage(store.ReportingStore, indexes=store.INDEXES,
                      on_start=lambda storage, container: storage.ratings.ensure_layout())
    config = Config()
    # publishes each write's events at once; the timer below, what is left
    outbox_publisher = OutboxPublisher("alerts")
    metrics = Metrics()
    priors = Priors()
    resync = Resync()
    feedback = RpcProxy("feedback")
    complaints_service = RpcProxy("complaints")
    registry = RpcProxy("registry")

    # --- events in ----------------------------------------------------------
    @event_handler("feedback", "feedback_submitted")
    def on_feedback_submitted(self, payload):
        fact = events.parse_event("feedback_submitted", payload)
        changed = self.storage.ratings.apply_feedback(fact)
        EVENTS_APPLIED.labels("feedback_submitted", str(bool(changed)).lower()).inc()
        self._comment(theme_buckets.from_submitted(fact), "feedback_submitted")

    @event_handler("feedback", "feedback_moderated")
    def on_feedback_moderated(self, payload):
        self._comment(theme_buckets.from_moderated(
            events.parse_event("feedback_moderated", payload)), "feedback_moderated")

    def _comment(self, state, name):
        changed = self.storage.themes.record(state)
        EVENTS_APPLIED.labels(name + ":themes", str(bool(changed)).lower()).inc()

    def _complaint(self, name, payload):
        changed = self.storage.complaints.apply_complaint(events.parse_event(name, payload))
        EVENTS_APPLIED.labels(name, str(changed).lower()).inc()

    @event_handler("complaints", "complaint_filed")
    def on_complaint_filed(self, payload):
        self._complaint("complaint_filed", payload)

    @event_handler("complaints", "complaint_relayed")
    def on_complaint_relayed(self, payload):
        self._complaint("complaint_relayed", payload)

    @event_handler("complaints", "complaint_status_changed")
    def on_complaint_status_changed(self, payload):
        self._complaint("complaint_status_changed", payload)

    def _office(self, name, payload):
        changed = self.storage.progress.apply_office(name, events.parse_event(name, payload),
                                                     today(), refresh=False)
        EVENTS_APPLIED.labels(name, str(changed).lower()).inc()

    @event_handler("registry", "office_registered")
    def on_office_registered(self, payload):
        self._office("office_registered", payload)

    @event_handler("registry", "office_updated")
    def on_office_updated(self, payload):
        self._office("office_updated", payload)

    @event_handler("registry", "office_closed")
    def on_office_closed(self, payload):
        self._office("office_closed", payload)

    @event_handler("registry", "services_changed")
    def on_services_changed(self, payload):
        self._office("services_changed", payload)

    # --- background work ----------------------------------------------------
    @timer(interval=1.0)  # see services/common/resync.py
    def resync_points(self):
        """Heal the copy of service points from the registry (at start, and
        then every CFZ_REPORT_RESYNC_SECONDS): events published before this
        service's queues existed, or lost with them, are not missed for good."""
        if not self.resync.due():
            return None
        timeout = get_float(self.config, "CFZ_RPC_TIMEOUT")
        applied = 0
        try:
            for page in rpc_calls.call_pages(self.registry, "open_points", RECOUNT_PAGE,
                                             timeout=timeout):
                for payload in page:
                    event = events.new_event("office_registered", payload)
                    applied += self.storage.progress.apply_office(
                        "office_registered",
                        events.parse_event("office_registered", event), today(), refresh=False)
        except ServiceUnavailable as exc:  # registry not up yet: retry soon
            log.warning("reporting resync: %s; retrying in %ss", exc, RESYNC_RETRY_SECONDS)
            self.resync.failed()
            return None
        self.resync.succeeded(get_float(self.config, "CFZ_REPORT_RESYNC_SECONDS"))
        log.info("reporting resync: %s points updated from the registry", applied)
        return applied

    @ConfiguredTimer.decorator("CFZ_REPORT_COMPACT_INTERVAL")
    def compact(self):
        storage = self.storage
        rebuilt = storage.ratings.compact()
        storage.themes.compact()
        if rebuilt:  # month buckets changed: the satisfaction file is stale
            storage.mark_open_data_dirty()
        storage.progress.refresh_marked(today())
        DIRTY_MONTHS.set(storage.ratings.dirty_month_count())
        day = today().isoformat()
        if not storage.progress.is_refreshed(day):
            # copies pass their planned end date without any event
            storage.progress.refresh_all(today())
            storage.progress.mark_refreshed(day)
        return rebuilt

    def open_data_files(self):
        """Satisfaction per point and month as open data; compaction marks it dirty."""
        return opendata.build(self.storage)

    @ConfiguredTimer.decorator("CFZ_ALERT_INTERVAL")
    def check_alerts(self):
        settings = dict(window_days=int(get_float(self.config, "CFZ_ALERT_WINDOW_DAYS")),
                        baseline_days=int(get_float(self.config, "CFZ_ALERT_BASELINE_DAYS")),
                        min_sample=int(get_float(self.config, "CFZ_ALERT_MIN_SAMPLE")),
                        p_value=get_float(self.config, "CFZ_ALERT_P_VALUE"),
                        min_drop=get_float(self.config, "CFZ_ALERT_MIN_DROP"))
        raised = []
        for scope in alerts.SCOPES:
            new = self.storage.alerts.record(
                alerts.detect(self.storage.ratings, scope, today(), **settings), today())
            ALERTS_RAISED.labels(scope).inc(len(new))
            raised.extend(new)
        if raised:
            log.warning("satisfaction alerts: %s", [(a["scope"], a["entity_id"]) for a in raised])
        return raised

    @rpc
    def check_alerts_now(self):
        """The alert check at once, not at the next CFZ_ALERT_INTERVAL (the
        demo loader asks once reporting has counted its ratings)."""
        raised = self.check_alerts()
        return {"raised": len(raised), "alerts": raised}

    @outbox_timer()
    def publish_outbox(self):
        return self.outbox_publisher.publish_pending()

    # --- reports ------------------------------------------------------------
    def _prior(self, start, end):
        # the mean is cheap and always current; the weight reads every point
        ratings = self.storage.ratings
        return (reports.prior_mean(ratings, start, end),
                self.priors.get((start, end), lambda: reports.prior_weight(ratings, start, end)))

    @rpc
    def report(self, level, key, query=None):
        if level not in LEVELS:
            raise validation_error({"level": ["One of: " + ", ".join(LEVELS) + "."]})
        query = load(schemas.ReportQuery, query or {})
        start, end = _range(query)
        result = reports.report(self.storage.ratings, LEVELS[level], key, start, end,
                                query["min_sample"], self._prior(start, end))
        result["complaints"] = self.storage.complaints.performance(
            LEVELS[level], key, start, end, datetime.now(rating_buckets.BANGKOK))
        result["zero_copy"] = self._zero_copy_status(LEVELS[level], key)
        if query["format"] == "csv":
            return {"csv": reports.report_csv(result),
                    "filename": "report-{}-{}-{}-{}.csv".format(level, key, result["from"], result["to"])}
        return result

    def _zero_copy_status(self, level, key):
        if level == "point":
            doc = self.storage.progress.point(key)
            services = doc.get("services") or []
            return {"services": [{"service_code": s["service_code"], "declared": s["declared"],
                                  "zero_copy": s.get("zero_copy")} for s in services],
                    "figures": rollout.with_shares(rollout.point_figures(doc, today()))
                    if rollout.is_pinned(doc) else None}
        if level in ("agency", "province"):
            rows = [row for row in self.storage.progress.rollout_table(level, today())
                    if row["id"] == key]
            return {"figures": rows[0] if rows else None}
        return {"figures": None}

    @rpc
    def rankings(self, query=None):
        query = load(schemas.RankingQuery, query or {})
        start, end = _range(query)
        result = reports.rankings(self.storage.ratings, LEVELS[query["level"]], start, end,
                                  query["min_sample"], query["limit"], self._prior(start, end))
        if query["format"] == "csv":
            return {"csv": reports.rankings_csv(result), "filename": "rankings-{}-{}-{}.csv".format(
                query["level"], result["from"], result["to"])}
        return result

    @rpc
    def themes(self, view, query=None):
        """Comment themes of a scope: `view` "themes" (against the rest of
        the country), "unhappy" (ratings 1-2 against 4-5) or "rising"
        (against the period before)."""
        if view not in THEME_VIEWS:
            raise validation_error({"view": ["One of: " + ", ".join(THEME_VIEWS) + "."]})
        query = load(schemas.ThemesQuery, query or {})
        start, end = _range(query)
        level = query["level"]
        key = query.get("id") if level != "nation" else rating_buckets.NATION
        result = self.storage.themes.report(view, LEVELS[level], key, start, end,
                                            query["limit"], query["min_count"])
        result["level"] = level
        if query["format"] == "csv":
            header, rows = theme_buckets.csv_rows(result)
            return {"csv": reports.to_csv(header, rows), "filename": "themes-{}-{}-{}-{}-{}.csv".format(
                view, level, key, result["from"], result["to"])}
        return result

    @rpc
    def zero_copy_progress(self, query=None):
        query = load(schemas.GroupedQuery, query or {})
        start, end = _range(query)
        breaches = {key: total["breaches"] for key, total in
                    self.storage.ratings.totals_by_key("point", start, end).items()
                    if total.get("breaches")}
        result = self.storage.progress.zero_copy_progress(query["group_by"], breaches, end)
        result.update({"from": start.isoformat(), "to": end.isoformat()})
        if query["format"] == "csv":
            columns = ["id", "point_services", "declared", "no_copy", "no_copy_share",
                       "copies_demanded", "copies_past_planned_end", "citizen_breaches",
                       "points_with_breaches", "disagreements"]
            return {"csv": to_csv([query["group_by"]] + columns[1:],
                                          [[g[c] for c in columns] for g in result["groups"]]),
                    "filename": "zero-copy-{}-{}-{}.csv".format(query["group_by"], result["from"],
                                                                 result["to"])}
        return result

    @rpc
    def rollout(self, query=None):
        query = load(schemas.RolloutQuery, query or {})
        start, end = _range(query)
        table = self.storage.progress.rollout_table(query["group_by"], today())
        result = {"group_by": query["group_by"], "groups": table}
        if query.get("id"):
            result["id"] = query["id"]
            result["series"] = self.storage.progress.rollout_series(
                query["group_by"], query["id"], start, end)
        if query["format"] == "csv":
            rows = result.get("series") or table
            present = {c for row in rows for c in row}
            leading = [c for c in ("day", "id") if c in present]  # what a row is about first
            columns = leading + sorted(present - set(leading))
            return {"csv": to_csv(columns, [[row.get(c) for c in columns] for row in rows]),
                    "filename": "rollout-{}.csv".format(query["group_by"])}
        return result

    @rpc
    def overdue_complaints(self, token, query=None):
        """Overdue complaints: officers see their own agency's, admins all."""
        actor = self._actor(token)
        query = load(schemas.OverdueQuery, query or {})
        level, key = LEVELS[query["level"]], query.get("id")
        complaints.check_overdue_access(actor, level, key)
        rows = self.storage.complaints.overdue(level, key, datetime.now(rating_buckets.BANGKOK),
                                               query["limit"])
        return {"level": query["level"], "id": key, "results": rows, "count": len(rows)}

    @rpc
    def alerts(self, query=None):
        query = load(schemas.AlertsQuery, query or {})
        return {"results": self.storage.alerts.recent(query.get("scope"), query.get("entity_id"),
                                                      query["limit"])}

    # --- recount ------------------------------------------------------------
    def _records(self, proxy, method, id_field, page_size=RECOUNT_PAGE):
        timeout = get_float(self.config, "CFZ_RPC_TIMEOUT")
        for page in rpc_calls.call_pages(proxy, method, page_size, id_field, timeout=timeout):
            yield from page

    @rpc
    def recount(self):
        """Rebuild every aggregate from the source services and compare it
        with the incremental state; the differences (there should be none)."""
        storage = self.storage
        started = datetime.now(rating_buckets.BANGKOK)
        storage.ratings.compact()
        feedback = list(self._records(self.feedback, "facts", "feedback_id"))
        complaint_docs = list(self._records(self.complaints_service, "facts", "complaint_id"))
        points = list(self._records(self.registry, "open_points", "id"))
        result = {
            "feedback": {"records": len(feedback),
                         "differences": storage.ratings.differences(feedback)},
            "complaints": {"records": len(complaint_docs),
                           "differences": storage.complaints.differences(complaint_docs)},
            "points": {"records": len(points),
                       "differences": storage.progress.differences(points)},
        }
        comments = list(self._records(self.feedback, "published_comments", "feedback_id",
                                     COMMENT_PAGE))
        storage.themes.compact()
        result["themes"] = {"records": len(comments),
                            "differences": storage.themes.differences(comments)}
        result["ok"] = not any(part["differences"] for part in result.values())
        result["seconds"] = round((datetime.now(rating_buckets.BANGKOK) - started).total_seconds(),
                                  3)
        return result
