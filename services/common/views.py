"""The department-wide parts of work lists, worked out in the background and kept between calls.

Some sections of a work list read a whole collection: the roster's rotation list (L-7), every unit's
missing health checks (K-2), every finalized result by cadre (A-7). On FerretDB a query that is not an
equality on an indexed field reads the whole collection, which at 100,000 cadres takes seconds. So each
such section is a *kept view*: worked out when first read, kept in the service's process, and worked out
again by the service's timer once it is ``WORK_VIEW_SECONDS`` old -- while someone still reads it. The
views a service names in ``kept_views`` are worked out by its timer soon after it starts, and kept
worked out whether read or not, so a request reads what is kept and never waits for the whole
collection -- not even the first request of a morning. (Letting an unread one go cost the first reader
after a quiet spell the whole collection: 10 s at 100,000 cadres, measured.) A view read without being
named is let go when nobody reads it for ``IDLE_SECONDS``.

A kept section is at most about two ``WORK_VIEW_SECONDS`` behind the records (the age at which it is
worked out again, and that working out) -- or, for a view that takes long to work out, twenty times that
working out (``BUSY_SHARE``): at 100,000 cadres the department's rotation list took seconds, and working
it out every minute took from the store what the season's imports needed. The records themselves, their
list endpoints and every unit's and cadre's own sections of a work list read the store on every call
(a unit's rotation section takes who is listed for priority exchange, L-7, from the department's kept
view: looking up each of a unit's cadres' results took 190 ms at 100,000 cadres).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import eventlet
from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 60.0
IDLE_SECONDS = 600.0  # an unnamed view nobody read for this long is let go, not worked out again
TICK_SECONDS = 5      # how often the service's timer looks for views to work out again
# A view is worked out again no sooner than 1/BUSY_SHARE times as long as its last working out took:
# the background work stays under about this share of a core (and of the store) however large the
# roster grows, and the view's age grows with it instead.
BUSY_SHARE = 0.05


T = TypeVar("T")
SLICE = 500  # items worked through between two turns of the process's other green threads


def cooperative(items: Iterable[T], every: int = SLICE) -> Iterator[T]:
    """``items``, letting the process's other green threads run every ``every`` of them. eventlet
    switches only on I/O, so a view worked out over 100,000 cadres in Python would hold the whole
    process, and every request the service is asked meanwhile would wait for it."""
    for n, item in enumerate(items, 1):
        if n % every == 0:
            eventlet.sleep(0)
        yield item


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
        """The service's named views: worked out at the next refresh, before anyone reads them, and
        kept worked out from then on, read or not."""
        if self.warmed:
            return
        self.warmed = True
        for name, compute in views.items():
            entry = self.entries.setdefault(name, {"at": float("-inf"), "read": self.clock(),
                                                   "compute": compute})
            entry["named"] = True

    def refresh(self, service) -> list[str]:
        """Work out again every view as old as ``seconds`` that is named or was read lately; let go
        of the others nobody read for ``IDLE_SECONDS``. Returns the names worked out."""
        done = []
        for name, entry in list(self.entries.items()):
            now = self.clock()
            if not entry.get("named") and now - entry["read"] >= IDLE_SECONDS:
                del self.entries[name]
            elif now - entry["at"] >= max(self.seconds, entry.get("took", 0.0) / BUSY_SHARE):
                try:
                    entry["value"] = entry["compute"](service)
                except PyMongoError as exc:  # the store is down: keep what there is, try next tick
                    log.warning("%s: view %s not worked out again: %s", service.name, name, exc)
                    continue
                entry["at"] = self.clock()
                entry["took"] = entry["at"] - now
                done.append(name)
        return done


class KeptViews(DependencyProvider):
    """``self.views``: the container's :class:`Kept` (one per service process, as its store client)."""

    def setup(self):
        self.kept = Kept(float(self.container.config.get("WORK_VIEW_SECONDS") or DEFAULT_SECONDS))

    def get_dependency(self, worker_ctx):
        return self.kept
