"""Group commits: what workers write at the same time goes to the store in one command.

The store spends about a millisecond on any command (FerretDB, ADR 0016), so a write per worker is what
a burst pays most for. Used by the grouped inserts of new documents (``ferretdb.GroupInserts``) and by
the audit trail, whose entries waiting together are chained and inserted at once
(``boundary/audit.py``).

How the workers of a group meet matters as much as the grouping, on eventlet's hub:

* a worker that finds no write in flight waits one pass of the hub before it writes, so the workers
  started in that pass (the deliveries of one read from the broker, the requests of one wake-up) join
  its write instead of queueing behind a write of one;
* when a write ends, every worker waiting on it wakes in the same pass. A lock handed on to one waiter
  a pass, so a group's workers finished one a pass: their acks went out one frame each (ADR 0021) and
  their answers one a pass.
"""

from __future__ import annotations

import eventlet
from eventlet.event import Event


class Queued:
    """One worker's part of a group: what it asked to write, and, once ``done``, its outcome."""

    __slots__ = ("value", "done", "result", "error")

    def __init__(self, value):
        self.value = value
        self.done = False
        self.result = None
        self.error: BaseException | None = None

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result


class GroupCommit:
    """One write in flight per key; the items queued meanwhile go in the next one, together."""

    def __init__(self):
        self._queued: dict[object, list[Queued]] = {}
        self._writing: dict[object, Event] = {}  # the write in flight, by key

    def join(self, key, item: Queued, write) -> None:
        """Returns once ``item`` is done: written by this worker, with every item queued under ``key``
        by then, or by another's write. ``write(items)`` sets each item's ``result`` (or ``error``);
        what it raises becomes the error of every item without one, read by each worker from its
        own item. A writer killed mid-write stops; the others of its group still end, with that error
        unless ``write`` gave them another."""
        self._queued.setdefault(key, []).append(item)
        while not item.done:
            in_flight = self._writing.get(key)
            if in_flight is not None:
                # woken when that write ends: written in it, or one of the next group, whose first
                # worker to run writes it
                in_flight.wait()
                continue
            in_flight = self._writing[key] = Event()
            group: list[Queued] = []
            try:
                eventlet.sleep(0)  # the workers started in this pass join this write
                group = self._queued.pop(key)
                write(group)
            except BaseException as exc:
                for queued in group:
                    queued.error = queued.error or exc
                if not isinstance(exc, Exception):
                    raise  # killed: this worker stops here
            finally:
                for queued in group:
                    queued.done = True
                del self._writing[key]
                in_flight.send()
