"""Visit tokens and the QR codes that carry them.

Two kinds of code open the feedback form of a point (and service):
- a *counter* code, printed once and stuck on the counter: its URL holds a
  static signature; scanning it asks the server for a visit token valid for
  that day and that device, so one device rates a point once a day;
- a *single-use* code for one visit (queue ticket, counter screen): its URL
  holds a signed token that can rate once.
A rating with a valid token is "verified"; the token's id is stored with
the rating under a unique index, so a token rates once, and only the
service it was minted for.

A printed counter code cannot change daily, so it is long-lived; what
makes a token mean a visit is that each code mints few tokens a day per
client and a bounded number a day in all (FeedbackStore.count_issue), not the
code's secrecy: anyone may photograph the poster. A full-screen
single-use code on a counter tablet is the strong form (docs/adr/0005-abuse.md).
"""
import hashlib
import hmac
import uuid
from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlencode

import jwt

from services.common.errors import ValidationFailed
from services.common.thai import BANGKOK

ALGORITHM = "HS256"
SINGLE_USE_DAYS = 30


def _key(secret):
    # a key of its own, so a visit token can never pass as a login token
    return hmac.new(secret.encode(), b"cfz-visit-tokens", hashlib.sha256).hexdigest()


def counter_code(secret, point_id, service_code=None):
    """The static signature printed in a counter's QR code."""
    message = "counter|{}|{}".format(point_id, service_code or "").encode()
    return hmac.new(_key(secret).encode(), message, hashlib.sha256).hexdigest()[:20]


def _end_of_bangkok_day(now):
    local = now.astimezone(BANGKOK)
    return datetime.combine(local.date() + timedelta(days=1), time(0), BANGKOK)


def issue_counter_visit(secret, point_id, service_code, code, device_id, now=None):
    """A visit token for one device today, if `code` is the counter's own."""
    if not hmac.compare_digest(code or "", counter_code(secret, point_id, service_code)):
        raise ValidationFailed("This QR code is not valid for this service point.",
                               {"fields": {"code": ["Not this counter's code."]}},
                               code="INVALID_COUNTER_CODE")
    now = now or datetime.now(timezone.utc)
    day = now.astimezone(BANGKOK).date().isoformat()
    # the same device on the same day gets the same token id: one rating
    jti = hashlib.sha256("|".join([point_id, service_code or "", day, device_id]).encode()).hexdigest()[:32]
    claims = {"typ": "counter", "pid": point_id, "svc": service_code, "jti": jti,
              "iat": int(now.timestamp()), "exp": int(_end_of_bangkok_day(now).timestamp())}
    return {"visit_token": jwt.encode(claims, _key(secret), algorithm=ALGORITHM),
            "expires_at": _end_of_bangkok_day(now).isoformat(), "jti": jti}


def issue_single_use(secret, point_id, service_code=None, now=None, days=SINGLE_USE_DAYS):
    now = now or datetime.now(timezone.utc)
    expires = now + timedelta(days=days)
    claims = {"typ": "single", "pid": point_id, "svc": service_code, "jti": uuid.uuid4().hex,
              "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
    return {"visit_token": jwt.encode(claims, _key(secret), algorithm=ALGORITHM),
            "expires_at": expires.isoformat()}


def verify_visit(secret, token, point_id, now=None, service_code=None):
    """The token's claims, or ValidationFailed saying why it cannot be used.
    A token minted for one service rates only that service (`service_code`:
    the one rated). `now` (default the clock) lets demo data verify a
    backdated visit."""
    def refuse(message):
        return ValidationFailed(message, {"fields": {"visit_token": [message]}},
                                code="INVALID_VISIT_TOKEN")
    expired = refuse("The visit token has expired; scan the QR code again.")
    try:
        claims = jwt.decode(token, _key(secret), algorithms=[ALGORITHM],
                            options={"require": ["exp", "jti", "pid", "typ"],
                                     "verify_exp": now is None})
    except jwt.ExpiredSignatureError:
        raise expired
    except jwt.PyJWTError:
        raise refuse("The visit token is not valid.")
    if now is not None and now.timestamp() >= claims["exp"]:
        raise expired
    if claims["pid"] != point_id:
        raise refuse("The visit token belongs to another service point.")
    if claims.get("svc") and service_code and claims["svc"] != service_code:
        raise refuse("The visit token is for another service.")
    return claims


def end_of_day(now=None):
    """When today's counter tokens expire (the end of the Bangkok day)."""
    return _end_of_bangkok_day(now or datetime.now(timezone.utc))


def form_url(public_url, point_id, service_code=None, code=None, token=None):
    params = {"point": point_id}
    if service_code:
        params["service"] = service_code
    if code:
        params["code"] = code
    if token:
        params["t"] = token
    return "{}/feedback?{}".format(public_url.rstrip("/"), urlencode(params))
