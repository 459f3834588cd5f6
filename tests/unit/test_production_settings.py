"""The settings deploy/ turns on: quorum event queues, majority writes, and dead letters the broker
made itself (a quorum queue past its delivery limit) read as well as the handler's own."""

from types import SimpleNamespace

import pytest

from services.common.messaging.consumer import event_queue_arguments
from services.common.messaging.deadletter import DeadLetter
from services.common.ops.endpoints import parse_address
from services.common.storage.store import write_concern


def test_classic_queues_unless_quorum_is_asked_for():
    assert event_queue_arguments({}, "talent") == {}
    assert event_queue_arguments({"EVENT_QUEUE_TYPE": "classic"}, "talent") == {}
    assert event_queue_arguments({"EVENT_QUEUE_TYPE": "Quorum", "EVENT_DELIVERY_LIMIT": "7"}, "care") == {
        "x-queue-type": "quorum", "x-delivery-limit": 7,
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "care.dead-letters"}


@pytest.mark.parametrize("value, expected", [("majority", "majority"), (" 2 ", 2), (1, 1)])
def test_write_concern_is_a_tag_or_a_member_count(value, expected):
    assert write_concern(value) == expected


@pytest.mark.parametrize("address, expected", [
    ("0.0.0.0:9100", ("0.0.0.0", 9100)), ("127.0.0.1:0", ("127.0.0.1", 0)), (":9100", ("0.0.0.0", 9100))])
def test_ops_address(address, expected):
    assert parse_address(address) == expected


def message(headers, body):
    return SimpleNamespace(headers=headers, decode=lambda: body)


def test_a_broker_dead_letter_names_its_queue_and_reason():
    letter = DeadLetter.from_message(message(
        {"x-death": [{"queue": "evt-talent-cadre_registered--care.on_cadre_registered",
                      "reason": "delivery_limit", "count": 1, "time": "2026-11-23T00:00:00"}]},
        {"event_id": "e-1", "event_type": "talent.cadre_registered"}))
    assert (letter.event_id, letter.queue, letter.error, letter.attempts) == (
        "e-1", "evt-talent-cadre_registered--care.on_cadre_registered", "broker: delivery_limit", 1)


def test_the_handlers_own_headers_win_over_the_brokers():
    letter = DeadLetter.from_message(message(
        {"x-dlq-queue": "q-own", "x-dlq-error": "NotFound: gone", "x-dlq-attempts": 5,
         "x-death": [{"queue": "q-broker", "reason": "expired"}]}, {"event_id": "e-2"}))
    assert (letter.queue, letter.error, letter.attempts) == ("q-own", "NotFound: gone", 5)
    assert DeadLetter.from_message(message({}, "not json")).queue == ""
