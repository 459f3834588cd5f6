"""Idempotent consumers (ARCHITECTURE.md §3): an effect is applied once per event id.

The guard lives in the same single-document update as the effect: the filter requires that the
event id is not yet in ``applied_events`` and the update pushes it. A redelivered event matches
nothing and changes nothing. With ``upsert`` a second delivery collides on ``_id`` instead, which
means the same: already applied.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)

APPLIED = "applied_events"


class MissingTarget(LookupError):
    """The document the event should change does not exist (and upsert was not asked for)."""


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
            log.info("event %s was already applied to %s %s; ignored", event_id,
                     document._get_collection_name(), filter_["_id"])
            return False
        raise
    if result.matched_count or result.upserted_id is not None:
        return True
    if collection.count_documents(filter_, limit=1) == 0:
        raise MissingTarget(f"no document matches {filter_}")
    log.info("event %s was already applied to %s %s; ignored", event_id,
             document._get_collection_name(), filter_["_id"])
    return False
