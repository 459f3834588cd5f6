"""The audit trail cannot be bent: an entry slipped into the store by hand is caught by `cadrectl audit
verify`,
the audited record is the route's and not one the caller names first, a body the store could not hold is a
400 that is audited too; strict text at the gateway (invalid UTF-8, lone surrogates, duplicate keys)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner
from pymongo import MongoClient

from cadrectl.cli import main
from services.common.clock import utcnow
from tests.integration.security.world import cadre_body, error_code, new_id

pytestmark = pytest.mark.integration


def verify(suite):
    return CliRunner().invoke(main, ["audit", "verify"], env={
        "MONGODB_URI": suite.env["MONGODB_URI"],
        "MONGODB_DATABASE_PREFIX": suite.env["MONGODB_DATABASE_PREFIX"]}, catch_exceptions=False)


def test_a_hand_made_audit_entry_is_caught_by_verify(suite, world):
    world.get(f"/cadres/{world.self_id}")  # at least one real entry in talent's trail
    clean = verify(suite)
    assert clean.exit_code == 0, clean.output
    assert "talent          intact" in clean.output
    forged = {"at": utcnow(), "service": "care", "action": "list_referrals", "outcome": "OK",
              "user_id": "care-officer-1", "roles": ["CARE_OFFICER"], "record_type": "cadre",
              "record_id": world.self_id}
    with MongoClient(suite.env["MONGODB_URI"]) as client:
        trail = client[suite.env["MONGODB_DATABASE_PREFIX"] + "care_audit"]["audit"]
        trail.insert_one(dict(forged))
        try:
            caught = verify(suite)
        finally:
            trail.delete_many({"user_id": "care-officer-1", "seq": {"$exists": False}})
    assert caught.exit_code == 1
    assert "care            BROKEN" in caught.output and "inserted by hand" in caught.output


def test_the_audited_record_is_the_route_s_not_the_first_id_the_caller_sends(suite, world):
    """A denied caller names another cadre first in the body: the audit names the cycle the route
    names, as the service declares it."""
    since = utcnow().isoformat()
    token = suite.auth_headers("CADRE", cadre_id=world.self_id, unit_id=world.unit_a)
    raw = json.dumps({"cadre_id": world.other_id, "grade": "EXCELLENT"})
    response = world.post(f"/appraisal/cycles/{world.cycle_a1}/grades", raw=raw, headers=token)
    assert response.status_code == 403, response.text
    [entry] = [e for e in world.audit(since=since) if e["action"] == "record_grade"]
    assert (entry["outcome"], entry["record_type"], entry["record_id"]) == (
        "DENIED", "cycle", world.cycle_a1)


def raw_body(case: str, cadre_id: str, unit_id: str) -> bytes:
    if case == "INVALID_TEXT":  # a lone surrogate, as JSON escapes it
        return json.dumps(cadre_body(cadre_id, unit_id, name="\ud800")).encode()
    text = json.dumps(cadre_body(cadre_id, unit_id, name="NAME"))
    if case == "INVALID_UTF8":  # bytes that are no UTF-8
        return text.encode().replace(b"NAME", b"\xff\xfe")
    return (text[:-1] + ', "cadre_id": "C-other"}').encode()  # DUPLICATE_KEY


@pytest.mark.parametrize("code", ["INVALID_TEXT", "INVALID_UTF8", "DUPLICATE_KEY"])
def test_text_no_store_could_hold_is_a_400_audited_and_nothing_written(suite, world, code):
    since = utcnow().isoformat()
    cadre_id = new_id("C")
    response = world.post("/cadres", raw=raw_body(code, cadre_id, world.unit_a))
    assert (response.status_code, error_code(response)) == (400, code), response.text
    assert world.get(f"/cadres/{cadre_id}").status_code == 404
    entries = [e for e in world.audit(since=since) if e["service"] == "gateway"
               and e["action"] == "register_cadre"]
    assert [(e["outcome"], e["error_code"]) for e in entries] == [("REFUSED", code)]


# one case per rule of strict input: each refused with 400, and nothing written
BAD_MONEY = [5000, 5000.5, "5e3", "-100", "+100", " 100", "0100", "1,000", "100.001", "１００"]
BAD_BOOLEAN = ["true", 1, 0, "yes", None]
BAD_NAME = ["   ", "李\x07四", "李\n四", "张\u202e三", "王\u2066五\u2069", "赵\u200b六", "\ufeff钱七"]


@pytest.mark.parametrize("amount", BAD_MONEY, ids=repr)
def test_money_takes_one_form_and_nothing_else(world, amount):
    year = world.next_year(world.unit_a, "fund")
    response = world.post("/care/fund/budget", {"year": year, "amount": amount})
    assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT"), response.text
    assert "amount" in response.json()["error"]["fields"]
    assert world.get(f"/care/fund/{year}").json()["budget"] == "0.00"


def test_money_in_the_canonical_form_is_taken(world):
    year = world.next_year(world.unit_a, "fund")
    response = world.post("/care/fund/budget", {"year": year, "amount": "1200.5"})
    assert response.status_code == 200, response.text
    assert world.get(f"/care/fund/{year}").json()["budget"] == "1200.50"


@pytest.mark.parametrize("value", BAD_BOOLEAN, ids=repr)
def test_booleans_are_json_booleans(world, value):
    cadre_id = new_id("C")
    response = world.post("/cadres", cadre_body(cadre_id, world.unit_a, is_leader=value))
    assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT"), response.text
    assert "is_leader" in response.json()["error"]["fields"]
    assert world.get(f"/cadres/{cadre_id}").status_code == 404


def test_a_query_boolean_is_the_word_true_or_false(world):
    assert world.get("/care/talks", overdue="true").status_code == 200
    response = world.get("/care/talks", overdue="yes")
    assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT"), response.text


@pytest.mark.parametrize("name", BAD_NAME, ids=repr)
def test_a_name_says_something_on_one_line_with_nothing_hidden(world, name):
    cadre_id = new_id("C")
    response = world.post("/cadres", cadre_body(cadre_id, world.unit_a, name=name))
    assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT"), response.text
    assert "name" in response.json()["error"]["fields"]
    assert world.get(f"/cadres/{cadre_id}").status_code == 404
    unit_id = new_id("U")
    response = world.post("/units", {"unit_id": unit_id, "name": name, "unit_type": "DISTRICT"})
    assert response.status_code == 400, response.text


def test_free_text_keeps_its_line_breaks_but_not_hidden_characters(world):
    cadre_id = world.care_cadre(world.unit_a)
    refused = world.post("/care/talks", {"cadre_id": cadre_id, "reason": "MAJOR_SETBACK",
                                         "notes": "家中变故\u202e，需关心"})
    assert (refused.status_code, error_code(refused)) == (400, "INVALID_INPUT"), refused.text
    assert world.get("/care/talks", cadre_id=cadre_id).json() == []
    taken = world.post("/care/talks", {"cadre_id": cadre_id, "reason": "MAJOR_SETBACK",
                                       "notes": "家中变故。\n需关心。"})
    assert taken.status_code == 201, taken.text


def test_dates_stay_within_what_they_mean(world):
    cadre_id = world.care_cadre(world.unit_a)
    today = utcnow().date()
    for year, checked_on in [(2024, "2023-12-31"), (today.year, (today + timedelta(days=1)).isoformat())]:
        response = world.post("/care/health-checks", {"cadre_id": cadre_id, "year": year,
                                                      "checked_on": checked_on})
        assert (response.status_code, list(response.json()["error"]["fields"])) == (
            400, ["checked_on"]), response.text
    assert world.care_store("health_checks", {"cadre_id": cadre_id}) == []
    for died_on in [(today + timedelta(days=2)).isoformat(), "1949-09-30"]:
        response = world.post("/care/families", {"cadre_id": cadre_id, "died_on": died_on,
                                                 "dependants": [{"name": "刘芳", "relation": "SPOUSE"}]})
        assert (response.status_code, list(response.json()["error"]["fields"])) == (
            400, ["died_on"]), response.text
    assert world.care_store("families", {"cadre_id": cadre_id}) == []
    family = world.register_family(cadre_id)  # died on 2024-07-09
    response = world.post(f"/care/families/{family['family_id']}/visits",
                          {"visited_on": "2024-07-08", "notes": "慰问"})
    assert (response.status_code, list(response.json()["error"]["fields"])) == (
        400, ["visited_on"]), response.text
    [stored] = world.care_store("families", {"cadre_id": cadre_id})
    assert stored.get("visits", []) == []


def test_a_405_names_the_methods_the_path_takes(world):
    response = requests.delete(world.suite.url + "/cadres", headers=world.admin, timeout=10)
    assert (response.status_code, error_code(response)) == (405, "METHOD_NOT_ALLOWED")
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "POST"}


def test_answers_are_neither_cached_nor_sniffed(world):
    for response in (world.get(f"/cadres/{world.self_id}"), world.get("/cadres/C-nobody"),
                     requests.get(world.suite.url + "/health", timeout=10)):
        assert response.headers["Cache-Control"] == "no-store", response.url
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url


def test_a_cadre_sees_their_early_warning_talk_but_not_what_opened_it(suite, world):
    """K-1, C-5: the talk is theirs to attend; the matter behind it stays with the officers."""
    cadre_id = world.care_cadre(world.unit_a)
    opened = world.open_talk(cadre_id, "EARLY_WARNING")
    as_cadre = suite.auth_headers("CADRE", cadre_id=cadre_id, unit_id=world.unit_a)
    response = world.get("/care/talks", headers=as_cadre, cadre_id=cadre_id)
    assert response.status_code == 200, response.text
    [seen] = [t for t in response.json() if t["talk_id"] == opened["talk_id"]]
    assert (seen["reason"], seen["status"]) == ("EARLY_WARNING", "OPEN")
    assert not {"matter", "opened_by", "notes", "record"} & set(seen), seen
    [officer_view] = [t for t in world.get("/care/talks", cadre_id=cadre_id).json()
                      if t["talk_id"] == opened["talk_id"]]
    assert officer_view["notes"] == opened["notes"] and officer_view["matter"]
