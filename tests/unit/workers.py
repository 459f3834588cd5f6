"""A service worker without RabbitMQ or a store, for nameko's ``worker_factory``: its storage module on an
in-memory database (mongomock), an access handle for a given user that checks and audits as the real one
does, and the events its changes write to the outbox. What the services decide, refuse and publish is
tested here in milliseconds; tests/service and tests/integration run the same code on the real stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import mongomock
from nameko.testing.services import worker_factory

from services.common.boundary.access import AccessHandle, outcome_of
from services.common.boundary.security import Actor
from services.common.boundary.tokens import TokenVerifier
from services.common.messaging.events import build_envelope, read_envelope
from services.common.storage.documents import PENDING
from services.common.storage.store import Store
from tests.helpers import TEST_AUTH_SECRET, as_user


class WorkerContext:
    """The part of nameko's worker context the access handle reads: who calls, and the correlation."""

    def __init__(self, data: dict):
        self.data = data


@dataclass
class Audited:
    """What the access handle was told: one ``(outcome, code)`` per call."""

    entries: list[tuple[str, str | None]] = field(default_factory=list)

    def audit(self, worker_ctx, exc):
        self.entries.append(outcome_of(exc))


class Worker:
    """``worker.service`` is the service instance; ``worker.as_(...)`` changes who calls."""

    def __init__(self, service_cls, config: dict | None = None, **actor):
        self.service_cls = service_cls
        self.database = mongomock.MongoClient(tz_aware=True)["unit"]
        self.audited = Audited()
        self.config = config or {}
        self.as_(**actor)
        self.storage.store.ensure_indexes()  # the unique ones refuse a second cycle, grade ...

    def as_(self, role: str = "ORG_ADMIN", user_id: str = "officer-a", unit_id: str | None = None,
            cadre_id: str | None = None) -> Worker:
        actor = Actor(user_id, (role,), unit_id, cadre_id)
        context = WorkerContext({**as_user(actor.to_context()), "correlation_id": "c-1"})
        provider = SimpleNamespace(grants={}, audit=self.audited.audit,
                                   verifier=TokenVerifier(secret=TEST_AUTH_SECRET))
        storage_cls = self.service_cls.store.storage
        store = Store(self.database, storage_cls.documents(), emit=self._emit(actor))
        self.storage = storage_cls(store)
        dependencies = {"store": self.storage, "access": AccessHandle(provider, context)}
        if "config" in vars(self.service_cls):
            dependencies["config"] = self.config
        self.service = worker_factory(self.service_cls, **dependencies)
        return self

    def _emit(self, actor):
        def emit(schema, payload):
            return build_envelope(schema, payload, producer=self.service_cls.name,
                                  actor=actor.to_context())
        return emit

    def put(self, records: str, *documents: dict[str, Any]) -> None:
        """Records as they are stored (``_id`` and all), straight into a collection."""
        self.storage.store.database[records].insert_many([dict(d) for d in documents])

    def stored(self, records: str, key) -> dict[str, Any] | None:
        return self.storage.store.database[records].find_one({"_id": key})

    def published(self, records: str | None = None) -> list[dict[str, Any]]:
        """Every envelope waiting in the outbox of ``records`` (or of every collection), oldest first."""
        names = [records] if records else self.storage.store.database.list_collection_names()
        found = [envelope for name in names
                 for doc in self.storage.store.database[name].find({PENDING: {"$ne": []}})
                 for envelope in doc.get(PENDING) or []]
        return sorted(found, key=lambda envelope: envelope["occurred_at"])

    def types(self, records: str | None = None) -> list[str]:
        return [envelope["event_type"] for envelope in self.published(records)]


def received(schema, payload: dict[str, Any], producer: str | None = None, actor=None):
    """An event as a handler receives it, built and read through its envelope."""
    source = producer or schema.event_type.split(".")[0]
    return read_envelope(build_envelope(schema, payload, producer=source, actor=actor), schema)
