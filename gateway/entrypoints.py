"""nameko's @http with JSON in and out, and errors rendered by gateway/exceptions.py."""

from __future__ import annotations

import functools
import inspect
import json
import re
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime
from logging import getLogger

import eventlet
from eventlet import wsgi
from eventlet.semaphore import Semaphore
from nameko.exceptions import IncorrectSignature
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Request, Response

from gateway.exceptions import RequestTimeout, TooManyRequests, Unauthenticated, error_response
from gateway.i18n import DEFAULT_LANGUAGE, language_of, localised
from gateway.routes import ROUTES
from services.common.errors import DomainError
from services.common.ops.endpoints import Ops

access_log = getLogger("gateway.access")


def in_language(response: Response, request, config) -> Response:
    """An error answer read out in the caller's language (gateway/i18n.py); any other as it is."""
    if response.status_code < 400 or response.mimetype != "application/json":
        return response
    language = language_of(request, config.get("DEFAULT_LANGUAGE") or DEFAULT_LANGUAGE)
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return response
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"] = localised(body["error"], language)
        response.set_data(json.dumps(body, ensure_ascii=False))
    response.headers["Content-Language"] = language
    response.vary.add("Accept-Language")
    return response


def json_response(status: int, payload) -> Response:
    def default(value):
        if isinstance(value, datetime | date):
            return value.isoformat()
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    body = json.dumps(payload, default=default, ensure_ascii=False)
    response = Response(body, status=status, mimetype="application/json")
    # personnel records, complaints, referrals: no shared or browser cache keeps a copy
    response.headers["Cache-Control"] = "no-store"
    return response


class JsonWsgiApp(WsgiApp):
    """nameko's WSGI app, matching a request's route once (nameko's matched it a second time), and
    answering unknown paths and wrong methods in JSON too, not werkzeug's HTML."""

    def __call__(self, environ, start_response):
        # shallow until the handler reads the body, as nameko makes it
        request = Request(environ, shallow=True)
        try:
            provider, request.path_values = self.url_map.bind_to_environ(environ).match()
            response = provider.handle_request(request)
        except HTTPException as exc:  # no route, or a body that broke off before the handler
            response = json_response(*error_response(exc))
            response.headers["X-Content-Type-Options"] = "nosniff"
            if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
                response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
            response = in_language(response, request, self.server.container.config)
        return response(environ, start_response)


# /health answers whatever the application requests are doing: it never queues behind them
UNQUEUED = frozenset({"/health"})
DEFAULT_BODY_SECONDS = 10.0
DEFAULT_SOCKET_SECONDS = 30.0
DEFAULT_PER_CLIENT = 4

CORRELATION_HEADER = "X-Correlation-Id"
CORRELATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class JsonWebServer(WebServer):
    def setup(self):
        super().setup()
        # requests worked on at once; the rest wait their turn in arrival order. The process's
        # max_workers is sized for event consumption (ADR 0019); letting every request in at once
        # only spreads the same work over more of them and lengthens the tail
        limit = int(self.container.config.get("GATEWAY_MAX_REQUESTS", 10))
        if limit < 1:  # a semaphore of 0 would hold every request forever
            raise ValueError(f"GATEWAY_MAX_REQUESTS must be at least 1, not {limit}")
        self.admission = Semaphore(limit)
        config = self.container.config
        # a body must arrive within this many seconds, read before the request takes a place
        self.body_seconds = float(config.get("GATEWAY_BODY_SECONDS", DEFAULT_BODY_SECONDS))
        # a connection that sends nothing for this long (headers, body, keep-alive) is closed
        self.socket_seconds = float(config.get("GATEWAY_SOCKET_SECONDS", DEFAULT_SOCKET_SECONDS))
        # requests one user (one bearer token) may have in the gateway at once
        self.per_client = int(config.get("GATEWAY_MAX_REQUESTS_PER_CLIENT", DEFAULT_PER_CLIENT))
        self.in_flight: dict[str, int] = {}
        self.largest_body = max([int(config.get("MAX_BODY_BYTES", 64 * 1024))] + [
            route.max_body_bytes or 0 for route in ROUTES])

    def start(self):
        # nameko's own start, but listening without SO_REUSEPORT (eventlet's default): a port another
        # process holds stops the gateway at start, where it would be shared without a word, the kernel
        # sending part of the clients' requests to the other process
        if not self._starting:
            self._starting = True
            self._sock = eventlet.listen(self.bind_addr, reuse_port=False)
            # blocking, as nameko makes it: kombu sets a default socket timeout the socket inherits
            self._sock.settimeout(None)
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)

    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=HttpOnlyProtocol, debug=False):
        # eventlet's own access lines are off: JsonHttpEntrypoint writes one of ours per request
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                           log=getLogger("nameko.web.server"), log_output=False,
                           socket_timeout=self.socket_seconds)

    @staticmethod
    def client_of(request) -> str | None:
        """Who a request counts against: its bearer token, kept only while it has requests here.
        Not its address: behind an ingress every officer has the same one; a request without a
        token is answered 401 at once."""
        return request.environ.get("HTTP_AUTHORIZATION") or None

    @contextmanager
    def admitted(self, request):
        """Read the body (within its deadline), then take a place: per client, then overall."""
        if request.path in UNQUEUED:
            yield
            return
        length = request.content_length
        if length and length <= self.largest_body:
            try:
                request.shallow = False  # as nameko's handler makes it, only sooner
                with eventlet.Timeout(self.body_seconds):
                    request.get_data()  # kept by werkzeug for the handler
            except eventlet.Timeout:
                raise RequestTimeout(f"the body did not arrive within {self.body_seconds:g} s") from None
        client = self.client_of(request)
        if client is not None and self.in_flight.get(client, 0) >= self.per_client:
            raise TooManyRequests(f"at most {self.per_client} requests at once per client; "
                                  "wait for an answer before sending more")
        self.in_flight[client] = self.in_flight.get(client, 0) + 1
        try:
            with self.admission:
                yield
        finally:
            self.in_flight[client] -= 1
            if not self.in_flight[client]:
                del self.in_flight[client]

    def context_data_from_headers(self, request):
        """Only the correlation id crosses from HTTP into nameko context data -- a client's own,
        if it is a plain token, so it can find its request in the audit trail; else a new one."""
        given = request.headers.get(CORRELATION_HEADER, "")
        request.correlation_id = given if CORRELATION_ID.match(given) else str(uuid.uuid4())
        return {"correlation_id": request.correlation_id}


