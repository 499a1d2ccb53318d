"""feedback: ratings, comments, visit tokens and moderation (thin shell)."""
from datetime import datetime, timezone
from functools import partial

import eventlet
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy
from prometheus_client import Counter

from services.common import auth, ratelimit
from services.common import demo as demo_data
from services.common import rpc as rpc_calls
from services.common.config import get_float, get_int
from services.common.entrypoints import ConfiguredTimer, HealthMixin, outbox_timer, rpc
from services.common.actor import require_may_act_for
from services.common.metrics import Metrics, service_metric
from services.common.outbox_publisher import OutboxPublisher
from services.common.storage import Storage
from services.common.thai import BANGKOK
from services.common.ttlcache import TtlCache
from services.feedback import demo, questionnaire, schemas, store, tokens
from services.common.schemas import load

POINT_CACHE_SECONDS = 10.0
SUBMISSIONS = service_metric("feedback", Counter(
    "cfz_feedback_submissions_total", "Ratings stored (a retry answered from the first is not "
    "counted), by whether a visit token verified them", ["verified"], registry=None))
for _verified in ("true", "false"):  # both series from the start, so a rate sees the first
    SUBMISSIONS.labels(_verified)
REDACTED_AGAIN = service_metric("feedback", Counter(
    "cfz_feedback_redacted_again_total", "Stored comments whose public text the redaction "
    "sweep masked further after the redaction rules changed", registry=None))
redaction_timer = partial(ConfiguredTimer.decorator, "CFZ_REDACTION_SWEEP_INTERVAL", eager=True)


class PointCache(DependencyProvider):
    """Points read from the registry, kept briefly (a closed point or a
    changed service list shows within POINT_CACHE_SECONDS)."""

    def setup(self):
        self.cache = TtlCache(POINT_CACHE_SECONDS)

    def get_dependency(self, worker_ctx):
        return self.cache


class RedactionSweep(DependencyProvider):
    """Where this process's redaction sweep is: it walks the comments once
    after a start (the rules only change with a release) and then rests."""

    def setup(self):
        self.after, self.done = None, False

    def get_dependency(self, worker_ctx):
        return self

    def advance(self, after):
        self.after, self.done = after, after is None


