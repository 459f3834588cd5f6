"""The suite's contracts, read from the code: who publishes which event with which payload, who consumes
it relying on which fields, and every RPC method with its request and response schemas.

Nothing here is written by hand: producers' schemas (``EventSchema`` subclasses in each service's
``events.py``), consumers' schemas (the ``@consume(Schema)`` handlers of each service class) and the
``@rpc(request=, response=)`` declarations are the source. ``python -m contracts.catalogue`` writes
``docs/asyncapi.yaml`` and ``docs/rpc-catalogue.json``; tests/contract checks they are up to date.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from services.common.messaging.consumer import DomainEventHandler
from services.common.messaging.events import EnvelopeSchema, EventSchema

SERVICES = ("talent", "appraisal", "accountability", "tolerance", "care")
DOCS = Path(__file__).resolve().parents[1] / "docs"
ASYNCAPI_FILE = DOCS / "asyncapi.yaml"
RPC_FILE = DOCS / "rpc-catalogue.json"
EXAMPLE_TIME = "2026-01-05T08:00:00+00:00"


@dataclass(frozen=True)
class Consumer:
    service: str
    handler: str
    schema: type[EventSchema]

    @property
    def queue(self) -> str:
        """The durable queue nameko declares for this handler (SERVICE_POOL)."""
        source, name = self.schema.source_and_name()
        return f"evt-{source}-{name}--{self.service}.{self.handler}"


def service_class(name: str) -> type:
    module = importlib.import_module(f"services.{name}.service")
    return next(cls for _, cls in inspect.getmembers(module, inspect.isclass)
                if getattr(cls, "name", None) == name and cls.__module__ == module.__name__)


def producers() -> dict[str, type[EventSchema]]:
    """event type -> the producer's payload schema (declared in the producer's own events.py)."""
    found: dict[str, type[EventSchema]] = {}
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.events")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            # consumers name their own view of an event ``...In`` (care reads its own grants so)
            if (issubclass(cls, EventSchema) and cls is not EventSchema and cls.__module__ == module.__name__
                    and cls.event_type.partition(".")[0] == name and not cls.__name__.endswith("In")):
                if cls.event_type in found and found[cls.event_type] is not cls:
                    raise ValueError(f"two producer schemas for {cls.event_type}: "
                                     f"{found[cls.event_type].__name__} and {cls.__name__}")
                found[cls.event_type] = cls
    return dict(sorted(found.items()))


def consumers() -> list[Consumer]:
    """Every ``@consume`` handler of every service, with the schema it reads the payload with."""
    found = []
    for name in SERVICES:
        cls = service_class(name)
        for attr, method in inspect.getmembers(cls, inspect.isfunction):
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if isinstance(entrypoint, DomainEventHandler):
                    found.append(Consumer(name, attr, entrypoint.schema_cls))
    return sorted(found, key=lambda c: (c.schema.event_type, c.service, c.handler))


def rpc_methods() -> list[dict[str, Any]]:
    """Every RPC method of every service with its schemas and who may call it."""
    found = []
    for name in SERVICES:
        cls = service_class(name)
        for attr, method in sorted(inspect.getmembers(cls, inspect.isfunction)):
            if not getattr(method, "nameko_entrypoints", None) or not hasattr(method, "allow"):
                continue
            found.append({"service": name, "method": attr, "function": method})
    return found


# JSON Schema, through apispec's marshmallow converter (the gateway's OpenAPI uses the same)


def json_schemas(schemas: dict[str, type[Schema]]) -> dict[str, Any]:
    """Named JSON Schemas (OpenAPI 3 dialect, as AsyncAPI 2.6 accepts) for ``schemas``."""
    spec = APISpec("contracts", "1", "3.0.3", plugins=[MarshmallowPlugin(
        schema_name_resolver=lambda schema: None)])  # nested schemas inline: one self-contained schema each
    with warnings.catch_warnings():
        # one class as request and response (register_unit) is registered twice; inline, nothing refers
        warnings.filterwarnings("ignore", message=".*has already been added to the spec")
        for name, schema in schemas.items():
            spec.components.schema(name, schema=schema)
    return spec.to_dict()["components"]["schemas"]


def example(schema: Schema | type[Schema]) -> dict[str, Any]:
    """A valid example built from the schema's own fields (first enum value, sample scalars)."""
    schema = schema() if isinstance(schema, type) else schema
    return {field.data_key or name: _sample(field) for name, field in schema.fields.items()
            if not field.dump_only}


def _sample(field: fields.Field) -> Any:
    choices = next((v.choices for v in _validators(field) if isinstance(v, validate.OneOf)), None)
    if choices:
        return list(choices)[0]
    if isinstance(field, fields.Nested):
        return example(field.schema)
    if isinstance(field, fields.List):
        return [_sample(field.inner)]
    if isinstance(field, fields.Dict):
        return {}
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.Integer):
        ranges = [v for v in _validators(field) if isinstance(v, validate.Range) and v.min is not None]
        return max([1, *(r.min for r in ranges)])
    if isinstance(field, fields.Decimal):
        return "1.00"
    if isinstance(field, fields.DateTime):
        return EXAMPLE_TIME
    if isinstance(field, fields.Date):
        return EXAMPLE_TIME[:10]
    return f"{field.name}-1"


