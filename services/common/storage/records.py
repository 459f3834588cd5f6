"""The bases of a service's storage module (``services/<name>/storage.py``).

A service reads and writes its database through methods named for what they do -- ``cycles.get``,
``applications.pending_for_case``, ``funds.change`` -- and the filters and update operators behind them
live in its storage module, not in ``service.py``. ``self.store`` in a service is its :class:`Storage`:
one :class:`Records` attribute per kind of record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.common.clock import as_date, stored_date
from services.common.decision import Change
from services.common.errors import PreconditionFailed
from services.common.paging import DESC, Order, Page, page_of_query
from services.common.storage.inbox import apply_once, project_event
from services.common.storage.store import Store


class Records:
    """One kind of record (one collection). Subclasses set ``document`` (the mongoengine class) and
    ``noun`` (how a person calls one, for messages), and add their own queries. ``dates`` are the
    fields that hold a day: the store keeps midnight UTC of it (BSON has no date), and they come back
    as dates -- from ``get`` and ``change``, and to the decisions ``change`` asks."""

    document: type
    noun: str = "record"
    dates: tuple[str, ...] = ()
    newest_by: str = "_id"  # the field ``newest`` orders by
    order: Order | None = None  # the order of ``page``; by default newest first by ``newest_by``
    version_field: str = "version"  # what a caller's If-Match names (the record's ETag)

    def __init__(self, store: Store):
        self.store = store
        self.expected: dict[Any, int] = {}  # If-Match: the version a command may change, by key

    @property
    def collection(self):
        return self.store.collection(self.document)

    def load(self, record: dict[str, Any] | None) -> dict[str, Any] | None:
        """A record as stored, in the service's terms."""
        if record is None or not self.dates:
            return record
        return {**record, **{name: as_date(record[name]) for name in self.dates if name in record}}

    def get(self, key, fields: dict | None = None) -> dict[str, Any] | None:
        return self.load(self.collection.find_one({"_id": key}, fields))

    def newest(self, limit: int = 100, **equal) -> list[dict[str, Any]]:
        """The records whose fields equal the values given (``None``: any), newest first by
        ``newest_by``."""
        query = {name: value for name, value in equal.items() if value is not None}
        return [self.load(record) for record in
                self.collection.find(query).sort(self.newest_by, -1).limit(limit)]

    def page(self, query: dict, cursor: str | None, limit: int, order: Order | None = None,
             skip: int = 0) -> Page:
        """A page of the records ``query`` finds (services/common/paging.py), in ``order`` or the
        kind's own."""
        return page_of_query(self.collection, query,
                             order or self.order or Order((self.newest_by, DESC)), cursor, limit,
                             self.load, skip)

    def exists(self, key) -> bool:
        return self.collection.count_documents({"_id": key}, limit=1) > 0

    def add(self, new: Change) -> dict[str, Any]:
        """Insert a new record (``new.set``: its fields, by their names in ``document``) with the
        events it causes; returns it as stored. DuplicateKeyError: its id is taken."""
        return self.load(self.store.insert(self.document(**new.set), new.events))

    def add_once(self, new: Change) -> bool:
        """``add``, for a record whose id says what it is: a second one with that id is the same
        record again (a redelivered event, a retried request), and nothing is written. False then."""
        try:
            self.add(new)
        except DuplicateKeyError:
            return False
        return True

    def change(self, key, decide: Callable[[dict | None], Change], **options) -> dict[str, Any]:
        """Read, decide, write under the record's version (``Store.change``, which says the options)."""
        def decided(record):
            expected = self.expected.get(key)
            if record is not None and expected is not None \
                    and record.get(self.version_field) != expected:
                raise PreconditionFailed(
                    f"{self.noun} {key} changed since it was read (version {expected}, now "
                    f"{record.get(self.version_field)}); read it again",
                    details={"expected": expected, "current": record.get(self.version_field)})
            change = decide(self.load(record))
            days = {name: stored_date(value) for name, value in change.set.items()
                    if name in self.dates and _is_day(value)}
            return replace(change, set={**change.set, **days}) if days else change
        return self.load(self.store.change(self.document, key, decided, what=f"{self.noun} {key}",
                                           **options))

    def apply_once(self, key, update: dict, event_id: str, *, upsert: bool = False) -> bool:
        """An event's effect that depends on nothing the record holds: one update guarded by the
        event's id (storage/inbox.py), no read first."""
        return apply_once(self.store, self.document, {"_id": key}, update, event_id, upsert=upsert)


def _is_day(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


class Copies(Records):
    """Another service's records as this one keeps them (ARCHITECTURE.md §2), one event at a time.
    ``key`` is the payload field that names the record (``cadre_id``)."""

    key: str

    def project(self, event, *, new: bool = False) -> bool:
        """The event's payload onto the copy it names, once, never an older version over a newer one
        (storage/inbox.py); ``new`` for a registration, which is almost always a copy not kept yet."""
        return project_event(self.store, self.document, self.key, event, new=new)


class Storage:
    """A service's database as its workers see it: one :class:`Records` attribute per kind, declared
    on the subclass (``applications = Applications``)."""

    def __init__(self, store: Store):
        self.store = store
        for name, kind in self.kinds().items():
            setattr(self, name, kind(store))

    @classmethod
    def kinds(cls) -> dict[str, type[Records]]:
        return _kinds(cls)

    @classmethod
    def documents(cls) -> tuple:
        """Every document class of the database, for its indexes."""
        return tuple(dict.fromkeys(kind.document for kind in cls.kinds().values()))

    def expect(self, key, version: int) -> None:
        """If-Match: a change of record ``key`` in this call goes ahead only at ``version`` (checked
        under the record's lock and version, with the change itself)."""
        for name in self.kinds():
            getattr(self, name).expected[key] = version

    def ping(self) -> None:
        self.store.ping()

    def upkeep(self) -> None:
        """Once per process, when the indexes are in place: bring records written by an earlier
        version up to what this one reads (none by default)."""


@functools.cache
def _kinds(storage: type[Storage]) -> dict[str, type[Records]]:
    """A storage class's kinds of record, found once: a worker's storage is made for every call."""
    found: dict[str, type[Records]] = {}
    for klass in reversed(storage.__mro__):
        found.update({name: value for name, value in vars(klass).items()
                      if isinstance(value, type) and issubclass(value, Records)})
    return found
