"""Safe retries over HTTP (services/common/idempotency.py): a POST that creates something, sent again
with the same Idempotency-Key and body, answers its first answer -- one record, one event -- and the same
key with another body is refused. Over the real gateway, broker and store."""

import pytest
import requests

from tests.helpers import wait_for
from tests.integration.test_slice import new_id, open_cycle, register_cadre, register_unit

pytestmark = pytest.mark.integration


def test_a_replayed_key_creates_nothing_twice(suite):
    unit_id = register_unit(suite)
    cadre_id = register_cadre(suite, unit_id)
    officer = suite.auth_headers("DISCIPLINE_OFFICER", sub="retry-officer")
    key = {**officer, "Idempotency-Key": new_id("key")}
    body = {"cadre_id": cadre_id, "matter": "对群众诉求推诿拖延"}

    def filed():
        response = suite.post("/accountability/complaints", body, headers=key)
        return response if response.status_code != 404 else None  # accountability learning the cadre
    first = wait_for(filed, timeout=15, interval=0.2, what="accountability to learn the cadre")
    assert first.status_code == 201, first.text
    again = suite.post("/accountability/complaints", body, headers=key)
    assert (again.status_code, again.json()) == (201, first.json())

    complaints = [c for c in suite.get("/accountability/complaints?limit=1000", headers=officer).json()
                  if c["cadre_id"] == cadre_id]
    assert [c["complaint_id"] for c in complaints] == [first.json()["complaint_id"]]
    # one accountability.complaint_filed: care opened one early-warning talk for it
    talks = wait_for(lambda: suite.get(f"/care/talks?cadre_id={cadre_id}",
                                       headers=suite.auth_headers("CARE_OFFICER")).json() or None,
                     timeout=20, interval=0.3, what="care's talk")
    assert [t["reason"] for t in talks] == ["EARLY_WARNING"]

    reused = suite.post("/accountability/complaints", {**body, "matter": "另一件事"}, headers=key)
    assert (reused.status_code, reused.json()["error"]["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    other_user = suite.post("/accountability/complaints", body, headers={
        **suite.auth_headers("DISCIPLINE_OFFICER", sub="retry-officer-2"), "Idempotency-Key": key[
            "Idempotency-Key"]})
    assert other_user.json()["complaint_id"] != first.json()["complaint_id"]  # keys are per user
    in_body = suite.post("/accountability/complaints", {**body, "client_key": "k"}, headers=officer)
    assert (in_body.status_code, list(in_body.json()["error"]["fields"])) == (400, ["client_key"])


def test_no_lost_updates_a_stale_if_match_is_refused(suite):
    """ETag on a record, If-Match honoured on its change: the cadre PATCH uses its revision."""
    unit_id = register_unit(suite)
    cadre_id = register_cadre(suite, unit_id)
    read = suite.get(f"/cadres/{cadre_id}")
    assert read.headers["ETag"] == f'"{read.json()["revision"]}"' == '"1"'
    admin = suite.auth_headers("ORG_ADMIN")

    first = requests.patch(f"{suite.url}/cadres/{cadre_id}", json={"grassroots_years": 6},
                           headers={**admin, "If-Match": read.headers["ETag"]}, timeout=30)
    assert (first.status_code, first.headers["ETag"]) == (200, '"2"'), first.text
    # a second officer still holding revision 1 would overwrite the first one's change
    stale = requests.patch(f"{suite.url}/cadres/{cadre_id}", json={"grassroots_years": 9},
                           headers={**admin, "If-Match": '"1"'}, timeout=30)
    assert (stale.status_code, stale.json()["error"]["code"]) == (412, "PRECONDITION_FAILED")
    assert suite.get(f"/cadres/{cadre_id}").json()["grassroots_years"] == 6
    bad = requests.patch(f"{suite.url}/cadres/{cadre_id}", json={"grassroots_years": 9},
                         headers={**admin, "If-Match": "yesterday"}, timeout=30)
    assert bad.status_code == 400


def test_an_endpoint_that_takes_no_body_refuses_even_an_empty_object(suite):
    cycle_id = open_cycle(suite, register_unit(suite), year=2017, kind="SPECIAL")
    finalize = suite.post(f"/appraisal/cycles/{cycle_id}/finalize", {})
    assert (finalize.status_code, finalize.json()["error"]["code"]) == (400, "MALFORMED_REQUEST")
    assert suite.get(f"/appraisal/cycles/{cycle_id}").json()["status"] == "OPEN"
