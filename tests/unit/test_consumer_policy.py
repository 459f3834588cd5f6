"""How a failed delivery is settled: retried with backoff, retried through outages, dead-lettered."""

import socket

import pytest
from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from pymongo.errors import ServerSelectionTimeoutError

from services.common.errors import NotFound, Unavailable
from services.common.messaging.consumer import PermanentFailure, backoff_ms, classify


def test_success_is_acked():
    assert classify(None, 0, 5) == "ack"


@pytest.mark.parametrize("exc", [ServerSelectionTimeoutError("down"), Unavailable("down"),
                                 ConnectionError("reset"), TimeoutError("slow"),
                                 # the broker gone: a name not resolved, a socket closed under us
                                 socket.gaierror("no such host"), OSError(9, "Bad file descriptor"),
                                 AMQPConnectionError("closed"), OperationalError("closed")])
def test_outages_are_retried_however_many_attempts(exc):
    # an outage is not the message's fault: it never dead-letters it
    assert classify(exc, 99, 5) == "outage"


def test_other_failures_are_retried_then_dead_lettered():
    assert classify(NotFound("x"), 1, 3) == "retry"
    assert classify(NotFound("x"), 2, 3) == "retry"
    assert classify(NotFound("x"), 3, 3) == "dead-letter"


@pytest.mark.parametrize("exc", [PermanentFailure("no"), ValidationError("bad")])
def test_hopeless_messages_are_dead_lettered_at_once(exc):
    assert classify(exc, 1, 5) == "dead-letter"


def test_backoff_doubles_and_is_capped():
    assert [backoff_ms(n, 500, 30000) for n in range(1, 9)] == [
        500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]
