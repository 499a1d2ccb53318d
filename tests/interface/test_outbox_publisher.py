"""The outbox's batch publisher against the real RabbitMQ: what consumers
receive, in which order, and what a refused publish does."""
import eventlet
import pytest
from kombu import Connection, Exchange, Queue

from services.common.outbox_publisher import BatchChannel

EXCHANGE = Exchange("unit.events", type="topic", durable=True, auto_delete=True)


@pytest.fixture
def queue(config):
    """A queue bound to every event of the test exchange, and its messages."""
    received = []
    connection = Connection(config["AMQP_URI"])
    channel = connection.channel()
    bound = Queue("unit-events-recorder", EXCHANGE, routing_key="#", auto_delete=True)(channel)
    bound.declare()
    yield bound, received
    connection.release()


def _drain(bound, received, count, timeout=10.0):
    deadline = eventlet.timeout.Timeout(timeout)
    try:
        while len(received) < count:
            message = bound.get(no_ack=True)
            if message is None:
                eventlet.sleep(0.01)
                continue
            received.append((message.delivery_info["routing_key"], message.payload,
                             message.headers))
    finally:
        deadline.cancel()
    return received


def test_concurrent_writers_share_confirm_waits_and_keep_their_order(config, queue):
    bound, received = queue
    channel = BatchChannel(config["AMQP_URI"], EXCHANGE, "json")
    waits = []
    publish_batch = channel._publish
    channel._publish = lambda messages: (waits.append(len(messages)), publish_batch(messages))
    writers, per_writer = 20, 10

    def writer(n):
        channel.publish([("point_changed", {"entity": n, "version": v})
                         for v in range(1, per_writer + 1)], {"nameko.call_id_stack": [str(n)]})

    pool = eventlet.GreenPool(writers)
    for n in range(writers):
        pool.spawn(writer, n)
    pool.waitall()
    _drain(bound, received, writers * per_writer)
    for n in range(writers):
        mine = [(payload["version"], headers["nameko.call_id_stack"])
                for _, payload, headers in received if payload["entity"] == n]
        assert mine == [(v, [str(n)]) for v in range(1, per_writer + 1)]
    assert sum(waits) == writers * per_writer
    assert len(waits) < writers  # batches went out together, one confirm wait each
    channel.close()


def test_a_refused_batch_raises_and_the_next_one_reconnects(config, queue):
    bound, received = queue
    channel = BatchChannel(config["AMQP_URI"], Exchange("no-such.events", type="topic",
                                                         no_declare=True), "json")
    with pytest.raises(Exception):  # the broker closes the channel: not confirmed
        channel.publish([("point_changed", {"entity": 1})])
    assert channel.recently_failed()
    channel.exchange = EXCHANGE  # the next batch opens a new connection and channel
    channel.publish([("point_changed", {"entity": 2})])
    assert not channel.recently_failed()
    assert [payload for _, payload, _ in _drain(bound, received, 1)] == [{"entity": 2}]
    channel.close()
