"""Small dependency providers shared by services."""
from nameko.extensions import DependencyProvider

from services.common.auth import Passwords
from services.common.config import get_int


class PasswordHasher(DependencyProvider):
    """argon2id hasher configured from CFZ_ARGON2_* (cheaper in tests)."""

    def setup(self):
        config = self.container.config
        self.passwords = Passwords(time_cost=get_int(config, "CFZ_ARGON2_TIME_COST"),
                                   memory_kib=get_int(config, "CFZ_ARGON2_MEMORY_KIB"))

    def get_dependency(self, worker_ctx):
        return self.passwords
