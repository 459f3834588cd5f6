"""The officer console, used as officers use it: in headless Chromium, signed in through the local
OpenID provider, against the real suite (conftest.py). Each test is one piece of an officer's work from
the issue that asked for the console; what it checks is what the person would see."""

from __future__ import annotations

import io
import json
import re
import time

import openpyxl
import pytest
import requests

from console.e2e.conftest import BRIEF_TOKEN_SECONDS
from tests.helpers import TEST_NOW

pytestmark = pytest.mark.integration

YEAR = TEST_NOW.year
MENUS = {
    "org1": {"工作台", "考核", "干部档案", "问责", "容错纠错", "狮子型干部与培养", "关心关爱", "报表"},
    "disc1": {"工作台", "干部档案", "问责", "容错纠错", "报表"},
    "care1": {"工作台", "干部档案", "关心关爱", "报表"},
    "unit1": {"工作台", "考核", "干部档案", "狮子型干部与培养", "关心关爱"},
    "cadre1": {"工作台", "干部档案"},
    "audit1": {"工作台", "审计"},
}


# polled in the page: functions, not expressions (the page's CSP forbids evaluating strings)
shows = "([selector, text]) => document.querySelector(selector)?.innerText === text"
allows = "([selector, allowed]) => document.querySelector(selector)?.dataset?.allowed === allowed"


def menu_of(page) -> set[str]:
    return {text.strip() for text in page.locator("aside .el-menu-item").all_inner_texts()}


@pytest.mark.parametrize("username", sorted(MENUS))
def test_each_role_signs_in_through_the_provider_and_sees_its_desk(officer, world, username):
    person = officer().sign_in(username)
    page = person.page
    assert page.locator("#desk-title").inner_text() == "工作台"
    who = page.locator("[data-test=who]").inner_text()
    assert world.users[username]["name"] in who
    assert menu_of(page) == MENUS[username]
    # no token in the browser's storage: it lives in the page's memory only
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
    assert "eyJ" not in stored, stored
    # the English switch, and back
    page.get_by_text("English", exact=True).click()
    page.wait_for_function("() => document.querySelector('#desk-title')?.innerText === 'Desk'")
    page.get_by_text("中文", exact=True).click()
    page.wait_for_function("() => document.querySelector('#desk-title')?.innerText === '工作台'")
    assert person.csp_violations() == [] and person.problems == []


def test_the_console_arrives_gzipped_and_works(officer):
    """The browser takes gzip, so the page, the script and the styles come compressed (the built
    script alone is most of a megabyte), and the console runs on them."""
    person = officer()
    encodings = {}
    person.page.on("response", lambda answer: "/console/" in answer.url and encodings.setdefault(
        answer.url.split("/console/", 1)[1].split("?")[0], answer.headers.get("content-encoding")))
    person.sign_in("org1")
    assert person.page.locator("#desk-title").inner_text() == "工作台"
    script = [name for name in encodings if name.startswith("assets/index-") and name.endswith(".js")]
    styles = [name for name in encodings if name.startswith("assets/index-") and name.endswith(".css")]
    assert script and styles, sorted(encodings)
    assert {encodings[name] for name in script + styles} == {"gzip"}, encodings
    assert encodings[""] == "gzip"  # the page
    assert person.problems == [] and person.csp_violations() == []


def test_a_console_page_needs_a_sign_in_and_comes_back_to_it(officer, world):
    person = officer().sign_in("org1", f"cadres/{world.cadres[1]}")
    assert world.cadres[1] in person.page.locator("[data-test=facts]").inner_text()


