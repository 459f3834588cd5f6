"""Lists a page at a time over HTTP: the next page's address in an RFC 8288 Link header, the list's size in
X-Total-Count; walking a list while records are added shows every record that was there exactly once."""

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from tests.integration.test_slice import new_id, open_cycle, register_cadre, register_unit

pytestmark = pytest.mark.integration

NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def walk(suite, path, headers=None, between=None):
    """Every page of a list, following Link; ``between(page_number)`` runs after each page."""
    pages, totals = [], []
    while path is not None:
        response = suite.get(path, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        totals.append(int(response.headers["X-Total-Count"]))
        found = NEXT.search(response.headers.get("Link", ""))
        path = found.group(1) if found else None
        if path is not None and between is not None:
            between(len(pages))
    return pages, totals


def test_walking_the_roster_while_cadres_are_added_shows_each_cadre_once(suite):
    unit_id = register_unit(suite)
    first = sorted(register_cadre(suite, unit_id, cadre_id=f"P{n:02d}-{new_id('c')}") for n in range(7))
    added = []

    def add(page):  # one before every cursor, one after: neither shifts what is still to come
        added.append(register_cadre(suite, unit_id, cadre_id=f"P00-{new_id('a')}"))
        added.append(register_cadre(suite, unit_id, cadre_id=f"P99-{new_id('z')}"))

    pages, totals = walk(suite, f"/cadres?unit_id={unit_id}&limit=3", between=add)
    seen = [c["cadre_id"] for page in pages for c in page]
    assert len(seen) == len(set(seen)), seen  # nothing twice
    assert set(first) <= set(seen), seen       # nothing lost
    assert seen == sorted(seen)                # in the list's order, across pages
    assert all(len(page) <= 3 for page in pages) and len(pages) >= 3
    assert totals[0] == 7 and totals[-1] == 7 + len(added)


def test_a_newest_first_list_walks_past_records_added_at_its_head(suite):
    discipline = suite.auth_headers("DISCIPLINE_OFFICER")
    unit_id = register_unit(suite)
    cadre_id = register_cadre(suite, unit_id)

    def open_case(_page=None):
        response = suite.post("/accountability/cases", {
            "cadre_id": cadre_id, "source": "SPECIAL_ASSESSMENT", "situations": ["REFORM_2"],
            "summary": f"不作为 {new_id('s')}"}, headers=discipline)
        if response.status_code == 404:  # accountability has not heard of the cadre yet
            return None
        assert response.status_code == 201, response.text
        return response.json()["case_id"]

    from tests.helpers import wait_for
    first = [wait_for(open_case, timeout=15, interval=0.2, what="accountability to know the cadre")]
    first += [open_case() for _ in range(4)]
    pages, _ = walk(suite, f"/accountability/cases?cadre_id={cadre_id}&limit=2", headers=discipline,
                    between=open_case)
    seen = [c["case_id"] for page in pages for c in page]
    assert seen == list(reversed(first)), seen  # newest first; those opened meanwhile come before it


def test_a_ranked_list_is_walked_as_it_was_ranked_when_the_walk_began(suite):
    """K-3's untaken-leave report, ranked by days left: a cadre already shown who takes leave moves
    after the cursor, and is still shown once (the walk reads the ranking of its first page)."""
    from tests.helpers import wait_for

    carer = suite.auth_headers("CARE_OFFICER")
    unit_id = register_unit(suite)
    years = {"A": 25, "B": 15, "C": 15, "D": 5, "E": 5}  # 15, 10, 10, 5 and 5 days of leave
    ids = {name: register_cadre(suite, unit_id, new_id(f"C{name}"), service_years=service)
           for name, service in years.items()}
    path = f"/care/leave/untaken/2026?unit_id={unit_id}&limit=2"
    wait_for(lambda: suite.get(path, headers=carer).headers.get("X-Total-Count") == "5", timeout=15,
             interval=0.2, what="care to know the unit's five cadres")

    def take_leave(_page):  # the head of the first page: 15 days left, then 9 (after B), then 3
        response = suite.post("/care/leave", {"cadre_id": ids["A"], "year": 2026, "days": 6,
                                              "starts_on": f"2026-0{2 + _page}-02"}, headers=carer)
        assert response.status_code == 200, response.text

    pages, _ = walk(suite, path, headers=carer, between=take_leave)
    seen = [row["cadre_id"] for page in pages for row in page]
    assert seen == [ids[n] for n in ("A", "B", "C", "D", "E")], seen
    # the next walk ranks anew: A has 3 days left now
    assert [r["cadre_id"] for r in suite.get(path.replace("limit=2", "limit=10"),
                                             headers=carer).json()][-1] == ids["A"]


def test_the_link_keeps_the_filters_and_a_bad_cursor_is_refused_in_chinese(suite):
    unit_id = register_unit(suite)
    name = f"甲{new_id('n')}"
    wanted = {register_cadre(suite, unit_id, name=name) for _ in range(3)}
    register_cadre(suite, unit_id, name="乙某")
    response = suite.get(f"/cadres?unit_id={unit_id}&q={name}&limit=2")
    assert response.status_code == 200 and response.headers["X-Total-Count"] == "3"
    query = parse_qs(urlsplit(NEXT.search(response.headers["Link"]).group(1)).query)
    assert (query["unit_id"], query["q"], query["limit"]) == ([unit_id], [name], ["2"])
    pages, _ = walk(suite, f"/cadres?unit_id={unit_id}&q={name}&limit=2")
    assert {c["cadre_id"] for page in pages for c in page} == wanted

    bad = suite.get(f"/cadres?unit_id={unit_id}&cursor=not-a-cursor")
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "INVALID_CURSOR" and "翻页" in error["message"], error
    # a cursor of another list (another order) is not read as this one's
    other = suite.get("/accountability/cases?limit=1",
                      headers=suite.auth_headers("DISCIPLINE_OFFICER")).headers.get("Link")
    if other:
        cursor = parse_qs(urlsplit(NEXT.search(other).group(1)).query)["cursor"][0]
        refused = suite.get(f"/cadres?unit_id={unit_id}&cursor={cursor}")
        assert refused.json()["error"]["code"] == "INVALID_CURSOR"


def test_the_year_s_quota_sheet_lists_every_unit_and_downloads_whole(suite):
    year = 2024
    units = sorted(register_unit(suite) for _ in range(3))
    for unit_id in units:
        register_cadre(suite, unit_id, is_leader=False)
        open_cycle(suite, unit_id, year=year)
    pages, _ = walk(suite, f"/appraisal/quotas/{year}?limit=1")
    listed = [line["unit_id"] for page in pages for line in page]
    assert set(units) <= set(listed) and listed == sorted(listed), listed
    assert all(len(page) == 1 for page in pages)

    workbook = suite.get(f"/appraisal/quotas/{year}?format=xlsx&limit=1")
    assert workbook.status_code == 200, workbook.text
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(workbook.content)).active.iter_rows()]
    assert rows[0][:3] == ["年度", "单位", "参加考核人数"]
    # the download is the whole list, not the page a limit would give
    assert set(units) <= {row[1] for row in rows[1:]} and len(rows) - 1 == len(listed)