class FeedbackService(auth.TokenActor, HealthMixin):
    name = "feedback"

    storage = Storage(store.FeedbackStore, indexes={**store.INDEXES, **ratelimit.INDEXES})
    registry = RpcProxy("registry")
    config = Config()
    # publishes each write's events at once; the timer below, what is left
    outbox_publisher = OutboxPublisher("feedback")
    metrics = Metrics()
    points = PointCache()
    sweep = RedactionSweep()

    def _point(self, point_id):
        """The point as the registry describes it, remembered for a few
        seconds: a busy counter's ratings need not each ask the registry."""
        return self.points.get(point_id, lambda: rpc_calls.call(
            self.registry, "get_service_point", point_id,
            timeout=get_float(self.config, "CFZ_RPC_TIMEOUT")))

    @rpc
    def questionnaire(self):
        return questionnaire.current()

    @rpc
    def submit(self, point_id, data, idempotency_key=None, client=None):
        """A citizen's rating. Verified with a visit token; otherwise
        rate-limited per client. A retry with the same key is answered with
        the first answer and stored once."""
        data = load(schemas.FeedbackSubmission, data)
        data.pop("website", None)
        token = data.pop("visit_token", None)
        claims = tokens.verify_visit(self.config["CFZ_JWT_SECRET"], token, point_id,
                                     service_code=data.get("service_code")) if token else None
        replay = self.storage.find_replay(idempotency_key,
                                          store.request_fingerprint(point_id, data))
        if replay:
            return replay
        if claims is None:
            self.storage.hit_rate_limit("feedback", client,
                                        self.config["CFZ_FEEDBACK_RATE_LIMIT"])
        answer = self.storage.submit(self._point(point_id), data, claims, idempotency_key,
                                     client, replay_checked=True)
        SUBMISSIONS.labels("true" if claims else "false").inc()
        return answer

    @rpc
    def list_public(self, point_id, query=None):
        query = load(schemas.PublicListQuery, query or {})
        return self.storage.list_public(point_id, query["limit"], query["offset"])

    @rpc
    def issue_visit_token(self, point_id, data, client=None):
        """A counter QR code was scanned: a token for this device, today."""
        data = load(schemas.VisitTokenRequest, data)
        self.storage.hit_rate_limit("visit", client, self.config["CFZ_FEEDBACK_RATE_LIMIT"])
        point = self._point(point_id)
        store.check_service(point, data.get("service_code"))
        issued = tokens.issue_counter_visit(self.config["CFZ_JWT_SECRET"], point_id,
                                            data.get("service_code"), data["code"], data["device_id"])
        now = datetime.now(timezone.utc)
        self.storage.count_issue(issued["jti"], point_id, data.get("service_code"), client,
                                 now.astimezone(BANGKOK).date().isoformat(),
                                 get_int(self.config, "CFZ_VISIT_TOKENS_PER_CLIENT_DAY"),
                                 get_int(self.config, "CFZ_VISIT_TOKENS_PER_CODE_DAY"),
                                 max(1, int((tokens.end_of_day(now) - now).total_seconds())))
        # a second scan the same day gets the same token: say it is spent, so
        # the form does not promise a verified rating that submit will refuse
        issued["used"] = self.storage.token_used(issued.pop("jti"))
        return issued

    @rpc
    def qr_target(self, token, point_id, query):
        """The URL an officer's QR code opens (the gateway draws the image)."""
        query = load(schemas.QrQuery, query)
        point = self._own_point(token, point_id)
        store.check_service(point, query.get("service_code"))
        secret, public_url = self.config["CFZ_JWT_SECRET"], self.config["CFZ_PUBLIC_URL"]
        service = query.get("service_code")
        if query["kind"] == "counter":
            code = tokens.counter_code(secret, point_id, service)
            return {"url": tokens.form_url(public_url, point_id, service, code=code),
                    "kind": "counter", "expires_at": None}
        issued = tokens.issue_single_use(secret, point_id, service)
        return {"url": tokens.form_url(public_url, point_id, service, token=issued["visit_token"]),
                "kind": "single", "expires_at": issued["expires_at"]}

    @rpc
    def visit_token_status(self, token, point_id, query):
        """Whether a single-use code shown on a counter tablet has rated yet
        (the tablet then shows a fresh one); an expired or foreign token is
        refused, which also tells the tablet to renew."""
        query = load(schemas.VisitTokenStatusQuery, query)
        self._own_point(token, point_id)
        claims = tokens.verify_visit(self.config["CFZ_JWT_SECRET"], query["visit_token"], point_id)
        return {"used": self.storage.token_used(claims["jti"]),
                "expires_at": datetime.fromtimestamp(claims["exp"], timezone.utc).isoformat()}

    def _own_point(self, token, point_id):
        actor = self._actor(token)
        point = self._point(point_id)
        require_may_act_for(actor, point["agency_id"], "QR codes are for the point's own agency.")
        return point

    @rpc
    def facts(self, after_id=None, limit=1000):
        """Every rating's fact, a page at a time (reporting's recount)."""
        return self.storage.facts(after_id, min(int(limit), 5000))

    @rpc
    def published_comments(self, after_id=None, limit=500):
        """The published comments (redacted), a page at a time (the recount
        of reporting's comment themes)."""
        return self.storage.published_comments(after_id, min(int(limit), 1000))

    @rpc
    def moderation_queue(self, token, query=None):
        query = load(schemas.ModerationQueueQuery, query or {})
        return self.storage.moderation_queue(self._actor(token), query.get("agency_id"),
                                             query["limit"], query["offset"])

    @rpc
    def moderate(self, token, feedback_id, decision):
        decision = load(schemas.ModerationDecision, decision)
        return self.storage.moderate(self._actor(token), feedback_id, decision)

    @rpc
    def load_demo(self, seed=demo.SEED, scale=1.0):
        """Backdated demo ratings for the open points (`cfz run`); refused
        outside a demo, like the registry's demo points."""
        demo_data.require_demo_data(self.config)
        seed, scale = demo_data.options(seed, scale)
        points = [point for page in rpc_calls.call_pages(
            self.registry, "open_points", 1000, timeout=get_float(self.config, "CFZ_RPC_TIMEOUT"))
            for point in page]
        # pauses let the outbox publish (and reporting count) while it loads
        return demo.load(self.storage, points, self.config["CFZ_JWT_SECRET"], seed=seed,
                         scale=scale, pause=eventlet.sleep)

    @redaction_timer()
    def redact_again(self):
        """Comments stored under older redaction rules, masked again
        (FeedbackStore.redact_again), a page per tick until all were seen."""
        if self.sweep.done:
            return 0
        after, changed = self.storage.redact_again(self.sweep.after)
        self.sweep.advance(after)
        REDACTED_AGAIN.inc(changed)
        return changed

    @outbox_timer()
    def publish_outbox(self):
        return self.outbox_publisher.publish_pending()
