"""Lists a page at a time, by cursor.

A list RPC takes ``cursor`` and ``limit`` (:class:`PageQuerySchema`) and returns a :class:`Page`: its
items, the cursor of the page after it, and how many the whole list holds. Called with ``paged=True``
(as the gateway calls it) the answer is ``{"items", "next_cursor", "total"}``; without, the items alone,
as list RPCs always answered.

Cursors are keyset cursors: they name the sort values of the last item shown, and the next page is
the items after those values. An item added while someone walks the list lands in its place in the
order, so no item is shown twice or skipped because another was added before it (an offset would do
both). Every order ends with the record's id, so ties never make a page ambiguous. A cursor is bound
to its list's order: one from another list is refused (``INVALID_CURSOR``), not misread.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from services.common.clock import as_utc, business_year_start
from services.common.errors import InvalidInput

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ASC, DESC = 1, -1


class PageQuerySchema(Schema):
    """The paging fields of a list's query: subclass it, or add it to a query schema's bases."""

    # base64url, as this module writes them: a cursor is never more than the sort values of one item
    cursor = fields.String(load_default=None, validate=[
        validate.Length(min=1, max=1000), validate.Regexp(r"^[A-Za-z0-9_-]+$")])
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))


class Page(list):
    """One page of a list: the items, ``next_cursor`` (None on the last page) and ``total``."""

    def __init__(self, items: Iterable, next_cursor: str | None = None, total: int | None = None):
        super().__init__(items)
        self.next_cursor = next_cursor
        self.total = len(self) if total is None else total


class Order:
    """A list's order: ``(field, ASC|DESC)`` pairs, the record's id last (added if not named)."""

    def __init__(self, *keys: tuple[str, int], id_field: str = "_id"):
        if not keys or keys[-1][0] != id_field:
            keys = (*keys, (id_field, keys[-1][1] if keys else ASC))
        self.keys = keys
        # what a cursor is bound to: the same fields in the same directions
        self.tag = ",".join(f"{'-' if way == DESC else ''}{name}" for name, way in keys)

    def sort(self) -> list[tuple[str, int]]:
        return list(self.keys)

    def values_of(self, record: dict) -> list:
        return [record.get(name) for name, _ in self.keys]

    def after(self, values: Sequence) -> dict:
        """The store filter for the items after ``values`` in this order (a keyset: for (a, b),
        a past it, or a equal and b past it)."""
        clauses = []
        for i, (name, way) in enumerate(self.keys):
            clause = {prior: values[j] for j, (prior, _) in enumerate(self.keys[:i])}
            clause[name] = {"$gt" if way == ASC else "$lt": values[i]}
            clauses.append(clause)
        return {"$or": clauses}


def matching(**equal) -> dict:
    """A list's filter: the fields equal to the values given, ``None`` meaning any."""
    return {name: value for name, value in equal.items() if value is not None}


def containing(field: str, text: str | None) -> dict:
    """A list's filter: ``field`` holds ``text`` (a name search; the text is taken literally)."""
    return {} if not text else {field: {"$regex": re.escape(text), "$options": "i"}}


def in_year(field: str, year: int | None, config=None) -> dict:
    """A list's filter: ``field`` (a moment) in the department's calendar year ``year``."""
    if year is None:
        return {}
    return {field: {"$gte": business_year_start(year, config),
                    "$lt": business_year_start(year + 1, config)}}


