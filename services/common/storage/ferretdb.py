"""What the chassis does because the local store is FerretDB 1.24, not MongoDB -- kept here, so a reader
sees which parts of the storage layer are MongoDB and which are FerretDB, and a deployment on MongoDB
alone can drop this module (ARCHITECTURE.md §3, §5).

- ``DocumentLocks``: FerretDB applies a filtered update as a read followed by a separate write, so two
  concurrent updates of one document lose one of them (ADR 0007). Every update of a document, and every
  read-decide-write of one (``Store.change``), holds that document's lock within the process; on FerretDB
  each service runs as one process.
- ``GroupInserts``: new documents written by workers at the same time go as one ``insert_many``; FerretDB
  spends about a millisecond on any command (ADR 0016).
- ``KnownIds``: a positive cache of ids of documents that are never deleted, so a hot path asks the store
  once per id at most (ADR 0017).
- ``lookup_each``: one equality lookup per key instead of ``_id: {$in: [...]}``, which FerretDB answers
  by reading the whole collection (ADR 0015).
- ``TakeOutTogether``: the outbox relay empties every document whose one pending event went out with one
  write, not one write each (ADR 0018).
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

import eventlet
from eventlet.semaphore import Semaphore
from pymongo.errors import AutoReconnect, BulkWriteError

from services.common.storage.documents import FLAG, FLAGGED, PENDING
from services.common.storage.groups import GroupCommit, Queued

DUPLICATE_KEY = 11000
LOOKUPS_AT_ONCE = 8  # concurrent lookups of one bulk read
# documents emptied by one write while the flagged ones are at most this many relay batches
WHOLE_TAKE_OUT_LIMIT = 4


class DocumentLocks:
    """One lock per document, held around every update of it within this process: with it each update,
    and the guard in its filter, is atomic as on MongoDB -- for the workers of one process."""

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
    """Inserts that workers make at the same time go to the store together, as one ``insert_many``
    (a group commit, ``groups.GroupCommit``): a worker queues its document; with no write of its
    collection in flight it writes every document queued by then, its own and those of the workers
    that queued while the previous write was in flight. FerretDB writes a group as one multi-row
    INSERT: 10 new documents cost 1.5 ms, where 10 guarded upserts cost 22 ms
    (docs/performance-archive.md).
    """

    def __init__(self, locks: DocumentLocks):
        self.locks = locks
        self._groups = GroupCommit()

    def insert(self, collection, son: dict) -> bool:
        """True: inserted. False: a document with its ``_id`` exists. Other failures raise, in
        every worker whose document was in the failed write; inserted ones collide on a retry."""
        queued = Queued(son)
        self._groups.join(collection.name, queued, lambda group: self._write(collection, group))
        return queued.outcome()

    def _write(self, collection, group: list[Queued]):
        inserted = [True] * len(group)
        # what the group is told unless the write ends: its writer killed mid-write (a container
        # stopping) leaves the others a transient error, retried like an outage, not a hang
        error: BaseException | None = AutoReconnect("the grouped insert was interrupted")
        try:
            # the document locks keep a guarded upsert of the same _id out of the way (ADR 0007)
            with self.locks.hold_all((collection.name, queued.value["_id"]) for queued in group):
                collection.insert_many([queued.value for queued in group], ordered=False)
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
            for queued, was_inserted in zip(group, inserted, strict=True):
                queued.error = error
                queued.result = was_inserted


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


def lookup_each(lookup, keys) -> dict:
    """``lookup(key)`` for each distinct key, ``LOOKUPS_AT_ONCE`` at a time, by key: an equality each,
    which FerretDB answers from an index, where ``$in`` reads the collection."""
    keys = list(dict.fromkeys(keys))
    return dict(zip(keys, eventlet.GreenPool(LOOKUPS_AT_ONCE).imap(lookup, keys), strict=True))


class TakeOutTogether:
    """The relay's take-out of documents whose one pending event went out, in one write for all.

    Most documents carry one event, and FerretDB spends about 1 ms on any command, so emptying them one
    by one cost more than everything else the relay does. The one write reads every flagged document of
    the collection (FerretDB finds them by the flag alone), which pays while they are a few batches'
    worth -- the backlog of a running suite -- but not after an outage, when the relay drains thousands.
    """

    def __init__(self, batch: int):
        self.batch = batch
        self._flagged_seen: dict[str, int] = {}  # documents the last pass read, by collection

    def pays(self, name: str, seen: int) -> bool:
        """Estimated from this pass so far and the last one."""
        return max(seen, self._flagged_seen.get(name, 0)) <= WHOLE_TAKE_OUT_LIMIT * self.batch

    def passed(self, name: str, seen: int) -> None:
        self._flagged_seen[name] = seen

    @staticmethod
    def single(doc, acked) -> bool:
        """Whether ``doc`` is one this write can empty: flagged, with one event, and that one went."""
        pending = doc.get(PENDING) or []
        return bool(doc.get(FLAG)) and len(pending) == 1 and acked(pending[0])

    @staticmethod
    def take_out(store, aggregate, docs, one_by_one) -> int:
        """Empty ``docs``. Only a document that still holds exactly that one event is emptied; one that
        was given another since it was read is read again, and ``one_by_one(doc, pending, published)``
        takes out just its published event."""
        if not docs:
            return 0
        ids = {doc[PENDING][0]["event_id"]: doc["_id"] for doc in docs}
        emptied = store.update_each(
            aggregate, ids.values(),
            {**FLAGGED, f"{PENDING}.event_id": {"$in": list(ids)}, PENDING: {"$size": 1}},
            {"$set": {PENDING: [], FLAG: False}})
        if emptied < len(docs):
            now = store.by_ids(aggregate, list(ids.values()), {PENDING: 1, FLAG: 1})
            for event_id, key in ids.items():
                doc = now.get(key)
                pending = (doc or {}).get(PENDING) or []
                published = [e for e in pending if e.get("event_id") == event_id]
                if published:
                    one_by_one(doc, pending, published)
        return len(docs)
