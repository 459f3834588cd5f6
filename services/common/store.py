"""The MongoDB dependency: one client per container, the service's own database.

mongoengine's connection registry is process-global and a Document is bound to one alias, which breaks
when several containers (tests, or two services in one process) need different databases. So documents
are used for what they are good at -- schema, validation, conversion, index declarations -- and the
store gives each worker query sets and pymongo collections bound to *this container's* database,
never touching the global registry.
"""

from __future__ import annotations

import logging

from mongoengine.queryset import QuerySet
from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

DEFAULT_URI = "mongodb://localhost:27017/"
DEFAULT_PREFIX = "cadre_"


def database_name(config: dict, service_name: str) -> str:
    """``cadre_<service>`` by default (ARCHITECTURE.md §2); the prefix lets tests isolate runs."""
    return config.get("MONGODB_DATABASE_PREFIX", DEFAULT_PREFIX) + service_name


class Store:
    """What a worker sees: the service's database through its document classes."""

    def __init__(self, database, documents):
        self.database = database
        self.documents = documents

    def collection(self, document):
        return self.database[document._get_collection_name()]

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


class MongoStore(DependencyProvider):
    """Injects a :class:`Store` on this container's own client and database.

    Indexes are created when the container starts; if the store is down then, the first worker to
    use it tries again, so a service can start before its store.
    """

    def __init__(self, *documents):
        self.documents = documents
        self.client = None
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
        )

    def start(self):
        self._ensure_indexes()

    def stop(self):
        if self.client is not None:
            self.client.close()
            self.client = None

    def kill(self):
        self.stop()

    @property
    def store(self) -> Store:
        return Store(self.client[self.database_name], self.documents)

    def _ensure_indexes(self):
        if self._indexes_ready:
            return
        try:
            self.store.ensure_indexes()
            self._indexes_ready = True
        except PyMongoError as exc:
            log.warning("%s: store not ready at start (%s); indexes created on first use",
                        self.container.service_name, exc)

    def get_dependency(self, worker_ctx):
        # never raise here: nameko kills the container when injection fails; the worker's own
        # store call fails instead and becomes Unavailable or a retried event
        self._ensure_indexes()
        return self.store
