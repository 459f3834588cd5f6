"""Keyset paging (services/common/paging.py): cursors that name the last item shown, so items added while a
list is walked are neither repeated nor skipped; a cursor of another list is refused."""

from datetime import UTC, date, datetime, timedelta

import mongomock
import pytest

from services.common.errors import InvalidInput
from services.common.paging import (
    ASC,
    DESC,
    Order,
    PageQuerySchema,
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
