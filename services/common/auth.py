"""Passwords (argon2id) and bearer tokens (JWT, HS256).

Hashing is CPU-heavy, so it runs in a native thread (eventlet.tpool) and the
event loop keeps serving other requests meanwhile.
"""
import time
import uuid

import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventlet import tpool

from services.common.errors import Unauthorized

ALGORITHM = "HS256"
# The account's token version when the token was issued; disabling an
# account moves it on, so its earlier tokens are refused (tokens issued
# before the claim existed count as version 0).
TOKEN_VERSION = "tv"
ISSUER = "cfz-registry"
# Compared against when the username is unknown, so a login takes the same
# time whether or not the account exists.
_DUMMY_PASSWORD = "not-a-real-password"


class Passwords:
    def __init__(self, time_cost=3, memory_kib=65536):
        self.hasher = PasswordHasher(time_cost=int(time_cost),
                                     memory_cost=int(memory_kib),
                                     parallelism=2, type=Type.ID)
        self._dummy_hash = None

    def hash(self, password):
        return tpool.execute(self.hasher.hash, password)

    def verify(self, password_hash, password):
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = self.hash(_DUMMY_PASSWORD)
            password_hash = self._dummy_hash
            password = password + "\0"  # never matches
        try:
            return tpool.execute(self.hasher.verify, password_hash, password)
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
