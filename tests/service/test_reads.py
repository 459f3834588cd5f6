"""A service's read port (services/common/messaging/reads.py), talent as an in-process container on the real
store: a read over HTTP runs the same method as the broker's RPC -- the caller's token checked again where
the data lives, the call audited with the caller's correlation id before the answer leaves, a refusal
returned as the same error (tests/integration/test_reads.py: and not through the broker)."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from kombu.utils import json

from devstack.common import free_port
from services.common.errors import Forbidden, NotFound, Unauthenticated
from services.common.messaging.reads import (
    MAX_CALL_BYTES,
    MAX_HEAD_BYTES,
    ReadPort,
    _Connections,
    _Reader,
    _Wire,
)
from services.common.storage.store import database_name
from services.talent.service import TalentService
from tests.helpers import ADMIN, actor, as_user, call

UNIT = {"unit_id": "U1", "name": "江汉区", "unit_type": "DISTRICT"}
CADRE = {"cadre_id": "C1", "name": "周一", "unit_id": "U1", "level": "SECTION", "is_leader": False,
         "is_principal": False, "birth_date": "1980-05-01", "grassroots_years": 6, "service_years": 12}


@pytest.fixture
def talent(running):
    port = free_port()
    container = running(TalentService, READ_ADDRESS=f"127.0.0.1:{port}")
    call(container, "register_unit", **UNIT)
    call(container, "register_cadre", **CADRE)
    container.read_url = f"http://127.0.0.1:{port}"
    return container


def reader(talent, user: dict | None, correlation_id: str = "corr-read-1") -> _Reader:
    context = {**(as_user(user) if user else {}), "correlation_id": correlation_id}
    return _Reader({"talent": _Connections(talent.read_url, timeout=10)},
                   SimpleNamespace(context_data=context))


def test_a_read_over_http_answers_as_the_rpc_does_and_is_audited_first(talent, mongo_client, config):
    answer = reader(talent, ADMIN).call("talent", "get_cadre", {"cadre_id": "C1"})
    assert answer == call(talent, "get_cadre", cadre_id="C1")
    assert answer["name"] == "周一" and answer["unit_id"] == "U1"
    trail = mongo_client[database_name(config, "talent") + "_audit"]["audit"]
    entry = trail.find_one({"correlation_id": "corr-read-1"})
    assert (entry["action"], entry["outcome"], entry["user_id"], entry["record_id"]) == \
        ("get_cadre", "OK", "admin", "C1")


def test_a_refusal_comes_back_as_the_same_error(talent):
    with pytest.raises(NotFound) as missing:
        reader(talent, ADMIN).call("talent", "get_cadre", {"cadre_id": "NOPE"})
    assert missing.value.code == "CADRE_NOT_FOUND"
    # a unit administrator of another unit: refused where the data lives
    with pytest.raises(Forbidden):
        reader(talent, actor("UNIT_ADMIN", user_id="ua2", unit_id="U2")).call("talent", "get_cadre",
                                                                               {"cadre_id": "C1"})


def test_a_read_names_its_user_by_a_token_the_service_checks(talent):
    with pytest.raises(Unauthenticated):
        reader(talent, None).call("talent", "get_cadre", {"cadre_id": "C1"})
    forged = reader(talent, None)
    forged.worker_ctx.context_data.update(auth_token="not.a.token", user_id="admin", roles=["ORG_ADMIN"])
    with pytest.raises(Unauthenticated):
        forged.call("talent", "get_cadre", {"cadre_id": "C1"})


def test_bad_arguments_are_refused_as_over_the_broker(talent):
    from services.common.errors import InvalidInput

    with pytest.raises(InvalidInput):
        reader(talent, ADMIN).call("talent", "get_cadre", {"cadre_id": "C1", "colour": "red"})


def raw(talent):
    """A connection to the read port that speaks bytes, for what the gateway never sends."""
    host, port = talent.read_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock, _Wire(sock)


def call_bytes(method: str, body: bytes, version: bytes = b"HTTP/1.1", extra: bytes = b"") -> bytes:
    return b"POST /%s %s\r\nHost: talent\r\nContent-Length: %d\r\n%s\r\n%s" % (
        method.encode(), version, len(body), extra, body)


def answer_of(wire: _Wire) -> tuple[bytes, dict, bytes]:
    (_, status, _), headers = wire.head()
    return status, headers, wire.exactly(int(headers[b"content-length"]))


def closed(sock) -> bool:
    return sock.recv(1) == b""


def test_calls_on_one_connection_are_answered_in_turn_and_it_stays_open(talent):
    sock, wire = raw(talent)
    body = json.dumps({"kwargs": {"cadre_id": "C1"}, "context": as_user(ADMIN)}).encode()
    # two calls sent at once: the second waits in the buffer for the first's answer
    sock.sendall(call_bytes("get_cadre", body) + call_bytes("no_such_method", b"{}"))
    status, _, first = answer_of(wire)
    assert status == b"200" and json.loads(first)["result"]["name"] == "周一"
    assert answer_of(wire)[0] == b"404"  # an unknown method is an answer, not the connection's end
    sock.sendall(call_bytes("get_cadre", b"not json"))
    assert answer_of(wire)[0] == b"400"
    sock.sendall(call_bytes("get_cadre", body))
    assert answer_of(wire)[0] == b"200"
    sock.close()


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"POST /get_cadre HTTP/1.1\r\nno colon here\r\n\r\n",
    b"POST /get_cadre HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /get_cadre HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    b"POST /get_cadre HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (MAX_CALL_BYTES + 1),
], ids=["no-request-line", "bad-header", "bad-length", "chunked", "too-large"])
def test_what_is_not_a_call_is_answered_400_and_the_connection_closed(talent, request_bytes):
    sock, wire = raw(talent)
    sock.sendall(request_bytes)
    status, headers, _ = answer_of(wire)
    assert status == b"400" and headers[b"connection"] == b"close"
    assert closed(sock)
    sock.close()


def test_a_head_without_end_is_refused_at_its_limit(talent):
    sock, wire = raw(talent)
    sock.sendall(b"POST /get_cadre HTTP/1.1\r\n" + b"X: " + b"a" * MAX_HEAD_BYTES)
    assert answer_of(wire)[0] == b"400" and closed(sock)
    sock.close()


def test_an_http_1_0_call_or_one_asking_to_close_is_answered_then_closed(talent):
    body = json.dumps({"kwargs": {"cadre_id": "C1"}, "context": as_user(ADMIN)}).encode()
    for request_bytes in (call_bytes("get_cadre", body, version=b"HTTP/1.0"),
                          call_bytes("get_cadre", body, extra=b"Connection: close\r\n")):
        sock, wire = raw(talent)
        sock.sendall(request_bytes)
        assert answer_of(wire)[0] == b"200" and closed(sock)
        sock.close()


def test_a_call_the_port_cannot_answer_is_a_500_and_the_service_runs_on(talent, monkeypatch):
    """Whatever breaks in answering one call (here the worker's spawn, as while the service stops) is
    that call's 500, never the end of the service: a thread of the container that raised would stop it."""
    port = next(d for d in talent.dependencies if isinstance(d, ReadPort))

    def broken(entrypoint, kwargs, context):
        raise RuntimeError("no worker today")

    body = json.dumps({"kwargs": {"cadre_id": "C1"}, "context": as_user(ADMIN)}).encode()
    sock, wire = raw(talent)
    with monkeypatch.context() as patched:
        patched.setattr(port, "answer", broken)
        sock.sendall(call_bytes("get_cadre", body))
        status, headers, _ = answer_of(wire)
        assert status == b"500" and headers[b"connection"] == b"close" and closed(sock)
    sock.close()
    assert reader(talent, ADMIN).call("talent", "get_cadre", {"cadre_id": "C1"})["name"] == "周一"
