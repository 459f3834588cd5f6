"""The gateway works on GATEWAY_MAX_REQUESTS requests at once and queues the rest in arrival order,
whatever the process's max_workers (ADR 0019), and will not share its port: a test service on the gateway's
own @http."""

from __future__ import annotations

import errno

import eventlet
import pytest
from eventlet.event import Event

from gateway.entrypoints import http
from services.common.errors import NotFound
from tests.helpers import port_held_elsewhere, wait_for


class Gate:
    """Requests enter, say so, and wait until the test opens the gate."""

    def __init__(self):
        self.entered: list[int] = []
        self.opened = Event()


GATE = Gate()


class Held:
    name = "held"

    @http("GET", "/held/<int:n>")
    def held(self, request, n):
        GATE.entered.append(n)
        GATE.opened.wait()
        if n == 0:
            raise NotFound("nothing here", code="NOT_FOUND")
        return {"n": n}


@pytest.fixture
def gate():
    global GATE
    GATE = Gate()
    yield GATE
    if not GATE.opened.ready():
        GATE.opened.send()


def start(container_factory, web_config, limit):
    container = container_factory(Held, {**web_config, "max_workers": 40, "GATEWAY_MAX_REQUESTS": limit})
    container.start()
    return container


def test_requests_beyond_the_limit_wait_until_one_is_answered(container_factory, web_config,
                                                               web_session, gate):
    start(container_factory, web_config, limit=2)
    calls = [eventlet.spawn(web_session.get, f"/held/{n}") for n in (1, 2, 3)]
    wait_for(lambda: len(gate.entered) == 2, timeout=5, what="two requests in")
    eventlet.sleep(0.3)  # time for a third to get in, were it let in; 40 workers are free
    assert sorted(gate.entered) == [1, 2]

    gate.opened.send()
    answers = [call.wait() for call in calls]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sorted(a.json()["n"] for a in answers) == [1, 2, 3]
    assert sorted(gate.entered) == [1, 2, 3]


def test_a_refused_request_gives_its_turn_back(container_factory, web_config, web_session, gate):
    start(container_factory, web_config, limit=1)
    first = eventlet.spawn(web_session.get, "/held/0")
    wait_for(lambda: gate.entered == [0], timeout=5, what="the first request in")
    later = [eventlet.spawn(web_session.get, f"/held/{n}") for n in (1, 2)]
    eventlet.sleep(0.3)
    assert gate.entered == [0]

    gate.opened.send()
    refused = first.wait()
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "NOT_FOUND"
    assert [call.wait().status_code for call in later] == [200, 200]
    assert gate.entered[0] == 0 and sorted(gate.entered[1:]) == [1, 2]


def test_the_limit_defaults_to_ten(container_factory, web_config, web_session, gate):
    container = container_factory(Held, {**web_config, "max_workers": 40})
    container.start()
    calls = [eventlet.spawn(web_session.get, f"/held/{n}") for n in range(1, 13)]
    wait_for(lambda: len(gate.entered) == 10, timeout=5, what="ten requests in")
    eventlet.sleep(0.3)
    assert len(gate.entered) == 10
    gate.opened.send()
    assert all(call.wait().status_code == 200 for call in calls)


def test_a_limit_below_one_stops_the_gateway_starting(container_factory, web_config):
    container = container_factory(Held, {**web_config, "GATEWAY_MAX_REQUESTS": 0})
    with pytest.raises(ValueError, match="GATEWAY_MAX_REQUESTS must be at least 1, not 0"):
        container.start()


def test_a_port_another_process_listens_on_stops_the_start(container_factory, web_config):
    with port_held_elsewhere() as port:
        container = container_factory(Held, {**web_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
        with pytest.raises(OSError) as raised:  # not a port shared, half the requests going elsewhere
            container.start()
    assert raised.value.errno == errno.EADDRINUSE


class Open:
    """Answers at once: /health and a read, beside the slow ones."""

    name = "open"

    @http("GET", "/health")
    def health(self, request):
        return {"status": "ok"}

    @http("GET", "/quick")
    def quick(self, request):
        return {"quick": True}

    @http("POST", "/slow")
    def slow(self, request):
        return {"got": len(request.get_data())}


def slow_body(port: int, *, sent: int = 1, length: int = 10) -> eventlet.green.socket.socket:
    """A POST whose headers are complete and whose body has only begun: a client trickling it."""
    from eventlet.green import socket

    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer cadre-token\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length + b"{" * sent)
    return conn


def test_slow_bodies_hold_no_place_and_health_never_waits(container_factory, web_config,
                                                          web_config_port, web_session, gate):
    """Twelve slow bodies (more than every place there is) and a held request: /health and a read
    still answer, while none of the slow ones has been taken in."""
    container = container_factory(Open, {**web_config, "GATEWAY_MAX_REQUESTS": 2,
                                         "GATEWAY_MAX_REQUESTS_PER_CLIENT": 20})
    container.start()
    slow = [slow_body(web_config_port) for _ in range(12)]
    assert web_session.get("/health", timeout=5).json() == {"status": "ok"}
    assert web_session.get("/quick", timeout=5).json() == {"quick": True}
    # the slow ones, finished, are answered in their turn
    for conn in slow:
        conn.sendall(b"}" * 9)
    answers = [conn.recv(4096) for conn in slow]
    assert all(answer.startswith(b"HTTP/1.1 200") for answer in answers)


def test_a_body_that_does_not_arrive_in_time_is_refused(container_factory, web_config,
                                                        web_config_port):
    container = container_factory(Open, {**web_config, "GATEWAY_BODY_SECONDS": 0.3})
    container.start()
    conn = slow_body(web_config_port)
    answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408") and b'"BODY_TIMEOUT"' in answer


def test_one_user_has_a_few_requests_in_at_once_and_the_rest_are_refused(container_factory, web_config,
                                                                          web_session, gate):
    container = container_factory(Held, {**web_config, "max_workers": 40,
                                         "GATEWAY_MAX_REQUESTS_PER_CLIENT": 2})
    container.start()
    mine = {"Authorization": "Bearer one-officer"}
    held = [eventlet.spawn(web_session.get, f"/held/{n}", headers=mine) for n in (1, 2)]
    wait_for(lambda: len(gate.entered) == 2, timeout=5, what="two requests in")
    third = web_session.get("/held/3", headers=mine)
    assert (third.status_code, third.json()["error"]["code"]) == (429, "TOO_MANY_REQUESTS")
    other = eventlet.spawn(web_session.get, "/held/4", headers={"Authorization": "Bearer another"})
    wait_for(lambda: 4 in gate.entered, timeout=5, what="another officer's request in")
    gate.opened.send()
    assert [call.wait().status_code for call in (*held, other)] == [200, 200, 200]
