"""Small dependency providers shared by services."""
from nameko.extensions import DependencyProvider

from services.common.auth import Passwords
from services.common.config import get_float, get_int


class PasswordHasher(DependencyProvider):
    """argon2id hasher configured from CFZ_ARGON2_* (cheaper in tests); one
    per container, so the bound on concurrent hashes holds for the process."""

    def setup(self):
        config = self.container.config
        self.passwords = Passwords(time_cost=get_int(config, "CFZ_ARGON2_TIME_COST"),
                                   memory_kib=get_int(config, "CFZ_ARGON2_MEMORY_KIB"),
                                   concurrency=get_int(config, "CFZ_ARGON2_CONCURRENCY"),
                                   queue=get_int(config, "CFZ_ARGON2_QUEUE"),
                                   wait=get_float(config, "CFZ_ARGON2_WAIT"))

    def get_dependency(self, worker_ctx):
        return self.passwords


class ThailandOutline(DependencyProvider):
    """Loads Thailand's outline (~1 s, once per process) when the service
    starts, so the first citizen to pin a point does not wait for it."""

    def start(self):
        import eventlet
        from services.common import thai
        eventlet.spawn_n(thai.in_thailand, 13.75, 100.5)

    def get_dependency(self, worker_ctx):
        return None