def encode(tag: str, values: Sequence, ranking: str | None = None) -> str:
    """A cursor: the sort values after which the next page starts, and the order they belong to
    (and, for a ranked list, the ranking its walk reads)."""
    given = {"o": tag, "v": [_plain(v) for v in values]}
    if ranking:
        given["r"] = ranking
    text = json.dumps(given, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode(tag: str, cursor: str) -> list:
    """The sort values a cursor names; one that is not this list's is refused."""
    return _decoded(tag, cursor)[0]


def _decoded(tag: str, cursor: str) -> tuple[list, str | None]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        given = json.loads(raw.decode("utf-8"))
        ranking = given.get("r")
        if given["o"] != tag or not isinstance(given["v"], list) or not isinstance(ranking,
                                                                                  str | None):
            raise ValueError("another list's cursor")
        return [_typed(v) for v in given["v"]], ranking
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("the cursor is not one this list gave; start again from the first page",
                           code="INVALID_CURSOR",
                           fields={"cursor": ["Not a cursor of this list."]}) from None


def page_of_query(collection, query: dict, order: Order, cursor: str | None, limit: int,
                  load: Callable[[dict], dict] = lambda record: record, skip: int = 0) -> Page:
    """A page of the records ``query`` finds, in ``order``, after ``cursor`` (or, for a list that
    offered offsets before cursors, after the first ``skip``)."""
    found = query if cursor is None else {"$and": [query, order.after(decode(order.tag, cursor))]}
    records = collection.find(found).sort(order.sort())
    if cursor is None and skip:
        records = records.skip(skip)
    records = list(records.limit(limit + 1))
    # the cursor holds the stored values (a day is stored as midnight UTC, loaded as a date)
    after = encode(order.tag, order.values_of(records[limit - 1])) if len(records) > limit else None
    return Page([load(r) for r in records[:limit]], after, collection.count_documents(query))


def page_of(items: Iterable[dict] | Callable[[], Iterable[dict]], key: Callable[[dict], tuple],
            tag: str, cursor: str | None, limit: int, scope: Hashable = None) -> Page:
    """A page of a list worked out in full (a report, a list ranked by a rule): ``key`` is its
    order, ending with the item's id; the cursor holds the last key shown.

    Given as a function, the items are worked out once a walk: its first page keeps the ranking
    (see :class:`Rankings`) and the pages after it read that ranking, so a download of 100,000 rows
    ranks them once, not once a page. ``scope`` (the caller and the list's filters) must be the
    same for a later page to read a kept ranking. A walk whose ranking is gone (another instance
    answers, or it expired) is worked out again and cut after the cursor's key."""
    ranking, last = None, None
    if cursor is not None:
        values, ranking = _decoded(tag, cursor)
        last = tuple(values)
    ranked = RANKINGS.get(ranking, (tag, scope)) if callable(items) and ranking else None
    fresh = ranked is None
    if fresh:
        ranked = sorted(items() if callable(items) else items, key=key)
    start = 0
    if last is not None:
        start = bisect.bisect_right(ranked, last, key=lambda item: _comparable(key(item)))
    shown = ranked[start:start + limit]
    more = start + limit < len(ranked)
    if fresh:
        ranking = RANKINGS.keep((tag, scope), ranked) if callable(items) and more else None
    return Page(shown, encode(tag, key(shown[-1]), ranking) if more else None, len(ranked))


class Rankings:
    """Ranked lists kept in this process while someone walks them: the newest few, up to a total
    number of items, each for a while after its last page was read. A walk reads the ranking as
    it was worked out for its first page: no item is shown twice or skipped as others move in the
    ranking; what changes during the walk shows in the next walk."""

    def __init__(self, items: int = 250_000, seconds: float = 120.0):
        self.items, self.seconds = items, seconds
        self._kept: OrderedDict[str, tuple[Hashable, float, list]] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, scope: Hashable, ranked: list) -> str | None:
        if len(ranked) > self.items:
            return None
        name = secrets.token_urlsafe(12)
        with self._lock:
            self._drop(time.monotonic())
            self._kept[name] = (scope, time.monotonic() + self.seconds, ranked)
            while sum(len(r) for _, _, r in self._kept.values()) > self.items:
                self._kept.popitem(last=False)
        return name

    def get(self, name: str, scope: Hashable) -> list | None:
        with self._lock:
            self._drop(time.monotonic())
            kept = self._kept.get(name)
            if kept is None or kept[0] != scope:
                return None
            self._kept[name] = (scope, time.monotonic() + self.seconds, kept[2])
            self._kept.move_to_end(name)
            return kept[2]

    def _drop(self, now: float) -> None:
        for name in [n for n, (_, until, _) in self._kept.items() if until < now]:
            del self._kept[name]


RANKINGS = Rankings()


def _comparable(key: tuple) -> tuple:
    return tuple(_typed(_plain(v)) for v in key)


def _plain(value: Any):
    if isinstance(value, datetime):
        return {"t": as_utc(value).isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a cursor holds no {type(value).__name__}")


def _typed(value: Any):
    if isinstance(value, dict):
        if "t" in value:
            return as_utc(datetime.fromisoformat(value["t"]))
        if "d" in value:
            return date.fromisoformat(value["d"])
        raise ValueError("not a cursor value")
    return value
