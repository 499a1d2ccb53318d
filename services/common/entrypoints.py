"""Nameko pieces every service shares: the RPC entrypoint, configurable
timers and the health RPC."""
import logging
from functools import partial

import kombu.serialization
from nameko import rpc as nameko_rpc
from nameko.timer import Timer

from services.common.config import get_float, get_int
from services.common.errors import EXPECTED, AnswerTooLarge

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
        if exc_info is None:
            limit = get_int(self.container.config, "CFZ_RPC_MAX_REPLY_BYTES")
            size = _reply_size(message, result)
            if size is not None and size > limit:
                log.warning("%s: a reply of %d bytes refused (limit %d)",
                            message.delivery_info.get("routing_key"), size, limit)
                error = AnswerTooLarge(
                    "The answer would be {:,} bytes, more than the {:,} an answer may have; ask "
                    "for less (a shorter range or a smaller page).".format(size, limit),
                    {"answer_bytes": size, "max_bytes": limit})
                result, exc_info = None, (AnswerTooLarge, error, None)
        try:
            return super().handle_result(message, result, exc_info)
        except Exception:
            log.exception("%s: the reply could not be sent; the request is dropped",
                          message.delivery_info.get("routing_key"))
            self.queue_consumer.ack_message(message)
            return result, exc_info


def _reply_size(message, result):
    try:
        content_type = message.properties["content_type"]
        serializer = kombu.serialization.registry.type_to_name[content_type]
        payload = kombu.serialization.dumps(result, serializer)[2]
        return len(payload.encode("utf-8") if isinstance(payload, str) else payload)
    except Exception:  # nameko's own check answers an unserialisable result
        return None


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
