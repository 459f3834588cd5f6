"""The envelope: built complete by producers, checked by consumers, unknown fields ignored."""

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError, fields, validate

from services.common.messaging.events import (
    EnvelopeSchema,
    EventSchema,
    _envelope,
    _errors,
    _load,
    build_envelope,
    read_envelope,
)


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


ENVELOPE_CASES = {
    "as produced": {},
    "naive moment (read as UTC)": {"occurred_at": "2025-01-02T03:04:05"},
    "moment with an offset": {"occurred_at": "2025-01-02T11:04:05+08:00"},
    "no correlation id or actor": {"correlation_id": None, "actor": None},
    "an unknown field": {"colour": "red"},
    "version as text": {"schema_version": "2"},
    "version as a bool": {"schema_version": True},
    "version 0": {"schema_version": 0},
    "id not a UUID": {"event_id": "E1"},
    "id with a trailing newline": {"event_id": "12345678-1234-1234-1234-123456789abc\n"},
    "type without a dot": {"event_type": "thing"},
    "moment not a moment": {"occurred_at": "yesterday"},
    "moment empty": {"occurred_at": ""},
    "moment a number": {"occurred_at": 1735787045},
    "producer a number": {"producer": 7},
    "payload a list": {"payload": []},
    "actor a list": {"actor": ["u1"]},
    "correlation id a number": {"correlation_id": 5},
}


@pytest.mark.parametrize("change", ENVELOPE_CASES.values(), ids=ENVELOPE_CASES.keys())
def test_the_envelope_check_reads_as_the_envelope_schema_does(change):
    """The consumer's own check of an envelope (events.py ``_envelope``) gives what EnvelopeSchema's
    load gives, and refuses what it refuses."""
    body = {**make(), **change}
    try:
        expected = EnvelopeSchema().load(body)
    except ValidationError as refused:
        with pytest.raises(ValidationError) as also:
            _envelope(body)
        assert also.value.messages == refused.messages
        return
    assert _envelope(body) == expected
    assert _envelope(body)["occurred_at"].utcoffset() == expected["occurred_at"].utcoffset()


def test_an_envelope_missing_a_field_is_refused_as_the_schema_refuses_it():
    for name in ("event_id", "event_type", "schema_version", "occurred_at", "producer", "payload"):
        body = make()
        del body[name]
        with pytest.raises(ValidationError) as refused:
            _envelope(body)
        assert refused.value.messages == {name: ["Missing data for required field."]}
        with pytest.raises(ValidationError):
            EnvelopeSchema().load(body)


def event_schemas() -> list[type[EventSchema]]:
    """Every event schema the services publish or consume."""
    import importlib

    for service in ("appraisal", "accountability", "tolerance", "talent", "care"):
        importlib.import_module(f"services.{service}.events")
    found, todo = [], [EventSchema]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return sorted(set(found), key=lambda cls: (cls.__module__, cls.__name__))


CANDIDATES = ["C1", "U-1", "abc", "周一", "2025", "2025-01-02", "2025-01-02T03:04:05+00:00",
              "2025-01-02T03:04:05", "", " ", 2025, 1, 0, -1, 1.5, True, False, None, [], {}, ["C1"],
              [{"x": 1}], {"user_id": "u1"}]


def candidates(field) -> list:
    choices = [c for v in field.validators if isinstance(v, validate.OneOf) for c in v.choices]
    return choices + CANDIDATES


def accepted(field):
    """A value the field alone accepts (its first candidate that loads), or None."""
    if isinstance(field, fields.Nested):
        return valid_payload(type(field.schema)) if not field.many else [valid_payload(type(field.schema))]
    for value in candidates(field):
        try:
            field.deserialize(value)
        except ValidationError:
            continue
        return value
    return None


def valid_payload(schema_cls) -> dict:
    schema = schema_cls()
    return {(f.data_key or name): accepted(f) for name, f in schema.load_fields.items()}


def outcome(load, data):
    try:
        return "loaded", load(data)
    except ValidationError as refused:
        return "refused", refused.messages


@pytest.mark.parametrize("schema_cls", event_schemas(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_a_payload_loads_field_by_field_as_its_schema_loads_it(schema_cls):
    """events.py ``_load`` gives what the schema's load gives and refuses what it refuses: a valid
    payload, each field missing, each field given every candidate value, and a field unknown."""
    schema = schema_cls()
    valid = valid_payload(schema_cls)
    cases = [valid, {**valid, "unknown_field": 1}, "not a mapping", None]
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        cases.append({k: v for k, v in valid.items() if k != key})
        cases += [{**valid, key: value} for value in candidates(field)]
    loads = 0
    for data in cases:
        expected = outcome(schema.load, data)
        assert outcome(lambda d: _load(schema_cls, d), data) == expected, data
        assert _errors(schema_cls, data) == schema.validate(data) if isinstance(data, dict) else True
        loads += expected[0] == "loaded"
    assert loads, f"no candidate payload of {schema_cls.__name__} loads: the test proves nothing"