def test_an_appraisal_season_from_the_desk_to_finalize_with_a_quota_refusal(officer, world):
    person = officer().sign_in("org1")
    page = person.open("appraisal")
    page.fill("#field--appraisal-cycles-unit_id", world.unit)
    page.fill("#field--appraisal-cycles-year", str(YEAR))
    person.choose(page.locator("#field--appraisal-cycles-kind"), "年度考核")
    page.get_by_role("button", name="开启考核").click()
    page.wait_for_url(re.compile(r".*/console/appraisal/cycles/[^/]+$"))
    cycle_id = page.url.rsplit("/", 1)[1]

    # the desk lists the open cycle (the department's section follows within a second or two)
    page = person.open("")
    row = page.locator("[data-test=work-list] tr", has_text=cycle_id)
    for _ in range(20):
        if row.count():
            break
        page.wait_for_timeout(700)
        page = person.open("appraisal")
        page = person.open("")
        row = page.locator("[data-test=work-list] tr", has_text=cycle_id)
    row.get_by_role("link", name="打开").click()
    page.wait_for_selector("[data-test=grade-entry]")
    assert page.locator("[data-test=cycle-status]").inner_text() == "进行中"

    # every deputy and staff member EXCELLENT: more than the pool's quota, refused before submit
    for cadre in world.cadres[1:]:
        person.choose(page.locator(f"[data-test=grade-{cadre}]"), "优秀")
    refusal = page.locator("[data-test=quota-refusal]")
    refusal.first.wait_for()
    assert "A-1" in refusal.first.inner_text()
    assert page.locator("[data-test=save-grades]").is_disabled()

    # within the quota: one EXCELLENT, the others COMPETENT (the principal leader is not a participant)
    for cadre in world.cadres[2:]:
        person.choose(page.locator(f"[data-test=grade-{cadre}]"), "称职")
    assert refusal.count() == 0
    assert page.locator(f"[data-test=grade-{world.cadres[0]}]").count() == 0
    # the grades typed but not saved: the missing ones are named
    assert "尚有 7 人" in page.locator("[data-test=missing]").inner_text()
    assert person.axe() == []
    page.locator("[data-test=save-grades]").click()
    page.wait_for_selector("[data-test=missing]", state="detached")
    page.locator("[data-test=finalize]").click()
    page.wait_for_function(shows, arg=["[data-test=cycle-status]", "已确定"])
    results = world.ok(world.suite.get(f"/appraisal/cycles/{cycle_id}"))["results"]
    assert {r["cadre_id"]: r["grade"] for r in results} == {
        world.cadres[1]: "EXCELLENT", **{c: "COMPETENT" for c in world.cadres[2:]}}
    assert person.csp_violations() == [] and person.problems == []


def test_a_case_opened_verified_proposed_and_approved_by_two_officers(officer, world):
    first = officer().sign_in("disc1", "accountability?tab=open")
    page = first.page
    page.fill("#field--accountability-cases-cadre_id", world.cadres[1])
    first.choose(page.locator("#field--accountability-cases-source"), "督查检查")
    first.choose(page.locator("#field--accountability-cases-situations"), world.label("inaction_situation"),
                 multiple=True)
    page.fill("#field--accountability-cases-summary", "推诿扯皮，群众反映强烈")
    page.get_by_role("button", name="立案").click()
    page.wait_for_url(re.compile(r".*/accountability/cases/[^/]+$"))
    case_id = page.url.rsplit("/", 1)[1]
    status = page.locator("[data-test=case-status]")
    assert status.inner_text() == "已立案"

    page.get_by_role("button", name="开始调查").click()
    page.wait_for_function(shows, arg=["[data-test=case-status]", "调查中"])
    page.locator("textarea").first.fill("经核实，情况属实")
    page.get_by_role("button", name="核实").click()
    page.wait_for_function(shows, arg=["[data-test=case-status]", "已核实"])

    # the sanctions the rules allow are shown before anything is proposed
    first.choose(page.locator("#case-severity"), "情节较轻")
    page.get_by_role("button", name="查看可选处理方式").click()
    sets = page.locator("[data-test=sanction-set]")
    sets.first.wait_for()
    assert re.search(r"C-\d", sets.first.inner_text())
    sets.first.click()
    form = page.locator("[data-test=propose]")
    form.locator("textarea").first.fill("情节较轻，依规处理")
    if form.locator("input[role=spinbutton], .el-input-number input").count():
        form.locator("textarea").nth(1).fill("党内警告")
        form.locator(".el-input-number input").fill("6")
    form.get_by_role("button", name="提出处理意见").click()
    page.wait_for_selector("[data-test=approve]")
    assert first.axe() == []

    # the proposer may not approve their own proposal: refused, with the rule
    page.locator("[data-test=approve]").get_by_role("button", name="审批同意").click()
    refusal = page.locator("[data-test=approve] .refusal")
    refusal.wait_for()
    assert page.locator("[data-test=case-status]").inner_text() == "已核实"

    second = officer().sign_in("disc2", f"accountability/cases/{case_id}")
    second.page.locator("[data-test=approve]").get_by_role("button", name="审批同意").click()
    second.page.wait_for_function(shows, arg=["[data-test=case-status]", "已决定"])
    decision = second.page.locator("[data-test=decision]").inner_text()
    assert "disc1" in decision and "disc2" in decision
    assert first.csp_violations() == [] and second.csp_violations() == []