def refusal_of(response) -> dict:
    """An error answer's code and rule, for its access line (the body is the gateway's own, small)."""
    if response.status_code < 400 or response.mimetype != "application/json" or response.is_streamed:
        return {}
    try:
        error = json.loads(response.get_data())["error"]
    except (ValueError, KeyError, TypeError):
        return {}
    return {k: v for k, v in (("error_code", error.get("code")), ("rule", error.get("rule"))) if v}


class JsonHttpEntrypoint(HttpRequestHandler):
    server = JsonWebServer()

    def __init__(self, method, url, expected_exceptions=(DomainError, HTTPException), **kwargs):
        # domain errors are answers, not crashes: nameko does not log them as errors
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def setup(self):
        super().setup()
        self.ops = next((d for d in self.container.dependencies if isinstance(d, Ops)), None)

    @functools.cached_property
    def signature(self) -> inspect.Signature:
        return inspect.signature(getattr(self.container.service_cls, self.method_name),
                                 follow_wrapped=False)

    def check_signature(self, args, kwargs):
        """As nameko's check, without working the handler's signature out again on every request."""
        try:
            self.signature.bind(None, *args, **kwargs)
        except TypeError as exc:
            raise IncorrectSignature(str(exc)) from None

    def handle_request(self, request):
        started = time.perf_counter()
        try:
            with self.server.admitted(request):
                response = super().handle_request(request)
        except (RequestTimeout, TooManyRequests) as exc:
            response = self.response_from_exception(exc)
        response = in_language(response, request, self.container.config)
        correlation_id = getattr(request, "correlation_id", None)
        if correlation_id:
            response.headers[CORRELATION_HEADER] = correlation_id
        # a browser takes JSON (or the docs page) for what it says it is, never sniffs it for HTML
        response.headers["X-Content-Type-Options"] = "nosniff"
        self.answered(request, response, time.perf_counter() - started, correlation_id)
        return response

    def answered(self, request, response, seconds: float, correlation_id: str | None) -> None:
        """One access line and the request's metrics, by the route's template (never the path: ids
        would make every line and series a new one, and a path may name a person)."""
        access_log.info("%s %s %s %.1f ms", request.method, self.url, response.status_code,
                        seconds * 1000, extra={
                            "method": request.method, "route": self.url,
                            "status": response.status_code, "duration_ms": round(seconds * 1000, 1),
                            **({"correlation_id": correlation_id} if correlation_id else {}),
                            **refusal_of(response)})
        if self.ops is not None:
            self.ops.http_answered(request.method, self.url, response.status_code, seconds)

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, payload, *headers = result if isinstance(result, tuple) else (200, result)
        response = json_response(status, payload)
        for extra in headers:
            response.headers.update(extra)
        return response

    def response_from_exception(self, exc):
        response = json_response(*error_response(exc))
        if isinstance(exc, Unauthenticated):
            code = exc.code.lower() if exc.code != "AUTHENTICATION_REQUIRED" else None
            response.headers["WWW-Authenticate"] = (
                f'Bearer realm="cadre", error="invalid_token", error_description="{code}"'
                if code else 'Bearer realm="cadre"')
        return response


http = JsonHttpEntrypoint.decorator
