"""Consumer-driven contracts for every (producer event, consumer) pair: each consumer's own schema states what
it relies on, and the producer's schema and example messages must satisfy it (contracts/check.py). A test
also shows that removing or retyping any field a consumer relies on fails, naming producer, consumer and
field."""

import pytest
from marshmallow import fields

from contracts.catalogue import consumers, example, producers
from contracts.check import example_message_problems, problems, wire_type

PRODUCERS = producers()
CONSUMERS = consumers()
PAIRS = [pytest.param(c, id=f"{c.schema.event_type}->{c.service}.{c.handler}") for c in CONSUMERS]


def relied_on():
    """(consumer, wire name) for every field a consumer requires."""
    for consumer in CONSUMERS:
        for name, field in consumer.schema().fields.items():
            if field.required:
                yield pytest.param(consumer, field.data_key or name,
                                   id=f"{consumer.schema.event_type}->{consumer.service}.{consumer.handler}:"
                                      f"{field.data_key or name}")


def test_every_consumed_event_has_a_producer():
    orphans = sorted({c.schema.event_type for c in CONSUMERS} - set(PRODUCERS))
    assert orphans == [], f"consumed but published by nobody: {orphans}"


def test_every_event_of_the_domain_table_is_consumed():
    # DOMAIN.md "Events that cross services": each has at least one consumer
    table = {"appraisal.result_finalized", "appraisal.unit_graded", "accountability.case_opened",
             "accountability.sanction_decided", "accountability.cadre_cleared", "tolerance.application_filed",
             "tolerance.ruling_made", "talent.posting_changed", "care.hardship_granted",
             "talent.cadre_registered", "talent.unit_registered"}
    assert table - {c.schema.event_type for c in CONSUMERS} == set()


@pytest.mark.parametrize("consumer", PAIRS)
def test_the_producer_gives_what_the_consumer_relies_on(consumer):
    assert problems(PRODUCERS[consumer.schema.event_type](), consumer) == []


@pytest.mark.parametrize("consumer", PAIRS)
def test_the_producers_example_message_is_read_by_the_consumer(consumer):
    assert example_message_problems(PRODUCERS[consumer.schema.event_type](), consumer) == {}


@pytest.mark.parametrize("event", sorted(PRODUCERS))
def test_each_producer_example_is_valid_for_its_own_schema(event):
    schema = PRODUCERS[event]()
    assert schema.validate(example(schema)) == {}
    assert PRODUCERS[event].schema_version >= 1


@pytest.mark.parametrize("consumer, field", list(relied_on()))
def test_removing_a_field_a_consumer_relies_on_breaks_the_contract(consumer, field):
    producer_cls = PRODUCERS[consumer.schema.event_type]
    attribute = next(n for n, f in producer_cls().fields.items() if (f.data_key or n) == field)
    found = problems(producer_cls(exclude=[attribute]), consumer)
    assert any(producer_cls.__name__ in p and f"{consumer.service}.{consumer.handler}" in p and
               f"'{field}'" in p for p in found), found


@pytest.mark.parametrize("consumer, field", list(relied_on()))
def test_retyping_a_field_a_consumer_relies_on_breaks_the_contract(consumer, field):
    producer_cls = PRODUCERS[consumer.schema.event_type]
    attribute = next(n for n, f in producer_cls().fields.items() if (f.data_key or n) == field)
    original = producer_cls().fields[attribute]
    retyped = fields.Integer if wire_type(original) != "integer" else fields.String
    other = retyped(required=True)
    mutated = type(f"Mutated{producer_cls.__name__}", (producer_cls,), {attribute: other})
    mutated.__name__ = producer_cls.__name__
    found = problems(mutated(), consumer)
    assert any(f"'{field}'" in p and f"{consumer.service}.{consumer.handler}" in p for p in found), found


def test_a_consumer_that_accepts_fewer_values_than_are_sent_is_caught():
    from marshmallow import validate

    from services.accountability.events import RulingMadeIn
    from services.tolerance.events import RulingMade

    consumer = next(c for c in CONSUMERS if c.schema is RulingMadeIn)

    class Narrow(RulingMadeIn):
        outcome = fields.String(required=True, validate=validate.OneOf(["EXEMPTED"]))

    found = problems(RulingMade(), consumer, consumer_schema=Narrow())
    assert any("'outcome'" in p and "MITIGATED" in p for p in found), found
