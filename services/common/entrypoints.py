"""Nameko pieces every service shares: configurable timers and health RPC."""
from functools import partial

from nameko.rpc import rpc
from nameko.timer import Timer

from services.common.config import get_float


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