def test_an_assessment_whose_allowed_outcomes_change_with_a_condition(officer, world):
    application = world.ok(world.suite.post("/tolerance/applications", {
        "cadre_id": world.cadres[2], "situation": "REFORM_EXPLORATION",
        "facts": "试点改革中因政策不明确出现偏差"}, headers=world.headers("DISCIPLINE_OFFICER")))
    person = officer().sign_in("disc1", f"tolerance/applications/{application['application_id']}")
    page = person.page
    page.locator("[data-test=start-review]").click()
    page.wait_for_selector("[data-test=checklist]")
    assert "探索性失误" in page.locator("[data-test=situation-condition]").inner_text()

    def record(code: str, holds: bool):
        page.locator(f"[data-test={'holds' if holds else 'fails'}-{code}]").click()
        page.locator(f"[data-test=evidence-{code}]").fill("会议纪要及调查材料")
        page.locator(f"[data-test=record-{code}]").click()
        page.wait_for_load_state("networkidle")

    def allowed(outcome: str) -> str:
        return page.locator(f"[data-test=outcome-{outcome}]").get_attribute("data-allowed")

    for code in ("NO_PROHIBITION_VIOLATED", "DECISION_PROCEDURE_FOLLOWED", "DILIGENT", "NO_PRIVATE_GAIN",
                 "NO_MALICIOUS_COLLUSION", "PROACTIVE_RECTIFICATION", "SITUATION_CONDITION"):
        record(code, True)
    assert allowed("EXEMPTED") == "false"  # the loss is not recorded yet: nothing is allowed
    person.choose(page.locator("[data-test=loss-level]"), "未造成损失")
    page.locator("[data-test=loss-evidence]").fill("审计报告")
    page.locator("[data-test=record-loss]").click()
    page.wait_for_function(allows, arg=["[data-test=outcome-EXEMPTED]", "true"])
    assert allowed("MITIGATED") == "true"
    assert "T-3" in page.locator("[data-test=outcome-EXEMPTED]").inner_text()
    assert person.axe() == []

    # no proactive rectification: leniency (T-4) goes, exemption by T-3 stays
    record("PROACTIVE_RECTIFICATION", False)
    page.wait_for_function(allows, arg=["[data-test=outcome-MITIGATED]", "false"])
    assert allowed("EXEMPTED") == "true"
    # a red line crossed (T-2): only rejection
    record("NO_PRIVATE_GAIN", False)
    page.wait_for_function(allows, arg=["[data-test=outcome-REJECTED]", "true"])
    assert allowed("EXEMPTED") == "false"
    assert person.csp_violations() == [] and person.problems == []


def test_a_hardship_grant_approved_from_the_pending_list(officer, world):
    world.ok(world.suite.post("/care/fund/budget", {"year": YEAR, "amount": "50000.00"}))
    application = world.ok(world.suite.post("/care/hardship-applications", {
        "cadre_id": world.cadres[4], "reason": "MAJOR_ILLNESS", "facts": "家属患重病，治疗费用高"},
        headers=world.headers("CARE_OFFICER")))
    application_id = application["application_id"]
    person = officer().sign_in("care1", "care?tab=hardship")
    page = person.page
    page.locator(f"[data-test=decide-{application_id}]").click()
    dialog = page.locator(".el-dialog")
    dialog.locator("input").first.fill("3000.00")
    dialog.get_by_role("button", name="批准").click()
    page.wait_for_selector(f"[data-test=decide-{application_id}]", state="detached")
    granted = world.ok(world.suite.get(f"/care/hardship-applications/{application_id}"))
    assert (granted["status"], granted["amount"], granted["decided_by"]) == ("APPROVED", "3000.00", "care1")
    assert person.csp_violations() == [] and person.problems == []


