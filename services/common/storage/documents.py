"""The base of every aggregate document: its outbox, its applied-event guard (ARCHITECTURE.md §3) and its
version, which every read-decide-write checks and bumps (``Store.change``)."""

from __future__ import annotations

from typing import Any

from mongoengine import BooleanField, DictField, Document, IntField, ListField, StringField

PENDING = "pending_events"  # the outbox: envelopes written with the change that caused them
FLAG = "outbox_pending"     # set while PENDING has any: the relay finds them by this equality
FLAGGED = {FLAG: True}
APPLIED = "applied_events"  # the inbox: ids of the events already applied to this document


class Aggregate(Document):
    meta = {
        "abstract": True,
        # the relay finds pending events by the flag; its sweep by the events themselves
        "indexes": [FLAG, f"{PENDING}.event_id"],
    }

    pending_events = ListField(DictField())
    outbox_pending = BooleanField(default=False)
    applied_events = ListField(StringField())
    version = IntField(default=1)

    def clean(self):
        self.outbox_pending = bool(self.pending_events)


def push_events(update: dict[str, Any], envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """``update`` (a MongoDB update document) that also writes ``envelopes`` to the outbox."""
    if not envelopes:
        return update
    merged = {op: dict(spec) for op, spec in update.items()}
    merged.setdefault("$push", {})[PENDING] = {"$each": list(envelopes)}
    merged.setdefault("$set", {})[FLAG] = True
    return merged


def with_events(document: dict[str, Any], envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    """A new document (raw) carrying ``envelopes`` in its outbox."""
    return {**document, PENDING: list(envelopes), FLAG: bool(envelopes)}
