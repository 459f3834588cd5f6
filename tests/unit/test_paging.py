"""Keyset paging (services/common/paging.py): cursors that name the last item shown, so items added while a
list is walked are neither repeated nor skipped; a cursor of another list is refused."""

from datetime import UTC, date, datetime, timedelta

import mongomock
import pytest

from services.common import paging
from services.common.errors import InvalidInput
from services.common.paging import (
    ASC,
    DESC,
    Order,
    PageQuerySchema,
    Rankings,
    decode,
    encode,
    page_of,
    page_of_query,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def walk(next_page):
    """Every item of a list, page by page; ``next_page(cursor, number)`` gives a page."""
    seen, cursor, number = [], None, 0
    while True:
        page = next_page(cursor, number)
        seen += page
        number += 1
        if page.next_cursor is None:
            return seen, number
        cursor = page.next_cursor


def test_an_order_ends_with_the_id_and_its_keyset_filter_reads_past_the_values():
    order = Order(("opened_at", DESC))
    assert order.keys == (("opened_at", DESC), ("_id", DESC))
    assert order.after([T0, "k5"]) == {"$or": [{"opened_at": {"$lt": T0}},
                                               {"opened_at": T0, "_id": {"$lt": "k5"}}]}


def test_a_cursor_keeps_moments_and_days_and_belongs_to_its_order():
    cursor = encode("a,-b", [T0, date(2026, 1, 2), "x", 3, None, True])
    assert decode("a,-b", cursor) == [T0, date(2026, 1, 2), "x", 3, None, True]
    for other in ("a,b", "b,-a"):
        with pytest.raises(InvalidInput) as refused:
            decode(other, cursor)
        assert refused.value.code == "INVALID_CURSOR"
    for junk in ("not-a-cursor", "e30", encode("a,-b", [])[:-3] + "!!!"):
        with pytest.raises(InvalidInput):
            decode("a,-b", junk)


def test_a_cursor_in_a_query_is_the_url_safe_alphabet_only():
    assert PageQuerySchema().validate({"cursor": encode("x", [T0, "id"])}) == {}
    assert "cursor" in PageQuerySchema().validate({"cursor": "a b"})
    assert "limit" in PageQuerySchema().validate({"limit": 0})
    assert "limit" in PageQuerySchema().validate({"limit": 1001})


def test_walking_a_collection_while_records_are_added_shows_each_one_there_once():
    collection = mongomock.MongoClient().db.cases
    collection.insert_many([{"_id": f"k{n:02d}", "opened_at": T0 + timedelta(minutes=n // 2)}
                            for n in range(10)])  # two records to a minute: ties broken by the id
    order = Order(("opened_at", DESC))
    added = iter(range(100))

    def next_page(cursor, number):
        page = page_of_query(collection, {}, order, cursor, 3)
        n = next(added)  # one newer than all, one older than all: before and after every cursor
        collection.insert_many([{"_id": f"new{n}", "opened_at": T0 + timedelta(days=1, minutes=n)},
                                {"_id": f"old{n}", "opened_at": T0 - timedelta(days=1, minutes=n)}])
        return page

    seen, pages = walk(next_page)
    ids = [record["_id"] for record in seen]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i.startswith("k")] == [f"k{n:02d}" for n in reversed(range(10))]
    assert not any(i.startswith("new") for i in ids)  # added at the head, behind the cursor


def test_a_page_says_the_list_s_size_and_the_last_page_has_no_cursor():
    collection = mongomock.MongoClient().db.units
    collection.insert_many([{"_id": f"U{n}", "unit_type": "STREET" if n % 2 else "DISTRICT"}
                            for n in range(5)])
    page = page_of_query(collection, {"unit_type": "STREET"}, Order(("_id", ASC)), None, 1)
    assert ([u["_id"] for u in page], page.total) == (["U1"], 2)
    last = page_of_query(collection, {"unit_type": "STREET"}, Order(("_id", ASC)), page.next_cursor, 1)
    assert ([u["_id"] for u in last], last.next_cursor) == (["U3"], None)


def test_a_ranked_list_is_cut_after_the_cursor_s_key_even_when_items_come_and_go():
    def rotation(extra=()):
        return [{"unit_id": u, "years": y, "cadre_id": c}
                for u, y, c in (("A", 12, "c1"), ("A", 7, "c2"), ("B", 9, "c3"), ("B", 9, "c4"), *extra)]

    def key(item):
        return item["unit_id"], -item["years"], item["cadre_id"]

    first = page_of(rotation(), key, "rotation", None, 2)
    assert [i["cadre_id"] for i in first] == ["c1", "c2"] and first.total == 4
    # a cadre ranked before the cursor appears meanwhile: the next page goes on where it was
    second = page_of(rotation([("A", 20, "c0")]), key, "rotation", first.next_cursor, 2)
    assert [i["cadre_id"] for i in second] == ["c3", "c4"] and second.next_cursor is None
    with pytest.raises(InvalidInput):
        page_of(rotation(), key, "pool", first.next_cursor, 2)


def test_a_walk_of_a_ranked_list_ranks_it_once_and_reads_that_ranking_to_the_end():
    worked_out = []
    leave = {f"c{n:03d}": n % 7 for n in range(50)}  # days of leave left, as the walk begins

    def untaken():
        worked_out.append(1)
        return [{"cadre_id": c, "remaining": days} for c, days in leave.items()]

    def key(item):
        return -item["remaining"], item["cadre_id"]

    def next_page(cursor, number):
        page = page_of(untaken, key, "untaken", cursor, 8, scope=("officer", 2026))
        leave["c000"] = 99 - number  # a cadre moves to the head of the ranking between pages
        return page

    as_it_began = [item["cadre_id"] for item in sorted(untaken(), key=key)]
    worked_out.clear()
    seen, pages = walk(next_page)
    assert (pages, len(worked_out)) == (7, 1)
    # as ranked when the walk began: the cadre who moved is neither shown twice nor skipped
    assert [item["cadre_id"] for item in seen] == as_it_began


def test_a_kept_ranking_is_read_only_by_the_same_caller_and_filters():
    def report():
        return [{"cadre_id": f"c{n}", "unit_id": "U1"} for n in range(6)]

    def key(item):
        return (item["cadre_id"],)

    first = page_of(report, key, "report", None, 2, scope=("unit-admin-1", "U1"))
    others = []

    def another():
        others.append(1)
        return [{"cadre_id": f"c{n}", "unit_id": "U2"} for n in range(6)]

    # another caller, or other filters, with the first walk's cursor: worked out again for them
    page = page_of(another, key, "report", first.next_cursor, 2, scope=("unit-admin-2", "U2"))
    assert [i["unit_id"] for i in page] == ["U2", "U2"] and others == [1]
    # a cursor naming a ranking that is gone (another instance, or expired) is cut by its key
    kept = paging.decode("report", first.next_cursor)
    lost = paging.encode("report", kept, "no-such-ranking")
    assert [i["cadre_id"] for i in page_of(report, key, "report", lost, 2, scope=("x",))] == \
        ["c2", "c3"]


def test_rankings_are_kept_a_while_and_within_a_number_of_items(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(paging.time, "monotonic", lambda: now[0])
    rankings = Rankings(items=10, seconds=60)
    a = rankings.keep("a", list(range(6)))
    b = rankings.keep("b", list(range(4)))
    assert rankings.get(a, "a") == list(range(6)) and rankings.get(a, "b") is None
    now[0] += 50
    assert rankings.get(b, "b") == list(range(4))  # read: kept 60 s more
    c = rankings.keep("c", list(range(5)))  # 15 items: the least recently read goes
    assert rankings.get(a, "a") is None and rankings.get(b, "b") and rankings.get(c, "c")
    now[0] += 61
    assert rankings.get(b, "b") is None and rankings.get(c, "c") is None
    assert rankings.keep("d", list(range(11))) is None  # larger than all it may keep
