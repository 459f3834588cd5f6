"""The MongoDB dependency: one client per container, the service's own database (ADR 0001).

mongoengine's connection registry is process-global and a Document is bound to one alias, which breaks
when several containers (tests, or two services in one process) need different databases. So documents
are used for what they are good at -- schema, validation, conversion, index declarations -- and the
store gives each worker pymongo collections bound to *this container's* database, never touching the
global registry. A service sees its database through its own storage module (``services/<name>/
storage.py``), whose methods are named for what they do; this module is what those methods are made of.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.common.decision import Change, Event
from services.common.errors import Conflict, Unavailable
from services.common.storage.documents import APPLIED, PENDING, push_events, with_events
from services.common.storage.ferretdb import DocumentLocks, GroupInserts, KnownIds, lookup_each

log = logging.getLogger(__name__)

DEFAULT_URI = "mongodb://localhost:27017/"
DEFAULT_PREFIX = "cadre_"
# a change lost to a concurrent one on the same record is read, decided and written again this often
WRITE_ATTEMPTS = 5


def write_concern(value) -> int | str:
    """MONGODB_WRITE_CONCERN: "majority" (the default), or a number of members."""
    value = str(value).strip()
    return int(value) if value.isdigit() else value


def database_name(config: dict, service_name: str) -> str:
    """``cadre_<service>`` by default (ARCHITECTURE.md §2); the prefix lets tests isolate runs."""
    return config.get("MONGODB_DATABASE_PREFIX", DEFAULT_PREFIX) + service_name


class MissingTarget(LookupError):
    """The record a change or an event's effect is for does not exist."""


class Contended(Unavailable):
    """The record kept changing under an event's read-decide-write: retried like an outage, never
    dead-lettered for it (messaging/consumer.py), since the event itself is fine."""


def _no_events(schema, payload):
    raise RuntimeError("this store has no outbox: declare Outbox(...) on the service to publish events")


def _nobody_told(document, key, pending):
    pass


