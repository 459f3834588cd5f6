"""Who reaches which record, and which fields of it, beyond a single cell of the matrix: a scoped user
outside their scope learns nothing of whether a record exists; a cadre files and reads only what is
theirs; a unit administrator lists only their own unit; the reporter of a complaint and what a referral
says are read by their officers only; the proposer of a decision or a ruling cannot approve it; and an
approval is paid from the fund once and never beyond its balance."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from tests.integration.security.world import (
    EVIDENCE,
    GRANT,
    REPORTER,
    UNTOUCHED_YEAR,
    bearer,
    cadre_body,
    error_code,
    new_id,
)

pytestmark = pytest.mark.integration


class TestScopeDoesNotRevealExistence:
    """A scoped user outside their scope gets 403 whether or not the record exists."""

    @pytest.mark.parametrize("path", ["/cadres/{}", "/cadres/{}/eligibility"])
    def test_a_cadre_that_does_not_exist(self, world, path):
        missing = path.format(new_id("C"))
        for role in ("UNIT_ADMIN", "CADRE"):
            response = world.get(missing, headers=world.role_headers(role))
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), (
                role, response.text)
        assert world.get(missing).status_code == 404  # the organisation department may know

    def test_a_cadre_that_does_not_exist_to_update_or_nominate(self, world):
        cadre_id = new_id("C")
        unit_admin = world.role_headers("UNIT_ADMIN")
        for response in (
            world.patch(f"/cadres/{cadre_id}", {"name": "王五"}, headers=unit_admin),
            world.post(f"/talent/pool/{cadre_id}/nomination", {"evidence": EVIDENCE}, headers=unit_admin),
        ):
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
        response = world.patch(f"/cadres/{cadre_id}", {"name": "王五"})
        assert (response.status_code, error_code(response)) == (404, "CADRE_NOT_FOUND"), response.text

    def test_a_cycle_that_does_not_exist(self, world):
        cycle_id = uuid.uuid4().hex
        unit_admin = world.role_headers("UNIT_ADMIN")
        for response in (
            world.get(f"/appraisal/cycles/{cycle_id}", headers=unit_admin),
            world.post(f"/appraisal/cycles/{cycle_id}/grades",
                       {"cadre_id": world.self_id, "grade": "COMPETENT"}, headers=unit_admin),
        ):
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
        assert world.get(f"/appraisal/cycles/{cycle_id}").status_code == 404

    def test_a_unit_that_does_not_exist(self, world):
        body = cadre_body(new_id("C"), new_id("U"))
        response = world.post("/cadres", body, headers=world.role_headers("UNIT_ADMIN"))
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
        assert world.post("/cadres", body).status_code == 404

    def test_grading_a_cadre_of_another_unit_tells_a_unit_admin_nothing_about_it(self, world):
        """Naming another unit's cadre in the body of a grade for one's own cycle must answer exactly
        as naming a cadre that does not exist, and must not disclose the other unit."""
        unit_admin = world.role_headers("UNIT_ADMIN")
        path = f"/appraisal/cycles/{world.cycle_a1}/grades"
        foreign = world.post(path, {"cadre_id": world.foreign_id, "grade": "COMPETENT"},
                             headers=unit_admin)
        missing = world.post(path, {"cadre_id": new_id("C"), "grade": "COMPETENT"}, headers=unit_admin)
        assert world.unit_b not in foreign.text, foreign.text
        assert (foreign.status_code, error_code(foreign)) == (missing.status_code, error_code(missing)), (
            f"another unit's cadre: {foreign.status_code} {foreign.text}; "
            f"no such cadre: {missing.status_code} {missing.text}")


class TestAccountabilityFields:
    def test_only_a_discipline_officer_sees_who_reported_a_complaint(self, world):
        """C-5: the reporter is read by discipline officers only; for the organisation department the
        field is absent (not null), in every answer that carries the complaint."""
        complaint_id = world.standing_complaints["own"]
        officer = world.complaint(complaint_id, headers=world.role_headers("DISCIPLINE_OFFICER"))
        assert officer["reporter"] == REPORTER and officer["anonymous"] is False, officer

        admin = world.complaint(complaint_id, headers=world.role_headers("ORG_ADMIN"))
        assert "reporter" not in admin and admin["anonymous"] is False, admin
        assert {k: v for k, v in officer.items() if k != "reporter"} == admin

        filed = world.file_complaint("other-unit")  # the World's ORG_ADMIN files a named complaint
        assert "reporter" not in filed and filed["anonymous"] is False, filed
        resolved = world.post(f"/accountability/complaints/{filed['complaint_id']}/resolution",
                              {"outcome": "FALSE_ACCUSATION", "reason": "诬告"})
        assert resolved.status_code == 200 and "reporter" not in resolved.json(), resolved.text
        officer = world.complaint(filed["complaint_id"], headers=world.role_headers("DISCIPLINE_OFFICER"))
        assert (officer["reporter"], officer["referred"]) == (REPORTER, True), officer

    def test_the_proposer_of_a_decision_cannot_approve_it(self, suite, world):
        """Four eyes: not even with another token, or another role, of the same user."""
        case_id = world.case_in("own", "PROPOSED")
        for headers in (world.admin,
                        bearer(suite.token("DISCIPLINE_OFFICER", sub=world.admin_sub)),
                        bearer(suite.token("ORG_ADMIN", "DISCIPLINE_OFFICER", sub=world.admin_sub))):
            response = world.post(f"/accountability/cases/{case_id}/approval",
                                  {"proposal_id": world.proposal_id(case_id)}, headers=headers)
            assert (response.status_code, error_code(response)) == (409, "FOUR_EYES"), response.text
        answer = world.case(case_id)
        assert (answer["status"], answer["decision"]) == ("VERIFIED", None), answer
        assert world.post(f"/accountability/cases/{case_id}/approval",
                          {"proposal_id": world.proposal_id(case_id)},
                          headers=world.second_admin).status_code == 200
        assert world.case(case_id)["status"] == "DECIDED"


class TestToleranceForCadres:
    def test_a_cadre_files_for_themselves_and_reads_only_their_own(self, world):
        """T-1: a cadre applies for themselves and reads what is theirs, nobody else's."""
        assert world.standing_applications  # tolerance knows the cadres; one standing per cadre
        sub = new_id("sec-cadre")
        cadre = world.role_headers("CADRE", sub=sub)
        filed = world.file_application(world.self_id, headers=cadre, situation="OTHER_APPROVED",
                                       approval_reference="武汉市委〔2018〕1号")
        assert (filed["cadre_id"], filed["unit_id"], filed["status"], filed["filed_by"]) == (
            world.self_id, world.unit_a, "FILED", sub), filed
        assert filed["approval_reference"] == "武汉市委〔2018〕1号", filed

        assert world.application(filed["application_id"], headers=cadre) == filed
        listed = world.get("/tolerance/applications", headers=cadre, cadre_id=world.self_id)
        assert listed.status_code == 200, listed.text
        ids = [a["application_id"] for a in listed.json()]
        assert ids[0] == filed["application_id"], ids  # newest first
        assert world.standing_applications["own"] in ids, ids
        assert {a["cadre_id"] for a in listed.json()} == {world.self_id}, listed.text

        # nobody else's: not by id, not by listing, not without naming themselves
        for case in ("other", "other-unit"):
            response = world.get(f"/tolerance/applications/{world.standing_applications[case]}",
                                 headers=cadre)
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
            response = world.get("/tolerance/applications", headers=cadre, cadre_id=world.cadres[case])
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
        for query in ({}, {"status": "FILED"}):
            response = world.get("/tolerance/applications", headers=cadre, **query)
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text

        # and files for nobody else: nothing is written
        facts = f"替他人申请 {new_id('facts')}"
        response = world.post("/tolerance/applications", {
            "cadre_id": world.other_id, "situation": "REFORM_EXPLORATION", "facts": facts},
            headers=cadre)
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
        assert facts not in [a["facts"] for a in world.applications_of(world.other_id)]

    def test_an_application_that_does_not_exist(self, world):
        """A scoped user gets 403 whether or not the application exists; the officers get 404."""
        application_id = uuid.uuid4().hex
        for role in ("UNIT_ADMIN", "CADRE"):
            response = world.get(f"/tolerance/applications/{application_id}",
                                 headers=world.role_headers(role))
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), (
                role, response.text)
        response = world.get(f"/tolerance/applications/{application_id}")
        assert (response.status_code, error_code(response)) == (404, "APPLICATION_NOT_FOUND"), (
            response.text)

    def test_the_proposer_of_a_ruling_cannot_approve_it(self, suite, world):
        """Four eyes: not even with another token, or another role, of the same user."""
        application_id = world.application_in("own", "PROPOSED")
        path = f"/tolerance/applications/{application_id}/approval"
        for headers in (world.admin,
                        bearer(suite.token("DISCIPLINE_OFFICER", sub=world.admin_sub)),
                        bearer(suite.token("ORG_ADMIN", "DISCIPLINE_OFFICER", sub=world.admin_sub))):
            response = world.post(path, {"proposal_id": world.ruling_proposal_id(application_id)},
                                  headers=headers)
            assert (response.status_code, error_code(response)) == (409, "FOUR_EYES"), response.text
        answer = world.application(application_id)
        assert (answer["status"], answer["ruling"]) == ("UNDER_REVIEW", None), answer
        response = world.post(path, {"proposal_id": world.ruling_proposal_id(application_id)},
                              headers=world.second_admin)
        assert response.status_code == 200, response.text
        assert world.application(application_id)["status"] == "RULED"


