"""The gateway's HTTP server and entrypoint: nameko's, made safe against
slow and abusive clients.

nameko's web server reads a request's body inside the service worker, with
no deadline, so ten clients trickling their bodies hold every worker of the
gateway and nothing else is answered. Here:

- the request line and headers must arrive within CFZ_HTTP_HEADER_TIMEOUT
  (an idle keep-alive connection is closed after the same time);
- the body is read *before* a worker is taken, within CFZ_HTTP_BODY_TIMEOUT
  and at most the route's limit (413 at once when Content-Length says more);
- every single read or write on a socket gives up after
  CFZ_HTTP_SOCKET_TIMEOUT (a client that never reads its answer);
- one client address holds at most CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT
  connections, and the server at most CFZ_HTTP_MAX_CONNECTIONS; more are
  answered 503 and closed;
- nothing a connection does can kill the gateway's container (nameko kills
  a container whose managed thread raises);
- an error that escapes a route is still the JSON error body, never
  nameko's plain-text 500;
- every answer gets the security headers and, when the client accepts it,
  gzip (static_files.finish).
"""
import io
import json
import logging
import socket
from collections import Counter
from functools import partial

import eventlet
import greenlet
from eventlet import wsgi
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer

from services.common.config import get_float, get_int
from services.common.errors import CfzError, PayloadTooLarge, RequestTimeout
from services.gateway import static_files
from services.gateway.http import error_response, internal_error_response, with_thai

log = logging.getLogger(__name__)

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CLOSE_CONNECTION = "cfz.close_connection"
READ_CHUNK = 16 * 1024


class _HeaderDeadline(Exception):
    """The request line and headers did not arrive in time."""


class _BodyDeadline(Exception):
    """The body did not arrive in time."""


class GuardedProtocol(HttpOnlyProtocol):
    """eventlet's HTTP protocol with a deadline on the request line and headers."""

    _deadline = None

    def _read_request_line(self):
        self._deadline = eventlet.Timeout(self.server.header_timeout, _HeaderDeadline())
        return super()._read_request_line()

    def get_environ(self):
        # the headers are in: from here on the body deadline applies
        self._cancel_deadline()
        environ = super().get_environ()
        # an answer given before the body was read closes the connection
        # instead of reading (eventlet would) the rest of an unbounded body
        environ[CLOSE_CONNECTION] = partial(setattr, self, "close_connection", 1)
        return environ

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except _HeaderDeadline:  # slow or idle: close without a word
            self.close_connection = 1
        finally:
            self._cancel_deadline()

    def _cancel_deadline(self):
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class GuardedWebServer(WebServer):
    """nameko's WebServer with connection limits and timeouts (see module doc)."""

    def __init__(self):
        super().__init__()
        self._per_client = Counter()
        self._open = 0

    def setup(self):
        config = self.container.config
        self.header_timeout = get_float(config, "CFZ_HTTP_HEADER_TIMEOUT")
        self.body_timeout = get_float(config, "CFZ_HTTP_BODY_TIMEOUT")
        self.socket_timeout = get_float(config, "CFZ_HTTP_SOCKET_TIMEOUT")
        self.max_connections = get_int(config, "CFZ_HTTP_MAX_CONNECTIONS")
        self.max_per_client = get_int(config, "CFZ_HTTP_MAX_CONNECTIONS_PER_CLIENT")
        self.max_body_bytes = get_int(config, "CFZ_MAX_BODY_BYTES")
        self.csp = static_files.content_security_policy(config["CFZ_TILE_URL"])
        super().setup()

    def get_wsgi_server(self, sock, wsgi_app, protocol=GuardedProtocol, debug=False):
        server = wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol,
                             debug=debug, log=logging.getLogger("nameko.web.server"),
                             socket_timeout=self.socket_timeout)
        server.header_timeout = self.header_timeout
        return server

    def run(self):
        while self._is_accepting:
            try:
                sock, addr = self._sock.accept()
            except OSError as exc:  # e.g. out of file descriptors: wait, keep serving
                log.warning("accept failed: %s", exc)
                eventlet.sleep(0.1)
                continue
            client = addr[0] if isinstance(addr, tuple) else str(addr)
            if self._open >= self.max_connections or (
                    self.max_per_client and self._per_client[client] >= self.max_per_client):
                eventlet.spawn_n(_refuse, sock)
                continue
            self._open += 1
            self._per_client[client] += 1
            sock.settimeout(self.socket_timeout)
            self.container.spawn_managed_thread(partial(self._serve, sock, addr, client))

    def _serve(self, sock, addr, client):
        try:
            self.process_request(sock, addr)
        except BaseException as exc:  # a connection's failure is never the container's
            if isinstance(exc, greenlet.GreenletExit):  # the container is stopping
                raise
            log.info("connection from %s ended: %r", client, exc)
        finally:
            self._open -= 1
            self._per_client[client] -= 1
            if self._per_client[client] <= 0:
                del self._per_client[client]
            try:
                sock.close()
            except OSError:
                pass


