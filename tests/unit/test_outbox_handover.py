"""The batch publisher's hand-over of queued batches, without a broker."""
import eventlet
import pytest
from eventlet.event import Event

from services.common.outbox_publisher import BatchChannel, Unconfirmed


def _channel(publish):
    channel = BatchChannel("memory://", None, "json")
    channel._publish = publish
    return channel


def test_batches_carried_by_a_killed_publish_fail_instead_of_counting_as_sent():
    """A writer whose events rode in another's batch that never got its
    confirms must hear so (its events stay in the outbox), even when the
    one carrying it was killed mid-batch (a shutdown)."""
    first_sent, release, carried, sent = Event(), Event(), Event(), []

    def publish(messages):
        sent.append([key for key, _, _ in messages])
        if len(sent) == 1:
            first_sent.send()
            release.wait()
        else:
            carried.send()
            eventlet.sleep(10)  # waiting for confirms when the kill comes

    channel = _channel(publish)
    first = eventlet.spawn(channel.publish, [("a", {})])
    first_sent.wait()
    carrier = eventlet.spawn(channel.publish, [("b", {})])
    rider = eventlet.spawn(channel.publish, [("c", {})])
    eventlet.sleep(0)  # both queue behind the first
    release.send()
    first.wait()
    carried.wait()  # the carrier sends its batch and the rider's together
    carrier.kill()
    with pytest.raises(Unconfirmed):
        rider.wait()
    assert sent == [["a"], ["b", "c"]]  # and nothing else as if it were the rider's


def test_a_queued_batch_goes_out_with_the_next_one():
    started, release, sent = Event(), Event(), []

    def publish(messages):
        sent.append([key for key, _, _ in messages])
        if len(sent) == 1:
            started.send()
            release.wait()

    channel = _channel(publish)
    first = eventlet.spawn(channel.publish, [("a", {})])
    started.wait()
    second = eventlet.spawn(channel.publish, [("b", {})])
    third = eventlet.spawn(channel.publish, [("c", {})])
    eventlet.sleep(0)
    release.send()
    for thread in (first, second, third):
        thread.wait()
    assert sent == [["a"], ["b", "c"]]
