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
  answered 503 and closed. Our reverse proxies (CFZ_TRUSTED_PROXIES) are not
  held to the per-address limit, since every client behind them shares
  their address, only to the server's; the client behind a proxy is known
  only once its headers are read, and the limits per client there are the
  request limits (clients.py: the rightmost X-Forwarded-For hop that is not
  one of our proxies);
- nothing a connection does can kill the gateway's container (nameko kills
  a container whose managed thread raises);
- an error that escapes a route is still the JSON error body, never
  nameko's plain-text 500;
- every answer gets the security headers and, when the client accepts it,
  gzip (static_files.finish);
- every request gets a request id (the client's valid `X-Request-ID`, else
  a new one), answered in `X-Request-ID` and carried into every RPC, event
  and log line it causes; every answer is counted by route template,
  method and status (the refusals above too: `ObservedApp`).
"""
import io
import json
import logging
import re
import socket
import time
from collections import Counter
from functools import partial

import eventlet
import greenlet
from eventlet import wsgi
from nameko.exceptions import ContainerBeingKilled
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer
from prometheus_client import Counter as MetricCounter
from prometheus_client import Histogram

from services.common import context, tracing
from services.common.config import get_float, get_int
from services.common.metrics import LATENCY_BUCKETS, child, service_metric
from services.common.errors import CfzError, PayloadTooLarge, RequestTimeout, ServiceUnavailable
from services.gateway import clients, static_files
from services.gateway.http import error_response, internal_error_response, with_thai

log = logging.getLogger(__name__)
access_log = logging.getLogger("cfz.access")

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# any other method is counted as "other": a client cannot add series
KNOWN_METHODS = BODY_METHODS | {"GET", "HEAD", "OPTIONS"}
CLOSE_CONNECTION = "cfz.close_connection"
REQUEST_ID = "cfz.request_id"
ROUTE = "cfz.route"
TRACE = "cfz.traceparent"
UNMATCHED = "unmatched"
READ_CHUNK = 16 * 1024

HTTP_REQUESTS = service_metric("gateway", MetricCounter(
    "cfz_http_requests_total", "HTTP answers by route template, method and status",
    ["route", "method", "status"], registry=None))
HTTP_LATENCY = service_metric("gateway", Histogram(
    "cfz_http_request_duration_seconds", "Time to answer an HTTP request (body read included)",
    ["route", "method"], buckets=LATENCY_BUCKETS, registry=None))


def route_template(rule):
    """A werkzeug rule as the route label: /points/<string:point_id> -> /points/{point_id}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


class ObservedApp:
    """The WSGI app, with a request id for every request, a server span,
    one access log line and the HTTP metrics for every answer."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        request_id = context.request_id_from(environ.get("HTTP_X_REQUEST_ID"))
        environ[REQUEST_ID] = request_id
        environ[ROUTE] = UNMATCHED  # the route's handler names its template
        method = environ.get("REQUEST_METHOD", "")
        method = method if method in KNOWN_METHODS else "other"
        status = []

        def observed_start_response(status_line, headers, exc_info=None):
            status[:] = [status_line[:3]]
            headers = [h for h in headers if h[0].lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            return start_response(status_line, headers, exc_info)

        started = time.perf_counter()
        with context.bound(service="gateway", request_id=request_id, correlation_id=request_id):
            with tracing.span("HTTP {}".format(method), kind="server",
                              parent=environ.get("HTTP_TRACEPARENT"),
                              attributes={"http.request.method": method,
                                          "cfz.request_id": request_id}):
                environ[TRACE] = tracing.current_traceparent()
                try:
                    return self.app(environ, observed_start_response)
                except BaseException:
                    status[:] = status or ["500"]  # eventlet answers 500 for us
                    raise
                finally:
                    route = environ[ROUTE]
                    code = status[0] if status else "500"
                    elapsed = time.perf_counter() - started
                    child(HTTP_REQUESTS, route, method, code).inc()
                    child(HTTP_LATENCY, route, method).observe(elapsed)
                    tracing.set_attributes(**{"http.route": route,
                                              "http.response.status_code": int(code)})
                    access_log.info("%s %s %s %.1f ms", method, route, code, elapsed * 1000,
                                    extra={"cfz_fields": {
                                        "route": route, "method": method, "status": int(code),
                                        "duration_ms": round(elapsed * 1000, 2)}})


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
        self.proxies = clients.trusted_networks(config)
        self.max_body_bytes = get_int(config, "CFZ_MAX_BODY_BYTES")
        self.csp = static_files.content_security_policy(config["CFZ_TILE_URL"])
        super().setup()

    def get_wsgi_app(self):
        # the refusals' series exists from the start, so the first burst
        # of them is an increase (rate() cannot see a series' first value)
        HTTP_REQUESTS.labels(UNMATCHED, "unknown", "503")
        return ObservedApp(super().get_wsgi_app())

    def context_data_from_headers(self, request):
        """What the route's worker carries into every RPC it makes (nameko
        context data, sent as message headers)."""
        request_id = request.environ.get(REQUEST_ID)
        data = {"request_id": request_id, "correlation_id": request_id}
        if request.environ.get(TRACE):
            data[tracing.TRACEPARENT] = request.environ[TRACE]
        return data

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
                    self.max_per_client and self._per_client[client] >= self.max_per_client
                    and not clients.is_trusted_proxy(client, self.proxies)):
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
    HTTP_REQUESTS.labels(UNMATCHED, "unknown", "503").inc()  # refused before a request was read
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
        self.route = route_template(url)

    def handle_request(self, request):
        request.environ[ROUTE] = self.route
        try:
            _read_body(request, self.body_limit_factor * self.server.max_body_bytes,
                       self.server.body_timeout)
        except CfzError as exc:
            request.environ[CLOSE_CONNECTION]()  # the rest of the body stays unread
            return error_response(exc)
        return static_files.finish(request, super().handle_request(request), self.server.csp)

    def response_from_exception(self, exc):
        exc = answerable(exc)
        if isinstance(exc, CfzError):
            return error_response(exc)
        log.error("unhandled error in %s: %r", self.method_name, exc)
        return internal_error_response()


def answerable(exc):
    """`exc`, or the 503 a client should see for it: a request that arrives
    while the process stops (nameko refuses the worker) is retried elsewhere
    or after the restart, it is not our bug."""
    if isinstance(exc, ContainerBeingKilled):
        return ServiceUnavailable("The service is restarting; try again shortly.",
                                  {"retry_after_seconds": 2}, code="SHUTTING_DOWN")
    return exc


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