_REFUSAL_BODY = json.dumps(with_thai({
    "error": "TOO_MANY_CONNECTIONS", "message": "Too many connections; try again in a few seconds.",
    "details": {}}), ensure_ascii=False).encode("utf-8")
_REFUSAL = (b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\n"
            b"Content-Type: application/json\r\nContent-Length: " +
            str(len(_REFUSAL_BODY)).encode() + b"\r\n\r\n" + _REFUSAL_BODY)


def _refuse(sock):
    try:
        sock.settimeout(2)
        sock.sendall(_REFUSAL)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        sock.close()


class GatewayHttp(HttpRequestHandler):
    """An HTTP route of the gateway: its body is read before a worker is
    taken (bounded in size and time), and an error that escapes the route is
    answered as the JSON error body."""

    server = GuardedWebServer()

    def __init__(self, method, url, body_limit_factor=1, **kwargs):
        super().__init__(method, url, **kwargs)
        self.body_limit_factor = body_limit_factor

    def handle_request(self, request):
        try:
            _read_body(request, self.body_limit_factor * self.server.max_body_bytes,
                       self.server.body_timeout)
        except CfzError as exc:
            request.environ[CLOSE_CONNECTION]()  # the rest of the body stays unread
            return error_response(exc)
        return static_files.finish(request, super().handle_request(request), self.server.csp)

    def response_from_exception(self, exc):
        if isinstance(exc, CfzError):
            return error_response(exc)
        log.error("unhandled error in %s: %r", self.method_name, exc)
        return internal_error_response()


def _read_body(request, max_bytes, timeout):
    """Read the whole body now, within `timeout` seconds and `max_bytes`, and
    hand it to the route as an in-memory stream."""
    environ = request.environ
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    length = environ.get("CONTENT_LENGTH") or ""
    if not chunked and (not length or length == "0"):
        if request.method in BODY_METHODS:
            environ["wsgi.input"] = io.BytesIO(b"")
        return
    if length and int(length) > max_bytes:
        raise PayloadTooLarge("The body is larger than {} bytes.".format(max_bytes),
                              {"max_bytes": max_bytes})
    stream = environ["wsgi.input"]
    want = max_bytes + 1 if chunked else int(length)
    parts, got = [], 0
    try:
        with eventlet.Timeout(timeout, _BodyDeadline()):
            while got < want:
                part = stream.read(min(READ_CHUNK, want - got))
                if not part:
                    break
                parts.append(part)
                got += len(part)
    except _BodyDeadline:
        raise RequestTimeout("The body did not arrive within {:g} s.".format(timeout),
                             {"timeout_seconds": timeout})
    except (OSError, ValueError) as exc:  # dropped connection, bad chunked encoding
        raise RequestTimeout("The body could not be read: {}.".format(exc.__class__.__name__))
    body = b"".join(parts)
    if len(body) > max_bytes:
        raise PayloadTooLarge("The body is larger than {} bytes.".format(max_bytes),
                              {"max_bytes": max_bytes})
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False


http = GatewayHttp.decorator
