"""The department-wide parts of work lists, worked out in the background and kept between calls.

Some sections of a work list read a whole collection: the roster's rotation list (L-7), every unit's
missing health checks (K-2), every finalized result by cadre (A-7). On FerretDB a query that is not an
equality on an indexed field reads the whole collection, which at 100,000 cadres takes seconds. So each
such section is a *kept view*: worked out when first read, kept in the service's process, and worked out
again by the service's timer once it is ``WORK_VIEW_SECONDS`` old -- while someone still reads it. The
views a service names in ``kept_views`` are worked out by its timer soon after it starts, so a request
reads what is kept and never waits for the whole collection.

A kept section is at most about two ``WORK_VIEW_SECONDS`` behind the records (the age at which it is
worked out again, and that working out). The records themselves, their list endpoints and every
unit's and cadre's own sections of a work list read the store on every call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 60.0
IDLE_SECONDS = 600.0  # a view nobody read for this long is let go, not worked out again
TICK_SECONDS = 5      # how often the service's timer looks for views to work out again


class Kept:
    """One service process's kept views, by name."""

    def __init__(self, seconds: float = DEFAULT_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self.entries: dict[str, dict[str, Any]] = {}
        self.warmed = False

    def read(self, name: str, compute: Callable[[Any], Any], service) -> Any:
        """The view ``name``, worked out by ``compute(service)`` if there is none yet."""
        entry = self.entries.get(name)
        now = self.clock()
        if entry is None or "value" not in entry:
            value = compute(service)
            entry = self.entries[name] = {"value": value, "at": self.clock(), "compute": compute}
        entry["read"] = now
        return entry["value"]

    def warm(self, views: dict[str, Callable[[Any], Any]]) -> None:
        """Views to work out at the next refresh, before anyone reads them: a service's first work
        list after a start then reads a kept one rather than reading the whole collection itself.
        Once per process; one nobody reads is let go after ``IDLE_SECONDS`` like any other."""
        if self.warmed:
            return
        self.warmed = True
        for name, compute in views.items():
            self.entries.setdefault(name, {"at": float("-inf"), "read": self.clock(),
                                           "compute": compute})

    def refresh(self, service) -> list[str]:
        """Work out again every view as old as ``seconds`` that was read lately; let go of those
        nobody read for ``IDLE_SECONDS``. Returns the names worked out."""
        done = []
        for name, entry in list(self.entries.items()):
            now = self.clock()
            if now - entry["read"] >= IDLE_SECONDS:
                del self.entries[name]
            elif now - entry["at"] >= self.seconds:
                try:
                    entry["value"] = entry["compute"](service)
                except PyMongoError as exc:  # the store is down: keep what there is, try next tick
                    log.warning("%s: view %s not worked out again: %s", service.name, name, exc)
                    continue
                entry["at"] = self.clock()
                done.append(name)
        return done


class KeptViews(DependencyProvider):
    """``self.views``: the container's :class:`Kept` (one per service process, as its store client)."""

    def setup(self):
        self.kept = Kept(float(self.container.config.get("WORK_VIEW_SECONDS") or DEFAULT_SECONDS))

    def get_dependency(self, worker_ctx):
        return self.kept
