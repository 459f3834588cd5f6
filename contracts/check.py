"""Consumer-driven contract checks, schema-based (docs/contracts.md says why not Pact).

A consumer's schema (``@consume(SomethingIn)``) states what it relies on: each field, its type, whether it
must be there, and the values it accepts. ``problems(producer, consumer)`` compares that statement with the
producer's schema and says, for every break, which producer, which consumer and which field.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.catalogue import Consumer, example

# marshmallow field classes as the wire types they produce and read
WIRE_TYPES = (
    (fields.AwareDateTime, "datetime"), (fields.NaiveDateTime, "datetime"), (fields.DateTime, "datetime"),
    (fields.Date, "date"), (fields.Decimal, "decimal"), (fields.Integer, "integer"), (fields.Float, "number"),
    (fields.Boolean, "boolean"), (fields.List, "array"), (fields.Nested, "object"), (fields.Dict, "object"),
    (fields.String, "string"), (fields.Raw, "any"),
)


def wire_type(field: fields.Field) -> str:
    return next(name for cls, name in WIRE_TYPES if isinstance(field, cls))


def choices(field: fields.Field) -> set | None:
    found = [set(v.choices) for v in getattr(field, "validators", []) or []
             if isinstance(v, validate.OneOf)]
    return set.intersection(*found) if found else None


def by_wire_name(schema: Schema) -> dict[str, fields.Field]:
    return {field.data_key or name: field for name, field in schema.fields.items() if not field.dump_only}


def problems(producer: Schema, consumer: Consumer, consumer_schema: Schema | None = None) -> list[str]:
    """Every way ``producer`` breaks what ``consumer`` relies on, each naming both and the field."""
    consumer_schema = consumer_schema or consumer.schema()
    who = (f"{type(producer).__name__} ({consumer.schema.event_type}) -> "
           f"{consumer.service}.{consumer.handler}")
    return _compare(by_wire_name(producer), by_wire_name(consumer_schema), who, prefix="")


def _compare(produced: dict[str, fields.Field], relied: dict[str, fields.Field], who: str,
             prefix: str) -> list[str]:
    found = []
    for name, field in relied.items():
        path = f"{prefix}{name}"
        source = produced.get(name)
        if source is None:
            if field.required:
                found.append(f"{who}: the consumer relies on field '{path}', which the producer no "
                             "longer declares")
            continue
        if field.required and not source.required:
            found.append(f"{who}: the consumer requires field '{path}', which the producer may omit")
        if source.allow_none and not field.allow_none:
            found.append(f"{who}: the producer may send null for field '{path}', which the consumer refuses")
        if wire_type(field) != "any" and wire_type(source) != wire_type(field):
            found.append(f"{who}: field '{path}' is {wire_type(source)} from the producer but "
                         f"{wire_type(field)} to the consumer")
            continue
        accepted, sent = choices(field), choices(source)
        if accepted is not None and (sent is None or not sent <= accepted):
            extra = "any value" if sent is None else sorted(sent - accepted)
            found.append(f"{who}: field '{path}' may carry {extra}, which the consumer does not accept")
        if isinstance(field, fields.Nested) and isinstance(source, fields.Nested):
            found += _compare(by_wire_name(source.schema), by_wire_name(field.schema), who, f"{path}.")
        if isinstance(field, fields.List) and isinstance(source, fields.List) and \
                isinstance(field.inner, fields.Nested) and isinstance(source.inner, fields.Nested):
            found += _compare(by_wire_name(source.inner.schema), by_wire_name(field.inner.schema), who,
                              f"{path}[].")
    return found


def example_message_problems(producer: Schema, consumer: Consumer) -> dict:
    """A producer's example payload, as it goes on the wire, read by the consumer: its errors."""
    wire = producer.dump(producer.load(example(producer)))
    return consumer.schema().validate(wire)
