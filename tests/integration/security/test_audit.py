"""The audit trail: reads of sensitive records, writes and denials (by a service, by role, of a refused
token at the gateway) are recorded with who, what, which record and a correlation id; only the auditor
reads the trail, and nobody can change it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import requests

from services.common.boundary.security import ROLES
from services.common.clock import utcnow
from tests.helpers import wait_for
from tests.integration.security.world import bearer, error_code, new_id
from tests.integration.test_paging import walk

pytestmark = pytest.mark.integration


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class TestAudit:
    def test_a_sensitive_read_is_audited(self, world):
        sub = new_id("sec-reader")
        response = world.get(f"/cadres/{world.other_id}",
                             headers=world.role_headers("DISCIPLINE_OFFICER", sub=sub))
        assert response.status_code == 200, response.text

        [entry] = wait_for(lambda: world.audit(user_id=sub), timeout=10, interval=0.2,
                           what="the read's audit entry")
        assert {k: entry[k] for k in ("service", "action", "outcome", "error_code", "record_type",
                                      "record_id", "roles")} == {
            "service": "talent", "action": "get_cadre", "outcome": "OK", "error_code": None,
            "record_type": "cadre", "record_id": world.other_id, "roles": ["DISCIPLINE_OFFICER"]}
        assert UUID.match(entry["correlation_id"] or ""), entry
        at = datetime.fromisoformat(entry["at"])
        assert abs(utcnow() - at) < timedelta(minutes=1), entry
        by_record = world.audit(record_id=world.other_id)
        assert entry in by_record

    def test_writes_are_audited(self, world):
        expected = {("talent", "register_unit", world.unit_a), ("talent", "register_cadre", world.self_id),
                    ("appraisal", "open_cycle", world.cycle_a1),
                    ("appraisal", "record_grade", world.cycle_a1)}
        # by record: the World's admin has made more than the trail's 1000 newest entries by now
        seen = {(e["service"], e["action"], e["record_id"])
                for record_id in sorted({record_id for _, _, record_id in expected})
                for e in world.audit(user_id=world.admin_sub, record_id=record_id, outcome="OK",
                                     limit=1000)}
        assert expected <= seen, seen

    def test_a_denial_in_a_service_is_audited(self, world):
        sub = new_id("sec-cadre")
        response = world.get(f"/cadres/{world.foreign_id}", headers=world.role_headers("CADRE", sub=sub))
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text

        [entry] = wait_for(lambda: world.audit(user_id=sub), timeout=10, interval=0.2,
                           what="the denial's audit entry")
        assert {k: entry[k] for k in ("service", "action", "outcome", "error_code", "record_id")} == {
            "service": "talent", "action": "get_cadre", "outcome": "DENIED", "error_code": "FORBIDDEN",
            "record_id": world.foreign_id}
        assert UUID.match(entry["correlation_id"] or ""), entry

    def test_a_denial_by_role_names_the_record_asked_for(self, world):
        """who, what, which record: also when the role may not do the action at all."""
        sub = new_id("sec-care")
        response = world.get(f"/cadres/{world.self_id}/eligibility",
                             headers=world.role_headers("CARE_OFFICER", sub=sub))
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text

        [entry] = wait_for(lambda: world.audit(user_id=sub), timeout=10, interval=0.2,
                           what="the denial's audit entry")
        assert (entry["service"], entry["action"], entry["outcome"]) == (
            "talent", "get_eligibility", "DENIED")
        assert entry["record_id"] == world.self_id, entry

    def test_a_refused_token_is_audited_by_the_gateway(self, suite, world):
        since = (utcnow() - timedelta(seconds=5)).isoformat()

        def entries():
            return {(e["at"], e["correlation_id"]): e for e in world.audit(outcome="DENIED", since=since)
                    if e["service"] == "gateway" and e["action"] == "get_eligibility"}

        before = entries()
        response = world.get(f"/cadres/{world.self_id}/eligibility",
                             headers=bearer(suite.token("ORG_ADMIN", ttl_seconds=-120)))
        assert (response.status_code, error_code(response)) == (401, "TOKEN_EXPIRED"), response.text

        [entry] = wait_for(lambda: [e for key, e in entries().items() if key not in before], timeout=10,
                           interval=0.2, what="the gateway's audit entry")
        assert (entry["error_code"], entry["user_id"]) == ("TOKEN_EXPIRED", None), entry
        assert UUID.match(entry["correlation_id"] or ""), entry

    def test_each_request_has_its_own_correlation_id(self, world):
        sub = new_id("sec-reader")
        headers = world.role_headers("ORG_ADMIN", sub=sub)
        for cadre_id in (world.self_id, world.other_id):
            assert world.get(f"/cadres/{cadre_id}", headers=headers).status_code == 200
        entries = wait_for(lambda: len(e := world.audit(user_id=sub)) == 2 and e, timeout=10,
                           interval=0.2, what="two audit entries")
        ids = {e["correlation_id"] for e in entries}
        assert len(ids) == 2 and all(UUID.match(i or "") for i in ids), entries

    def test_a_client_correlation_id_is_returned_and_found_in_the_trail(self, world):
        sub = new_id("sec-reader")
        headers = {**world.role_headers("ORG_ADMIN", sub=sub), "X-Correlation-Id": "ticket-4711"}
        response = world.get(f"/cadres/{world.self_id}", headers=headers)
        assert response.headers["X-Correlation-Id"] == "ticket-4711"
        [entry] = wait_for(lambda: world.audit(user_id=sub), timeout=10, interval=0.2,
                           what="the read's audit entry")
        assert entry["correlation_id"] == "ticket-4711"

        # one that is not a plain token is replaced, not echoed into logs and headers
        response = world.get(f"/cadres/{world.self_id}",
                             headers={**headers, "X-Correlation-Id": "<script>"})
        assert UUID.match(response.headers["X-Correlation-Id"])

    def test_the_merged_trail_is_walked_by_cursor_while_entries_are_added(self, suite, world):
        sub = new_id("sec-walker")
        headers = world.role_headers("ORG_ADMIN", sub=sub)
        reads = [f"/cadres/{world.self_id}", f"/appraisal/cycles/{world.cycle_a1}",
                 "/accountability/cases", "/care/families", "/tolerance/applications"]

        def read_everywhere():  # one entry in each of five services' trails
            for path in reads:
                assert world.get(path, headers=headers).status_code == 200, path

        read_everywhere()
        read_everywhere()
        before = world.audit(user_id=sub)
        assert len({e["service"] for e in before}) == 5 and len(before) == 10, before
        auditor = world.role_headers("AUDITOR")
        pages, totals = walk(suite, f"/audit?user_id={sub}&limit=3", headers=auditor,
                             between=lambda _page: read_everywhere())  # newer: behind the cursor
        seen = [entry for page in pages for entry in page]
        # the trail as it stood, newest first, each entry once, across five services' trails
        assert [(e["service"], e["seq"]) for e in seen] == [(e["service"], e["seq"]) for e in before]
        assert totals[0] == 10 and len(pages) == 4 and totals == sorted(totals)
        assert world.get(f"/audit?cursor={'x' * 12}", headers=auditor).status_code == 400

    @pytest.mark.parametrize("role", [r for r in ROLES if r != "AUDITOR"])
    def test_only_the_auditor_reads_the_trail(self, world, role):
        response = world.get("/audit", headers=world.role_headers(role))
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text

    def test_the_trail_has_no_way_to_change_it(self, suite, world):
        headers = world.role_headers("AUDITOR")
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = requests.request(method, suite.url + "/audit", headers=headers, timeout=30)
            assert response.status_code == 405, (method, response.text)