class TestTalentRoster:
    @pytest.mark.parametrize("path", ["/cadres", "/talent/young-cadres"])
    def test_a_unit_admin_lists_their_own_unit_by_naming_it(self, world, path):
        unit_admin = world.role_headers("UNIT_ADMIN")
        response = world.get(path, headers=unit_admin)  # the whole roster: not theirs to read
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
        assert world.young  # a young cadre in each unit
        response = world.get(path, headers=unit_admin, unit_id=world.unit_a)
        assert response.status_code == 200, response.text
        assert {c["unit_id"] for c in response.json()} == {world.unit_a}, response.text
        # the organisation department reads every unit without naming one
        response = world.get(path, limit=1000) if path == "/cadres" else world.get(path)
        assert response.status_code == 200, response.text
        assert {world.unit_a, world.unit_b} <= {c["unit_id"] for c in response.json()}, response.text

    def test_an_update_cannot_move_a_cadre_to_another_unit(self, world):
        """A move is a posting, the department's (L-6): not a roster fact a unit administrator
        changes."""
        cadre_id = world.register_cadre(world.unit_a)
        for headers in (world.admin, world.role_headers("UNIT_ADMIN")):
            response = world.patch(f"/cadres/{cadre_id}", {"unit_id": world.unit_b}, headers=headers)
            assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT"), response.text
            assert list(response.json()["error"]["fields"]) == ["unit_id"], response.text
        answer = world.cadre(cadre_id)
        assert (answer["unit_id"], answer["revision"]) == (world.unit_a, 1), answer


