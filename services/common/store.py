"""The MongoDB dependency: one client per container, the service's own database.

mongoengine's connection registry is process-global and a Document is bound to one alias, which breaks
when several containers (tests, or two services in one process) need different databases. So documents
are used for what they are good at -- schema, validation, conversion, index declarations -- and the
store gives each worker query sets and pymongo collections bound to *this container's* database,
never touching the global registry.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack, contextmanager

import eventlet
from eventlet.semaphore import Semaphore
from mongoengine.queryset import QuerySet
from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.errors import AutoReconnect, BulkWriteError, PyMongoError

log = logging.getLogger(__name__)

DEFAULT_URI = "mongodb://localhost:27017/"
DEFAULT_PREFIX = "cadre_"
LOOKUPS_AT_ONCE = 8  # concurrent lookups of one bulk read (Store.by_ids)
DUPLICATE_KEY = 11000


def write_concern(value) -> int | str:
    """MONGODB_WRITE_CONCERN: "majority" (the default), or a number of members."""
    value = str(value).strip()
    return int(value) if value.isdigit() else value


def database_name(config: dict, service_name: str) -> str:
    """``cadre_<service>`` by default (ARCHITECTURE.md §2); the prefix lets tests isolate runs."""
    return config.get("MONGODB_DATABASE_PREFIX", DEFAULT_PREFIX) + service_name


class DocumentLocks:
    """One lock per document, held around every update of it within this process.

    FerretDB 1.24 applies a filtered update as a read followed by a separate write, so two
    concurrent updates of one document lose one of them (ADR 0007). Serialising them here makes
    each update, and the guard in its filter, atomic as on MongoDB -- for the workers of one
    process; on FerretDB run one process per service.
    """

    def __init__(self):
        self._locks: dict[tuple, list] = {}

    @contextmanager
    def hold(self, key: tuple):
        entry = self._locks.setdefault(key, [Semaphore(), 0])
        entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(key, None)

    @contextmanager
    def hold_all(self, keys):
        """Every one of ``keys`` at once, taken in sorted order so that two holders of
        overlapping sets cannot wait for each other."""
        with ExitStack() as held:
            for key in sorted(set(keys), key=str):
                held.enter_context(self.hold(key))
            yield


class GroupInserts:
    """Inserts that workers make at the same time go to the store together, as one ``insert_many``.

    A group commit: a worker queues its document and takes its collection's turn; whoever gets the
    turn writes every document queued by then, its own and those of the workers that queued while
    the previous write was in flight. One worker alone writes at once and waits for nobody. FerretDB
    writes a group as one multi-row INSERT: 10 new documents cost 1.5 ms, where 10 guarded upserts
    cost 22 ms (docs/performance.md, round 4).
    """

    def __init__(self, locks: DocumentLocks):
        self.locks = locks
        self._queued: dict[str, list[dict]] = {}
        self._turns: dict[str, Semaphore] = {}

    def insert(self, collection, son: dict) -> bool:
        """True: inserted. False: a document with its ``_id`` exists. Other failures raise, in
        every worker whose document was in the failed write; inserted ones collide on a retry."""
        entry = {"son": son, "done": False}
        self._queued.setdefault(collection.name, []).append(entry)
        with self._turns.setdefault(collection.name, Semaphore()):
            if not entry["done"]:
                self._write(collection, self._queued.pop(collection.name))
        if "error" in entry:
            raise entry["error"]
        return entry["inserted"]

    def _write(self, collection, group: list[dict]):
        inserted = [True] * len(group)
        # what the group is told unless the write ends: its writer killed mid-write (a container
        # stopping) leaves the others a transient error, retried like an outage, not a hang
        error: BaseException | None = AutoReconnect("the grouped insert was interrupted")
        try:
            # the document locks keep a guarded upsert of the same _id out of the way (ADR 0007)
            with self.locks.hold_all((collection.name, entry["son"]["_id"]) for entry in group):
                collection.insert_many([entry["son"] for entry in group], ordered=False)
            error = None
        except BulkWriteError as exc:
            error = exc if exc.details.get("writeConcernErrors") else None
            for failure in exc.details.get("writeErrors", []):
                if failure.get("code") == DUPLICATE_KEY:
                    inserted[failure["index"]] = False
                else:
                    error = exc
        except Exception as exc:  # noqa: BLE001 - handed to every worker in the group
            error = exc
        finally:
            for entry, was_inserted in zip(group, inserted, strict=True):
                entry["done"] = True
                if error is not None:
                    entry["error"] = error
                else:
                    entry["inserted"] = was_inserted


class KnownIds:
    """Ids of documents seen to exist, for a kind of document that is never deleted: a positive
    cache, so an id in it cannot be wrong. Misses are learnt one at a time, so that workers missing
    together ask the store once."""

    def __init__(self):
        self._ids: set = set()
        self._learning = Semaphore()

    def exist(self, key, learn) -> bool:
        """Whether ``key`` exists. On a miss ``learn(key)`` asks the store and returns the ids it
        found to exist: the key's, if it does, and any others that were cheap to learn with it."""
        if key in self._ids:
            return True
        with self._learning:
            if key not in self._ids:
                self._ids.update(learn(key))
        return key in self._ids

    def add(self, keys) -> None:
        """Ids this process has just seen written or read: they exist, and asking again is waste."""
        self._ids.update(keys)


