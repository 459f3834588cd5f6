"""The gateway's side of the read port (services/common/messaging/reads.py): where READ_URLS sends each
service's reads, keep-alive connections used again, one closed by the service while idle replaced without
running anything twice, and a service that does not answer as the gateway's 503."""

from __future__ import annotations

import eventlet
import pytest
from eventlet import wsgi
from kombu.utils import json

from services.common.messaging.reads import _Connections, read_urls


def test_read_urls_name_each_services_read_port():
    assert read_urls("talent=http://talent:8090/, care=http://10.0.0.5:8090") == {
        "talent": "http://talent:8090", "care": "http://10.0.0.5:8090"}
    assert read_urls("") == {} and read_urls(None) == {}
    assert read_urls("talent=") == {}  # named without an address: read through the broker
    assert read_urls({"appraisal": "http://a:1/"}) == {"appraisal": "http://a:1"}


class Service:
    """A read port that counts the calls it ran and the connections it was sent them on."""

    def __init__(self):
        self.calls, self.peers = 0, set()
        self.sock = eventlet.listen(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = eventlet.spawn(wsgi.server, self.sock, self.app, log_output=False,
                                     log=None, socket_timeout=0.5)

    def app(self, environ, start_response):
        self.calls += 1
        self.peers.add(environ["REMOTE_PORT"])
        body = json.dumps({"result": self.calls, "error": None}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def close(self):
        self.thread.kill()
        self.sock.close()


@pytest.fixture
def service():
    running = Service()
    yield running
    running.close()


def test_calls_share_a_kept_connection(service):
    pool = _Connections(f"http://127.0.0.1:{service.port}", timeout=5)
    answers = [json.loads(pool.post("/get_cadre", b"{}"))["result"] for _ in range(5)]
    assert answers == [1, 2, 3, 4, 5]
    assert len(service.peers) == 1  # one connection, kept alive


def test_a_connection_the_service_closed_while_idle_is_replaced_and_the_call_runs_once(service):
    pool = _Connections(f"http://127.0.0.1:{service.port}", timeout=5)
    pool.post("/get_cadre", b"{}")
    eventlet.sleep(1.0)  # past the service's idle timeout: it closes the connection
    assert json.loads(pool.post("/get_cadre", b"{}"))["result"] == 2
    assert service.calls == 2 and len(service.peers) == 2


def test_a_service_that_is_not_there_is_an_error_at_once():
    sock = eventlet.listen(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(ConnectionRefusedError):
        _Connections(f"http://127.0.0.1:{port}", timeout=5).post("/get_cadre", b"{}")


def raw_service(answer_parts):
    """A read port that answers each request with ``answer_parts``, sent one write at a time."""
    sock = eventlet.listen(("127.0.0.1", 0))

    def serve():
        conn, _ = sock.accept()
        while True:
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(4096)
                if not data:
                    return
                request += data
            head, _, body = request.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            while len(body) < length:
                body += conn.recv(4096)
            for part in answer_parts:
                conn.sendall(part)
                eventlet.sleep(0.01)

    return sock, eventlet.spawn(serve)


def test_an_answer_sent_in_pieces_is_read_whole_and_the_connection_kept():
    body = json.dumps({"result": "完整", "error": None}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    sock, thread = raw_service([head[:9].encode(), head[9:].encode() + body[:5], body[5:]])
    pool = _Connections(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=5)
    assert [json.loads(pool.post("/get_cadre", b"{}"))["result"] for _ in range(2)] == ["完整", "完整"]
    assert len(pool.idle) == 1
    thread.kill()
    sock.close()


def test_an_answer_other_than_200_is_an_error_and_its_connection_is_not_kept():
    sock, thread = raw_service([b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n"])
    pool = _Connections(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=5)
    with pytest.raises(ConnectionError, match="HTTP 404"):
        pool.post("/nothing", b"{}")
    assert pool.idle == []
    thread.kill()
    sock.close()


def test_a_call_may_wait_longer_than_the_pools_timeout_when_it_says_so():
    """A download's page (EXPORT_TIMEOUT) may take longer than a call (RPC_TIMEOUT)."""
    sock = eventlet.listen(("127.0.0.1", 0))

    def app(environ, start_response):
        eventlet.sleep(0.3)  # a first page ranking the whole roster
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]

    thread = eventlet.spawn(wsgi.server, sock, app, log_output=False, log=None)
    pool = _Connections(f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=0.1)
    with pytest.raises(TimeoutError):
        pool.post("/untaken_leave_report", b"{}")
    assert pool.post("/untaken_leave_report", b"{}", timeout=2) == b"{}"
    thread.kill()
    sock.close()
