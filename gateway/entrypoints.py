"""nameko's @http with JSON in and out, and errors rendered by gateway/exceptions.py."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime

import eventlet
from eventlet.semaphore import Semaphore
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from gateway.exceptions import Unauthenticated, error_response
from services.common.errors import DomainError


def json_response(status: int, payload) -> Response:
    def default(value):
        if isinstance(value, datetime | date):
            return value.isoformat()
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")

    body = json.dumps(payload, default=default, ensure_ascii=False)
    return Response(body, status=status, mimetype="application/json")


class JsonWsgiApp(WsgiApp):
    """Unknown paths and wrong methods answer in JSON too, not werkzeug's HTML."""

    def __call__(self, environ, start_response):
        try:
            self.url_map.bind_to_environ(environ).match()
        except HTTPException as exc:
            return json_response(*error_response(exc))(environ, start_response)
        return super().__call__(environ, start_response)


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

    def context_data_from_headers(self, request):
        """Only the correlation id crosses from HTTP into nameko context data -- a client's own,
        if it is a plain token, so it can find its request in the audit trail; else a new one."""
        given = request.headers.get(CORRELATION_HEADER, "")
        request.correlation_id = given if CORRELATION_ID.match(given) else str(uuid.uuid4())
        return {"correlation_id": request.correlation_id}


class JsonHttpEntrypoint(HttpRequestHandler):
    server = JsonWebServer()

    def __init__(self, method, url, expected_exceptions=(DomainError,), **kwargs):
        # domain errors are answers, not crashes: nameko does not log them as errors
        super().__init__(method, url, expected_exceptions=expected_exceptions, **kwargs)

    def handle_request(self, request):
        with self.server.admission:
            response = super().handle_request(request)
        correlation_id = getattr(request, "correlation_id", None)
        if correlation_id:
            response.headers[CORRELATION_HEADER] = correlation_id
        return response

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, payload = result if isinstance(result, tuple) else (200, result)
        return json_response(status, payload)

    def response_from_exception(self, exc):
        response = json_response(*error_response(exc))
        if isinstance(exc, Unauthenticated):
            code = exc.code.lower() if exc.code != "AUTHENTICATION_REQUIRED" else None
            response.headers["WWW-Authenticate"] = (
                f'Bearer realm="cadre", error="invalid_token", error_description="{code}"'
                if code else 'Bearer realm="cadre"')
        return response


http = JsonHttpEntrypoint.decorator