class Store:
    """What a worker's storage module is made of: the service's database through its document classes,
    and this worker's way of giving events their envelopes (``emit``, from the service's outbox)."""

    def __init__(self, database, documents=(), locks: DocumentLocks | None = None,
                 inserts: GroupInserts | None = None, collections: dict | None = None,
                 known: dict | None = None, emit: Callable[[type, dict], dict] | None = None,
                 wrote: Callable[[type, Any, list], None] | None = None):
        self.database = database
        self.documents = documents
        self.locks = locks or DocumentLocks()
        self.inserts = inserts or GroupInserts(self.locks)
        self.collections = {} if collections is None else collections
        self._known = {} if known is None else known
        self.emit = emit or _no_events
        # told of each write that left events pending, with the document's pending events as written,
        # so the relay can publish them without reading the document back (messaging/outbox.py)
        self.wrote = wrote or _nobody_told

    def collection(self, document):
        # kept per container: pymongo builds a Collection with its options on every lookup, twice
        # per event handled, and it is safe to share
        name = document._get_collection_name()
        found = self.collections.get(name)
        if found is None:
            found = self.collections[name] = self.database[name]
        return found

    def known(self, document) -> KnownIds:
        """This container's :class:`KnownIds` of ``document``, which must be a kind never deleted."""
        return self._known.setdefault(document._get_collection_name(), KnownIds())

    def envelopes(self, events: list[Event] | tuple = ()) -> list[dict[str, Any]]:
        return [self.emit(event.schema, event.payload) for event in events]

    # writing

    def insert(self, doc, events=()) -> dict[str, Any]:
        """Validate and insert a new document with the events it causes; returns it as stored.
        DuplicateKeyError is the caller's to map."""
        if events:
            doc.pending_events = self.envelopes(events)
        doc.validate()
        son = doc.to_mongo().to_dict()
        self.collection(type(doc)).insert_one(son)
        if events:
            self.wrote(type(doc), son["_id"], son[PENDING])
        return son

    def insert_new(self, document, son: dict) -> bool:
        """Insert a raw document, grouped with other workers' (:class:`GroupInserts`); False when its
        ``_id`` is taken. For writes that are almost always new, such as a registration's copy."""
        return self.inserts.insert(self.collection(document), son)

    def update_one(self, document, filter_: dict, update: dict, events=(), **kwargs):
        """An update of one existing document, by the ``_id`` its ``filter_`` names, whose guard is in
        the filter (a status, an applied event): no read first. ``events`` go with it."""
        key = (document._get_collection_name(), filter_["_id"])
        update = push_events(update, self.envelopes(events))
        with self.locks.hold(key):
            return self.collection(document).update_one(filter_, update, **kwargs)

    def update_each(self, document, ids, filter_: dict, update: dict) -> int:
        """One ``update_many`` of the documents with these ``_id``s that match ``filter_``, holding
        each one's lock; how many it changed. ``filter_`` must itself exclude any other document:
        ``_id: {$in: ...}`` is left out because FerretDB would read the whole collection for it."""
        name = document._get_collection_name()
        with self.locks.hold_all((name, key) for key in ids):
            return self.collection(document).update_many(filter_, update).modified_count

    def change(self, document, key, decide: Callable[[dict | None], Change], *,
               attempts: int = WRITE_ATTEMPTS, event_id: str | None = None,
               current: dict | None = None, create: bool = False, what: str | None = None) -> dict:
        """The one way to change a record by what it holds: read it, let ``decide(record)`` say the
        :class:`Change` (or refuse), and write the change with its events only if nobody changed the
        record since it was read -- its ``version``, which the write bumps. A lost race reads, decides
        and writes again, ``attempts`` times at most; then ``CONCURRENT_UPDATE`` (409), or for an event
        ``Contended``, which the consumer retries as an outage.

        ``event_id``: the change is this event's effect, applied once -- a record that has it is not
        changed again. ``current``: the record as the caller has just read it, for the first attempt.
        ``create``: a record that does not exist yet is ``decide(None)``'s to make (``set`` holds all
        its fields); otherwise it is ``MissingTarget``. Returns the record as written, or as read when
        nothing was written (an empty change, an event applied before).
        """
        collection = self.collection(document)
        name = document._get_collection_name()
        for _ in range(attempts):
            # the document's lock spans the read, the decision and the write: on FerretDB a race is
            # lost only to another process (ADR 0007)
            with self.locks.hold((name, key)):
                if current is None:
                    current = collection.find_one({"_id": key})
                if current is None and not create:
                    raise MissingTarget(f"no {name} {key}")
                if event_id is not None and current is not None \
                        and event_id in (current.get(APPLIED) or ()):
                    log.info("event %s was already applied to %s %s; ignored", event_id, name, key)
                    return current
                change = decide(current)
                if not change:
                    return current
                envelopes = self.envelopes(change.events)
                if current is None:
                    made = document._from_son({**change.set, "_id": key, "version": 1})
                    made.validate()
                    son = with_events(made.to_mongo().to_dict(), envelopes)
                    if event_id is not None:
                        son[APPLIED] = [event_id]
                    try:
                        collection.insert_one(son)
                    except DuplicateKeyError:
                        continue  # made meanwhile: decided again on what was made
                    if envelopes:
                        self.wrote(document, key, son[PENDING])
                    return son
                version = current.get("version")
                if collection.update_one({"_id": key, "version": version},
                                         _update(change, envelopes, event_id)).matched_count:
                    if envelopes:
                        # only the events this write added: any pending before it were another
                        # worker's to relay (and may be on their way out), never sent again from here;
                        # should the document still hold them, the take-out's check says so
                        self.wrote(document, key, envelopes)
                    return {**change.applied_to(current), "version": (version or 0) + 1}
            current = None
        described = what or f"{name} {key}"
        if event_id is not None:
            raise Contended(f"{described} kept changing; event {event_id} will be retried",
                            code="CONTENDED")
        raise Conflict(f"{described} is being changed by others; try again", code="CONCURRENT_UPDATE")

    # reading many

    def by_ids(self, document, ids, projection=None) -> dict:
        """The documents with these ``_id``s that exist, by ``_id`` -- an equality lookup each, so a
        bulk operation's cost stays flat as the data grows (ferretdb.lookup_each)."""
        collection = self.collection(document)
        found = lookup_each(lambda key: collection.find_one({"_id": key}, projection), ids)
        return {doc["_id"]: doc for doc in found.values() if doc is not None}

    def by_field(self, document, field: str, values, projection=None) -> dict[object, list]:
        """The documents whose indexed ``field`` equals each of ``values``, by value, for the reason
        ``by_ids`` gives."""
        collection = self.collection(document)
        return lookup_each(lambda value: list(collection.find({field: value}, projection)), values)

    def ping(self):
        self.database.client.admin.command("ping")

    def ensure_indexes(self):
        for document in self.documents:
            collection = self.collection(document)
            for spec in document._meta.get("index_specs") or []:
                spec = dict(spec)
                fields = spec.pop("fields")
                spec.pop("cls", None)
                collection.create_index(fields, **spec)


