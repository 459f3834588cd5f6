"""Idempotent consumers (ARCHITECTURE.md §3): an effect is applied once per event id.

The guard lives in the same single-document update as the effect: the filter requires that the
event id is not yet in ``applied_events`` and the update pushes it. A redelivered event matches
nothing and changes nothing. With ``upsert`` a second delivery collides on ``_id`` instead, which
means the same: already applied.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

APPLIED = "applied_events"


class MissingTarget(LookupError):
    """The document the event should change does not exist (and upsert was not asked for)."""


def guarded_update(update: dict[str, Any], event_id: str) -> dict[str, Any]:
    merged = {op: dict(spec) for op, spec in update.items()}
    if APPLIED in merged.get("$push", {}):
        raise ValueError(f"the update already pushes to {APPLIED}")
    merged.setdefault("$push", {})[APPLIED] = event_id
    return merged


def apply_once(collection, filter_: dict[str, Any], update: dict[str, Any], event_id: str,
               *, upsert: bool = False) -> bool:
    """Apply ``update`` to the document matching ``filter_`` unless ``event_id`` was applied.

    Returns True when this call applied it, False when it had been applied before.
    Raises MissingTarget when no document matches and ``upsert`` is false.
    """
    guarded = {**filter_, APPLIED: {"$ne": event_id}}
    try:
        result = collection.update_one(guarded, guarded_update(update, event_id), upsert=upsert)
    except DuplicateKeyError:
        # an upsert collides on _id when the document exists but the guard excluded it: applied
        # before -- unless a concurrent event created it, which the failure policy retries
        if upsert and collection.count_documents({**filter_, APPLIED: event_id}, limit=1):
            return False
        raise
    if result.matched_count or result.upserted_id is not None:
        return True
    if collection.count_documents(filter_, limit=1) == 0:
        raise MissingTarget(f"no document matches {filter_}")
    return False
