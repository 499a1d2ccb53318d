"""The ids that tie one request's work together, per green thread (plain
module, no nameko).

- `request_id`: what the gateway accepted in `X-Request-ID` or made;
  carried through every RPC in nameko's context data (message headers).
- `correlation_id`: the id of the whole chain of work. A request's is its
  request id; an event carries it (`correlation_id`), so the work the event
  causes in its consumers, the events they produce in turn and the PMOC
  relay of a complaint keep it.
- `causation_id`: in an event handler, the id of the event being handled;
  events produced there carry it (`causation_id`).
- `call_id`: nameko's id of the current worker (`service.method.uuid`).
- `service`, `entrypoint`: what the current worker is.

The ids live on the current green thread (an attribute of its greenlet,
which is cheaper to reach than eventlet's green-thread locals and goes
with it): every nameko worker is a green thread of its own, so nothing
leaks from one worker to the next. Code in a thread it spawns (a pool of
relay attempts) binds what it needs itself.
"""
import contextlib
import random

from greenlet import getcurrent

MAX_REQUEST_ID_LENGTH = 128
FIELDS = ("service", "entrypoint", "request_id", "correlation_id", "causation_id", "call_id")
# the ids that travel in nameko's context data (RPC and event headers)
PROPAGATED = ("request_id", "correlation_id")

def new_request_id():
    # unique, not secret: the fast generator (uuid4 reads the OS's entropy)
    return "{:032x}".format(random.getrandbits(128))


def valid_request_id(value):
    """A client's X-Request-ID if it is usable in logs and headers (1-128
    printable ASCII characters, no spaces), else None."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_REQUEST_ID_LENGTH:
        return None
    if not all("!" <= ch <= "~" for ch in value):
        return None
    return value


def request_id_from(header_value):
    """The request id of an incoming request: the client's if valid, else new."""
    return valid_request_id(header_value) or new_request_id()


def current():
    """The ids of the current green thread (a dict; empty outside any work)."""
    thread = getcurrent()
    ids = getattr(thread, "cfz_ids", None)
    if ids is None:
        ids = thread.cfz_ids = {}
    return ids


def get(name):
    return current().get(name)


def set_ids(**ids):
    """Replace the current green thread's ids (None values are dropped)."""
    getcurrent().cfz_ids = {k: v for k, v in ids.items() if v is not None}


def clear():
    getcurrent().cfz_ids = {}


@contextlib.contextmanager
def bound(**ids):
    """The ids, added to the current ones for the duration of the block."""
    thread = getcurrent()
    before = current()
    merged = dict(before)
    merged.update({k: v for k, v in ids.items() if v is not None})
    thread.cfz_ids = merged
    try:
        yield merged
    finally:
        thread.cfz_ids = before


def event_fields():
    """The fields an event produced now carries: its chain's correlation id
    and, in an event handler, the id of the event that caused it."""
    ids = current()
    fields = {}
    if ids.get("correlation_id"):
        fields["correlation_id"] = ids["correlation_id"]
    if ids.get("causation_id"):
        fields["causation_id"] = ids["causation_id"]
    return fields
