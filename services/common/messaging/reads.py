"""The gateway's reads over HTTP with keep-alive, not through the broker (docs/adr/0030-reads-over-http.md).

A read is a question with an answer and nothing to keep if nobody hears it: the broker's durability buys
it nothing, and its two extra hops (request and reply queues) cost the broker, the gateway and the
service CPU on every request. So each service also serves its RPC methods on ``READ_ADDRESS``
(``POST /<method>``), and the gateway sends the reads of its GET routes there (``READ_URLS``), over
connections it keeps open. What a call carries is what nameko's RPC carries: the arguments, and the
caller's context data (the user's token, the correlation id, the call stack); the service runs the same
method in a worker of its own, so the user's token is checked again where the data lives, the call is
audited before the answer leaves, and a refusal comes back as the same serialised error. Commands keep
going through the broker. A service without an address in ``READ_URLS`` is read through the broker.
"""

from __future__ import annotations

import http.client
import logging
import socket
from functools import partial
from urllib.parse import urlsplit

import eventlet
from eventlet.event import Event
from kombu.utils import json
from nameko.exceptions import deserialize, serialize
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.web.server import parse_address

log = logging.getLogger(__name__)

PATH_PREFIX = "/"
# an idle keep-alive connection is closed after this long (the gateway opens another)
IDLE_SECONDS = 75.0
MAX_HEAD_BYTES = 64 * 1024
# a call's arguments and context: a read's are a few hundred bytes
MAX_CALL_BYTES = 1024 * 1024


def read_urls(value) -> dict[str, str]:
    """``READ_URLS``: ``service=http://host:port,...`` (or a mapping), each service's read address."""
    if isinstance(value, dict):
        return {str(k): str(v).rstrip("/") for k, v in value.items() if v}
    pairs = (pair.split("=", 1) for pair in str(value or "").replace(" ", "").split(",") if "=" in pair)
    return {service: url.rstrip("/") for service, url in pairs if url}


# the attribute that marks a worker the read port started (metrics and logs say which road a call took)
ROAD = "cadre_road"


def road_of(worker_ctx) -> str | None:
    """``read`` for a worker the read port started, else None."""
    return getattr(worker_ctx, ROAD, None)


class Closed(http.client.HTTPException):
    """The other side closed the connection before a message began."""


