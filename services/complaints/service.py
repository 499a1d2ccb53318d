"""complaints: filing, tracking, the agency's handling, the relay to PMOC
and the Open311 view. A thin nameko shell around the plain modules
(store, lifecycle, relay, open311)."""
import logging

import eventlet
from greenlet import GreenletExit
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy
from nameko.timer import timer
from prometheus_client import Counter, Gauge, Histogram

from services.common import auth, context, ratelimit
from services.common import demo as demo_data
from services.common import rpc as rpc_calls
from services.common.actor import require_system_admin
from services.common.config import get_float
from services.common.entrypoints import ConfiguredTimer, HealthMixin, outbox_timer, rpc
from services.common.errors import NotFound, ValidationFailed, validation_error
from services.common.metrics import Metrics, service_metric
from services.common.outbox_publisher import OutboxPublisher
from services.common.storage import Storage
from services.complaints import categories, demo, open311, relay, schemas, store
from services.common.schemas import load

log = logging.getLogger(__name__)

# Database-wide gauges: every replica reports the same (max, not sum).
RELAY_BACKLOG = service_metric("complaints", Gauge(
    "cfz_complaints_relay", "Complaints by relay state (pending, relayed, dead_letter)",
    ["state"], registry=None))
RELAY_OLDEST_PENDING_AGE = service_metric("complaints", Gauge(
    "cfz_complaints_relay_oldest_pending_age_seconds",
    "Age of the oldest complaint not yet relayed to PMOC (0 when none)", registry=None))
RELAY_ATTEMPTS = service_metric("complaints", Counter(
    "cfz_complaints_relay_attempts_total", "Relay attempts to PMOC by outcome", ["outcome"],
    registry=None))
STATUS_SYNCED = service_metric("complaints", Counter(
    "cfz_complaints_pmoc_status_changes_total", "Complaint status changes learnt from PMOC",
    registry=None))
