"""The audit trail: who did what to which record, when, and with what outcome -- denials included.

Append-only: this module inserts and reads; there is no update or delete path in code. Each service
keeps its own trail (collection ``audit``) in a database of its own beside the service's,
``<service database>_audit``: MongoDB grants per database, not "every collection but one", so only
there can the deployed service's user be allowed to insert and read the trail and not to change it
(deploy/). The gateway keeps the refusals it makes before any service is called; an AUDITOR reads
them all through the gateway.

The entries of a trail form one hash chain: entry ``seq`` n carries the hash of entry n-1 (``prev``)
and its own ``hash`` over its fields and ``prev``. An entry edited, deleted or slipped in by hand
breaks the chain where it stands, and ``verify`` (``cadrectl audit verify``) names the first broken
link. ``seq`` is unique, so two writers of one trail (replicas) cannot fork it: the second one reloads
the head and chains again. Entries waiting together are chained and inserted in one write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common import paging
from services.common.clock import as_utc, utcnow
from services.common.storage.groups import GroupCommit, Queued

COLLECTION = "audit"
AUDIT_ORDER = "-at,-service,-seq"  # every trail merged (the gateway's GET /audit)
DATABASE_SUFFIX = "_audit"
MAX_QUERY = 1000
GENESIS = "0" * 64
CHAINED = ("at", "service", "action", "outcome", "error_code", "user_id", "roles", "record_type",
           "record_id", "correlation_id", "seq", "prev")
WRITE_ATTEMPTS = 5


def entry_hash(entry: dict) -> str:
    """sha256 of the chained fields, in a fixed order; ``at`` to the millisecond, as stored."""
    fields = {name: entry.get(name) for name in CHAINED}
    at = as_utc(fields["at"])
    fields["at"] = at.isoformat(timespec="milliseconds") if at else None
    fields["roles"] = list(fields["roles"] or ())
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def _to_millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class AuditTrail:
    def __init__(self, database, service: str):
        """``database``: the trail's own (see :meth:`beside`)."""
        self.collection = database[COLLECTION]
        self.service = service
        self._head: tuple[int, str] | None = None  # (seq, hash) of the last entry written
        self._groups = GroupCommit()  # entries waiting together are chained and written at once

    @classmethod
    def beside(cls, service_database, service: str) -> AuditTrail:
        """The trail of ``service``, in its database beside ``service_database``."""
        return cls(service_database.client[service_database.name + DATABASE_SUFFIX], service)

    def ensure_indexes(self) -> None:
        self.collection.create_index([("at", DESCENDING)])
        self.collection.create_index([("at", DESCENDING), ("seq", DESCENDING)])
        self.collection.create_index([("user_id", 1), ("at", DESCENDING)])
        self.collection.create_index([("record_id", 1), ("at", DESCENDING)])
        self.collection.create_index([("seq", ASCENDING)], unique=True, sparse=True)

    def record(self, *, action: str, outcome: str, user_id: str | None, roles=(),
               record: tuple[str, str] | None = None, error_code: str | None = None,
               correlation_id: str | None = None, at: datetime | None = None) -> None:
        """Append one entry; returns once it is stored (raises if it could not be)."""
        waiting = Queued({
            "at": _to_millisecond(at or utcnow()),
            "service": self.service,
            "action": action,
            "outcome": outcome,           # OK, DENIED, REFUSED (a domain error) or ERROR
            "error_code": error_code,
            "user_id": user_id,
            "roles": list(roles),
            "record_type": record[0] if record else None,
            "record_id": record[1] if record else None,
            "correlation_id": correlation_id,
        })
        self._groups.join(COLLECTION, waiting, self._append)
        waiting.outcome()

    def _append(self, batch: list[Queued]) -> None:
        entries = [item.value for item in batch]
        for _ in range(WRITE_ATTEMPTS):
            seq, prev = self._head or self._load_head()
            for entry in entries:
                seq += 1
                entry.pop("_id", None)
                entry.update(seq=seq, prev=prev)
                entry["hash"] = prev = entry_hash(entry)
            try:
                self.collection.insert_many([dict(e) for e in entries], ordered=True)
                self._head = (seq, prev)
                return
            except (BulkWriteError, DuplicateKeyError) as exc:
                # another writer took these places in the chain: chain the rest after its entries
                written = exc.details.get("nInserted", 0) if isinstance(exc, BulkWriteError) else 0
                entries = entries[written:]
                self._head = None
        raise RuntimeError(f"{self.service} audit: the chain head kept moving; entry not written")

    def _load_head(self) -> tuple[int, str]:
        last = self.collection.find_one({"seq": {"$exists": True}}, {"seq": 1, "hash": 1},
                                        sort=[("seq", DESCENDING)])
        return (last["seq"], last["hash"]) if last else (0, GENESIS)

    def query(self, *, user_id: str | None = None, record_id: str | None = None,
              outcome: str | None = None, since: datetime | None = None,
              until: datetime | None = None, cursor: str | None = None,
              limit: int = 100) -> paging.Page:
        """A page of this trail's entries, newest first, after ``cursor``: a cursor of the merged
        trail (:func:`audit_cursor`), so one cursor reads on in every service's trail."""
        filters: dict[str, Any] = {}
        for key, value in (("user_id", user_id), ("record_id", record_id), ("outcome", outcome)):
            if value is not None:
                filters[key] = value
        if since or until:
            filters["at"] = {k: v for k, v in (("$gte", since), ("$lt", until)) if v}
        found = filters if cursor is None else {
            "$and": [filters, self._after(*paging.decode(AUDIT_ORDER, cursor))]}
        limit = min(limit, MAX_QUERY)
        entries = list(self.collection.find(found, {"_id": 0, "prev": 0, "hash": 0})
                       .sort([("at", DESCENDING), ("seq", DESCENDING)]).limit(limit + 1))
        more = len(entries) > limit
        entries = entries[:limit]
        return paging.Page(entries, audit_cursor(entries[-1]) if more else None,
                           self.collection.count_documents(filters))

    def _after(self, at: datetime, service: str, seq: int) -> dict:
        """The entries of this trail after (at, service, seq) in the merged order: newest first,
        then by service, then by place in the chain, each descending."""
        if self.service < service:
            return {"at": {"$lte": at}}
        if self.service > service:
            return {"at": {"$lt": at}}
        return {"$or": [{"at": {"$lt": at}}, {"at": at, "seq": {"$lt": seq}}]}

    def verify(self) -> Verdict:
        """Walk the chain from the first entry: the first entry edited, missing or slipped in."""
        expected_seq, prev, count = 1, GENESIS, 0
        for entry in self.collection.find({"seq": {"$exists": True}}).sort("seq", ASCENDING):
            if entry["seq"] != expected_seq:
                return Verdict(self.service, count, expected_seq,
                               f"entry {expected_seq} is missing (next is {entry['seq']})")
            if entry.get("prev") != prev:
                return Verdict(self.service, count, entry["seq"],
                               "its prev is not the hash of the entry before: inserted or reordered")
            if entry.get("hash") != entry_hash(entry):
                return Verdict(self.service, count, entry["seq"],
                               "its fields do not match its hash: edited")
            expected_seq, prev, count = expected_seq + 1, entry["hash"], count + 1
        unchained = self.collection.count_documents({"seq": {"$exists": False}})
        if unchained:
            return Verdict(self.service, count, None,
                           f"{unchained} entries outside the chain: inserted by hand")
        return Verdict(self.service, count, None, None)


def audit_key(entry: dict) -> tuple[datetime, str, int]:
    """An entry's place in the merged trail (descending), as stored or as sent (ISO 8601 text)."""
    at = entry["at"]
    return (as_utc(datetime.fromisoformat(at) if isinstance(at, str) else at), entry["service"],
            entry.get("seq") or 0)


def audit_cursor(entry: dict) -> str:
    return paging.encode(AUDIT_ORDER, audit_key(entry))


@dataclass(frozen=True)
class Verdict:
    service: str
    entries: int
    broken_at: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.reason is None
