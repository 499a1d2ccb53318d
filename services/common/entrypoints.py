"""Nameko pieces every service shares: the RPC entrypoint, the event
handler, configurable timers and the health RPC."""
import logging
import traceback
from functools import partial

import eventlet
import kombu.serialization
from marshmallow import ValidationError
from nameko import rpc as nameko_rpc
from nameko.events import EventHandler
from nameko.timer import Timer
from prometheus_client import Counter

from services.common import deadletter
from services.common.config import get_float, get_int
from services.common.errors import (EXPECTED, AnswerTooLarge, Conflict, Forbidden, NotFound,
                                    PayloadTooLarge, Unauthorized, UnsupportedMediaType,
                                    ValidationFailed)

log = logging.getLogger(__name__)


class GuardedRpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's RPC consumer, except that a reply can neither kill the
    container nor be refused by the broker.

    nameko kills the whole container when sending a reply fails, and leaves
    the request queued, so the next start dies on it again. A reply larger
    than CFZ_RPC_MAX_REPLY_BYTES is replaced by an AnswerTooLarge error (a
    clear 400 at the gateway); a reply that still cannot be sent is logged
    and its request acknowledged (the caller's bounded wait answers 503).
    """

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        try:
            responder = OnceEncodedResponder(
                config[nameko_rpc.AMQP_URI_CONFIG_KEY], nameko_rpc.get_rpc_exchange(config),
                config.get(nameko_rpc.SERIALIZER_CONFIG_KEY, nameko_rpc.DEFAULT_SERIALIZER),
                message, ssl=config.get(nameko_rpc.AMQP_SSL_CONFIG_KEY),
                login_method=config.get(nameko_rpc.LOGIN_METHOD_CONFIG_KEY))
            result, exc_info = responder.send_response(
                result, exc_info, get_int(config, "CFZ_RPC_MAX_REPLY_BYTES"))
        except Exception:
            log.exception("%s: the reply could not be sent; the request is dropped",
                          message.delivery_info.get("routing_key"))
        self.queue_consumer.ack_message(message)
        return result, exc_info


class OnceEncodedResponder(nameko_rpc.Responder):
    """nameko's reply, with its answer encoded once: nameko encodes it to
    check it can be, then again to send it, and the size limit was a third
    encoding (a nearby answer of ten points is ~14 KB of JSON). For JSON
    requests (every service's) the check, the size and the body are one
    encoding; other serializers take nameko's way after the size check."""

    def send_response(self, result, exc_info, limit):
        serializer = kombu.serialization.registry.type_to_name[
            self.message.properties["content_type"]]
        encoded = None
        if exc_info is None:
            try:
                encoded = kombu.serialization.dumps(result, serializer)[2]
            except Exception:
                return super().send_response(result, exc_info)  # nameko's error for it
            size = len(encoded.encode("utf-8") if isinstance(encoded, str) else encoded)
            if size > limit:
                log.warning("%s: a reply of %d bytes refused (limit %d)",
                            self.message.delivery_info.get("routing_key"), size, limit)
                error = AnswerTooLarge(
                    "The answer would be {:,} bytes, more than the {:,} an answer may have; ask "
                    "for less (a shorter range or a smaller page).".format(size, limit),
                    {"answer_bytes": size, "max_bytes": limit})
                result, exc_info, encoded = None, (AnswerTooLarge, error, None), None
        if serializer != "json" or not isinstance(encoded, str):
            return super().send_response(result, exc_info)
        body = '{"result": ' + encoded + ', "error": null}'
        publisher = self.publisher_cls(self.amqp_uri, ssl=self.ssl, login_method=self.login_method)
        publisher.publish(body.encode("utf-8"), content_type=self.message.properties["content_type"],
                          content_encoding="utf-8", exchange=self.exchange,
                          routing_key=self.message.properties["reply_to"],
                          correlation_id=self.message.properties.get("correlation_id"))
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = GuardedRpcConsumer()


def rpc(fn=None, **kwargs):
    """The RPC entrypoint of every service (plain `@rpc` or `@rpc(...)`); our
    error types are expected (not logged as crashes) unless told otherwise.
    Every RPC of a service must use it: one consumer serves the service's queue."""
    kwargs.setdefault("expected_exceptions", EXPECTED)
    if fn is None:
        return partial(rpc, **kwargs)
    return Rpc.decorator(**kwargs)(fn)


EVENT_RETRIES = Counter("cfz_event_retries_total", "Event handler failures tried again",
                        ["service", "event"])
EVENTS_DEAD_LETTERED = Counter("cfz_events_dead_lettered_total",
                               "Events put on a dead-letter queue", ["service", "event"])
# an invalid event fails the same way every time: no use trying again (a
# busy or unavailable neighbour, or a database error, may pass)
PERMANENT = (ValidationError, ValidationFailed, Unauthorized, Forbidden, NotFound, Conflict,
             PayloadTooLarge, UnsupportedMediaType)


class GuardedEventHandler(EventHandler):
    """nameko's event handler, except that a failure does not lose the event.

    nameko acknowledges an event whose handler raised. Here a failure is
    tried again in this process after CFZ_EVENT_RETRY_DELAY seconds, doubling
    up to CFZ_EVENT_RETRY_MAX_DELAY, while the message stays unacknowledged
    (a crash meanwhile makes the broker deliver it again); after
    CFZ_EVENT_MAX_ATTEMPTS, or at once for an invalid event, it goes to the
    service's dead-letter queue and only then is acknowledged. Handlers must
    be idempotent (ours are: events carry ids and versions).
    """

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return result, exc_info
        service, event = self.container.service_name, self.event_type
        attempts = getattr(message, "cfz_attempts", 1)
        permanent = isinstance(exc_info[1], PERMANENT)
        if not permanent and attempts < get_int(self.container.config, "CFZ_EVENT_MAX_ATTEMPTS"):
            message.cfz_attempts = attempts + 1
            delay = min(get_float(self.container.config, "CFZ_EVENT_RETRY_DELAY") * 2 ** (attempts - 1),
                        get_float(self.container.config, "CFZ_EVENT_RETRY_MAX_DELAY"))
            log.warning("%s.%s failed on %s (attempt %d); trying again in %.1f s",
                        service, self.method_name, event, attempts, delay)
            EVENT_RETRIES.labels(service, event).inc()
            self.container.spawn_managed_thread(partial(self._again, message, delay),
                                                identifier="retry {}".format(self.queue.name))
            return result, exc_info
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        try:
            deadletter.publish(self.container.config["AMQP_URI"], service, self.queue.name,
                               message, error, attempts)
        except Exception:
            # not acknowledged: the broker gives it back when this consumer's
            # connection is renewed; nothing is lost
            log.exception("%s: could not dead-letter a failed %s; left unacknowledged",
                          service, event)
            return result, exc_info
        log.error("%s.%s: %s dead-lettered after %d attempt(s): %s (replay: cfz events replay %s)",
                  service, self.method_name, event, attempts, error, service)
        EVENTS_DEAD_LETTERED.labels(service, event).inc()
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def _again(self, message, delay):
        eventlet.sleep(delay)
        self.handle_message(message.payload, message)


def event_handler(source_service, event_type, **kwargs):
    """The event entrypoint of every service (see GuardedEventHandler)."""
    return GuardedEventHandler.decorator(source_service, event_type, **kwargs)


class ConfiguredTimer(Timer):
    """A timer whose interval (seconds) is read from the container's config,
    so operators and tests can tune it without code changes."""

    def __init__(self, config_key, **kwargs):
        super().__init__(1.0, **kwargs)
        self.config_key = config_key

    def setup(self):
        self.interval = get_float(self.container.config, self.config_key)
        super().setup()


# Eager: events left behind by a crash are published as soon as the service
# starts again.
outbox_timer = partial(ConfiguredTimer.decorator, "CFZ_OUTBOX_INTERVAL", eager=True)


class HealthMixin:
    """`health` RPC: the gateway's /readyz asks every service."""

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}
