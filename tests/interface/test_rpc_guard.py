"""The RPC entrypoint every service uses: an answer too large for the broker
is a clear error, the service stays up, and the request does not stay queued
(abuse table: one report request once stopped the whole suite)."""
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.common.entrypoints import rpc
from services.common.errors import AnswerTooLarge, NotFound


class Answers:
    name = "answers"

    @rpc
    def text(self, size):
        return "x" * size

    @rpc
    def missing(self):
        raise NotFound("No such thing.", {"id": "x"})


@pytest.fixture
def answers(container_factory, config):
    container = container_factory(Answers, dict(config, CFZ_RPC_MAX_REPLY_BYTES="3000"))
    container.start()
    return container


def queued_requests(config, rabbit_manager):
    vhost = config["AMQP_URI"].rsplit("/", 1)[1]
    queue = rabbit_manager.get_queue(vhost, "rpc-answers")
    return queue.get("messages", 0)


def test_an_answer_over_the_limit_is_refused_and_the_service_stays_up(answers, config,
                                                                       rabbit_manager):
    with ServiceRpcProxy("answers", config, timeout=10) as proxy:
        assert proxy.text(2990) == "x" * 2990  # 2,992 bytes as JSON: under the limit
        with pytest.raises(AnswerTooLarge) as refused:
            proxy.text(3000)
        assert refused.value.details == {"answer_bytes": 3002, "max_bytes": 3000}
        assert "ask for less" in refused.value.message
        # the container lives on and answers the next call; our own errors pass as before
        assert proxy.text(3) == "xxx"
        with pytest.raises(NotFound):
            proxy.missing()
    assert not answers._died.ready()
    assert queued_requests(config, rabbit_manager) == 0
