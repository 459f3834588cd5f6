"""Outbox in the aggregate (ARCHITECTURE.md §3).

A state change and the events it causes are written in ONE single-document update: the envelopes go
into the ``pending_events`` array of the document that changed. The relay publishes each (publisher
confirms, persistent, mandatory) and only then pulls it from the array, so a crash between write and
publish delays an event but never loses it. The relay runs after every worker that emitted events and
on a timer. Publishing is at-least-once; consumers are idempotent (see inbox.py).
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from amqp.exceptions import ConnectionError as AMQPConnectionError
from eventlet.semaphore import Semaphore
from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.constants import AMQP_URI_CONFIG_KEY, PERSISTENT
from nameko.events import get_event_exchange
from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

from services.common.events import EventSchema, build_envelope
from services.common.store import MongoStore

log = logging.getLogger(__name__)

PENDING = "pending_events"
# the broker cannot be reached: stop this run, the next one tries again
BROKER_DOWN = (ConnectionError, OSError, OperationalError, AMQPConnectionError)
DEFAULT_RELAY_INTERVAL = 2.0


def push_events(update: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Add ``events`` to a MongoDB update document, so they are written with the state change."""
    if not events:
        return update
    merged = {op: dict(spec) for op, spec in update.items()}
    merged.setdefault("$push", {})[PENDING] = {"$each": list(events)}
    return merged


class Emitter:
    """What a worker sees: builds envelopes that carry this call's actor and correlation id."""

    def __init__(self, outbox: Outbox, worker_ctx, emitted: list[str]):
        self.producer = outbox.producer
        self.worker_ctx = worker_ctx
        self._outbox = outbox
        self._emitted = emitted

    def event(self, schema_cls: type[EventSchema], payload: dict[str, Any]) -> dict[str, Any]:
        data = self.worker_ctx.data
        envelope = build_envelope(
            schema_cls,
            payload,
            producer=self.producer,
            actor=data.get("actor"),
            correlation_id=data.get("correlation_id"),
        )
        self._emitted.append(envelope["event_id"])
        return envelope

    def backlog(self) -> int:
        return self._outbox.backlog()


