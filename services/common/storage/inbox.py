"""Idempotent consumers (ARCHITECTURE.md §3): an effect is applied once per event id.

The guard lives in the same single-document update as the effect: the filter requires that the
event id is not yet in ``applied_events`` and the update pushes it. A redelivered event matches
nothing and changes nothing. With ``upsert`` a second delivery collides on ``_id`` instead, which
means the same: already applied. An effect that depends on what the document holds is a change like any
other, decided on the document as read and written under its version with the same guard
(``Store.change(..., event_id=...)``).
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.common.ops.counters import EVENTS_IGNORED
from services.common.ops.logs import current_worker
from services.common.storage.documents import APPLIED
from services.common.storage.store import MissingTarget

log = logging.getLogger(__name__)


def guarded_update(update: dict[str, Any], event_id: str) -> dict[str, Any]:
    merged = {op: dict(spec) for op, spec in update.items()}
    if APPLIED in merged.get("$push", {}):
        raise ValueError(f"the update already pushes to {APPLIED}")
    merged.setdefault("$push", {})[APPLIED] = event_id
    return merged


def apply_once(store, document, filter_: dict[str, Any], update: dict[str, Any], event_id: str,
               *, upsert: bool = False) -> bool:
    """Apply ``update`` to the document ``filter_`` names (by ``_id``) unless ``event_id`` was.

    Returns True when this call applied it, False when it had been applied before.
    Raises MissingTarget when no document matches and ``upsert`` is false.
    """
    collection = store.collection(document)
    guarded = {**filter_, APPLIED: {"$ne": event_id}}
    try:
        result = store.update_one(document, guarded, guarded_update(update, event_id),
                                  upsert=upsert)
    except DuplicateKeyError:
        # an upsert collides on _id when the document exists but the guard excluded it: applied
        # before -- unless a concurrent event created it, which the failure policy retries
        if upsert and collection.count_documents({**filter_, APPLIED: event_id}, limit=1):
            return _ignored(event_id, document, filter_)
        raise
    if result.matched_count or result.upserted_id is not None:
        return True
    if collection.count_documents(filter_, limit=1) == 0:
        raise MissingTarget(f"no document matches {filter_}")
    return _ignored(event_id, document, filter_)


def _ignored(event_id, document, filter_) -> bool:
    log.info("event %s was already applied to %s %s; ignored", event_id,
             document._get_collection_name(), filter_["_id"])
    worker_ctx = current_worker()
    EVENTS_IGNORED.labels(worker_ctx.container.service_name if worker_ctx else "unknown").inc()
    return False


def project(store, document, key: str, facts: dict[str, Any], event_id: str,
            revision: int | None = None, *, new: bool = False) -> bool:
    """Keep a local copy of another service's record (ARCHITECTURE.md §2), once per event. With a
    ``revision`` a late older version never overwrites a newer one (events of two types, or a
    retried one, may arrive out of order): the revision is part of the guarded write itself.

    ``new``: the copy most likely does not exist yet (a registration). It is inserted, grouped with
    other workers' inserts (Store.insert_new), exactly as the guarded upsert would have created it;
    only if the key is taken does the guarded write decide."""
    stamped = facts if revision is None else {**facts, "revision": revision}
    if new and store.insert_new(document, {**stamped, "_id": key, APPLIED: [event_id]}):
        return True
    if revision is None:
        return apply_once(store, document, {"_id": key}, {"$set": facts}, event_id, upsert=True)
    guarded = {"_id": key, APPLIED: {"$ne": event_id},
               "$or": [{"revision": {"$lt": revision}}, {"revision": {"$exists": False}}]}
    try:
        result = store.update_one(document, guarded, guarded_update({"$set": stamped}, event_id),
                                  upsert=True)
    except DuplicateKeyError:
        # the copy exists and is as new or newer, or has this event: nothing to do
        log.info("%s %s is at a revision >= %s or has event %s; ignored",
                 document._get_collection_name(), key, revision, event_id)
        return False
    return bool(result.matched_count or result.upserted_id is not None)


def project_event(store, document, key_field: str, event, *, new: bool = False) -> bool:
    """``project`` an event's payload onto the copy keyed by ``payload[key_field]``, at the payload's
    ``revision`` when it carries one (talent's roster events). ``new`` for a registration."""
    facts = dict(event.payload)
    revision = facts.pop("revision", None)
    return project(store, document, facts[key_field], facts, event.event_id, revision=revision, new=new)
