"""Passwords (argon2id) and bearer tokens (JWT, HS256).

Hashing is CPU-heavy, so it runs in a native thread (eventlet.tpool) and the
event loop keeps serving other requests meanwhile. Few hashes run at once
(a semaphore; a short queue waits, the rest are refused at once with 503):
unbounded, 128 logins took every core and every worker of the registry and
a catalogue search behind them waited 44 s.
"""
import time
import uuid

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventlet import tpool
from eventlet.semaphore import Semaphore

from services.common.actor import ANONYMOUS, Actor
from services.common.errors import Busy, Unauthorized

ALGORITHM = "HS256"
# The account's token version when the token was issued; disabling an
# account moves it on, so its earlier tokens are refused (tokens issued
# before the claim existed count as version 0).
TOKEN_VERSION = "tv"
ISSUER = "cfz-registry"
# Compared against when the username is unknown, so a login takes the same
# time whether or not the account exists.
_DUMMY_PASSWORD = "not-a-real-password"


def _busy():
    return Busy("Too many logins at once; try again in a moment.",
                              {"retry_after_seconds": 1}, code="HASHING_BUSY")


class Passwords:
    def __init__(self, time_cost=3, memory_kib=65536, concurrency=1, queue=4, wait=2.0):
        self.hasher = PasswordHasher(time_cost=int(time_cost),
                                     memory_cost=int(memory_kib),
                                     parallelism=2, type=Type.ID)
        self._dummy_hash = None
        self._slots = Semaphore(max(1, int(concurrency)))
        self._queue = max(0, int(queue))
        self._wait = float(wait)
        self._waiting = 0

    def _bounded(self, function, *args):
        """`function` in a native thread, once a hashing slot is free:
        wait at most `wait` seconds behind at most `queue` others, else 503."""
        if self._slots.locked():
            if self._waiting >= self._queue:
                raise _busy()
            self._waiting += 1
            try:
                acquired = self._slots.acquire(timeout=self._wait)
            finally:
                self._waiting -= 1
            if not acquired:
                raise _busy()
        else:
            self._slots.acquire()
        try:
            return tpool.execute(function, *args)
        finally:
            self._slots.release()

    def hash(self, password):
        return self._bounded(self.hasher.hash, password)

    def verify(self, password_hash, password):
        return self._bounded(self._verify, password_hash, password)

    def _verify(self, password_hash, password):
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash(_DUMMY_PASSWORD)
            password_hash = self._dummy_hash
            password = password + "\0"  # never matches
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def issue_token(secret, ttl_seconds, claims, now=None):
    now = int(now if now is not None else time.time())
    body = dict(claims)
    body.update({"iat": now, "exp": now + int(ttl_seconds), "iss": ISSUER,
                 "jti": uuid.uuid4().hex})
    return jwt.encode(body, secret, algorithm=ALGORITHM)


def verify_token(secret, token):
    """The token's claims; Unauthorized if forged, malformed or expired."""
    options = {"require": ["exp", "iat", "sub", "role"]}
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                          options=options)
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired; log in again.",
                           code="TOKEN_EXPIRED")
    except jwt.PyJWTError:
        raise Unauthorized("The token is not valid.", code="INVALID_TOKEN")


def verified_actor(secret, token):
    """Who sent `token`: anonymous without one (the `require_*` rules then
    answer 401), Unauthorized if it is forged, malformed or expired.
    Services without the registry's database use this; the gateway has
    every token checked by the registry first (ADR 3)."""
    if not token:
        return ANONYMOUS
    return Actor.from_claims(verify_token(secret, token))


class TokenActor:
    """`_actor(token)` for services without the accounts (feedback,
    complaints, reporting): the token's own check; the registry checks the
    account too (its own `_actor`)."""

    def _actor(self, token):
        return verified_actor(self.config["CFZ_JWT_SECRET"], token)