def test_the_c6_report_exported_and_opened(officer, world, tmp_path):
    person = officer().sign_in("org1", "reports")
    page = person.page
    page.fill("#report-year", str(YEAR))
    with page.expect_download() as caught:
        page.locator("[data-test=download-demotions]").click()
    saved = tmp_path / "c6.xlsx"
    caught.value.save_as(saved)
    assert caught.value.suggested_filename.endswith(f"-{YEAR}.xlsx")
    book = openpyxl.load_workbook(saved, read_only=True)
    sheet = book.worksheets[0]
    header = [cell for cell in next(sheet.iter_rows(values_only=True)) if cell]
    assert {"年度", "单位", "类型", "人数"} <= set(header), header
    assert person.csp_violations() == [] and person.problems == []


def test_a_cadre_sees_their_own_profile_and_nothing_of_anyone_elses(officer, world):
    person = officer().sign_in("cadre1", "cadres")
    page = person.page
    page.wait_for_url(re.compile(rf".*/cadres/{world.cadres[3]}$"))
    assert world.cadres[3] in page.locator("[data-test=facts]").inner_text()
    assert menu_of(page) == MENUS["cadre1"]
    page = person.open(f"cadres/{world.other_cadre}")
    page.wait_for_selector(".refusal")
    assert page.locator("[data-test=facts]").count() == 0
    assert world.other_cadre not in page.locator("main").inner_text().replace(f"· {world.other_cadre}", "")


def roster_sheet(world, path, rows):
    """The department's own roster template, filled in as an officer fills it."""
    template = requests.get(world.suite.url + "/roster/template", timeout=30)
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_a_roster_imported_from_excel_with_its_progress_and_every_wrong_row_named(officer, world, tmp_path):
    unit = world.other_unit
    fresh = [f"{unit}-I{i}" for i in (1, 2)]
    rows = [[fresh[0], "导入甲", unit, "科级", "否", "否", "1990-05-06", 2, 8, "公务员", "2023-01-01", "否"],
            [fresh[1], "导入乙", "NO-SUCH-UNIT", "科级", "否", "否", "1991-05-06", 2, 8, "公务员", "", "否"]]
    person = officer().sign_in("org1")
    page = person.open("cadres")
    page.evaluate("() => { window.__progress = false; new MutationObserver(() => { if ("
                  "document.querySelector('[data-test=import-progress]')) window.__progress = true; })"
                  ".observe(document.body, { subtree: true, childList: true }); }")
    page.set_input_files("#roster-file", str(roster_sheet(world, tmp_path / "wrong.xlsx", rows)))
    page.get_by_role("button", name="开始导入").click()
    page.wait_for_selector("[data-test=import-errors]")
    assert "1 行有误，未导入任何记录" in page.locator("[data-test=import-report]").inner_text()
    [line] = page.locator("[data-test=import-errors] tbody tr").all_inner_texts()
    assert "3" in line and fresh[1] in line and "单位编号" in line, line
    assert world.suite.get(f"/cadres/{fresh[0]}").status_code == 404  # nothing half-written
    assert page.evaluate("() => window.__progress") is True

    rows[1][2] = unit
    page.set_input_files("#roster-file", str(roster_sheet(world, tmp_path / "right.xlsx", rows)))
    page.get_by_role("button", name="开始导入").click()
    page.wait_for_function(shows, arg=["[data-test=import-report] .el-alert__title",
                                       "共 2 行：新导入 2 人，已在册未变 0 人。"])
    assert all(world.suite.get(f"/cadres/{c}").json()["unit_id"] == unit for c in fresh)
    assert person.csp_violations() == [] and person.problems == []


def test_an_expired_sign_in_goes_back_to_the_provider_and_keeps_what_was_typed(officer, world):
    cadre = world.cadres[6]
    person = officer().sign_in("brief1", "talent")
    signed_in = time.monotonic()
    page = person.page
    page.fill("#nominate-cadre", cadre)
    for standard in STANDARDS:
        page.fill(f"#evidence-{standard}", f"{standard}：近三年实绩")
    # the token's life runs out while the officer writes (the provider's session stays)
    time.sleep(max(0.0, signed_in + BRIEF_TOKEN_SECONDS + 1 - time.monotonic()))
    page.get_by_role("button", name="推荐入库").click()
    page.wait_for_url(re.compile(r".*/console/callback.*"))
    page.wait_for_url(re.compile(r".*/console/talent$"))
    page.wait_for_selector("#nominate-cadre")
    # back on the page as it was left, signed in again without a password
    assert page.input_value("#nominate-cadre") == cadre
    assert page.input_value("#evidence-OUTSTANDING_RESULTS") == "OUTSTANDING_RESULTS：近三年实绩"
    page.get_by_role("button", name="推荐入库").click()
    page.wait_for_function(
        "(cadre) => [...document.querySelectorAll('[data-test=pool] tr')]"
        ".some((row) => row.innerText.includes(cadre))",
        arg=cadre)
    entry = world.suite.get(f"/talent/pool/{cadre}").json()
    assert (entry["status"], entry["evidence"]["OPEN_MINDED"]) == ("NOMINATED", "OPEN_MINDED：近三年实绩")
    assert person.csp_violations() == [] and person.problems == []