def _update(change: Change, envelopes: list[dict], event_id: str | None) -> dict[str, Any]:
    """``change`` in MongoDB's update language, with its events, its applied-event guard and the
    version bump."""
    update: dict[str, Any] = {"$inc": {"version": 1}}
    if change.set:
        update["$set"] = dict(change.set)
    pushed = {field: {"$each": list(items)} for field, items in change.append.items() if items}
    if event_id is not None:
        pushed[APPLIED] = event_id
    if pushed:
        update["$push"] = pushed
    return push_events(update, envelopes)


class MongoStore(DependencyProvider):
    """Injects the service's storage module (``storage``, a :class:`~services.common.storage.records.
    Storage`) on this container's own client and database; without one, the :class:`Store` itself
    (``documents`` lists what it declares indexes for).

    Indexes are created when the container starts; if the store is down then, the first worker to
    use it tries again, so a service can start before its store.
    """

    def __init__(self, storage=None, documents=()):
        self.storage = storage
        self.documents = tuple(storage.documents()) if storage is not None else tuple(documents)
        self.client = None
        self.outbox = None  # the service's Outbox, which registers itself: it emits for the workers
        self.locks = DocumentLocks()
        self.inserts = GroupInserts(self.locks)
        self._database = None
        self._collections: dict = {}
        self._known: dict = {}
        self._indexes_ready = False

    def setup(self):
        config = self.container.config
        self.uri = config.get("MONGODB_URI", DEFAULT_URI)
        self.database_name = database_name(config, self.container.service_name)
        self.timeout_ms = int(config.get("MONGODB_TIMEOUT_MS", 5000))
        # made here, connecting lazily, so that other dependencies can use it in their start()
        self.client = MongoClient(
            self.uri,
            tz_aware=True,
            serverSelectionTimeoutMS=self.timeout_ms,
            connectTimeoutMS=self.timeout_ms,
            uuidRepresentation="standard",
            connect=False,
            w=write_concern(config.get("MONGODB_WRITE_CONCERN", "majority")),
        )

    def start(self):
        if not self._ensure_indexes():
            self.container.spawn_managed_thread(self._ensure_indexes_later,
                                                identifier="store.indexes")

    def stop(self):
        if self.client is not None:
            self.client.close()
            self.client = None
            self._database, self._collections, self._known = None, {}, {}

    def kill(self):
        self.stop()

    @property
    def store(self) -> Store:
        """The chassis's own view (the relay, the audit trail, the probes): no worker, no events."""
        return self._store()

    def _store(self, emit=None, wrote=None) -> Store:
        if self._database is None:
            self._database = self.client[self.database_name]
        return Store(self._database, self.documents, self.locks, self.inserts, self._collections,
                     self._known, emit, wrote)

    def _ensure_indexes(self) -> bool:
        try:
            self.store.ensure_indexes()
            if self.storage is not None:
                self.storage(self.store).upkeep()
            self._indexes_ready = True
        except PyMongoError as exc:
            log.warning("%s: store not ready (%s); creating indexes later",
                        self.container.service_name, exc)
        return self._indexes_ready

    def _ensure_indexes_later(self):
        delay = 1.0
        while not self._indexes_ready:
            eventlet.sleep(delay)
            delay = min(delay * 2, 30.0)
            self._ensure_indexes()

    def get_dependency(self, worker_ctx):
        # no I/O here: nameko kills the container when injection fails, and a worker should not
        # wait on a down store twice; its own store call fails and becomes Unavailable
        emitter = self.outbox.emitter(worker_ctx) if self.outbox is not None else None
        store = self._store(emitter.event, emitter.wrote) if emitter else self._store()
        return self.storage(store) if self.storage is not None else store