def _validators(field):
    return list(getattr(field, "validators", []) or [])


# the AsyncAPI document


def asyncapi() -> dict[str, Any]:
    produced = producers()
    consumed: dict[str, list[Consumer]] = {}
    for consumer in consumers():
        consumed.setdefault(consumer.schema.event_type, []).append(consumer)
    schemas = json_schemas({"Envelope": EnvelopeSchema,
                            **{_name(event): schema for event, schema in produced.items()}})
    channels, messages = {}, {}
    for event, schema in produced.items():
        source, key = schema.source_and_name()
        payload = example(schema)
        messages[_name(event)] = {
            "name": event,
            "title": event,
            "summary": (inspect.getdoc(schema) or event).split("\n")[0],
            "contentType": "application/json",
            "headers": {"type": "object", "properties": {
                "nameko.correlation_id": {"type": "string"}}},
            "payload": {"allOf": [
                {"$ref": "#/components/schemas/Envelope"},
                {"type": "object", "required": ["payload"], "properties": {
                    "event_type": {"type": "string", "enum": [event]},
                    "schema_version": {"type": "integer", "enum": [schema.schema_version]},
                    "payload": {"$ref": f"#/components/schemas/{_name(event)}"}}}]},
            "examples": [{"name": "example", "payload": {
                "event_id": "3f1b6a2e-8c4d-4e5f-9a0b-1c2d3e4f5a6b", "event_type": event,
                "schema_version": schema.schema_version, "occurred_at": EXAMPLE_TIME,
                "producer": source, "correlation_id": "3f1b6a2e-8c4d-4e5f-9a0b-1c2d3e4f5a6b",
                "actor": {"user_id": "officer-1", "roles": ["ORG_ADMIN"]}, "payload": payload}}],
        }
        channels[f"{source}.events/{key}"] = {
            "description": f"`{event}`, published by {source}'s outbox (confirms, persistent, "
                           "mandatory) to its topic exchange with the routing key below.",
            "bindings": {"amqp": {"is": "routingKey", "bindingVersion": "0.3.0", "exchange": {
                "name": f"{source}.events", "type": "topic", "durable": True, "autoDelete": False,
                "vhost": "/"}}},
            "subscribe": {
                "operationId": f"receive_{source}_{key}",
                "summary": f"Receive {event}",
                "bindings": {"amqp": {"deliveryMode": 2, "mandatory": True,
                                      "bindingVersion": "0.3.0"}},
                "message": {"$ref": f"#/components/messages/{_name(event)}"},
            },
            "x-routing-key": key,
            "x-consumers": [{"service": c.service, "handler": c.handler, "queue": c.queue}
                            for c in consumed.get(event, [])],
        }
    return {
        "asyncapi": "2.6.0",
        "info": {"title": "Cadre incentive suite: events", "version": "1",
                 "description": "Every event the suite's services publish, generated from the producers' "
                                "marshmallow schemas (contracts/catalogue.py). Each message is an envelope "
                                "(ARCHITECTURE.md §2) whose `payload` is the event's own schema. Consumers "
                                "validate what they read and ignore fields they do not know."},
        "defaultContentType": "application/json",
        "servers": {"local": {"url": "localhost:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
                              "description": "the local stack (make stack-up)"}},
        "channels": channels,
        "components": {"schemas": schemas, "messages": messages},
    }


def _name(event_type: str) -> str:
    return "".join(part.title() for part in event_type.replace(".", "_").split("_"))


# the RPC catalogue


def rpc_catalogue() -> dict[str, Any]:
    methods = {}
    for entry in rpc_methods():
        function = entry["function"]
        request = getattr(function, "request_schema", None)
        response = getattr(function, "response_schema", None)
        allow = function.allow
        schemas = json_schemas({k: v for k, v in (("request", request), ("response", response)) if v})
        methods.setdefault(entry["service"], {})[entry["method"]] = {
            "summary": (inspect.getdoc(function) or "").split("\n")[0],
            "allow": "PUBLIC" if not isinstance(allow, dict) else dict(sorted(allow.items())),
            # takes a client_key: the same key with the same arguments answers the first answer
            **({"idempotent": True} if getattr(function, "idempotent", False) else {}),
            # takes cursor and limit; with paged=True answers {items, next_cursor, total}
            **({"paged": True} if getattr(function, "paged", False) else {}),
            "request": schemas.get("request", {"type": "object", "properties": {}}),
            "response": ({"type": "array", "items": schemas["response"]} if getattr(function, "many", False)
                         else schemas["response"]) if response else None,
        }
    return {"description": "Every RPC method of every service (nameko RPC over AMQP), generated from the "
                           "@rpc declarations (contracts/catalogue.py). Call with keyword arguments and the "
                           "acting user in context data `actor` (docs/consuming.md).",
            "services": methods}


def render() -> dict[Path, str]:
    return {ASYNCAPI_FILE: yaml.safe_dump(asyncapi(), sort_keys=False, allow_unicode=True, width=100),
            RPC_FILE: json.dumps(rpc_catalogue(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"}


def main(argv: list[str]) -> int:
    for path, text in render().items():
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is out of date: run `python -m contracts.catalogue`", file=sys.stderr)
                return 1
            continue
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