PMOC_LATENCY = service_metric("complaints", Histogram(
    "cfz_pmoc_request_duration_seconds", "Calls to PMOC by operation (submit, status_poll, search) and "
    "status (the HTTP status, or timeout / connection_error)", ["operation", "status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=None))
DUPLICATED_AT_PMOC = service_metric("complaints", Gauge(
    "cfz_complaints_duplicated_at_pmoc",
    "Complaints that PMOC holds more than once (see relay_status)", registry=None))
STATUS_POLL_FAILURES = service_metric("complaints", Counter(
    "cfz_pmoc_status_poll_failures_total", "Status polls of PMOC that failed", registry=None))


def _observe_pmoc(operation, status, seconds):
    PMOC_LATENCY.labels(operation, status).observe(seconds)

_CLIENTS = {}
RELAY_GAUGE_SECONDS = 2


class ComplaintsService(auth.TokenActor, HealthMixin):
    name = "complaints"

    storage = Storage(store.ComplaintStore, indexes={**store.INDEXES, **ratelimit.INDEXES})
    config = Config()
    # publishes each write's events at once; the timer below, what is left
    outbox_publisher = OutboxPublisher("complaints")
    metrics = Metrics()
    registry = RpcProxy("registry")

    # --- helpers -------------------------------------------------------------
    def _settings(self):
        return relay.RelaySettings.from_config(self.config)

    def _client(self, settings):
        """One PMOC client (and its kept-alive connections) per setting."""
        key = (settings.url, settings.api_key, settings.timeout, settings.concurrency)
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = relay.PmocClient(
                settings.url, settings.api_key, settings.timeout, pool_size=settings.concurrency,
                observe=_observe_pmoc)
        return client

    def _sla(self):
        settings = self._settings()
        return settings.sla_default, settings.sla_overrides

    def _where(self, data):
        """The point (and its agency) a complaint is about, from the registry."""
        point_id = data.get("service_point_id")
        if not point_id:
            return None, None
        timeout = get_float(self.config, "CFZ_RPC_TIMEOUT")
        try:
            point = rpc_calls.call(self.registry, "get_service_point", point_id, timeout=timeout)
        except NotFound:
            raise validation_error({"service_point_id": ["No such service point."]})
        try:
            agency = rpc_calls.call(self.registry, "get_agency", point["agency_id"], timeout=timeout)
        except NotFound:
            agency = None
        return point, agency

    # --- citizens --------------------------------------------------------------
    @rpc
    def list_categories(self):
        settings = self._settings()
        return [categories.view(c, categories.sla_days(c["code"], settings.sla_default,
                                                       settings.sla_overrides))
                for c in categories.CATEGORIES]

    @rpc
    def file_complaint(self, data, idempotency_key=None, client=None):
        """{"complaint": public view, "created": bool}; the same key files once.
        New complaints count against the client's limit (`client`: the
        gateway's client id; internal callers share one)."""
        data = load(schemas.ComplaintCreate, data)
        key = schemas.idempotency_key(idempotency_key)
        if not self.storage.is_replay(key):
            self.storage.hit_rate_limit("complaint", client or "internal",
                                        self.config["CFZ_COMPLAINT_RATE_LIMIT"],
                                        what="complaints")
        point, agency = self._where(data)
        view, created = self.storage.file(data, point, agency, key, self._sla(),
                                          correlation_id=context.get("correlation_id"))
        return {"complaint": view, "created": created}

    @rpc
    def get_by_tracking_code(self, tracking_code):
        return store.public_view(self.storage.get_by_tracking_code(tracking_code))

    @rpc
    def rate(self, tracking_code, data):
        data = load(schemas.Rating, data)
        return self.storage.rate(tracking_code, data["rating"], data.get("comment"))

    @rpc
    def reopen(self, tracking_code, data):
        data = load(schemas.Reopen, data)
        return self.storage.reopen(tracking_code, data["reason"])

    # --- agencies -------------------------------------------------------------
    @rpc
    def list_for_agency(self, token, query=None):
        query = load(schemas.OfficerQuery, query or {})
        return self.storage.list_for_officer(self._actor(token), query)

    @rpc
    def get_for_agency(self, token, complaint_id):
        return self.storage.officer_get(self._actor(token), complaint_id)

    @rpc
    def change_status(self, token, complaint_id, data):
        actor = self._actor(token)
        data = load(schemas.StatusChange, data)
        return self.storage.change_status(actor, complaint_id, data["status"], data.get("note"))

    # --- operators --------------------------------------------------------------
    @rpc
    def facts(self, after_id=None, limit=1000):
        """Every complaint's latest state, a page at a time (reporting's recount)."""
        return self.storage.facts(after_id, min(int(limit), 5000))

    @rpc
    def dead_letters(self, token, limit=100, offset=0):
        require_system_admin(self._actor(token))
        return self.storage.dead_letters(max(1, min(int(limit), 1000)), max(0, int(offset)))

    @rpc
    def retry_dead_letters(self, token, complaint_ids=None):
        require_system_admin(self._actor(token))
        if complaint_ids is not None:
            complaint_ids = load(schemas.DeadLetterRetry,
                                         {"complaint_ids": complaint_ids})["complaint_ids"]
        return self.storage.retry_dead_letters(complaint_ids)

    @rpc
    def relay_stats(self, token):
        require_system_admin(self._actor(token))
        return dict(self.storage.relay_counts(), pmoc_url=self._settings().url or None)

    @rpc
    def load_demo(self, seed=demo.SEED, scale=1.0):
        """Backdated demo complaints about the open points (`cfz run`),
        relayed to PMOC when one is configured; refused outside a demo."""
        demo_data.require_demo_data(self.config)
        seed, scale = demo_data.options(seed, scale)
        timeout = get_float(self.config, "CFZ_RPC_TIMEOUT")
        points = [point for page in rpc_calls.call_pages(self.registry, "open_points", 1000,
                                                         timeout=timeout) for point in page]
        agencies = {agency_id: rpc_calls.call(self.registry, "get_agency", agency_id,
                                              timeout=timeout)
                    for agency_id in sorted({p["agency_id"] for p in points})}
        settings = self._settings()
        client = self._client(settings) if settings.url else None
        pool = eventlet.GreenPool(max(1, settings.concurrency))
        return demo.load(self.storage, points, agencies, settings, client, pool.imap, seed=seed,
                         scale=scale, pause=eventlet.sleep)

    # --- Open311 ---------------------------------------------------------------
    @rpc
    def open311_discovery(self, base_url):
        return open311.discovery(str(base_url)[:500])

    @rpc
    def open311_services(self):
        return open311.services()

    @rpc
    def open311_service(self, service_code):
        return open311.service_definition(service_code)

    @rpc
    def open311_file(self, form, idempotency_key=None, client=None):
        data = open311.complaint_from_form(form)
        result = self.file_complaint(data, idempotency_key, client)
        return open311.post_response(result["complaint"])

    @rpc
    def open311_requests(self, query):
        if not isinstance(query, dict):
            raise ValidationFailed("Bad query.")
        parsed = open311.parse_query(query, store.now_utc())
        return open311.find_requests(self.storage, parsed)

    @rpc
    def open311_request(self, complaint_id):
        doc = self.storage.complaint(complaint_id)
        if doc is None:
            raise NotFound("Unknown service_request_id {!r}.".format(str(complaint_id)[:64]))
        return [open311.request_view(doc)]

    # --- timers: events, relay, status sync -----------------------------------------
    @outbox_timer()
    def publish_outbox(self):
        return self.outbox_publisher.publish_pending()

    @ConfiguredTimer.decorator("CFZ_PMOC_RELAY_INTERVAL", eager=True)
    def relay_to_pmoc(self):
        settings = self._settings()
        if settings.url:
            client = self._client(settings)
            pool = eventlet.GreenPool(max(1, settings.concurrency))
            try:
                outcomes = relay.relay_round(self.storage, client, settings, pool)
            except GreenletExit:
                # the container is being killed: so are the attempts in
                # flight (their claims expire and they are retried)
                for attempt in list(pool.coroutines_running):
                    attempt.kill()
                raise
            for outcome, count in outcomes.items():
                RELAY_ATTEMPTS.labels(outcome).inc(count)

    @timer(interval=RELAY_GAUGE_SECONDS, eager=True)
    def update_gauges(self):
        counts = self.storage.relay_counts()
        DUPLICATED_AT_PMOC.set(counts.pop("duplicated_at_pmoc"))
        for state, count in counts.items():
            RELAY_BACKLOG.labels(state).set(count)
        RELAY_OLDEST_PENDING_AGE.set(self.storage.oldest_pending_age())

    @ConfiguredTimer.decorator("PMOC_POLL_SECONDS")
    def sync_from_pmoc(self):
        settings = self._settings()
        if not settings.url:
            return
        client = self._client(settings)
        try:
            relay.audit_round(self.storage, client)
            changed = relay.sync_round(self.storage, client)
        except relay.RelayError as exc:
            STATUS_POLL_FAILURES.inc()
            log.warning("PMOC status sync failed: %s", exc.reason)
            return
        if changed:
            STATUS_SYNCED.inc(changed)

