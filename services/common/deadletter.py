"""Dead-letter queues for events: an event that a handler could not apply,
kept with why, until an operator replays it (`cfz events ...`).

nameko acknowledges an event whose handler raised, so a transient failure
(a database that blipped) used to lose the event silently. The guarded
handler (services/common/entrypoints.py) tries again, and what still fails
comes here: one durable queue per service, `cfz.dead-letter.<service>`, each
message the original body and headers plus where it was going and why it
failed. Replaying sends it to the one handler queue that failed it (through
the default exchange), not to the event's exchange: the other services
already have it. Handlers are idempotent, so a replay never counts twice.

Plain kombu, no nameko: the CLI uses it without running a service.
"""
from datetime import datetime, timezone

from kombu import Connection, Queue

PREFIX = "cfz.dead-letter."
HEADER = "x-cfz-"  # our own headers on a dead letter; dropped on replay
MAX_ERROR_CHARS = 2000


def queue_name(service):
    return PREFIX + service


def _queue(service):
    return Queue(queue_name(service), exchange="", routing_key=queue_name(service), durable=True,
                 auto_delete=False)


def publish(amqp_uri, service, handler_queue, message, error, attempts):
    """Put `message` (a kombu message taken from `handler_queue`) on the
    service's dead-letter queue, confirmed by the broker before returning, so
    the caller may then acknowledge the original."""
    headers = {key: value for key, value in (message.headers or {}).items()
               if not key.startswith(HEADER)}
    headers.update({
        HEADER + "queue": handler_queue,
        HEADER + "exchange": message.delivery_info.get("exchange") or "",
        HEADER + "routing-key": message.delivery_info.get("routing_key") or "",
        HEADER + "error": error[:MAX_ERROR_CHARS],
        HEADER + "attempts": attempts,
        HEADER + "dead-lettered-at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    with Connection(amqp_uri, connect_timeout=5,
                    transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            message.body, exchange="", routing_key=queue_name(service),
            declare=[_queue(service)], headers=headers, content_type=message.content_type,
            content_encoding=message.content_encoding, delivery_mode=2,
            retry=True, retry_policy={"max_retries": 3, "interval_start": 0.2})


def count(amqp_uri, service):
    """Messages waiting in the service's dead-letter queue (0 if none yet)."""
    with Connection(amqp_uri, connect_timeout=5) as connection:
        channel = connection.channel()
        try:
            return channel.queue_declare(queue_name(service), passive=True).message_count
        except Exception:  # the queue does not exist: nothing ever failed
            return 0


def _describe(message):
    headers = message.headers or {}
    return {"queue": headers.get(HEADER + "queue"),
            "event": headers.get(HEADER + "routing-key"),
            "source": headers.get(HEADER + "exchange"),
            "error": headers.get(HEADER + "error"),
            "attempts": headers.get(HEADER + "attempts"),
            "dead_lettered_at": headers.get(HEADER + "dead-lettered-at"),
            "body": message.body.decode("utf-8", "replace")
            if isinstance(message.body, bytes) else message.body}


def peek(amqp_uri, service, limit=20):
    """Up to `limit` dead letters, oldest first, left where they are (they
    are taken unacknowledged and given back when the channel closes)."""
    found = []
    if not count(amqp_uri, service):
        return found
    with Connection(amqp_uri, connect_timeout=5) as connection:
        queue = _queue(service)(connection.channel())
        queue.queue_declare()
        while len(found) < limit:
            message = queue.get(no_ack=False)
            if message is None:
                break
            found.append(_describe(message))
    return found


def replay(amqp_uri, service, limit=None):
    """Send up to `limit` dead letters (all that are there now, when None)
    back to the handler queue that failed them; returns how many. A letter
    that fails again comes back as a new dead letter, after this call's
    count, so a replay always ends."""
    replayed = 0
    with Connection(amqp_uri, connect_timeout=5,
                    transport_options={"confirm_publish": True}) as connection:
        queue = _queue(service)(connection.channel())
        waiting = queue.queue_declare().message_count
        budget = waiting if limit is None else min(limit, waiting)
        producer = connection.Producer()
        while replayed < budget:
            message = queue.get(no_ack=False)
            if message is None:
                break
            headers = message.headers or {}
            target = headers.get(HEADER + "queue")
            if not target:  # not one of ours: leave it for a person to look at
                message.reject(requeue=True)
                break
            producer.publish(
                message.body, exchange="", routing_key=target,
                headers={k: v for k, v in headers.items() if not k.startswith(HEADER)},
                content_type=message.content_type, content_encoding=message.content_encoding,
                delivery_mode=2, retry=True, retry_policy={"max_retries": 3})
            message.ack()
            replayed += 1
    return replayed
