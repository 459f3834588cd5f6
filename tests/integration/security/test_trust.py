"""The audit trail cannot be bent: an entry slipped into the store by hand is caught by `cadrectl audit
verify`,
the audited record is the route's and not one the caller names first, a body the store could not hold is a
400 that is audited too; strict text at the gateway (invalid UTF-8, lone surrogates, duplicate keys)."""

from __future__ import annotations

import json

import pytest
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
        trail = client[suite.env["MONGODB_DATABASE_PREFIX"] + "care"]["audit"]
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
