"""The gateway's one HTTP entrypoint: every route is declared with `route`,
and the declaration is both the error boundary and the route's OpenAPI
operation.

Errors are mapped here, once, for every route (nameko-examples' gateway
`HttpEntrypoint` with `mapped_errors` is the model): a CfzError keeps its
status and becomes the error body {error, message, details} with its
headers (`Retry-After`, `WWW-Authenticate`); anything else is our bug, logged
with its traceback and answered a JSON 500 without internals. No route can
forget it and answer nameko's plain-text 500.

The mapping runs inside the route's worker, around the handler, so the
worker's result is the error answer: the Metrics provider counts a 4xx as
rejected and a 5xx as an error (services/common/metrics.py), and nameko does
not log a caller's mistake as a crash. What escapes outside the worker (a
bad signature, an answer that is not a response) is mapped the same way by
`response_from_exception`.

The OpenAPI metadata (summary, body and query schemas, auth, tag, 201 on
create, request headers) are keyword arguments of the same declaration;
services/gateway/openapi.py reads them from the service's entrypoints. A
route without a summary (web pages, the /api catch-all) is not documented.
"""
import functools
import logging

from services.common.errors import CfzError
from services.gateway.http import error_response, internal_error_response
from services.gateway.webserver import GatewayHttp, answerable

log = logging.getLogger(__name__)


def json_errors(exc):
    """The API's error body for any exception."""
    if isinstance(exc, CfzError):
        return error_response(exc)
    return internal_error_response()


class Route(GatewayHttp):
    """A gateway route: GatewayHttp (bodies read before a worker is taken,
    bounded) with the error boundary and its OpenAPI operation."""

    def __init__(self, method, url, summary=None, body=None, query=None, auth=False, tag=None,
                 creates=False, headers=None, errors=json_errors, **kwargs):
        super().__init__(method, url, **kwargs)
        self.summary = summary
        self.body = body  # marshmallow schema of the JSON body
        self.query = query  # marshmallow schema of the query string
        self.auth = auth  # needs a bearer token
        self.tag = tag
        self.creates = creates  # answers 201
        self.headers = headers or {}  # request header -> description
        self.errors = errors  # exception -> the error answer

    @classmethod
    def decorator(cls, *args, **kwargs):
        """`@route(method, url, **metadata)`: registers the entrypoint on
        the handler wrapped in its error boundary."""
        def register(handler):
            errors = kwargs.get("errors", json_errors)

            @functools.wraps(handler)
            def bounded(self, request, *a, **kw):
                try:
                    return handler(self, request, *a, **kw)
                except CfzError as exc:
                    return errors(exc)
                except Exception as exc:
                    log.exception("unhandled error in %s", handler.__name__)
                    return errors(exc)
            bounded.error_boundary = errors  # what a test checks every route for
            return super(Route, cls).decorator(*args, **kwargs)(bounded)
        return register

    @property
    def documented(self):
        return self.summary is not None

    def response_from_exception(self, exc):
        exc = answerable(exc)
        if not isinstance(exc, CfzError):
            log.error("unhandled error in %s: %r", self.method_name, exc)
        return self.errors(exc)


route = Route.decorator
