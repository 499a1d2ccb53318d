"""Login throttling: growing lockouts after failed logins (plain module).

Failures are counted under three keys, each in the registry's database so
every replica agrees:
- the account from one client: few free failures, lockout up to 15 min,
  so a guesser at one address gets ~100 guesses a day;
- the account from anywhere (looser, shorter lockout): guessing from many
  addresses. Clients that logged in to the account lately are exempt, so an
  attacker cannot keep the officer's own office locked out;
- the client against any account (password spraying from one address).
Past a key's free failures each further failure locks it for
base * 2^(failures - free) seconds, up to its cap. A failure is counted
while it follows the previous one within the window; everything is decided
from stored timestamps (MongoDB's TTL monitor only cleans up, at its own
pace). A refused attempt is not hashed and not counted; a right password
during a lockout is refused too. A success clears the account's counters
(not the client's: one valid account must not reset a sprayer's count).
Usernames are stored as keyed hashes: people type passwords into the
username field. The counters are kept by the registry's repository
(store.RegistryStore, collection login_throttle).
"""
import hashlib
import hmac
import math
from collections import namedtuple
from datetime import datetime, timedelta, timezone

from services.common.config import get_float, get_int
from services.common.errors import RateLimited

KNOWN_CLIENT_DAYS = 30

Key = namedtuple("Key", "id free cap")
Settings = namedtuple("Settings", "window base pair_free account_free client_free cap account_cap")


def settings(config):
    return Settings(get_float(config, "CFZ_LOGIN_WINDOW_SECONDS"),
                    get_float(config, "CFZ_LOGIN_LOCKOUT_BASE"),
                    get_int(config, "CFZ_LOGIN_MAX_FAILURES"),
                    get_int(config, "CFZ_LOGIN_MAX_FAILURES_ACCOUNT"),
                    get_int(config, "CFZ_LOGIN_MAX_FAILURES_CLIENT"),
                    get_float(config, "CFZ_LOGIN_LOCKOUT_MAX"),
                    get_float(config, "CFZ_LOGIN_ACCOUNT_LOCKOUT_MAX"))


def _digest(secret, text):
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]


class Attempt:
    """The throttle keys of one login attempt."""

    def __init__(self, secret, username, client, limits):
        account = _digest(secret, "login-account|" + username)
        client = client or "internal"
        self.pair = Key("pair|{}|{}".format(account, client), limits.pair_free, limits.cap)
        self.account = Key("account|" + account, limits.account_free, limits.account_cap)
        self.client = Key("client|" + client, limits.client_free, limits.cap)
        self.known = "known|{}|{}".format(account, client)
        self.limits = limits

    @property
    def keys(self):
        return (self.pair, self.account, self.client)


def lockout_seconds(failures, free, base, cap):
    """How long `failures` failures in a row lock a key: none up to
    free - 1, then base, 2 base, 4 base... up to cap."""
    if failures < free:
        return 0.0
    return min(cap, base * 2 ** min(failures - free, 62))


def _now():
    return datetime.now(timezone.utc)


def _aware(value):
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def _stale(doc, window, now):
    """Forgotten: no failure within the window and no lockout running."""
    last, locked = _aware(doc.get("last_failure_at")), _aware(doc.get("locked_until"))
    return (last is None or now - last > timedelta(seconds=window)) and (
        locked is None or locked <= now)


def check(storage, attempt, now=None):
    """RateLimited (429, Retry-After) while any of the attempt's keys is locked."""
    now = now or _now()
    ids = [key.id for key in attempt.keys] + [attempt.known]
    docs = storage.throttle_counters(ids)
    known = docs.get(attempt.known)
    known = known is not None and _aware(known["expires_at"]) > now
    wait = 0.0
    for key in attempt.keys:
        doc = docs.get(key.id)
        if doc is None or (key is attempt.account and known) or _stale(doc, attempt.limits.window, now):
            continue
        locked = _aware(doc.get("locked_until"))
        if locked is not None and locked > now:
            wait = max(wait, (locked - now).total_seconds())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise RateLimited("Too many failed logins; try again in {} s.".format(seconds),
                          {"retry_after_seconds": seconds}, code="LOGIN_LOCKED")


def record_failure(storage, attempt, now=None):
    now = now or _now()
    limits = attempt.limits
    for key in attempt.keys:
        # a forgotten counter starts again (conditional: a concurrent failure may have renewed it)
        doc = storage.throttle_counter(key.id)
        if doc is not None and _stale(doc, limits.window, now):
            storage.forget_throttle_counter(key.id, doc["failures"])
        doc = storage.count_throttle_failure(key.id, now)
        lock = lockout_seconds(doc["failures"], key.free, limits.base, key.cap)
        locked_until = now + timedelta(seconds=lock)
        storage.extend_throttle_counter(
            key.id, max(locked_until, now + timedelta(seconds=limits.window)),
            locked_until if lock else None)


def record_success(storage, attempt, now=None):
    now = now or _now()
    storage.clear_throttle_counters([attempt.pair.id, attempt.account.id])
    storage.remember_known_client(attempt.known, now + timedelta(days=KNOWN_CLIENT_DAYS))
