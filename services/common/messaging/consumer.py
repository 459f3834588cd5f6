"""Event handlers that never ack and forget (ARCHITECTURE.md §3).

nameko 2.x acks and drops a message whose handler raised. ``@consume(PayloadSchema)`` instead settles
every delivery one of three ways, and acks the original only after the broker confirmed the copy:

* success -> ack;
* transient failure (store or broker unreachable, ``Unavailable``) -> a copy goes to a delay queue
  (TTL, then dead-lettered straight back to this handler's queue) with capped exponential backoff,
  however long the outage lasts -- an outage is not the message's fault and must not dead-letter it;
* any other failure -> the same backoff, counted; after ``EVENT_MAX_ATTEMPTS`` attempts, and at once
  for a malformed envelope or payload, the message goes to the service's dead-letter queue
  ``<service>.dead-letters`` with the error, where an operator can list and replay it
  (services/common/messaging/deadletter.py).

If even the copy cannot be published, the message is requeued, never acked.

Before anything else the handler checks who published the event: RabbitMQ has validated the message's
``user_id`` against the publisher's connection, and only the producer's broker user may publish the
producer's events (identities.py). Anything else -- published by hand, by another service, or with no
``user_id`` -- is dead-lettered at once with the reason and never handled. The copies this handler
parks for a retry, and dead letters an operator replays with this service's identity, are published
as this service; they carry the publisher checked the first time in ``x-publisher``.
"""

from __future__ import annotations

import logging
from functools import partial

import eventlet
from kombu import Connection, Queue
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY, PERSISTENT
from nameko.events import SERVICE_POOL, EventHandler
from nameko.exceptions import ContainerBeingKilled
from pymongo.errors import ConnectionFailure

from services.common.clock import utcnow
from services.common.errors import Unavailable
from services.common.messaging.amqp import BROKER_DOWN, ResilientQueueConsumer
from services.common.messaging.events import EventSchema, read_envelope
from services.common.messaging.identities import broker_user, publisher_of
from services.common.ops.counters import DEAD_LETTERS, EVENT_RETRIES, REDELIVERIES

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-attempts"
OUTAGE_RETRIES_HEADER = "x-outage-retries"
DLQ_HEADER_PREFIX = "x-dlq-"
PUBLISHER_HEADER = "x-publisher"

# an outage -- the store or the broker down, or a dependency saying so: not the message's fault
TRANSIENT_ERRORS = (ConnectionFailure, Unavailable, *BROKER_DOWN)


class PermanentFailure(Exception):
    """Raise from a handler when retrying cannot help: the message is dead-lettered at once."""


class WrongPublisher(PermanentFailure):
    """The event was not published by its producer's broker user."""


def dead_letter_queue_name(service_name: str) -> str:
    return f"{service_name}.dead-letters"


def dead_letter_queue(service_name: str) -> Queue:
    return Queue(dead_letter_queue_name(service_name), durable=True)


def event_queue_arguments(config: dict, service_name: str) -> dict:
    """EVENT_QUEUE_TYPE=quorum (production): a replicated queue that dead-letters a message the
    broker has redelivered EVENT_DELIVERY_LIMIT times, e.g. one that keeps killing its consumer
    before it is settled; the handler's own retries and dead-lettering are unchanged."""
    if str(config.get("EVENT_QUEUE_TYPE", "classic")).lower() != "quorum":
        return {}
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": int(config.get("EVENT_DELIVERY_LIMIT", 20)),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": dead_letter_queue_name(service_name),
    }


def backoff_ms(attempt: int, base_ms: int, max_ms: int) -> int:
    """Delay before retry number ``attempt`` (1-based): base, 2·base, 4·base … capped at max."""
    return min(base_ms * 2 ** max(attempt - 1, 0), max_ms)


def classify(exc: BaseException | None, attempts: int, max_attempts: int) -> str:
    """``ack``, ``retry`` (counted), ``outage`` (retry, not counted) or ``dead-letter``."""
    if exc is None:
        return "ack"
    if isinstance(exc, PermanentFailure | ValidationError):
        return "dead-letter"
    if isinstance(exc, TRANSIENT_ERRORS):
        return "outage"
    return "retry" if attempts < max_attempts else "dead-letter"


