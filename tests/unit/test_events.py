"""The envelope: built complete by producers, checked by consumers, unknown fields ignored."""

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError, fields

from services.common.messaging.events import EventSchema, build_envelope, read_envelope


class Produced(EventSchema):
    event_type = "talent.thing_happened"
    schema_version = 2

    thing_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    extra = fields.String()


class Consumed(EventSchema):
    event_type = "talent.thing_happened"

    thing_id = fields.String(required=True)


def make(**payload):
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    return build_envelope(Produced, {"thing_id": "T1", "at": at, **payload}, producer="talent",
                          actor={"user_id": "u1"}, correlation_id="c-1")


def test_envelope_carries_every_field_of_the_architecture():
    envelope = make()
    assert set(envelope) == {"event_id", "event_type", "schema_version", "occurred_at",
                             "producer", "correlation_id", "actor", "payload"}
    assert envelope["event_type"] == "talent.thing_happened"
    assert envelope["schema_version"] == 2
    assert envelope["payload"] == {"thing_id": "T1", "at": "2025-01-02T03:04:05+00:00"}
    assert datetime.fromisoformat(envelope["occurred_at"]).utcoffset().total_seconds() == 0
    assert envelope["correlation_id"] == "c-1"


def test_each_envelope_has_its_own_id():
    assert make()["event_id"] != make()["event_id"]


def test_producer_refuses_a_payload_its_schema_rejects():
    with pytest.raises(ValueError, match="talent.thing_happened"):
        build_envelope(Produced, {"at": datetime.now(UTC)}, producer="talent")


def test_consumer_reads_only_what_it_declares():
    received = read_envelope(make(extra="ignored"), Consumed)
    assert received.payload == {"thing_id": "T1"}
    assert received.occurred_at.tzinfo is not None
    assert received.actor == {"user_id": "u1"}


@pytest.mark.parametrize("body", [
    "not an object",
    {"event_type": "talent.thing_happened"},
])
def test_malformed_envelopes_are_refused(body):
    with pytest.raises(ValidationError):
        read_envelope(body, Consumed)


def test_an_event_of_another_type_is_refused():
    envelope = {**make(), "event_type": "talent.other_thing"}
    with pytest.raises(ValidationError, match="expected talent.thing_happened"):
        read_envelope(envelope, Consumed)


def test_a_payload_missing_what_the_consumer_relies_on_is_refused():
    envelope = make()
    del envelope["payload"]["thing_id"]
    with pytest.raises(ValidationError):
        read_envelope(envelope, Consumed)


def test_event_type_must_name_producer_and_event():
    class Bad(EventSchema):
        event_type = "nodot"

    with pytest.raises(ValueError):
        Bad.source_and_name()
    assert Produced.source_and_name() == ("talent", "thing_happened")
