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
