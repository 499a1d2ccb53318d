"""What every group of gateway routes shares: config, metrics, bounded RPC
calls, JSON bodies checked with the owning service's schemas, tokens."""
import contextlib

from eventlet.semaphore import Semaphore
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.common import auth, rpc
from services.common.config import get_float, get_int
from services.common.dependencies import ThailandOutline
from services.common.actor import Actor, require_system_admin
from services.common.errors import Busy
from services.common.metrics import Metrics
from services.gateway import clients
from services.gateway.http import bearer_token, read_json
from services.common.schemas import load


class PasswordSlots(DependencyProvider):
    """At most CFZ_LOGIN_CONCURRENCY requests that make the registry hash a
    password (logins, registrations) in flight from this gateway process;
    more are refused here at once (503), so a flood never queues in front
    of the registry's other RPCs. The registry bounds hashing itself too."""

    def setup(self):
        self.slots = Semaphore(max(1, get_int(self.container.config, "CFZ_LOGIN_CONCURRENCY")))

    @contextlib.contextmanager
    def slot(self):
        if not self.slots.acquire(blocking=False):
            raise Busy("Too many logins at once; try again in a moment.",
                       {"retry_after_seconds": 1}, code="HASHING_BUSY")
        try:
            yield
        finally:
            self.slots.release()

    def get_dependency(self, worker_ctx):
        return self


class GatewayBase:
    config = Config()
    password_slots = PasswordSlots()
    # owns accounts: every token is checked with it (see _verified)
    registry = RpcProxy("registry")
    metrics = Metrics()
    outline = ThailandOutline()

    def _call(self, proxy, method, *args, **kwargs):
        return rpc.call(proxy, method, *args,
                        timeout=get_float(self.config, "CFZ_RPC_TIMEOUT"), **kwargs)

    def _json(self, request, max_bytes=None):
        return read_json(request, max_bytes or get_int(self.config, "CFZ_MAX_BODY_BYTES"))

    def _client(self, request):
        """The pseudonymous client id every rate limit counts by
        (services/gateway/clients.py)."""
        return clients.client_id(request, self.config)

    def _body(self, request, schema_cls):
        return load(schema_cls, self._json(request))

    def _verified(self, token):
        """The token's claims, or a 401 before any body is read.

        The signature and expiry are checked here; whether the account
        still honours the token (not disabled since) only the registry
        knows, so it is asked on every use: services without the
        registry's database receive tokens only through this check
        (docs/adr/0003-token-revocation.md)."""
        auth.verify_token(self.config["CFZ_JWT_SECRET"], token)
        return self._call(self.registry, "check_token", token)

    def _claims(self, request):
        return self._verified(bearer_token(request))

    def _token(self, request):
        """The caller's bearer token, checked; the owning service checks it again."""
        token = bearer_token(request)
        self._verified(token)
        return token

    def _actor(self, request):
        """Who sent the request, by its bearer token (checked as above)."""
        return Actor.from_claims(self._claims(request))

    def _require_admin(self, request):
        return require_system_admin(self._actor(request))