class Store:
    """What a worker sees: the service's database through its document classes."""

    def __init__(self, database, documents, locks: DocumentLocks | None = None,
                 inserts: GroupInserts | None = None, collections: dict | None = None,
                 known: dict | None = None):
        self.database = database
        self.documents = documents
        self.locks = locks or DocumentLocks()
        self.inserts = inserts or GroupInserts(self.locks)
        self.collections = {} if collections is None else collections
        self._known = {} if known is None else known

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

    def objects(self, document) -> QuerySet:
        queryset_class = document._meta.get("queryset_class", QuerySet)
        return queryset_class(document, self.collection(document))

    def insert(self, doc):
        """Validate and insert a new document; DuplicateKeyError is the caller's to map."""
        doc.validate()
        son = doc.to_mongo()
        result = self.collection(type(doc)).insert_one(son)
        doc.pk = result.inserted_id
        return doc

    def insert_new(self, document, son: dict) -> bool:
        """Insert a raw document, grouped with other workers' (:class:`GroupInserts`); False when its
        ``_id`` is taken. For writes that are almost always new, such as a registration's copy."""
        return self.inserts.insert(self.collection(document), son)

    def update_one(self, document, filter_: dict, update: dict, **kwargs):
        """The one way to change an existing document: ``filter_`` names its ``_id``."""
        key = (document._get_collection_name(), filter_["_id"])
        with self.locks.hold(key):
            return self.collection(document).update_one(filter_, update, **kwargs)

    def update_each(self, document, ids, filter_: dict, update: dict) -> int:
        """One ``update_many`` of the documents with these ``_id``s that match ``filter_``, holding
        each one's lock (ADR 0007); how many it changed. ``filter_`` must itself exclude any other
        document: ``_id: {$in: ...}`` is left out because FerretDB 1.24 would read the whole
        collection for it (see ``by_ids``)."""
        name = document._get_collection_name()
        with self.locks.hold_all((name, key) for key in ids):
            return self.collection(document).update_many(filter_, update).modified_count

    def update_if_unchanged(self, document, current: dict, update: dict, **conditions) -> bool:
        """Apply ``update`` to the document read as ``current`` only if nobody changed it since
        (its ``version``, bumped by this update), and ``conditions`` still hold: an optimistic lock
        for aggregates whose rules read the whole document. False: read it again and retry."""
        update = {op: dict(spec) for op, spec in update.items()}
        update.setdefault("$inc", {})["version"] = 1
        filter_ = {"_id": current["_id"], "version": current["version"], **conditions}
        return self.update_one(document, filter_, update).matched_count == 1

    def by_ids(self, document, ids, projection=None) -> dict:
        """The documents with these ``_id``s that exist, by ``_id``: one equality lookup each, a few
        at a time. FerretDB 1.24 answers ``_id: {$in: ...}`` by reading the whole collection, an
        equality from an index (ADR 0015), so a bulk operation's cost stays flat as the data grows."""
        collection = self.collection(document)
        found = _each(lambda key: collection.find_one({"_id": key}, projection), ids)
        return {doc["_id"]: doc for doc in found.values() if doc is not None}

    def by_field(self, document, field: str, values, projection=None) -> dict[object, list]:
        """The documents whose indexed ``field`` equals each of ``values``, by value: one equality
        query each, a few at a time, for the reason ``by_ids`` gives."""
        collection = self.collection(document)
        return _each(lambda value: list(collection.find({field: value}, projection)), values)

    def load(self, document, raw):
        return None if raw is None else document._from_son(raw)

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


def _each(lookup, keys) -> dict:
    """``lookup(key)`` for each distinct key, ``LOOKUPS_AT_ONCE`` at a time, by key."""
    keys = list(dict.fromkeys(keys))
    return dict(zip(keys, eventlet.GreenPool(LOOKUPS_AT_ONCE).imap(lookup, keys), strict=True))


class MongoStore(DependencyProvider):
    """Injects a :class:`Store` on this container's own client and database.

    Indexes are created when the container starts; if the store is down then, the first worker to
    use it tries again, so a service can start before its store.
    """

    def __init__(self, *documents):
        self.documents = documents
        self.client = None
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
        if self._database is None:
            self._database = self.client[self.database_name]
        return Store(self._database, self.documents, self.locks, self.inserts, self._collections,
                     self._known)

    def _ensure_indexes(self) -> bool:
        try:
            self.store.ensure_indexes()
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
        return self.store
