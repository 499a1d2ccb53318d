"""Relay to the PMOC complaint centre: an Open311 GeoReport v2 client, the
backoff policy and the relay/sync rounds (plain module, no nameko).

Delivery is at least once: every complaint is claimed from the store (its
relay state is the outbox), POSTed to `{PMOC_URL}/requests.json` with the
complaint's key in an `Idempotency-Key` header, and marked relayed only once
PMOC answers with a reference. Failures back off exponentially up to a cap;
after CFZ_PMOC_MAX_ATTEMPTS, or at once for an answer that retrying cannot
fix (4xx other than 408/409/429), the complaint is dead-lettered with its
reason until an operator retries it.

A plain Open311 server ignores `Idempotency-Key`, so a POST whose answer was
lost (a timeout, a dropped connection, a 5xx after storing) must not simply
be sent again. Every description carries our reference, `[CFZ:<complaint
id>]` (the description is the one free text every Open311 server keeps and
returns; `attribute[...]` is kept only by servers whose service definitions
declare it), and after such an *unsure* failure the next attempt first
searches PMOC the way GeoReport v2 allows — `GET requests.json` by
`service_code` and a `start_date`/`end_date` window around the first unsure
attempt — and takes the request it finds instead of sending again. A search
that fails backs off like a failed POST: nothing is sent blind. A duplicate
that still happens (the centre stored a request after we searched) is found
by a second search a while after relaying (`audit_round`), marked on the
complaint and counted for operators (`relay_counts`, `cfz complaints
relay-status`).
"""
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta, timezone

import requests
import requests.adapters
import urllib3.exceptions

from services.common import context, tracing
from services.common.config import get_float, get_int
from services.complaints import categories, store

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 409, 425, 429}
SYNC_BATCH = 50
# a search window this much wider than our own clocks say, for PMOC's clock
SEARCH_MARGIN = timedelta(minutes=15)
# the second search for duplicates, this long after relaying
AUDIT_DELAY = timedelta(minutes=2)


def reference_marker(complaint_id):
    return "[CFZ:{}]".format(complaint_id)


@dataclass
class RelaySettings:
    url: str = ""
    api_key: str = ""
    timeout: float = 10.0
    max_attempts: int = 10
    backoff_base: float = 2.0
    backoff_max: float = 600.0
    concurrency: int = 8
    sla_default: int = 15
    sla_overrides: dict = field(default_factory=dict)

    @property
    def batch(self):
        # one wave of parallel attempts per round keeps a round about one
        # timeout long, well inside the lease
        return self.concurrency

    @property
    def lease_seconds(self):
        # longer than a round can take (one timeout, plus a margin for a
        # busy process), so a live attempt keeps its claim
        return 2 * self.timeout + 5

    @classmethod
    def from_config(cls, config):
        return cls(url=(config.get("PMOC_URL") or "").rstrip("/"),
                   api_key=config.get("PMOC_API_KEY") or "",
                   timeout=get_float(config, "CFZ_PMOC_TIMEOUT"),
                   max_attempts=get_int(config, "CFZ_PMOC_MAX_ATTEMPTS"),
                   backoff_base=get_float(config, "CFZ_PMOC_BACKOFF_BASE"),
                   backoff_max=get_float(config, "CFZ_PMOC_BACKOFF_MAX"),
                   concurrency=get_int(config, "CFZ_PMOC_CONCURRENCY"),
                   sla_default=get_int(config, "CFZ_COMPLAINT_SLA_DAYS"),
                   sla_overrides=categories.parse_sla_overrides(
                       config.get("CFZ_COMPLAINT_SLA_BY_CATEGORY", "")))