class TestCare:
    def test_a_cadre_asks_for_their_own_talk_and_sees_their_own_leave(self, world):
        """K-1 SELF_REQUESTED: only the cadre asks, for themselves; K-3: a cadre reads their own leave,
        which their unit keeps."""
        assert world.care_cadres
        sub = new_id("sec-cadre")
        cadre = world.role_headers("CADRE", sub=sub)
        world.close_talks(world.self_id, "SELF_REQUESTED")
        notes = f"近期压力较大，希望谈谈 {new_id('notes')}"
        response = world.post("/care/talks/requests", {"cadre_id": world.self_id, "notes": notes},
                              headers=cadre)
        assert response.status_code == 201, response.text
        talk = response.json()
        assert (talk["cadre_id"], talk["unit_id"], talk["reason"], talk["status"], talk["opened_by"],
                talk["notes"]) == (world.self_id, world.unit_a, "SELF_REQUESTED", "OPEN", sub, notes), talk
        # asking again while it is open returns it (K-1: one open per cadre and reason)
        again = world.post("/care/talks/requests", {"cadre_id": world.self_id, "notes": "再次申请"},
                           headers=cadre)
        assert (again.status_code, again.json()["talk_id"]) == (201, talk["talk_id"]), again.text

        listed = world.get("/care/talks", headers=cadre, cadre_id=world.self_id)
        assert listed.status_code == 200, listed.text
        assert talk in listed.json() and {t["cadre_id"] for t in listed.json()} == {world.self_id}

        # for nobody else, and nobody else's talks
        other_notes = f"替他人申请 {new_id('notes')}"
        response = world.post("/care/talks/requests", {"cadre_id": world.other_id, "notes": other_notes},
                              headers=cadre)
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
        assert other_notes not in [t.get("notes") for t in world.talks_of(world.other_id)]
        for query in ({"cadre_id": world.other_id}, {"cadre_id": world.foreign_id}, {},
                      {"status": "OPEN"}):
            response = world.get("/care/talks", headers=cadre, **query)
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), (
                query, response.text)

        # leave: the unit records it, the cadre reads it (and records none themselves)
        year = world.next_year(world.self_id, "leave")
        response = world.post("/care/leave", {"cadre_id": world.self_id, "year": year, "days": 3,
                                              "starts_on": f"{year}-10-08"},
                              headers=world.role_headers("UNIT_ADMIN"))
        assert response.status_code == 200, response.text
        expected = {"cadre_id": world.self_id, "year": year, "entitlement": 10, "taken": 3,
                    "remaining": 7}
        assert world.leave(world.self_id, year, headers=cadre) == expected
        response = world.post("/care/leave", {"cadre_id": world.self_id, "year": year, "days": 1,
                                              "starts_on": f"{year}-10-20"}, headers=cadre)
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text
        assert world.leave(world.self_id, year) == expected
        for cadre_id in (world.other_id, world.foreign_id):
            response = world.get(f"/care/cadres/{cadre_id}/leave/{year}", headers=cadre)
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text

    def test_only_a_care_officer_reads_referrals_and_what_they_say(self, world):
        """K-4: whoever may refer, what a referral says and who wrote it are read by care officers
        only -- absent (not null) for everyone else, not even the organisation department."""
        assert world.care_cadres
        officer_sub, cadre_sub, admin_sub = new_id("sec-care"), new_id("sec-cadre"), new_id("sec-admin")
        by_officer = world.refer(world.self_id, headers=world.role_headers("CARE_OFFICER", sub=officer_sub))
        assert by_officer["notes"] and by_officer["referred_by"] == officer_sub, by_officer
        answers = {sub: world.refer(world.self_id, headers=world.role_headers(role, sub=sub))
                   for role, sub in (("CADRE", cadre_sub), ("ORG_ADMIN", admin_sub))}
        for answer in answers.values():
            assert answer["cadre_id"] == world.self_id and answer["referral_id"], answer
            assert "notes" not in answer and "referred_by" not in answer, answer

        # the care officer reads every one of them, with what it says and who wrote it
        read = {r["referral_id"]: r for r in world.referrals_of(world.self_id)}
        assert read[by_officer["referral_id"]] == by_officer
        for sub, answer in answers.items():
            found = read[answer["referral_id"]]
            assert found["referred_by"] == sub and found["notes"], found
            assert {k: v for k, v in found.items() if k not in ("notes", "referred_by")} == answer

        # nobody else lists them: not the department, not the unit, not the cadre themselves
        for role in ("ORG_ADMIN", "DISCIPLINE_OFFICER", "UNIT_ADMIN", "CADRE", "AUDITOR"):
            response = world.get(f"/care/cadres/{world.self_id}/referrals",
                                 headers=world.role_headers(role))
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), (
                role, response.text)
            assert "notes" not in response.text, response.text

    def test_a_cadre_that_does_not_exist(self, world):
        """A scoped user gets 403 whether or not the cadre exists; the officers get 404."""
        path = f"/care/cadres/{new_id('C')}/leave/{UNTOUCHED_YEAR}"
        for role in ("UNIT_ADMIN", "CADRE"):
            response = world.get(path, headers=world.role_headers(role))
            assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), (
                role, response.text)
        response = world.get(path)
        assert (response.status_code, error_code(response)) == (404, "CADRE_NOT_FOUND"), response.text

    def test_an_approval_is_paid_once_and_never_beyond_the_balance(self, world):
        """K-5 over HTTP: an approval sent again answers the same and is paid once; a grant larger than
        what is left is refused and leaves the fund as it was."""
        year = world.fund_year
        application_id = world.apply_hardship("own")
        before = world.fund(year)
        path = f"/care/hardship-applications/{application_id}/approval"
        first, second = (world.post(path, {"amount": GRANT}) for _ in range(2))
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        assert first.json() == second.json() and first.json()["amount"] == GRANT, first.text
        after = world.fund(year)
        assert Decimal(after["balance"]) == Decimal(before["balance"]) - Decimal(GRANT), after
        assert [line.get("application_id") for line in after["ledger"]].count(application_id) == 1, after

        too_much = world.apply_hardship("other")
        response = world.post(f"/care/hardship-applications/{too_much}/approval",
                              {"amount": str(Decimal(after["balance"]) + Decimal("0.01"))})
        assert (response.status_code, error_code(response)) == (409, "FUND_EXCEEDED"), response.text
        assert world.fund(year) == after
        [stored] = world.care_store("hardship_applications", {"_id": too_much})
        assert stored["status"] == "PENDING", stored


def test_a_unit_administrator_lists_their_own_unit_only(suite, world):
    response = world.get("/units", headers=bearer(suite.token("UNIT_ADMIN", unit_id=world.unit_a)))
    assert [u["unit_id"] for u in response.json()] == [world.unit_a]
    everyone = world.get("/units", headers=bearer(suite.token("CARE_OFFICER")), limit=1000)
    assert {world.unit_a, world.unit_b} <= {u["unit_id"] for u in everyone.json()}
