"""RPC calls with a bounded wait.

nameko 2.x's in-service RpcProxy waits forever for a reply; callers here wait
at most `timeout` seconds and get ServiceUnavailable instead of a hang.
"""
import eventlet
from nameko.exceptions import UnknownService

from services.common.errors import ServiceUnavailable


def call(proxy, method, *args, timeout=10.0, **kwargs):
    """proxy.method(*args, **kwargs), bounded by `timeout` seconds."""
    service = getattr(proxy, "service_name", "?")
    try:
        reply = getattr(proxy, method).call_async(*args, **kwargs)
        with eventlet.Timeout(timeout, False):
            return reply.result()
    except UnknownService:
        raise ServiceUnavailable(
            "The {} service is not running.".format(service),
            {"service": service})
    raise ServiceUnavailable(
        "The {} service did not answer within {:g} s.".format(service, timeout),
        {"service": service, "timeout_seconds": timeout})


def pages(call, page_size, id_field="id"):
    """Every page of a paged source: `call(after_id, limit)` answers records
    in id order after `after_id`; a short page is the last one."""
    after = None
    while True:
        page = call(after, page_size)
        yield page
        if len(page) < page_size:
            return
        after = page[-1][id_field]


def call_pages(proxy, method, page_size, id_field="id", timeout=10.0):
    """Every page of a paged RPC (`method(after_id, limit)`), each call
    bounded by `timeout` seconds."""
    return pages(lambda after, limit: call(proxy, method, after, limit, timeout=timeout),
                 page_size, id_field)
