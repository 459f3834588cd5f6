"""The vertical slice through everything: HTTP -> talent -> (event) -> appraisal -> (event) -> talent,
each service a separate process on the real RabbitMQ and store."""

import re
import uuid

import pytest
from marshmallow import fields

from services.common.clock import utcnow
from services.common.messaging import deadletter
from services.common.messaging.events import EventSchema, build_envelope
from tests.helpers import wait_for

pytestmark = pytest.mark.integration

RESULT_QUEUE = "evt-appraisal-result_finalized--talent.on_result_finalized"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class ResultFinalized(EventSchema):
    """What appraisal publishes, as a test producer for talent's consumer."""

    event_type = "appraisal.result_finalized"
    cycle_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    kind = fields.String()
    cadre_id = fields.String()
    grade = fields.String()
    finalized_at = fields.AwareDateTime()


def new_id(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def register_unit(suite, unit_type="DISTRICT"):
    unit_id = new_id("U")
    response = suite.post("/units", {"unit_id": unit_id, "name": "江岸区", "unit_type": unit_type})
    assert response.status_code == 201, response.text
    return unit_id


def register_cadre(suite, unit_id, cadre_id=None, **extra):
    cadre_id = cadre_id or new_id("C")
    response = suite.post("/cadres", {
        "cadre_id": cadre_id, "name": "张三", "unit_id": unit_id, "level": "DIVISION",
        "is_leader": True, "is_principal": False, "birth_date": "1980-01-02",
        "grassroots_years": 5, "service_years": 12, **extra})
    assert response.status_code == 201, response.text
    return cadre_id


def open_cycle(suite, unit_id, year=2025, kind="ANNUAL"):
    """Opens once appraisal has the unit from talent's event (eventual consistency)."""
    def attempt():
        response = suite.post("/appraisal/cycles", {"unit_id": unit_id, "year": year, "kind": kind})
        if response.status_code == 404 and response.json()["error"]["code"] == "UNIT_NOT_FOUND":
            return None
        assert response.status_code == 201, response.text
        return response.json()["cycle_id"]

    return wait_for(attempt, timeout=15, interval=0.2, what=f"appraisal to learn unit {unit_id}")


def record_grade(suite, cycle_id, cadre_id, grade):
    def attempt():
        response = suite.post(f"/appraisal/cycles/{cycle_id}/grades",
                              {"cadre_id": cadre_id, "grade": grade})
        if response.status_code == 404 and response.json()["error"]["code"] == "CADRE_NOT_FOUND":
            return None
        assert response.status_code == 200, response.text
        return response.json()

    return wait_for(attempt, timeout=15, interval=0.2, what=f"appraisal to learn cadre {cadre_id}")


def eligibility(suite, cadre_id):
    response = suite.get(f"/cadres/{cadre_id}/eligibility")
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_priority(suite, cadre_id, timeout=20):
    return wait_for(lambda: (e := eligibility(suite, cadre_id))["selection_priority"] and e,
                    timeout=timeout, interval=0.2, what=f"A-5 priority for {cadre_id}")


def result_event(cadre_id, grade="EXCELLENT"):
    return build_envelope(ResultFinalized, {
        "cycle_id": new_id("cy"), "unit_id": "U", "year": 2025, "kind": "ANNUAL",
        "cadre_id": cadre_id, "grade": grade, "finalized_at": utcnow()},
        producer="appraisal")


def test_excellent_result_through_the_gateway_gives_priority_in_talent(suite):
    unit_id = register_unit(suite)
    cadre_id = register_cadre(suite, unit_id)
    other_id = register_cadre(suite, unit_id)
    # seven participants: floor(7 × 0.15) = one EXCELLENT
    rest = [register_cadre(suite, unit_id) for _ in range(5)]
    assert eligibility(suite, cadre_id)["reasons"] == []

    # the cycle lists its participants from the roster appraisal knows when it opens
    wait_for(lambda: suite.get(f"/appraisal/units/{unit_id}/quotas/2025").json().get("max") == 1,
             what="appraisal to know all seven cadres")
    cycle_id = open_cycle(suite, unit_id)
    assert len(suite.get(f"/appraisal/cycles/{cycle_id}").json()["participants"]) == 7
    record_grade(suite, cycle_id, cadre_id, "EXCELLENT")
    refused = suite.post(f"/appraisal/cycles/{cycle_id}/grades",
                         {"cadre_id": other_id, "grade": "EXCELLENT"})
    assert (refused.status_code, refused.json()["error"]["rule"]) == (409, "A-1")
    record_grade(suite, cycle_id, other_id, "COMPETENT")
    refused = suite.post(f"/appraisal/cycles/{cycle_id}/finalize")
    assert (refused.status_code, refused.json()["error"]["code"],
            len(refused.json()["error"]["details"]["ungraded"])) == (409, "PARTICIPANTS_UNGRADED", 5)
    for rest_id in rest:
        record_grade(suite, cycle_id, rest_id, "COMPETENT")
    response = suite.post(f"/appraisal/cycles/{cycle_id}/finalize")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "FINALIZED"

    answer = wait_for_priority(suite, cadre_id)
    assert answer["promotable"] is True
    assert answer["training_priority"] is True
    assert {(r["rule"], r["effect"]) for r in answer["reasons"]} == {
        ("A-5", "SELECTION_PRIORITY"), ("A-5", "TRAINING_PRIORITY")}
    assert all(UUID.match(r["source_event_id"]) for r in answer["reasons"])
    assert eligibility(suite, other_id)["reasons"] == []
    assert suite.get(f"/cadres/{cadre_id}").json()["unit_id"] == unit_id


def test_a_street_unit_s_two_pools_come_from_the_categories_talent_registers(suite):
    """A-1 (v2) across services: talent's roster carries each cadre's staff category; appraisal's
    annual cycle of a street unit counts its civil servants at 0.20 and the others at 0.15."""
    unit_id = register_unit(suite, unit_type="STREET_TOWNSHIP")
    civil = [register_cadre(suite, unit_id, staff_category="CIVIL_SERVANT") for _ in range(5)]
    staff = [register_cadre(suite, unit_id, staff_category="PUBLIC_INSTITUTION_STAFF")
             for _ in range(7)]

    def pools():
        sheet = suite.get(f"/appraisal/units/{unit_id}/quotas/2025").json()
        return sheet.get("participants") == 12 and sheet
    sheet = wait_for(pools, what="appraisal to know the twelve cadres")
    assert [(p["pool"], p["participants"], p["max"]) for p in sheet["pools"]] == [
        ("DEFAULT", 7, 1), ("STREET_CIVIL_SERVANT", 5, 1)]
    cycle_id = open_cycle(suite, unit_id)
    record_grade(suite, cycle_id, civil[0], "EXCELLENT")
    refused = suite.post(f"/appraisal/cycles/{cycle_id}/grades",
                         {"cadre_id": civil[1], "grade": "EXCELLENT"})
    assert (refused.json()["error"]["rule"], refused.json()["error"]["details"]["pool"]) == (
        "A-1", "STREET_CIVIL_SERVANT")
    record_grade(suite, cycle_id, staff[0], "EXCELLENT")  # the other pool has its own place


class TestBadInputOverHttp:
    def test_malformed_json(self, suite):
        response = suite.post("/units", raw='{"unit_id": "U1",')
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "MALFORMED_REQUEST"

    def test_a_body_that_is_not_an_object(self, suite):
        response = suite.post("/units", raw="[1, 2]")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "MALFORMED_REQUEST"

    def test_wrong_types_name_the_fields(self, suite):
        response = suite.post("/appraisal/cycles", {"unit_id": 7, "year": "2025", "kind": "X"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "INVALID_INPUT"
        assert set(response.json()["error"]["fields"]) == {"unit_id", "year", "kind"}

    def test_unknown_unit_and_cadre(self, suite):
        response = suite.post("/appraisal/cycles", {"unit_id": "NOPE", "year": 2025,
                                                    "kind": "ANNUAL"})
        assert (response.status_code, response.json()["error"]["code"]) == (404, "UNIT_NOT_FOUND")
        response = suite.post("/cadres", {
            "cadre_id": "C-x", "name": "x", "unit_id": "NOPE", "level": "STAFF",
            "is_leader": False, "is_principal": False, "birth_date": "1990-01-01",
            "grassroots_years": 0, "service_years": 1})
        assert (response.status_code, response.json()["error"]["code"]) == (404, "UNIT_NOT_FOUND")
        assert suite.get("/cadres/C-x").status_code == 404

    def test_second_cycle_grade_outside_enum_and_finalized_cycle(self, suite):
        unit_id = register_unit(suite)
        cadre_id = register_cadre(suite, unit_id)
        cycle_id = open_cycle(suite, unit_id, kind="SPECIAL")

        again = suite.post("/appraisal/cycles", {"unit_id": unit_id, "year": 2025,
                                                 "kind": "SPECIAL"})
        assert (again.status_code, again.json()["error"]["code"]) == (409, "CYCLE_EXISTS")

        bad = suite.post(f"/appraisal/cycles/{cycle_id}/grades",
                         {"cadre_id": cadre_id, "grade": "GREAT"})
        assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["grade"]

        record_grade(suite, cycle_id, cadre_id, "COMPETENT")
        assert suite.post(f"/appraisal/cycles/{cycle_id}/finalize").status_code == 200
        late = suite.post(f"/appraisal/cycles/{cycle_id}/grades",
                          {"cadre_id": cadre_id, "grade": "EXCELLENT"})
        assert (late.status_code, late.json()["error"]["code"]) == (409, "CYCLE_FINALIZED")
        cycle = suite.get(f"/appraisal/cycles/{cycle_id}").json()
        assert [r["grade"] for r in cycle["results"]] == ["COMPETENT"]

    def test_unknown_endpoint_and_method_answer_json(self, suite):
        assert suite.get("/nowhere").json()["error"]["code"] == "NO_SUCH_ENDPOINT"
        response = suite.get("/roster/imports")
        assert (response.status_code, response.json()["error"]["code"]) == (
            405, "METHOD_NOT_ALLOWED")


def test_the_same_event_delivered_twice_has_one_effect(suite):
    cadre_id = register_cadre(suite, register_unit(suite))
    event = result_event(cadre_id)

    suite.publish(event, source="appraisal")
    suite.publish(event, source="appraisal")

    wait_for_priority(suite, cadre_id)
    # the second delivery was handled, and ignored, only once talent says so
    wait_for(lambda: f"event {event['event_id']} was already applied" in suite.log("talent"),
             what="talent to see the duplicate")
    answer = eligibility(suite, cadre_id)
    assert len(answer["reasons"]) == 2  # one event: one selection + one training reason
    assert {r["source_event_id"] for r in answer["reasons"]} == {event["event_id"]}


def test_a_transiently_failing_handler_is_retried_and_applied(suite):
    # the result arrives before the cadre: talent's handler fails until the cadre is registered
    unit_id = register_unit(suite)
    cadre_id = new_id("C")
    suite.publish(result_event(cadre_id), source="appraisal")
    wait_for(lambda: f"retry after attempt 1: NotFound: CADRE_NOT_FOUND: cadre {cadre_id}"
             in suite.log("talent"), what="the first failed attempt to be parked for retry")

    register_cadre(suite, unit_id, cadre_id)

    assert wait_for_priority(suite, cadre_id)["training_priority"]


def test_a_permanently_failing_handler_dead_letters_and_nothing_is_lost(suite):
    cadre_id = new_id("C")
    event = result_event(cadre_id)
    suite.publish(event, source="appraisal")

    def dead_letter():
        letters = deadletter.list_dead_letters(suite.amqp_uri, "talent")
        return [d for d in letters if d.event_id == event["event_id"]]

    [letter] = wait_for(dead_letter, timeout=30, interval=0.3, what="the dead letter")
    assert letter.attempts == int(suite.env["EVENT_MAX_ATTEMPTS"])
    assert "CADRE_NOT_FOUND" in letter.error

    # the operator mends the cause and replays: the effect is applied
    register_cadre(suite, register_unit(suite), cadre_id)
    assert deadletter.replay(suite.broker_uris["talent"], "talent", {event["event_id"]}) == 1
    assert wait_for_priority(suite, cadre_id)["selection_priority"]
    assert dead_letter() == []


def test_talent_down_while_a_cycle_is_finalized_gets_it_when_back(suite):
    unit_id = register_unit(suite)
    cadre_id = register_cadre(suite, unit_id)
    cycle_id = open_cycle(suite, unit_id, year=2025, kind="SPECIAL")
    record_grade(suite, cycle_id, cadre_id, "EXCELLENT")

    suite.stop("talent")
    try:
        response = suite.post(f"/appraisal/cycles/{cycle_id}/finalize")
        assert response.status_code == 200, response.text
        wait_for(lambda: suite.ready_messages(RESULT_QUEUE) >= 1,
                 what="the result to wait in talent's queue")
        down = suite.get(f"/cadres/{cadre_id}/eligibility")
        assert (down.status_code, down.json()["error"]["code"]) == (503, "SERVICE_TIMEOUT")
        health = suite.get("/health")
        assert health.status_code == 503
        statuses = {name: item["status"] for name, item in health.json()["services"].items()}
        assert statuses == {"talent": "unreachable", "appraisal": "ok", "accountability": "ok",
                            "tolerance": "ok", "care": "ok"}
    finally:
        suite.start("talent")
    suite.wait_healthy()

    assert wait_for_priority(suite, cadre_id)["selection_priority"]


def test_three_years_without_merit_withhold_a_principals_priority_in_talent(suite):
    # A-3 across services: appraisal grades the unit, talent hears it and withholds the priority
    unit_id = register_unit(suite)
    principal_id = new_id("P")
    response = suite.post("/cadres", {
        "cadre_id": principal_id, "name": "区长", "unit_id": unit_id, "level": "BUREAU_PRINCIPAL",
        "is_leader": True, "is_principal": True, "birth_date": "1972-03-04",
        "grassroots_years": 10, "service_years": 25, "post_since": "2019-01-07"})  # own years
    assert response.status_code == 201, response.text
    cycle_id = open_cycle(suite, unit_id, year=2025, kind="SPECIAL")
    record_grade(suite, cycle_id, principal_id, "EXCELLENT")
    assert suite.post(f"/appraisal/cycles/{cycle_id}/finalize").status_code == 200
    wait_for_priority(suite, principal_id)

    for year, grade in ((2022, "PASS"), (2023, "FAIL"), (2024, "PASS")):
        graded = suite.post("/appraisal/unit-grades", {"unit_id": unit_id, "year": year, "grade": grade})
        assert graded.status_code == 201, graded.text

    def barred():
        answer = eligibility(suite, principal_id)
        return not answer["selection_priority"] and answer
    answer = wait_for(barred, timeout=20, interval=0.2, what="the A-3 bar in talent")
    [bar] = [r for r in answer["reasons"] if r["rule"] == "A-3"]
    assert bar["effect"] == "NO_PRIORITY_PROMOTION" and UUID.match(bar["source_event_id"])
    assert answer["training_priority"] is True  # A-5's training priority is untouched

    # a MERIT year lifts it, without anyone editing the cadre
    assert suite.post("/appraisal/unit-grades", {"unit_id": unit_id, "year": 2025,
                                                 "grade": "MERIT"}).status_code == 201
    wait_for_priority(suite, principal_id)


def test_a_principal_leaders_excellent_needs_the_units_merit(suite):
    # A-2, over HTTP: refused before the unit's MERIT, accepted after it
    unit_id = register_unit(suite)
    principal_id = new_id("P")
    assert suite.post("/cadres", {
        "cadre_id": principal_id, "name": "书记", "unit_id": unit_id, "level": "BUREAU_PRINCIPAL",
        "is_leader": True, "is_principal": True, "birth_date": "1970-01-01",
        "grassroots_years": 8, "service_years": 30}).status_code == 201
    cycle_id = open_cycle(suite, unit_id, year=2025)

    def attempt():
        response = suite.post(f"/appraisal/cycles/{cycle_id}/grades",
                              {"cadre_id": principal_id, "grade": "EXCELLENT"})
        # a list: a 4xx Response is falsy, and wait_for polls on falsy
        return None if response.json().get("error", {}).get("code") == "CADRE_NOT_FOUND" else [response]
    [refused] = wait_for(attempt, timeout=15, interval=0.2, what="appraisal to learn the cadre")
    assert refused.status_code == 409
    assert (refused.json()["error"]["rule"], refused.json()["error"]["details"]) == (
        "A-2", {"unit_grade": None, "unit_id": unit_id})

    assert suite.post("/appraisal/unit-grades", {"unit_id": unit_id, "year": 2025,
                                                 "grade": "MERIT"}).status_code == 201
    record_grade(suite, cycle_id, principal_id, "EXCELLENT")  # outside the quota, too


def test_an_amended_result_is_kept_in_history_and_republished_to_talent(suite):
    unit_id = register_unit(suite)
    cadre_id = register_cadre(suite, unit_id)
    cycle_id = open_cycle(suite, unit_id, year=2025, kind="SPECIAL")
    record_grade(suite, cycle_id, cadre_id, "EXCELLENT")
    path = f"/appraisal/cycles/{cycle_id}/amendments"
    early = suite.post(path, {"cadre_id": cadre_id, "grade": "COMPETENT", "reason": "复核"})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "CYCLE_NOT_FINALIZED")
    assert suite.post(f"/appraisal/cycles/{cycle_id}/finalize").status_code == 200
    wait_for_priority(suite, cadre_id)

    no_reason = suite.post(path, {"cadre_id": cadre_id, "grade": "COMPETENT", "reason": "  "})
    assert no_reason.status_code == 400 and list(no_reason.json()["error"]["fields"]) == ["reason"]
    amended = suite.post(path, {"cadre_id": cadre_id, "grade": "COMPETENT",
                                "reason": "复核发现材料不实"})
    assert amended.status_code == 200, amended.text

    # talent replaces what the EXCELLENT caused: the A-5 priority goes, over the real broker
    wait_for(lambda: eligibility(suite, cadre_id)["reasons"] == [], timeout=20, interval=0.2,
             what="talent to lift the A-5 priority")

    # the cadre reads their own result with the reasons; not someone else's
    own = suite.get(f"/appraisal/cadres/{cadre_id}/results",
                    headers=suite.auth_headers("CADRE", cadre_id=cadre_id))
    assert own.status_code == 200, own.text
    [result] = own.json()
    assert (result["grade"], result["cycle_id"]) == ("COMPETENT", cycle_id)
    [amendment] = result["amendments"]
    assert (amendment["from_grade"], amendment["to_grade"], amendment["reason"]) == (
        "EXCELLENT", "COMPETENT", "复核发现材料不实")
    other = suite.get(f"/appraisal/cadres/{cadre_id}/results",
                      headers=suite.auth_headers("CADRE", cadre_id=new_id("C")))
    assert other.status_code == 403


def test_commendations_are_awarded_with_the_deed_and_listed_by_year(suite):
    # 记功 / 嘉奖 with the deed; the year's list puts the typical examples first
    unit_id = register_unit(suite)
    first, second = register_cadre(suite, unit_id), register_cadre(suite, unit_id)

    def commend(cadre_id, **extra):
        body = {"cadre_id": cadre_id, "year": 2022, "kind": "COMMENDATION", "deed": "抗洪抢险",
                "deed_kind": "EMERGENCY_HANDLING", **extra}
        return suite.post("/appraisal/commendations", body)

    def once_known(cadre_id, **extra):
        # each registration reaches appraisal by its own event, so each is awaited on its own
        return wait_for(lambda: (r := commend(cadre_id, **extra)).status_code == 201 and r,
                        timeout=15, interval=0.2, what=f"appraisal to learn {cadre_id}")

    awarded = once_known(first)
    assert awarded.json()["unit_id"] == unit_id
    once_known(second, kind="MERIT_CITATION", typical_example=True)
    again = commend(first)  # a retried request: the same commendation, not a second one
    assert (again.status_code, again.json()["commendation_id"]) == (
        201, awarded.json()["commendation_id"])

    listed = [c for c in suite.get("/appraisal/commendations/2022").json()
              if c["unit_id"] == unit_id]
    assert [(c["cadre_id"], c["kind"]) for c in listed] == [
        (second, "MERIT_CITATION"), (first, "COMMENDATION")]
    assert listed[1]["commendation_id"] == awarded.json()["commendation_id"]
    as_cadre = suite.get("/appraisal/commendations/2022",
                         headers=suite.auth_headers("CADRE", cadre_id=first))
    assert as_cadre.status_code == 200

    assert commend(first, kind="MEDAL").status_code == 400
    assert commend(first, deed=" ").json()["error"]["fields"] == {"deed": [
        "请填写内容，不能只有空白。"]}  # read in DEFAULT_LANGUAGE
    assert commend(first, year=2999).status_code == 400  # outside the schema's years
    future = commend(first, year=utcnow().year + 1)
    assert (future.status_code, future.json()["error"]["code"]) == (409, "YEAR_IN_FUTURE")
    assert commend("C-nobody").json()["error"]["code"] == "CADRE_NOT_FOUND"


def test_the_labels_are_served_once_and_then_cached(suite):
    """DOMAIN.md "Labels (v2)" over HTTP: no token needed; the ETag lets a caller keep its copy."""
    response = suite.get("/labels", headers={})
    assert response.status_code == 200, response.text
    families = response.json()["families"]
    assert families["grade"]["EXCELLENT"] == {"zh": "优秀", "en": "Excellent"}
    assert families["sanction"]["ADMONISHMENT"]["zh"] == "诫勉"
    assert len(families["inaction_situation"]) == 17 and len(families["exemptable_situation"]) == 10
    assert families["inaction_situation"]["RULE_OF_LAW_2"]["text"].endswith("拒不接受任务或者临阵退缩的")
    etag = response.headers["ETag"]
    assert response.headers["Cache-Control"].startswith("public")
    again = suite.get("/labels", headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", etag)


def test_refusals_read_in_the_caller_s_language(suite):
    """Chinese by default (DEFAULT_LANGUAGE), English when asked; code, rule and fields unchanged."""
    unit_id = register_unit(suite)
    register_cadre(suite, unit_id)
    cycle_id = open_cycle(suite, unit_id, year=2024)
    admin = suite.auth_headers("ORG_ADMIN")
    bad = {"cadre_id": "NOBODY-1", "grade": "SUPERB"}

    chinese = suite.post(f"/appraisal/cycles/{cycle_id}/grades", bad, headers=admin)
    english = suite.post(f"/appraisal/cycles/{cycle_id}/grades", bad,
                         headers={**admin, "Accept-Language": "en-GB,en;q=0.9"})
    assert chinese.status_code == english.status_code == 400
    zh, en = chinese.json()["error"], english.json()["error"]
    assert zh["code"] == en["code"] == "INVALID_INPUT"
    assert zh["message"] == "提交的内容有误，请按提示修改"
    assert zh["fields"]["grade"][0].startswith("须为以下之一")
    assert en["fields"]["grade"][0].startswith("Must be one of")
    assert (chinese.headers["Content-Language"], english.headers["Content-Language"]) == ("zh-CN", "en")

    # a rule's refusal: one cadre, floor(1 × 0.15) = 0 places, with its figures
    cadre_id = register_cadre(suite, unit_id)
    wait_for(lambda: suite.get(f"/appraisal/units/{unit_id}/quotas/2025").json().get("participants") == 2,
             what="appraisal to know both cadres")
    cycle_id = open_cycle(suite, unit_id)
    refused = suite.post(f"/appraisal/cycles/{cycle_id}/grades", {"cadre_id": cadre_id,
                                                                 "grade": "EXCELLENT"}, headers=admin)
    error = refused.json()["error"]
    assert (refused.status_code, error["code"], error["rule"]) == (409, "EXCELLENT_QUOTA_EXCEEDED", "A-1")
    assert error["message"] == ("优秀等次超出比例：一般比例（15%）已有 0 个，最多 0 个"
                                "（2 名参加考核人员 × 0.15）（规则 A-1）")
    unknown = suite.get("/no/such/path", headers={"Accept-Language": "zh"})
    assert unknown.json()["error"] == {"code": "NO_SUCH_ENDPOINT", "message": "没有这个接口"}
