"""Nameko pieces every service shares: the outbox timer and health RPC."""
from nameko.rpc import rpc
from nameko.timer import Timer

from services.common.config import get_float


class OutboxTimer(Timer):
    """A timer whose interval comes from CFZ_OUTBOX_INTERVAL (seconds).

    Eager: pending events left by a crash are published as soon as the
    service starts again.
    """

    def __init__(self, interval=None, **kwargs):
        kwargs.setdefault("eager", True)
        super().__init__(interval or 1.0, **kwargs)

    def setup(self):
        self.interval = get_float(self.container.config, "CFZ_OUTBOX_INTERVAL")
        super().setup()


outbox_timer = OutboxTimer.decorator


class HealthMixin:
    """`health` RPC: the gateway's /readyz asks every service."""

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}
