"""Fixed-window rate limits kept in the calling service's own database, so
every replica of the gateway and of the service sees the same count.

Plain module: each service that limits something (feedback's ratings,
complaints, the registry's registrations) calls `hit` with its own
database and a scope naming what is counted. The count is decided from the
window's start time, never from MongoDB's TTL monitor, which only cleans up.
"""
from datetime import datetime, timezone

from pymongo import ReturnDocument

from services.common.errors import RateLimited, ValidationFailed

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
INDEXES = {"rate_limits": [([("expires_at", 1)], {"name": "expiry", "expireAfterSeconds": 0})]}


def parse(spec):
    """"10/minute" -> (10, 60)."""
    try:
        count, unit = spec.split("/")
        count = int(count)
        seconds = UNITS[unit.strip().lower().rstrip("s")]
    except (ValueError, KeyError, AttributeError):
        raise ValueError("rate limit must look like 10/minute, got {!r}".format(spec))
    if count < 1:
        raise ValueError("rate limit count must be positive")
    return count, seconds


def hit(db, scope, client, spec, now=None, what="submissions"):
    """Count one request of `client`; RateLimited (429) past the limit."""
    if not client:
        raise ValidationFailed("Cannot tell clients apart.", code="NO_CLIENT_ID")
    limit, window = parse(spec)
    now = now or datetime.now(timezone.utc)
    start = int(now.timestamp()) // window * window
    key = "{}|{}|{}".format(scope, client, start)
    doc = db.rate_limits.find_one_and_update(
        {"_id": key},
        {"$inc": {"count": 1},
         "$setOnInsert": {"expires_at": datetime.fromtimestamp(start + 2 * window, timezone.utc)}},
        upsert=True, return_document=ReturnDocument.AFTER)
    if doc["count"] > limit:
        retry_after = max(1, start + window - int(now.timestamp()))
        raise RateLimited("Too many {}; try again in {} s.".format(what, retry_after),
                          {"retry_after_seconds": retry_after, "limit": spec})


class RateLimits:
    """A repository's share of the rate limits (services/common/storage.py):
    `self._db` is its service's database."""

    def hit_rate_limit(self, scope, client, spec, now=None, what="submissions"):
        return hit(self._db, scope, client, spec, now=now, what=what)
