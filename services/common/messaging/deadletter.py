"""The dead-letter queue of a service: list, replay, purge (the operator's ``cadrectl dead-letters``).

Each service has one durable queue ``<service>.dead-letters`` (consumer.py puts messages there with
``x-dlq-*`` headers naming the queue they came from and the error). Replaying sends a message back to
that queue only -- not to every consumer of the event -- with its attempt count reset, and removes it
from the dead-letter queue once the broker has confirmed the copy.

Only the service's own broker user reads and writes its dead letters (identities.py): the operator runs
``cadrectl dead-letters`` with that service's AMQP URI. A replayed copy is published as the service and
names the publisher checked when the event first arrived (``x-publisher``): an event refused for its
publisher is refused again, not laundered by the replay.
"""


from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kombu import Connection, Producer

from services.common.messaging.consumer import (
    ATTEMPTS_HEADER,
    DLQ_HEADER_PREFIX,
    OUTAGE_RETRIES_HEADER,
    PUBLISHER_HEADER,
    dead_letter_queue,
)
from services.common.messaging.identities import broker_user


@dataclass(frozen=True)
class DeadLetter:
    event_id: str | None
    event_type: str | None
    queue: str
    error: str
    attempts: int
    dead_lettered_at: str
    body: Any

    @classmethod
    def from_message(cls, message) -> DeadLetter:
        headers = message.headers or {}
        body = message.decode()
        envelope = body if isinstance(body, dict) else {}
        # a quorum queue past its delivery limit dead-letters by itself: the broker's x-death
        # names the queue and the reason instead of our x-dlq-* headers
        [death] = (headers.get("x-death") or [{}])[:1]
        broker_error = f"broker: {death['reason']}" if death.get("reason") else ""
        return cls(
            event_id=envelope.get("event_id"),
            event_type=envelope.get("event_type"),
            queue=headers.get(f"{DLQ_HEADER_PREFIX}queue", death.get("queue", "")),
            error=headers.get(f"{DLQ_HEADER_PREFIX}error", broker_error),
            attempts=int(headers.get(f"{DLQ_HEADER_PREFIX}attempts", death.get("count", 0))),
            dead_lettered_at=str(headers.get(f"{DLQ_HEADER_PREFIX}at", death.get("time", ""))),
            body=body,
        )


def _drain(channel, queue_name: str, limit: int | None):
    """basic_get messages without acking; they return to the queue when the channel closes."""
    messages = []
    while limit is None or len(messages) < limit:
        message = channel.basic_get(queue_name, no_ack=False)
        if message is None:
            break
        messages.append(channel.message_to_python(message))
    return messages


def list_dead_letters(amqp_uri: str, service: str, limit: int | None = 100) -> list[DeadLetter]:
    """Peek at a service's dead letters without removing them."""
    queue = dead_letter_queue(service)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        queue(channel).declare()
        try:
            return [DeadLetter.from_message(m) for m in _drain(channel, queue.name, limit)]
        finally:
            channel.close()


def replay(amqp_uri: str, service: str, event_ids: set[str] | None = None) -> int:
    """Send dead letters (all, or those with the given event ids) back to their queues."""
    queue = dead_letter_queue(service)
    replayed = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        queue(channel).declare()
        producer = Producer(channel)
        try:
            for message in _drain(channel, queue.name, None):
                letter = DeadLetter.from_message(message)
                if event_ids is not None and letter.event_id not in event_ids:
                    continue
                headers = {k: v for k, v in (message.headers or {}).items()
                           if not k.startswith(DLQ_HEADER_PREFIX) and k != "x-death"
                           and k not in (ATTEMPTS_HEADER, OUTAGE_RETRIES_HEADER)}
                # dead-lettered by the broker itself (a quorum queue's delivery limit), the
                # message still has its publisher's validated user_id
                first = headers.get(PUBLISHER_HEADER) or message.properties.get("user_id")
                if first:
                    headers[PUBLISHER_HEADER] = first
                producer.publish(message.body, exchange="", routing_key=letter.queue,
                                 headers=headers, content_type=message.content_type,
                                 content_encoding=message.content_encoding,
                                 delivery_mode=2, mandatory=True, user_id=broker_user(amqp_uri))
                message.ack()
                replayed += 1
        finally:
            channel.close()  # the ones not replayed go back to the dead-letter queue
    return replayed


def purge(amqp_uri: str, service: str) -> int:
    """Drop every dead letter of a service; returns how many."""
    queue = dead_letter_queue(service)
    with Connection(amqp_uri) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        return bound.purge() or 0