class Outbox(DependencyProvider):
    """Relays ``pending_events`` of the given aggregate documents to RabbitMQ.

    Declare after the service's :class:`MongoStore`; the outbox uses the same database.
    """

    def __init__(self, *aggregates):
        self.aggregates = aggregates
        self._emitted: dict[Any, list[str]] = {}
        self._lock = Semaphore()
        self._again = False
        self._running = False
        self._said_unroutable: set = set()

    def setup(self):
        config = self.container.config
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self.interval = float(config.get("OUTBOX_RELAY_INTERVAL", DEFAULT_RELAY_INTERVAL))
        self.producer = self.container.service_name
        self.exchange = get_event_exchange(self.producer, config)
        self.publisher = Publisher(
            self.amqp_uri,
            use_confirms=True,
            mandatory=True,
            delivery_mode=PERSISTENT,
            serializer="json",
        )
        stores = [d for d in self.container.dependencies if isinstance(d, MongoStore)]
        if len(stores) != 1:
            raise RuntimeError(f"{self.producer}: Outbox needs exactly one MongoStore")
        self.mongo = stores[0]

    def start(self):
        self._running = True
        self._declare_exchange()
        self.container.spawn_managed_thread(self._relay_forever, identifier="outbox.relay")

    def stop(self):
        self._running = False

    def kill(self):
        self._running = False

    def get_dependency(self, worker_ctx):
        emitted = self._emitted.setdefault(worker_ctx, [])
        return Emitter(self, worker_ctx, emitted)

    def worker_teardown(self, worker_ctx):
        event_ids = self._emitted.pop(worker_ctx, [])
        if event_ids:
            # right after the write: most events leave within milliseconds, not a timer tick;
            # if a relay is already running it, or the timer, will take these too
            self.relay({"pending_events.event_id": {"$in": event_ids}}, wait=False)

    def _declare_exchange(self):
        try:
            with Connection(self.amqp_uri) as conn:
                self.exchange(conn.default_channel).declare()
        except Exception as exc:  # the timer tries again; the service still starts
            log.warning("%s: cannot declare %s yet: %s", self.producer, self.exchange.name, exc)

    def _relay_forever(self):
        while self._running:
            eventlet.sleep(self.interval)
            if self._running:
                self.relay({"pending_events.event_id": {"$exists": True}})

    def relay(self, query: dict[str, Any], wait: bool = True) -> int:
        """Publish what is pending in documents matching ``query``; returns how many were sent.

        Never raises: what cannot be sent now stays in the outbox for the next run.
        """
        if not self._lock.acquire(blocking=wait):
            self._again = True  # the run in progress makes one more full pass for these
            return 0
        sent = 0
        # routing depends on the event type alone: one returned unroutable is not tried again for
        # every other document in this run (the next run tries it once more)
        unroutable: set[str] = set()
        try:
            store = self.mongo.store
            while True:
                self._again = False
                for aggregate in self.aggregates:
                    for doc in store.collection(aggregate).find(query, {PENDING: 1}):
                        sent += self._relay_document(store, aggregate, doc, unroutable)
                if not self._again:
                    break
                query = {"pending_events.event_id": {"$exists": True}}
        except (PyMongoError, *BROKER_DOWN) as exc:
            log.warning("%s outbox: store or broker unavailable, will retry: %s", self.producer, exc)
        finally:
            self._lock.release()
        return sent

    def _relay_document(self, store, aggregate, doc, unroutable: set[str]) -> int:
        """Publish one document's events in order. One that cannot go holds back the later events
        of its own type in its own document only -- each type has its own queues, so the broker
        keeps no order across types anyway (ADR 0003); an outage stops the whole run.

        What was published leaves the document in one write at the end (a cycle finalized for a
        whole unit carries an event per cadre: one rewrite of the document, not one per event)."""
        published: list[dict[str, Any]] = []
        held: set[str] = set(unroutable)
        try:
            for envelope in doc.get(PENDING) or []:
                if envelope.get("event_type") in held:
                    continue
                try:
                    self.publish(envelope)
                except UndeliverableMessage as exc:
                    # kept until a consumer's queue exists (ADR 0003); said once per event, not per tick
                    if envelope.get("event_id") not in self._said_unroutable:
                        self._said_unroutable.add(envelope.get("event_id"))
                        log.warning("%s outbox: %s", self.producer, exc)
                    held.add(envelope.get("event_type"))
                    unroutable.add(envelope.get("event_type"))
                    continue
                except (PyMongoError, *BROKER_DOWN):
                    raise
                except Exception:
                    log.exception("%s outbox: cannot publish %s from %s %s; holding it back",
                                  self.producer, envelope.get("event_id"),
                                  aggregate._get_collection_name(), doc["_id"])
                    held.add(envelope.get("event_type"))
                    continue
                published.append(envelope)
                self._said_unroutable.discard(envelope.get("event_id"))
        finally:
            if published:
                # the exact values read: FerretDB 1.24 has no $pull by condition. Should this write
                # fail, they are published again next run (at least once; consumers are idempotent)
                store.update_one(aggregate, {"_id": doc["_id"]}, {"$pullAll": {PENDING: published}})
        return len(published)

    def publish(self, envelope: dict[str, Any]) -> None:
        _, routing_key = envelope["event_type"].split(".", 1)
        try:
            self.publisher.publish(
                envelope,
                exchange=self.exchange,
                routing_key=routing_key,
                message_id=envelope["event_id"],
                headers={"nameko.correlation_id": envelope.get("correlation_id")},
                declare=[self.exchange],
            )
        except UndeliverableMessage:
            # mandatory: no queue is bound yet, so nobody would get it; keep it for when one is
            raise UndeliverableMessage(
                f"{envelope['event_type']} {envelope['event_id']} has no queue bound yet; kept"
            ) from None

    def backlog(self) -> int:
        """Events written but not yet published, across this service's aggregates."""
        store = self.mongo.store
        total = 0
        for aggregate in self.aggregates:
            pipeline = [
                {"$match": {"pending_events.event_id": {"$exists": True}}},
                {"$unwind": "$pending_events"},
                {"$count": "n"},
            ]
            total += sum(row["n"] for row in store.collection(aggregate).aggregate(pipeline))
        return total