class _Wire:
    """One socket read in pieces: up to a marker, or so many bytes. Each side of the read port speaks
    only the HTTP/1.1 both send (a request or status line, a ``Content-Length``, a body): the
    standard library's parsers read each head through the email package, a tenth of the gateway's
    time on a read, and eventlet's WSGI server cost the service 2.5 times this one's CPU a call."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise Closed("the connection was closed")
        self.buffer += data

    def until(self, marker: bytes) -> bytes:
        while (end := self.buffer.find(marker)) < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                raise http.client.HTTPException(f"a message head over {MAX_HEAD_BYTES} bytes")
            self.more()
        head, self.buffer = self.buffer[:end], self.buffer[end + len(marker):]
        return head

    def exactly(self, length: int) -> bytes:
        while len(self.buffer) < length:
            self.more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return body

    def head(self) -> tuple[list[bytes], dict[bytes, bytes]]:
        """The first line's words and the headers (names in lower case) of the next message."""
        first, *lines = self.until(b"\r\n\r\n").split(b"\r\n")
        headers = {}
        for line in lines:
            name, colon, value = line.partition(b":")
            if not colon:
                raise http.client.HTTPException(f"not a header: {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        return first.split(b" ", 2), headers


def _length(headers: dict[bytes, bytes]) -> int:
    value = headers.get(b"content-length", b"0")
    if not value.isdigit():
        raise http.client.HTTPException(f"not a Content-Length: {value[:20]!r}")
    return int(value)


def _message(first: bytes, body: bytes, content_type: bytes = b"application/json",
             close: bool = False) -> bytes:
    return b"%s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n%s" % (
        first, content_type, len(body), b"Connection: close\r\n" if close else b"", body)


class ReadPort(DependencyProvider):
    """The service's read port (READ_ADDRESS), not started when no address is configured (in-process
    test containers); listening without SO_REUSEPORT, so a port another process holds stops the service
    at start. ``POST /<method>`` runs the service's RPC entrypoint of that name in a worker, with the
    caller's context data. Connections are kept alive; one idle for ``IDLE_SECONDS`` is closed."""

    def setup(self):
        self._sock = self._thread = None
        self.address = self.container.config.get("READ_ADDRESS") or ""
        self.entrypoints = {}

    def start(self):
        self.entrypoints = {e.method_name: e for e in self.container.entrypoints if isinstance(e, Rpc)}
        if not self.address:
            return
        bind = parse_address(self.address)
        self._sock = eventlet.listen((bind.address or "0.0.0.0", bind.port), reuse_port=False)
        self._sock.settimeout(None)
        self._thread = self.container.spawn_managed_thread(self._accept)

    def _accept(self):
        while True:
            sock, _ = self._sock.accept()
            sock.settimeout(IDLE_SECONDS)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.container.spawn_managed_thread(partial(self._serve, sock))

    def stop(self):
        if self._thread is not None:
            self._thread.kill()
            self._sock.close()
            self._thread = None

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return None

    def _serve(self, sock) -> None:
        """One connection's calls, one after another, until the caller closes it, goes quiet for
        IDLE_SECONDS, or sends what is not a call (answered 400, then closed)."""
        wire = _Wire(sock)
        try:
            while True:
                try:
                    (verb, path, *version), headers = wire.head()
                    if b"transfer-encoding" in headers or _length(headers) > MAX_CALL_BYTES:
                        raise http.client.HTTPException("a call's body is sent whole, at most 1 MiB")
                    body = wire.exactly(_length(headers))
                except Closed:
                    return
                except (http.client.HTTPException, ValueError):
                    sock.sendall(_message(b"HTTP/1.1 400 Bad Request",
                                          b"a call is POST /<method> HTTP/1.1 with a Content-Length "
                                          b"body of at most 1 MiB\n", b"text/plain", close=True))
                    return
                try:
                    answer = self.respond(verb, path, body)
                except Exception:  # a thread of the container's that raised would stop the service
                    log.exception("the read port could not answer a call to %r", path[:100])
                    sock.sendall(_message(b"HTTP/1.1 500 Internal Server Error",
                                          b"the call could not be answered\n", b"text/plain", close=True))
                    return
                sock.sendall(answer)
                if version != [b"HTTP/1.1"] or headers.get(b"connection", b"").lower() == b"close":
                    return
        except OSError:  # the caller went away, or was silent too long
            return
        finally:
            sock.close()

    def respond(self, verb: bytes, path: bytes, body: bytes) -> bytes:
        entrypoint = self.entrypoints.get(path[len(PATH_PREFIX):].decode("latin-1"))
        if verb != b"POST" or entrypoint is None:
            return _message(b"HTTP/1.1 404 Not Found", b"no such method\n", b"text/plain")
        try:
            call = json.loads(body)
            kwargs, context = dict(call["kwargs"]), dict(call.get("context") or {})
        except (ValueError, KeyError, TypeError):
            return _message(b"HTTP/1.1 400 Bad Request", b'a call is {"kwargs": {...}, "context": {...}}\n',
                            b"text/plain")
        return _message(b"HTTP/1.1 200 OK", json.dumps(self.answer(entrypoint, kwargs, context)).encode())

    def answer(self, entrypoint, kwargs: dict, context: dict) -> dict:
        """The worker's result or its error, as nameko's RPC reply carries them (the RPC entrypoint's own
        reply over the broker is not made: this result handler takes its place)."""
        done = Event()

        def handle_result(worker_ctx, result, exc_info):
            done.send((result, exc_info))
            return result, exc_info

        worker_ctx = self.container.spawn_worker(entrypoint, (), kwargs, context_data=context,
                                                 handle_result=handle_result)
        # set before the worker first runs: nothing yields between its spawn and here
        setattr(worker_ctx, ROAD, "read")
        result, exc_info = done.wait()
        if exc_info is not None:
            return {"result": None, "error": serialize(exc_info[1])}
        return {"result": result, "error": None}


class _Connection:
    """One keep-alive HTTP/1.1 connection to a read port."""

    def __init__(self, host: str, port: int, timeout: float):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.wire = _Wire(self.sock)
        self.used = False

    def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.sock.sendall(request)
        try:
            status_line, headers = self.wire.head()
            status, length = int(status_line[1]), _length(headers)
        except (IndexError, ValueError):
            raise http.client.HTTPException(f"not an answer: {b' '.join(status_line)[:80]!r}") from None
        body = self.wire.exactly(length)
        self.used = True
        return status, body

    def close(self) -> None:
        self.sock.close()


class _Connections:
    """Keep-alive connections to one service's read port, each used by one call at a time."""

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout
        self.idle: list[_Connection] = []

    def post(self, path: str, body: bytes, timeout: float | None = None) -> bytes:
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        # a connection idle too long may have been closed by the service: one more try on a new one,
        # only when no answer began (the service closes an idle connection, never one mid-call, so
        # nothing was run twice then)
        for attempt in (1, 2):
            connection = self.idle.pop() if self.idle else _Connection(self.host, self.port, self.timeout)
            reused = connection.used
            try:
                connection.sock.settimeout(timeout or self.timeout)
                status, data = connection.exchange(request)
            except (Closed, BrokenPipeError, ConnectionResetError):
                connection.close()
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                connection.close()
                raise
            if status != 200:
                connection.close()
                raise ConnectionError(f"{self.host}:{self.port}{path} answered HTTP {status}")
            self.idle.append(connection)
            return data
        raise AssertionError("unreachable")


class ServiceReads(DependencyProvider):
    """The gateway's side: ``reads.call(service, method, arguments)`` over HTTP to the service's read port,
    with this worker's context data; ``reads.serves(service)`` says whether READ_URLS names one."""

    def setup(self):
        self.urls = read_urls(self.container.config.get("READ_URLS"))
        timeout = float(self.container.config.get("RPC_TIMEOUT", 10))
        self.pools = {service: _Connections(url, timeout) for service, url in self.urls.items()}

    def get_dependency(self, worker_ctx):
        return _Reader(self.pools, worker_ctx)


class _Reader:
    def __init__(self, pools: dict[str, _Connections], worker_ctx):
        self.pools, self.worker_ctx = pools, worker_ctx

    def serves(self, service: str) -> bool:
        return service in self.pools

    def call(self, service: str, method: str, arguments: dict, timeout: float | None = None):
        body = json.dumps({"kwargs": arguments, "context": self.worker_ctx.context_data}).encode()
        reply = json.loads(self.pools[service].post(PATH_PREFIX + method, body, timeout))
        if reply.get("error"):
            raise deserialize(reply["error"])
        return reply["result"]
