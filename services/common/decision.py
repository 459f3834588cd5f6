"""What a decision returns: the change it makes to one record and the events it causes.

A service's decisions (``services/<name>/decide.py``) are pure functions of the record as it stands, the
command, the time and the policy. They say what changes in words of the record -- fields set, items
appended -- never in the store's update language; the storage layer writes the change and its events in
one single-document update (ARCHITECTURE.md §3), and a decision that refuses raises the rule's error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """An event to publish: its payload schema (``EventSchema``) and the payload. The outbox gives it its
    envelope -- id, time, actor, correlation -- when it is written."""

    schema: type
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """One record's change: ``set`` replaces fields, ``append`` adds items at the end of list fields,
    ``events`` are published with it. A new record is a change of nothing: ``set`` holds all its fields.
    An empty change writes nothing and announces nothing."""

    set: Mapping[str, Any] = field(default_factory=dict)
    append: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    events: Sequence[Event] = ()

    def __bool__(self) -> bool:
        return bool(self.set or any(self.append.values()) or self.events)

    def applied_to(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """``record`` as this change leaves it (without the outbox's fields)."""
        changed = {**record, **self.set}
        for name, items in self.append.items():
            changed[name] = [*(record.get(name) or []), *items]
        return changed


NOTHING = Change()


def transition(status_from: str | None, status_to: str, by: str, at: datetime, reason: str | None,
               **extra: Any) -> dict[str, Any]:
    """One entry of an aggregate's history -- every change of state kept with who, when and why
    (DOMAIN.md C-1, T-1); ``extra`` says what was done (``action``) and with what."""
    return {"from": status_from, "to": status_to, "by": by, "at": at, "reason": reason, **extra}
