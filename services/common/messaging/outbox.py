"""Outbox in the aggregate (ARCHITECTURE.md §3).

A state change and the events it causes are written in ONE single-document update: the envelopes go
into the ``pending_events`` array of the document that changed, and its ``outbox_pending`` flag is set.
The relay publishes them in batches (persistent, mandatory, one wait for the batch's confirms:
confirms.py) and only then removes them from the array, so a crash between write and publish delays an
event but never loses it. The relay runs after every worker that emitted events and on a timer.
Publishing is at-least-once; consumers are idempotent (see inbox.py).

Finding what is pending: the relay asks for ``outbox_pending: true``, a top-level equality FerretDB
evaluates in PostgreSQL from an index (ADR 0015), not ``pending_events.event_id`` which it can only
answer by reading every document (750 ms at 20,000, so a season cost O(N^2); ADR 0014). A
sweep by ``pending_events`` itself runs at start and every ``OUTBOX_SWEEP_INTERVAL`` seconds, for
anything written without the flag.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import eventlet
from eventlet.semaphore import Semaphore
from kombu.utils.json import dumps
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import get_event_exchange
from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

from services.common.messaging.amqp import BROKER_DOWN
from services.common.messaging.confirms import ACKED, RETURNED, BatchPublisher, Outgoing
from services.common.messaging.events import EventSchema, build_envelope
from services.common.ops.counters import RELAY_CONFIRM
from services.common.storage.documents import FLAG, FLAGGED, PENDING
from services.common.storage.ferretdb import TakeOutTogether
from services.common.storage.store import MongoStore

log = logging.getLogger(__name__)

UNSWEPT = {f"{PENDING}.event_id": {"$exists": True}}
DEFAULT_RELAY_INTERVAL = 2.0
DEFAULT_SWEEP_INTERVAL = 300.0
# the events waiting in the outbox, one row each
UNWOUND = [{"$match": FLAGGED}, {"$unwind": f"${PENDING}"}]
# events per wait for confirms: large enough to amortise the broker's disk sync, small enough that a
# failed batch is cheap to publish again
DEFAULT_BATCH = 500
TAKE_OUT_CONCURRENCY = 4


class TakingOut:
    """The take-out of the batch last published, made while the relay publishes the next one: the
    rewrites of a batch's documents cost the store about as long as publishing the next batch costs
    the broker. One batch's take-out at a time and in their order, so the store sees no more writes at
    once than before and a document written twice is emptied as before.

    A document whose take-out is not yet stored still holds events that went: the relay waits for it
    before it reads flagged documents, and a run of the relay ends only when its last take-out is
    stored, or those events would be published twice."""

    def __init__(self):
        self._thread = None

    def start(self, take_out) -> None:
        self._thread = eventlet.spawn(take_out)

    def wait(self) -> int:
        """How many events the take-out took out; raises what it raised."""
        thread, self._thread = self._thread, None
        return thread.wait() if thread is not None else 0


def unchanged(pending: list[dict]) -> dict:
    """A filter matching the pending events as read, by their count and the last one's id: events are
    only appended, and taking any out shortens the array, so another array of the same length
    ending with the same event cannot be made from this one. FerretDB compares this in a fraction of
    the time it takes to compare a whole array of envelopes (and the filter is not sent whole)."""
    return {PENDING: {"$size": len(pending)},
            f"{PENDING}.{len(pending) - 1}.event_id": pending[-1]["event_id"]}


class Emitter:
    """What a worker sees: builds envelopes that carry this call's actor and correlation id."""

    def __init__(self, outbox: Outbox, worker_ctx, emitted: list[str], written: list):
        self.producer = outbox.producer
        self.worker_ctx = worker_ctx
        self._outbox = outbox
        self._emitted = emitted
        self._written = written

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

    def wrote(self, document, key, pending: list[dict]) -> None:
        """The store wrote ``document`` ``key`` holding these events pending (store.py)."""
        self._written.append((document, {"_id": key, PENDING: pending, FLAG: True}))

    def backlog(self) -> int:
        return self._outbox.backlog()

    def backlog_state(self) -> tuple[int, datetime | None]:
        return self._outbox.backlog_state()