STANDARDS = ("LOYAL_AND_CLEAN", "OPEN_MINDED", "RESOURCEFUL_AND_CAPABLE", "TAKES_RESPONSIBILITY",
             "OUTSTANDING_RESULTS")


def test_a_profile_shows_postings_and_the_pool_to_those_who_may_see_them(officer, world):
    cadre = world.other_cadre
    world.ok(world.suite.post(f"/cadres/{cadre}/postings", {
        "unit_id": world.other_unit, "post": "二级调研员", "reason": "交流轮岗", "is_principal": False,
        "kind": "DEVELOPMENTAL", "direction": "LATERAL"}))
    world.ok(world.suite.post(f"/talent/pool/{cadre}/nomination",
                              {"evidence": {s: f"{s}的事迹" for s in STANDARDS}}))
    person = officer().sign_in("org1")
    page = person.open(f"cadres/{cadre}")
    page.get_by_role("tab", name="任职经历").click()
    postings = page.locator("[data-test=postings]").inner_text()
    assert "二级调研员" in postings and world.label("posting_kind", "DEVELOPMENTAL") in postings
    page.get_by_role("tab", name="“狮子型”干部库").click()
    page.wait_for_selector("[data-test=pool]")
    assert world.label("pool_status", "NOMINATED") in page.locator("[data-test=pool]").inner_text()
    assert "OUTSTANDING_RESULTS的事迹" in page.locator("#pane-pool").inner_text()
    # a cadre reads their own postings; who is in the reserve is not theirs to read (L-1)
    person = officer().sign_in("cadre1", "cadres")
    page = person.page
    page.get_by_role("tab", name="“狮子型”干部库").click()
    assert page.locator("#pane-pool").inner_text().strip() == "此部分不在您的查看范围内。"
    page.get_by_role("tab", name="任职经历").click()
    assert "暂无交流任职记录" in page.locator("[data-test=postings]").inner_text()
    assert person.csp_violations() == [] and person.problems == []


def test_a_service_that_is_down_shows_as_such_with_a_retry(officer, world, suite):
    person = officer().sign_in("care1")
    suite.stop("care")
    try:
        page = person.open("care")
        page.get_by_text("服务暂时不可用").first.wait_for()
        assert page.get_by_role("button", name="重试").count() >= 1
        page = person.open("")
        assert "关心关爱服务" in page.locator("main [role=alert]").first.inner_text()
    finally:
        suite.start("care")
        suite.wait_healthy()
    # back: the retry reads the desk again, whole
    page.locator("main [role=alert]").get_by_role("button", name="重试").click()
    page.wait_for_selector("main [role=alert]", state="detached")
    page = person.open("care")
    page.wait_for_selector("[data-test=pending-hardship]")
    assert page.get_by_text("服务暂时不可用").count() == 0
    assert person.csp_violations() == [] and person.problems == []


PAGES = {
    "org1": ["", "appraisal", "cadres", "accountability", "tolerance", "talent", "care", "reports"],
    "audit1": ["", "audit"],
    "cadre1": [""],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_no_serious_accessibility_violation_on_any_page(officer, world, username):
    person = officer().sign_in(username)
    paths = list(PAGES[username])
    if username == "org1":
        paths.append(f"cadres/{world.cadres[1]}")
    if username == "cadre1":
        paths.append(f"cadres/{world.cadres[3]}")
    found = {}
    for path in paths:
        page = person.open(path)
        page.wait_for_load_state("networkidle")
        violations = person.axe()
        if violations:
            found[path or "desk"] = violations
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
    assert person.csp_violations() == []