class DomainEventHandler(EventHandler):
    """``@consume(SchemaCls)``: a durable, service-pooled handler of ``SchemaCls.event_type``.

    The handler method receives one :class:`~services.common.messaging.events.ReceivedEvent`.
    """

    queue_consumer = ResilientQueueConsumer()

    def __init__(self, schema_cls: type[EventSchema], **kwargs):
        self.schema_cls = schema_cls
        source, name = schema_cls.source_and_name()
        super().__init__(source, name, handler_type=SERVICE_POOL, reliable_delivery=True,
                         requeue_on_error=False, **kwargs)

    def setup(self):
        super().setup()
        config = self.container.config
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS", 5))
        self.base_ms = int(config.get("EVENT_RETRY_BASE_MS", 500))
        self.max_ms = int(config.get("EVENT_RETRY_MAX_MS", 30000))
        self.dead_letters = dead_letter_queue(self.container.service_name)
        arguments = event_queue_arguments(config, self.container.service_name)
        if arguments:
            # declared when consuming starts; the broker's dead-letter target must exist by then
            self.queue.queue_arguments = arguments
            with Connection(config[AMQP_URI_CONFIG_KEY]) as connection:
                self.dead_letters(connection.default_channel).declare()
        self.own_user = broker_user(config[AMQP_URI_CONFIG_KEY])
        self.producer_user = publisher_of(config, self.source_service)
        self.publisher = Publisher(config[AMQP_URI_CONFIG_KEY], use_confirms=True, mandatory=True,
                                   delivery_mode=PERSISTENT, serializer="json",
                                   user_id=self.own_user)

    def publisher_of(self, message) -> str | None:
        """Who published the event, as RabbitMQ validated it: the producer, or this service itself
        for a copy it parked (or an operator replayed as it), which names the first publisher."""
        user = message.properties.get("user_id")
        if user == self.own_user and user != self.producer_user:
            return (message.headers or {}).get(PUBLISHER_HEADER)
        return user

    def handle_message(self, body, message):
        publisher = self.publisher_of(message)
        if publisher != self.producer_user:
            self._settle(message, body, WrongPublisher(
                f"published by {publisher or 'an unnamed user'}, not by {self.source_service}'s "
                f"broker user {self.producer_user}: refused unread"), publisher=publisher)
            return
        try:
            event = read_envelope(body, self.schema_cls)
        except ValidationError as exc:
            self._settle(message, body, exc)
            return
        if message.delivery_info.get("redelivered"):
            # after a broker restart or a consumer crash; the inbox makes it harmless (inbox.py)
            log.info("%s: redelivered event %s", self.queue.name, event.event_id)
            REDELIVERIES.labels(self.container.service_name).inc()
        # the originating user and correlation travel on with whatever the handler calls next
        context_data = self.unpack_message_headers(message)
        context_data.update({k: v for k, v in (("actor", event.actor),
                                               ("correlation_id", event.correlation_id)) if v})
        try:
            self.container.spawn_worker(
                self, (event,), {}, context_data=context_data,
                handle_result=partial(self._handle_worker_result, message, body))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def undecodable(self, message, exc):
        body = message.body.decode("utf-8", "replace") if isinstance(message.body, bytes) else message.body
        self._settle(message, body, ValidationError(f"not JSON: {exc}"))

    def _handle_worker_result(self, message, body, worker_ctx, result=None, exc_info=None):
        self._settle(message, body, exc_info[1] if exc_info else None)
        return result, exc_info

    def _settle(self, message, body, exc, publisher=None):
        headers = dict(message.headers or {})
        publisher = publisher or self.publisher_of(message)
        if publisher:
            headers[PUBLISHER_HEADER] = publisher
        attempts = int(headers.get(ATTEMPTS_HEADER, 0)) + (0 if exc is None else 1)
        decision = classify(exc, attempts, self.max_attempts)
        try:
            service = self.container.service_name
            if decision == "retry":
                headers[ATTEMPTS_HEADER] = attempts
                self._delay(body, headers, backoff_ms(attempts, self.base_ms, self.max_ms))
                EVENT_RETRIES.labels(service, "retry").inc()
            elif decision == "outage":
                outages = int(headers.get(OUTAGE_RETRIES_HEADER, 0)) + 1
                headers[OUTAGE_RETRIES_HEADER] = outages
                self._delay(body, headers, backoff_ms(outages, self.base_ms, self.max_ms))
                EVENT_RETRIES.labels(service, "outage").inc()
            elif decision == "dead-letter":
                self._dead_letter(body, headers, attempts, exc)
                DEAD_LETTERS.labels(service).inc()
        except Exception:
            log.exception("%s: cannot park message for retry; requeueing it", self.queue.name)
            eventlet.sleep(1)  # the broker is likely down; don't spin
            self.queue_consumer.requeue_message(message)
            return
        if decision != "ack":
            log.warning("%s: %s after attempt %s: %s: %s", self.queue.name, decision, attempts,
                        type(exc).__name__, exc)
        self.queue_consumer.ack_message(message)

    def _delay(self, body, headers, delay_ms):
        delay_queue = Queue(
            f"{self.queue.name}.retry.{delay_ms}",
            durable=True,
            queue_arguments={
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.queue.name,
            },
        )
        self.publisher.publish(body, exchange="", routing_key=delay_queue.name, headers=headers,
                               declare=[delay_queue])

    def _dead_letter(self, body, headers, attempts, exc):
        headers.update({
            f"{DLQ_HEADER_PREFIX}queue": self.queue.name,
            f"{DLQ_HEADER_PREFIX}exchange": self.queue.exchange.name,
            f"{DLQ_HEADER_PREFIX}routing-key": self.queue.routing_key,
            f"{DLQ_HEADER_PREFIX}attempts": attempts,
            f"{DLQ_HEADER_PREFIX}error": f"{type(exc).__name__}: {exc}"[:2000],
            f"{DLQ_HEADER_PREFIX}at": utcnow().isoformat(),
        })
        self.publisher.publish(body, exchange="", routing_key=self.dead_letters.name,
                               headers=headers, declare=[self.dead_letters])


consume = DomainEventHandler.decorator