class Outbox(DependencyProvider):
    """Relays ``pending_events`` of the given aggregate documents to RabbitMQ.

    Declare after the service's :class:`MongoStore`; the outbox uses the same database.
    """

    def __init__(self, *aggregates):
        self.aggregates = aggregates
        self._emitted: dict[Any, list[str]] = {}
        self._written: dict[Any, list] = {}
        self._known: list = []  # (aggregate, document as written) for the relay to publish unread
        self._lock = Semaphore()
        self._again = False
        self._running = False
        self._said_unroutable: set = set()
        self.taking_out = TakingOut()

    def setup(self):
        config = self.container.config
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self.interval = float(config.get("OUTBOX_RELAY_INTERVAL", DEFAULT_RELAY_INTERVAL))
        self.sweep_interval = float(config.get("OUTBOX_SWEEP_INTERVAL", DEFAULT_SWEEP_INTERVAL))
        self.batch = int(config.get("OUTBOX_BATCH", DEFAULT_BATCH))
        self.producer = self.container.service_name
        self.exchange = get_event_exchange(self.producer, config)
        self.publisher = BatchPublisher(self.amqp_uri, self.exchange)
        stores = [d for d in self.container.dependencies if isinstance(d, MongoStore)]
        if len(stores) != 1:
            raise RuntimeError(f"{self.producer}: Outbox needs exactly one MongoStore")
        self.mongo = stores[0]
        self.mongo.outbox = self  # the store writes the events a worker's changes cause
        self.together = TakeOutTogether(self.batch)

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._relay_forever, identifier="outbox.relay")

    def stop(self):
        self._running = False
        self.publisher.close()

    def kill(self):
        self._running = False
        self.publisher.close()

    def emitter(self, worker_ctx) -> Emitter:
        return Emitter(self, worker_ctx, self._emitted.setdefault(worker_ctx, []),
                       self._written.setdefault(worker_ctx, []))

    def get_dependency(self, worker_ctx):
        return self.emitter(worker_ctx)

    def worker_teardown(self, worker_ctx):
        emitted, written = self._emitted.pop(worker_ctx, None), self._written.pop(worker_ctx, [])
        if not emitted:
            return
        # right after the write: most events leave within milliseconds, not a timer tick. What the
        # store says it wrote is published as written, without reading the documents back (on
        # FerretDB reading a document costs as much as its size); an event written another way
        # (a guarded update without a read) sends the relay to the store. A relay already running
        # makes one more pass for these
        # one entry per document: one written twice keeps only its last write's events, so the
        # earlier ones are not covered and the relay reads the document (it is never sent twice)
        written = list({(aggregate, doc["_id"]): (aggregate, doc) for aggregate, doc in written
                        if aggregate in self.aggregates}.values())
        if set(emitted) <= {envelope["event_id"] for _, doc in written for envelope in doc[PENDING]}:
            self._known.extend(written)
            self.relay(None, wait=False)
        else:
            self.relay(FLAGGED, wait=False)

    def _relay_forever(self):
        swept_at = None  # the first run sweeps: what a crash left, whatever wrote it
        while self._running:
            eventlet.sleep(self.interval)
            if not self._running:
                break
            if swept_at is None or time.monotonic() - swept_at >= self.sweep_interval:
                swept_at = time.monotonic()
                self.relay(UNSWEPT)
            else:
                self.relay(FLAGGED)

    def relay(self, query: dict[str, Any] | None, wait: bool = True) -> int:
        """Publish what is pending in documents matching ``query`` (None: only the documents the
        workers said they wrote, unread); returns how many were sent.

        Never raises: what cannot be sent now stays in the outbox for the next run.
        """
        if not self._lock.acquire(blocking=wait):
            if query is not None:
                self._again = True  # the run in progress makes one more pass for these
            return 0
        sent = 0
        # routing depends on the event type alone: one returned unroutable is not tried again for
        # every other document in this run (the next run tries it once more)
        unroutable: set[str] = set()
        try:
            store = self.mongo.store
            try:
                while True:
                    self._again = False
                    if query is None:
                        sent += self._relay_known(store, unroutable)
                    else:
                        sent += self.taking_out.wait()  # what is read must be what is left
                        for aggregate in self.aggregates:
                            sent += self._relay_collection(store, aggregate, query, unroutable)
                    if self._again:
                        query = FLAGGED
                    elif self._known:
                        query = None
                    else:
                        break
            finally:
                sent += self.taking_out.wait()  # the next run may read what this one took out
        except (PyMongoError, *BROKER_DOWN) as exc:
            # what was known is still flagged in the store: the next pass that reads finds it
            log.warning("%s outbox: store or broker unavailable, will retry: %s", self.producer, exc)
            self.publisher.close()
        finally:
            self._lock.release()
        return sent

    def _relay_known(self, store, unroutable: set[str]) -> int:
        known, self._known = self._known, []
        return sum(self._relay_docs(store, aggregate, [doc for of, doc in known if of is aggregate],
                                    unroutable) for aggregate in self.aggregates)

    def _relay_collection(self, store, aggregate, query, unroutable: set[str]) -> int:
        docs = store.collection(aggregate).find(query, {PENDING: 1, FLAG: 1})
        return self._relay_docs(store, aggregate, docs, unroutable, read=True)

    def _relay_docs(self, store, aggregate, docs, unroutable: set[str], read: bool = False) -> int:
        name = aggregate._get_collection_name()
        sent, batch, size, seen = 0, [], 0, 0
        for doc in docs:
            batch.append(doc)
            seen += 1
            size += len(doc.get(PENDING) or [])
            if size >= self.batch:
                sent += self._relay_overlapped(store, aggregate, batch, unroutable,
                                               self.together.pays(name, seen), read)
                batch, size = [], 0
        if batch:
            sent += self._relay_overlapped(store, aggregate, batch, unroutable,
                                           self.together.pays(name, seen), read)
        if read:
            self.together.passed(name, seen)
        return sent

    def _relay_overlapped(self, store, aggregate, docs, unroutable: set[str], together: bool,
                          read: bool) -> int:
        """Publish a batch while the one before is taken out (TakingOut); returns how many events
        that one took out. This batch's take-out is left running."""
        take_out = self._publish(store, aggregate, docs, unroutable, together, read)
        sent = self.taking_out.wait()
        self.taking_out.start(take_out)
        return sent

    def _publish(self, store, aggregate, docs, unroutable: set[str], together: bool, read: bool):
        """Publish these documents' events in their order, one wait for all the confirms; returns
        the take-out of what went, to be run: with ``together``, one write for all the documents
        that held just one event (ferretdb.TakeOutTogether), one write each for the others.

        An event that cannot go holds back the later events of its type in its own document -- each
        type has its own queues, so the broker keeps no order across types anyway (ADR 0003). Of
        one batch the return comes after the later events were sent: they go unless the broker
        returns them too, which it does while no queue is bound for the type."""
        if read and self._known:
            # read here, so published here: what a worker said it wrote is not sent again
            ids = {doc["_id"] for doc in docs}
            self._known = [(of, doc) for of, doc in self._known if of is not aggregate
                           or doc["_id"] not in ids]
        outgoing: list[Outgoing] = []
        for doc in docs:
            held = set(unroutable)
            for envelope in doc.get(PENDING) or []:
                if envelope.get("event_type") in held:
                    continue
                try:
                    outgoing.append(self._message(envelope))
                except Exception:
                    log.exception("%s outbox: cannot publish %s from %s %s; holding it back",
                                  self.producer, envelope.get("event_id"),
                                  aggregate._get_collection_name(), doc["_id"])
                    held.add(envelope.get("event_type"))
        started = time.perf_counter()
        outcome = self.publisher.publish(outgoing)
        if outgoing:
            RELAY_CONFIRM.labels(self.producer).observe(time.perf_counter() - started)

        def acked(envelope) -> bool:
            return outcome.get(envelope.get("event_id")) == ACKED

        whole, rest = [], []
        for doc in docs:
            for envelope in doc.get(PENDING) or []:
                self._said(envelope, outcome.get(envelope.get("event_id")), unroutable)
            (whole if together and self.together.single(doc, acked) else rest).append(doc)

        def take_out(doc, pending, published):
            self._take_out(store, aggregate, doc, pending, published)

        def settle(doc) -> int:
            pending = doc.get(PENDING) or []
            published = [e for e in pending if acked(e)]
            take_out(doc, pending, published)
            return len(published)

        def take_out_all() -> int:
            # a write per document, a few at a time: the store's round trips overlap (1.6x here)
            return self.together.take_out(store, aggregate, whole, take_out) \
                + sum(eventlet.GreenPool(TAKE_OUT_CONCURRENCY).imap(settle, rest))

        return take_out_all

    def _take_out(self, store, aggregate, doc, pending, published):
        """Remove what was published; the flag stays while anything is left. Should this write
        fail, they are published again next run (at least once; consumers are idempotent)."""
        filter_ = {"_id": doc["_id"]}
        if published and len(published) == len(pending):
            # the usual case: everything read went out. Cleared only if nothing came meanwhile --
            # the store's per-document lock makes this compare-and-set atomic on FerretDB too
            done = {"$set": {PENDING: [], FLAG: False}}
            if store.update_one(aggregate, {**filter_, **unchanged(pending)}, done).matched_count:
                return
        if published:
            # the exact values read: FerretDB 1.24 has no $pull by condition
            store.update_one(aggregate, filter_, {"$pullAll": {PENDING: published},
                                                  "$set": {FLAG: True}})
        elif pending and not doc.get(FLAG):
            store.update_one(aggregate, filter_, {"$set": {FLAG: True}})  # found by the sweep
        elif not pending and doc.get(FLAG):
            # flagged with nothing left: another instance's relay took out what this one's $pullAll
            # meant to. Unflagged while still empty, or every pass would read it again
            store.update_one(aggregate, {**filter_, PENDING: {"$size": 0}}, {"$set": {FLAG: False}})

    def _said(self, envelope, outcome, unroutable: set[str]):
        """Log an event kept back once, not every tick; a returned one holds its type this run."""
        event_id, event_type = envelope.get("event_id"), envelope.get("event_type")
        if outcome == ACKED:
            self._said_unroutable.discard(event_id)
            return
        if outcome == RETURNED:
            unroutable.add(event_type)
        if outcome is not None and event_id not in self._said_unroutable:
            self._said_unroutable.add(event_id)
            # mandatory: no queue is bound yet, so nobody would get it; kept for when one is
            log.warning("%s outbox: %s %s was %s by the broker; kept", self.producer, event_type,
                        event_id, "returned (no queue bound yet)" if outcome == RETURNED else outcome)

    def _message(self, envelope: dict[str, Any]) -> Outgoing:
        _, routing_key = envelope["event_type"].split(".", 1)
        return Outgoing(key=envelope["event_id"], routing_key=routing_key, body=dumps(envelope),
                        headers={"nameko.correlation_id": envelope.get("correlation_id")})

    def backlog(self) -> int:
        """Events written but not yet published, across this service's aggregates."""
        store = self.mongo.store
        return sum(row["n"] for aggregate in self.aggregates for row in store.collection(aggregate)
                   .aggregate([*UNWOUND, {"$count": "n"}]))

    def backlog_state(self) -> tuple[int, datetime | None]:
        """How many events wait to be published, and when the oldest of them happened (None: none
        waits). A backlog is normal under load; an old one is not (cadrectl outbox, the alerts)."""
        store = self.mongo.store
        # FerretDB 1.24 has no $min in $group: the oldest by sorting. ISO 8601 in UTC, as every
        # envelope is written, sorts as time does
        firsts = [row[PENDING].get("occurred_at") for aggregate in self.aggregates
                  for row in store.collection(aggregate).aggregate(
                      [*UNWOUND, {"$sort": {f"{PENDING}.occurred_at": 1}}, {"$limit": 1}])]
        oldest = min((first for first in firsts if first), default=None)
        return self.backlog(), datetime.fromisoformat(oldest) if oldest else None
