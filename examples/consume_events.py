"""Consume the suite's events from outside it: a durable queue of your own, bound to the producer's topic
exchange, envelopes checked, effects applied once per event id, acked only after they are applied.

    python examples/consume_events.py amqp://guest:guest@localhost:5672/ talent cadre_registered

Run it, then register a cadre (README "Try the slice"): the envelope is printed. docs/consuming.md explains
each step; docs/asyncapi.yaml lists every event with its exchange, routing key and payload.
"""

from __future__ import annotations

import json
import sys

from kombu import Connection, Exchange, Queue

SUPPORTED_VERSIONS = {1}  # the schema_version this consumer understands


def queue_for(producer: str, event: str, consumer: str) -> Queue:
    """Your own durable queue: it keeps events while your consumer is down."""
    exchange = Exchange(f"{producer}.events", type="topic", durable=True)
    return Queue(f"evt-{producer}-{event}--{consumer}", exchange=exchange, routing_key=event, durable=True)


def consume(amqp_uri: str, producer: str, event: str, consumer: str = "example-consumer",
            handle=print, limit: int | None = None, timeout: float | None = None) -> list[dict]:
    """Apply ``handle(envelope)`` once per event id; return the envelopes applied (up to ``limit``)."""
    applied: dict[str, dict] = {}  # keep this in your own store: a redelivery must change nothing

    def on_message(body, message):
        envelope = body if isinstance(body, dict) else json.loads(body)
        if envelope.get("event_type") != f"{producer}.{event}" or \
                envelope.get("schema_version") not in SUPPORTED_VERSIONS:
            message.reject()  # not for us, or a version we do not read: do not ack and forget silently
            return
        if envelope["event_id"] not in applied:
            handle(envelope)
            applied[envelope["event_id"]] = envelope
        message.ack()  # only after the effect is applied

    with Connection(amqp_uri) as conn:
        queue = queue_for(producer, event, consumer)
        queue(conn.default_channel).declare()
        with conn.Consumer(queue, callbacks=[on_message], accept=["json"]):
            while limit is None or len(applied) < limit:
                conn.drain_events(timeout=timeout)
    return list(applied.values())


if __name__ == "__main__":
    uri, producer_name, event_name = sys.argv[1:4]
    consume(uri, producer_name, event_name, handle=lambda e: print(json.dumps(e, ensure_ascii=False)))