def backoff(attempt, base, cap, rng=random.random):
    """Seconds before retry `attempt` (1 = after the first failure):
    base·2^(attempt−1), capped, with "equal jitter" (between half and all
    of it) so a recovering PMOC is not hit by every retry at once."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    return delay / 2 + rng() * delay / 2


class RelayError(Exception):
    """`unsure`: PMOC may have stored the request although we got no answer."""

    def __init__(self, reason, retryable=True, unsure=False):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.unsure = unsure


def _never_sent(exc):
    """Whether a requests error happened before the request left us
    (refused, no route, connect timeout): then resending is safe."""
    seen, pending = set(), [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (requests.ConnectTimeout, urllib3.exceptions.NewConnectionError,
                                urllib3.exceptions.ConnectTimeoutError)):
            return True
        pending.extend([getattr(current, "reason", None), current.__cause__, current.__context__]
                       + [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)])
    return False


class PmocClient:
    """The Open311 GeoReport v2 calls we make to PMOC."""

    def __init__(self, base_url, api_key="", timeout=10.0, session=None, pool_size=10,
                 observe=None):
        """`observe(operation, status, seconds)` is told of every call
        (operation submit or status_poll; status the HTTP code, timeout
        or connection_error)."""
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.observe = observe
        if session is None:
            # kept-alive connections, enough for every parallel attempt
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=1,
                                                    pool_maxsize=max(1, pool_size))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session

    def _request(self, operation, method, path, headers, **kwargs):
        """One call to PMOC, timed and traced, with the current correlation
        id in X-Request-ID and X-Correlation-ID (PMOC's logs can name ours)."""
        correlation_id = context.get("correlation_id")
        if correlation_id:
            headers = dict(headers, **{"X-Request-ID": correlation_id,
                                       "X-Correlation-ID": correlation_id})
        started = time.perf_counter()
        status = "connection_error"
        with tracing.span("PMOC " + operation, kind="client",
                          attributes={"http.request.method": method,
                                      "cfz.correlation_id": correlation_id or ""}):
            traceparent = tracing.current_traceparent()
            if traceparent:
                headers = dict(headers, traceparent=traceparent)
            try:
                response = self.session.request(method, self.base_url + path, headers=headers,
                                                timeout=self.timeout, **kwargs)
                status = str(response.status_code)
                tracing.set_attributes(**{"http.response.status_code": response.status_code})
                return response
            except requests.Timeout:
                status = "timeout"
                raise
            finally:
                if self.observe is not None:
                    self.observe(operation, status, time.perf_counter() - started)

    def submit(self, form, idempotency_key):
        """POST requests.json; PMOC's service_request_id (or token)."""
        body = dict(form, api_key=self.api_key)
        try:
            response = self._request(
                "submit", "POST", "/requests.json", data=body,
                headers={"Idempotency-Key": idempotency_key, "Accept": "application/json"})
        except requests.RequestException as exc:
            sent = not _never_sent(exc)
            if isinstance(exc, requests.Timeout):
                raise RelayError("timeout after {:g} s".format(self.timeout), unsure=sent)
            raise RelayError("connection failed: {}".format(type(exc).__name__), unsure=sent)
        if response.status_code >= 500:
            # a server may fail after storing: as unsure as a lost answer
            raise RelayError("PMOC answered {}".format(response.status_code), unsure=True)
        if response.status_code >= 400:
            raise RelayError("PMOC refused with {}: {}".format(
                response.status_code, _error_text(response)),
                retryable=response.status_code in RETRYABLE_STATUS)
        try:
            answer = response.json()
            item = answer[0]
            reference = item.get("service_request_id") or item.get("token")
        except (ValueError, LookupError, TypeError, AttributeError):
            raise RelayError("PMOC's answer is not an Open311 request list")
        if not reference:
            raise RelayError("PMOC's answer has no service_request_id or token")
        return str(reference)

    def search(self, marker, service_code, since, until):
        """PMOC's ids of the requests whose description carries `marker`,
        oldest first, among those of `service_code` requested in
        [since, until] (what GeoReport v2 lets a client search by)."""
        requests_found = self._request_list("search", {
            "service_code": service_code, "start_date": _w3c(since), "end_date": _w3c(until)})
        try:
            found = [(str(r.get("requested_datetime") or ""), str(r["service_request_id"]))
                     for r in requests_found
                     if marker in str(r.get("description") or "") and r.get("service_request_id")]
        except (TypeError, KeyError, AttributeError):
            raise RelayError("PMOC's search answer is not an Open311 request list")
        return [request_id for _, request_id in sorted(found)]

    def _request_list(self, operation, params):
        """GET requests.json with `params`: the list PMOC answers, or RelayError."""
        name = operation.replace("_", " ")
        try:
            response = self._request(operation, "GET", "/requests.json", params=params,
                                     headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise RelayError("{} failed: {}".format(name, type(exc).__name__))
        if response.status_code != 200:
            raise RelayError("{} answered {}".format(name, response.status_code))
        try:
            return response.json()
        except ValueError:
            raise RelayError("PMOC's {} answer is not an Open311 request list".format(name))

    def statuses(self, references):
        """{service_request_id: (status, status_notes)} for the given ids."""
        answer = self._request_list("status_poll", {"service_request_id": ",".join(references)})
        try:
            return {str(r["service_request_id"]): (r.get("status"), r.get("status_notes"))
                    for r in answer if r.get("service_request_id") is not None}
        except (ValueError, TypeError, KeyError, AttributeError):
            raise RelayError("PMOC's status answer is not an Open311 request list")


def _w3c(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_text(response):
    try:
        body = response.json()
        if isinstance(body, list) and body and isinstance(body[0], dict):
            return str(body[0].get("description", ""))[:200]
    except ValueError:
        pass
    return response.text[:200]


def open311_form(doc, contact):
    """The form PMOC receives: Open311 fields, contact details included
    (PMOC may call the complainant back; the agency may not, if anonymous)."""
    form = {"service_code": doc["category"],
            "description": "{}\n\n{}".format(doc["description"], reference_marker(doc["_id"]))}
    location = doc.get("location")
    if location:
        form["lat"] = repr(location["lat"])
        form["long"] = repr(location["lon"])
    address = ", ".join(x for x in (doc.get("point_name_th"), doc.get("address")) if x)
    if address:
        form["address_string"] = address[:1000]
    if doc.get("media_urls"):
        form["media_url"] = doc["media_urls"][0]
    form.update({k: v for k, v in contact.items() if v})
    form["attribute[complaint_id]"] = doc["_id"]
    if doc.get("agency_id"):
        form["attribute[agency_id]"] = doc["agency_id"]
    return form


def relay_one(complaints, client, doc, settings, now_fn=store.now_utc, rng=random.random):
    """One attempt for one claimed complaint of `complaints` (the
    ComplaintStore); returns 'relayed', 'retry' or 'dead_letter'."""
    attempts = doc["relay"].get("attempts", 0) + 1
    unsure_since = doc["relay"].get("unsure_since")
    try:
        if unsure_since is not None:
            # the last answer was lost: PMOC may have it already
            found = client.search(reference_marker(doc["_id"]), doc["category"],
                                  unsure_since - SEARCH_MARGIN, now_fn() + SEARCH_MARGIN)
            if found:
                log.info("complaint %s was at PMOC already as %s", doc["_id"], found[0])
                complaints.record_relayed(doc["_id"], found[0], attempts, now_fn(),
                                          claimed=doc, duplicates=found[1:])
                return "relayed", found[0]
        contact = complaints.contact_of(doc["_id"]) if doc.get("has_contact") else {}
        reference = client.submit(open311_form(doc, contact), doc["relay_key"])
    except RelayError as exc:
        now = now_fn()
        if exc.retryable and attempts < settings.max_attempts:
            delay = backoff(attempts, settings.backoff_base, settings.backoff_max, rng)
            complaints.record_failure(doc, exc.reason, now + timedelta(seconds=delay), now,
                                      unsure=exc.unsure)
            return "retry", exc.reason
        reason = exc.reason if not exc.retryable else "{} (after {} attempts)".format(
            exc.reason, attempts)
        complaints.record_failure(doc, reason, None, now, unsure=exc.unsure)
        log.warning("complaint %s dead-lettered: %s", doc["_id"], reason)
        return "dead_letter", reason
    now = now_fn()
    complaints.record_relayed(doc["_id"], reference, attempts, now, claimed=doc,
                              audit_at=now + AUDIT_DELAY if unsure_since is not None else None)
    log.info("complaint %s relayed to PMOC as %s", doc["_id"], reference)
    return "relayed", reference


def relay_round(complaints, client, settings, pool, now_fn=store.now_utc):
    """Claim what is due and relay it, `settings.concurrency` at a time.
    Returns {outcome: count}."""
    claimed = complaints.claim_due(now_fn(), settings.lease_seconds, settings.batch)
    outcomes = {}
    for outcome, _ in pool.imap(lambda d: _safe_relay(complaints, client, d, settings, now_fn),
                                claimed):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _safe_relay(complaints, client, doc, settings, now_fn):
    # a green thread of the round's pool: it names the complaint's chain
    # itself (its log lines, the PMOC headers, the complaint_relayed event)
    try:
        with context.bound(service="complaints", entrypoint="relay_to_pmoc",
                           correlation_id=doc.get("correlation_id")):
            return relay_one(complaints, client, doc, settings, now_fn)
    except Exception:  # our bug or the store: the claim expires and it is retried
        log.exception("relaying %s failed unexpectedly", doc["_id"])
        return "error", None


def audit_round(complaints, client, now_fn=store.now_utc, batch=SYNC_BATCH):
    """Search PMOC once more for complaints sent again after an unsure
    failure: a request the centre stored after our first search is a
    duplicate, marked on the complaint. Returns the duplicates found."""
    found_duplicates = 0
    for doc in complaints.due_for_audit(now_fn(), batch):
        relay = doc["relay"]
        found = client.search(reference_marker(doc["_id"]), doc["category"],
                              relay["unsure_since"] - SEARCH_MARGIN, now_fn() + SEARCH_MARGIN)
        duplicates = [ref for ref in found if ref != relay["reference"]]
        if duplicates:
            log.warning("complaint %s is at PMOC %d times: %s (kept %s)", doc["_id"],
                        len(found), ", ".join(duplicates), relay["reference"])
        found_duplicates += len(duplicates)
        complaints.record_audit(doc["_id"], duplicates)
    return found_duplicates


def sync_round(complaints, client, now_fn=store.now_utc, batch=SYNC_BATCH):
    """Ask PMOC about every relayed complaint still open here; apply what
    changed. Returns the number of complaints whose status changed."""
    changed = 0
    after = None
    while True:
        docs = complaints.to_sync(batch, after)
        if not docs:
            return changed
        after = docs[-1]["_id"]
        by_reference = {d["relay"]["reference"]: d for d in docs if d["relay"].get("reference")}
        if not by_reference:
            continue
        answers = client.statuses(list(by_reference))
        for reference, (status, notes) in answers.items():
            doc = by_reference.get(reference)
            if doc is None or status not in ("open", "closed"):
                continue
            before = doc["status"]
            # the status change event belongs to the complaint's chain
            with context.bound(correlation_id=doc.get("correlation_id")):
                after_doc = complaints.apply_pmoc_status(doc["_id"], status, notes, now_fn())
            if after_doc["status"] != before:
                changed += 1
