"""The outbox publisher every service that owns an outbox has.

`OutboxPublisher("points")` on a service (its collections in the database
of the service's Storage provider) publishes the events a worker
queued (`services/common/outbox.py`) as soon as that worker has finished,
in the same green thread: an RPC's answer is already
on its way, and the events follow within a broker round trip instead of
waiting for the next timer tick. The service's outbox timer calls
`publish_pending()` for what a crash or a failed publish left behind.

Events go to the service's nameko event exchange exactly as nameko's
EventDispatcher sends them (same exchange, routing key, serializer,
headers, persistent delivery), so consumers see no difference. What
differs is the confirms: nameko waits for the broker's confirm after every
message; this sends a whole batch on one channel in confirm mode and waits
once for the confirms of all of it. One connection per service container,
used by one batch at a time: a batch never mixes with another's confirms.
"""
import logging
import socket
import time

from eventlet.semaphore import Semaphore
from kombu import Connection, Producer
from kombu.common import maybe_declare
from nameko import serialization
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY,
                              LOGIN_METHOD_CONFIG_KEY, PERSISTENT)
from nameko.extensions import DependencyProvider
from nameko.messaging import HeaderEncoder
from nameko.standalone.events import get_event_exchange

from services.common import outbox
from services.common.metrics import publish_outbox
from services.common.storage import database_of

log = logging.getLogger(__name__)

# how long a batch waits for the broker's confirms before it counts as
# failed (its events stay in the outbox for the next round)
CONFIRM_TIMEOUT_SECONDS = 10.0
# after a failed batch, writers leave their events to the timer this long:
# while the broker is away each write would otherwise wait for it in turn
WORKERS_PAUSE_SECONDS = 2.0


class Unconfirmed(Exception):
    """The broker refused (nack) or did not confirm a published batch."""


class BatchChannel:
    """One AMQP connection and channel in confirm mode (plain kombu).

    `publish(messages)` sends every message, then waits until the broker
    has confirmed each of them (acks may cover many at once), or raises.
    Batches that arrive while one is in flight wait and then go out
    together, with one wait for all their confirms (many writers at once
    share one round trip instead of queueing one round trip each).
    Any failure drops the connection; the next batch opens a new one."""

    def __init__(self, amqp_uri, exchange, serializer, ssl=None, login_method=None,
                 confirm_timeout=CONFIRM_TIMEOUT_SECONDS):
        self.amqp_uri, self.exchange, self.serializer = amqp_uri, exchange, serializer
        self.ssl, self.login_method = ssl, login_method
        self.confirm_timeout = confirm_timeout
        self._lock = Semaphore(1)
        self._connection = self._channel = self._producer = None
        self._sent = 0           # delivery tags given out on this channel
        self._confirmed = set()  # tags confirmed out of order
        self._confirmed_upto = 0
        self._refused = False
        self._waiting = []  # [request], batches queued behind the one in flight
        self.failed_at = None  # time.monotonic() of the last failed batch

    def recently_failed(self, seconds=WORKERS_PAUSE_SECONDS):
        return self.failed_at is not None and time.monotonic() - self.failed_at < seconds

    def _open(self):
        self._connection = Connection(self.amqp_uri, ssl=self.ssl,
                                      login_method=self.login_method,
                                      transport_options={"confirm_publish": False})
        channel = self._connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        maybe_declare(self.exchange, channel)
        self._channel = channel
        self._producer = Producer(channel, exchange=self.exchange, serializer=self.serializer)
        self._sent, self._confirmed, self._confirmed_upto = 0, set(), 0

    def _on_ack(self, delivery_tag, multiple):
        if multiple:
            self._confirmed_upto = max(self._confirmed_upto, delivery_tag)
        else:
            self._confirmed.add(delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        self._refused = True
        self._on_ack(delivery_tag, multiple)

    def _done(self, tag):
        return tag <= self._confirmed_upto or tag in self._confirmed

    def close(self):
        connection, self._connection = self._connection, None
        self._channel = self._producer = None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # already gone: nothing to give back
                pass

    def publish(self, messages, headers=None):
        """messages: [(routing_key, payload), ...]."""
        if not messages:
            return
        request = {"messages": messages, "headers": headers or {}, "done": False, "error": None}
        self._waiting.append(request)
        with self._lock:
            if not request["done"]:  # else an earlier holder sent it with its own
                batch, self._waiting = self._waiting, []
                error = None
                try:
                    self._publish([(key, payload, r["headers"]) for r in batch
                                   for key, payload in r["messages"]])
                except Exception as exc:
                    error = exc
                except BaseException:  # killed mid-batch: the others must not count it sent
                    error = Unconfirmed("the publisher stopped before the broker confirmed")
                    raise
                finally:
                    if error is not None:
                        self.failed_at = time.monotonic()
                        self.close()
                        for queued in batch:
                            queued["error"] = error
                    else:
                        self.failed_at = None
                    for queued in batch:
                        queued["done"] = True
        if request["error"] is not None:
            raise request["error"]

    def _publish(self, messages):
        if self._connection is None:
            self._open()
        first = self._sent + 1
        self._refused = False
        for routing_key, payload, headers in messages:
            self._producer.publish(payload, routing_key=routing_key, headers=headers,
                                   delivery_mode=PERSISTENT, mandatory=False, retry=False)
            self._sent += 1
        deadline = time.monotonic() + self.confirm_timeout
        tags = range(first, self._sent + 1)
        while not all(self._done(tag) for tag in tags):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Unconfirmed("the broker did not confirm {} events within {} s".format(
                    len(messages), self.confirm_timeout))
            try:
                self._connection.drain_events(timeout=left)
            except socket.timeout:
                continue
        self._confirmed = {tag for tag in self._confirmed if tag > self._sent}
        self._confirmed_upto = max(self._confirmed_upto, self._sent)
        if self._refused:
            raise Unconfirmed("the broker refused some of {} events".format(len(messages)))


class OutboxPublisher(DependencyProvider, HeaderEncoder):
    """Publishes the service's outbox: each worker's own events right after
    it, and everything pending when the timer asks."""

    def __init__(self, *collection_names):
        self.collection_names = collection_names

    def setup(self):
        config = self.container.config
        serializer, _ = serialization.setup(config)
        self.channel = BatchChannel(
            config[AMQP_URI_CONFIG_KEY],
            get_event_exchange(self.container.service_name, config), serializer,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))

    def stop(self):
        self.channel.close()

    def kill(self):
        self.channel.close()

    def _publish(self, worker_ctx, event_ids=None):
        db = database_of(self.container)
        headers = self.get_message_headers(worker_ctx)
        return publish_outbox(self.container.service_name,
                              [db[name] for name in self.collection_names],
                              lambda batch: self.channel.publish(batch, headers), event_ids)

    def worker_setup(self, worker_ctx):
        outbox.take_pushed()  # start clean: only this worker's events count

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        event_ids = outbox.take_pushed()
        if not event_ids or self.channel.recently_failed():
            return  # the timer publishes them
        try:
            self._publish(worker_ctx, event_ids)
        except Exception:  # never fail the worker: the timer publishes them
            log.exception("outbox: publishing a worker's events failed; the timer will")

    def get_dependency(self, worker_ctx):
        return _Bound(self, worker_ctx)


class _Bound:
    def __init__(self, provider, worker_ctx):
        self._provider, self._worker_ctx = provider, worker_ctx

    def publish_pending(self):
        """Everything pending (the timer's round); returns how many."""
        return self._provider._publish(self._worker_ctx)
