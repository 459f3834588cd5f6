"""Bad input at the gateway: a body that is not JSON, too large (also chunked, and the roster import's
own larger limit), with unknown fields, a path field repeated, or sent where none is taken, is refused and
writes nothing."""

from __future__ import annotations

import json

import pytest
import requests

from gateway.routes import ROSTER_IMPORT_MAX_BODY_BYTES
from tests.integration.security.world import cadre_body, error_code, new_id, roster_csv

pytestmark = pytest.mark.integration


class TestBadInput:
    @pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                              "multipart/form-data; boundary=x"])
    def test_a_body_that_is_not_json_is_415_and_nothing_written(self, world, content_type):
        cadre_id = new_id("C")
        response = world.post("/cadres", cadre_body(cadre_id, world.unit_a), content_type=content_type)
        assert (response.status_code, error_code(response)) == (415, "UNSUPPORTED_MEDIA_TYPE"), (
            response.text)
        assert world.get(f"/cadres/{cadre_id}").status_code == 404

    def test_a_body_over_the_limit_is_413_and_nothing_written(self, world):
        cadre_id = new_id("C")
        body = cadre_body(cadre_id, world.unit_a, name="张" * 10 + "x" * 70_000)
        assert len(json.dumps(body)) > 65536
        response = world.post("/cadres", body)
        assert (response.status_code, error_code(response)) == (413, "PAYLOAD_TOO_LARGE"), (
            response.status_code, response.text[:500])
        assert world.get(f"/cadres/{cadre_id}").status_code == 404

    def test_a_chunked_body_over_the_limit_is_refused(self, suite, world):
        """Without a Content-Length the limit still holds: 413 (or 411, if a length is required)."""
        cadre_id = new_id("C")
        data = json.dumps(cadre_body(cadre_id, world.unit_a, name="x" * 70_000)).encode()
        chunks = (data[i:i + 8192] for i in range(0, len(data), 8192))  # Transfer-Encoding: chunked
        response = requests.post(suite.url + "/cadres", data=chunks, timeout=30,
                                 headers={"Content-Type": "application/json", **world.admin})
        assert response.status_code in (411, 413), (response.status_code, response.text[:300])
        assert world.get(f"/cadres/{cadre_id}").status_code == 404

    def test_a_body_under_the_limit_is_not_413(self, world):
        body = cadre_body(new_id("C"), world.unit_a, name="x" * 60_000)
        response = world.post("/cadres", body)
        assert response.status_code == 400 and "name" in response.json()["error"]["fields"], (
            response.status_code, response.text[:500])

    def test_unknown_fields_are_refused_by_name_and_nothing_written(self, world):
        cadre_id = new_id("C")
        response = world.post("/cadres", cadre_body(cadre_id, world.unit_a, is_admin=True))
        assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT"), response.text
        assert list(response.json()["error"]["fields"]) == ["is_admin"], response.text
        assert world.get(f"/cadres/{cadre_id}").status_code == 404

    def test_unknown_fields_on_a_cycle_are_refused_and_nothing_written(self, world):
        body = {"unit_id": world.unit_a, "year": world.next_year(world.unit_a), "kind": "ANNUAL"}
        response = world.post("/appraisal/cycles", {**body, "status": "FINALIZED", "results": []})
        assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT"), response.text
        assert set(response.json()["error"]["fields"]) == {"status", "results"}, response.text
        assert world.post("/appraisal/cycles", body).status_code == 201  # it was not opened

    def test_a_path_field_repeated_in_the_body_is_refused(self, world):
        cycle_id, cadre_id = world.graded["own"]
        before = world.grade_of(cycle_id, cadre_id)
        grade = "EXCELLENT" if before != "EXCELLENT" else "COMPETENT"
        for repeated in (world.cycle_b1, cycle_id):
            response = world.post(f"/appraisal/cycles/{cycle_id}/grades",
                                  {"cycle_id": repeated, "cadre_id": cadre_id, "grade": grade})
            assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT"), response.text
            assert list(response.json()["error"]["fields"]) == ["cycle_id"], response.text
        assert world.grade_of(cycle_id, cadre_id) == before

    def test_a_roster_import_takes_a_body_over_the_general_limit(self, world):
        """A real roster is thousands of rows: the import has a body limit of its own (8 MiB), every
        other endpoint keeps MAX_BODY_BYTES. The file's unit is not registered, so talent reads and
        answers for every row without writing any (an import of thousands of cadres outlasts the
        suite's 3 s RPC_TIMEOUT; the matrix imports real rows)."""
        unit_id = new_id("U")
        rows = [(f"{new_id('C')}-{i:04d}", unit_id) for i in range(2600)]
        body = {"csv": roster_csv(rows)}
        size = len(json.dumps(body))
        assert size > 200_000, size
        response = world.post("/roster/imports", body)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        report = response.json()
        assert (report["rows"], report["imported"], len(report["errors"])) == (2600, 0, 2600), report
        assert report["errors"][-1] == {"row": 2601, "cadre_id": rows[-1][0],
                                        "fields": {"unit_id": ["未知单位。"]}}, report["errors"][-1]
        assert world.get(f"/cadres/{rows[0][0]}").status_code == 404

        # as large a body anywhere else is refused before any service is called
        cadre_id = new_id("C")
        response = world.post("/cadres", cadre_body(cadre_id, world.unit_a, name="x" * size))
        assert (response.status_code, error_code(response)) == (413, "PAYLOAD_TOO_LARGE"), (
            response.status_code, response.text[:500])
        assert world.get(f"/cadres/{cadre_id}").status_code == 404

    def test_a_roster_import_over_its_own_limit_is_413_and_nothing_written(self, world):
        cadre_id = new_id("C")
        csv = roster_csv([(cadre_id, world.unit_a)])
        body = {"csv": csv + "#" * (ROSTER_IMPORT_MAX_BODY_BYTES - len(csv))}
        assert len(json.dumps(body)) > ROSTER_IMPORT_MAX_BODY_BYTES
        response = world.post("/roster/imports", body)
        assert (response.status_code, error_code(response)) == (413, "PAYLOAD_TOO_LARGE"), (
            response.status_code, response.text[:500])
        assert world.get(f"/cadres/{cadre_id}").status_code == 404

    def test_a_body_sent_to_an_endpoint_that_takes_none_is_refused(self, world):
        cycle_id = world.open_cycle(world.unit_a)
        response = world.post(f"/appraisal/cycles/{cycle_id}/finalize",
                              {"cycle_id": world.cycle_b1, "status": "OPEN"})
        assert response.status_code == 400, (response.status_code, response.text[:300])
        assert world.cycle(cycle_id)["status"] == "OPEN"
