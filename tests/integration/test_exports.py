"""Downloads over HTTP: `?format=xlsx` and `?format=csv` on the lists officers keep in Excel, Chinese
headers and labels, against the running suite."""

import io

import pytest
import requests
from openpyxl import load_workbook

pytestmark = pytest.mark.integration

YEAR = 2019  # a fund year of this test's own


def test_the_fund_ledger_downloads_as_a_workbook_and_the_cases_as_csv(suite):
    care = suite.auth_headers("CARE_OFFICER")
    budget = suite.post("/care/fund/budget", {"year": YEAR, "amount": "120000.00"})  # the department
    assert budget.status_code == 200, budget.text

    workbook = suite.get(f"/care/fund/{YEAR}?format=xlsx", headers=care)
    assert workbook.status_code == 200, workbook.text
    assert workbook.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(workbook.content)).active.iter_rows()]
    assert rows[0][:5] == ["时间", "类别", "收支", "金额（元）", "余额（元）"]
    assert rows[-1][1:5] == ["年度预算", "收入", "120000.00", "120000.00"]

    cases = suite.get("/accountability/cases?limit=5&format=csv",
                      headers=suite.auth_headers("DISCIPLINE_OFFICER"))
    assert cases.status_code == 200 and cases.headers["Content-Type"].startswith("text/csv")
    assert cases.content.decode("utf-8").startswith("\ufeff案件编号,干部,单位,来源,情形,状态")

    other = suite.get(f"/care/fund/{YEAR}?format=pdf", headers=care)
    assert (other.status_code, list(other.json()["error"]["fields"])) == (400, ["format"])


def test_a_roster_comes_back_as_the_template_filled_in(suite):
    """The template, filled in Excel and uploaded as .xlsx: one bad row imports nothing and is named,
    its message in Chinese; mended, the file imports."""
    from openpyxl import Workbook

    from tests.integration.test_slice import new_id, register_unit
    template = suite.get("/roster/template?format=xlsx", headers={})
    assert template.status_code == 200
    headers = [c.value for c in next(load_workbook(io.BytesIO(template.content)).active.iter_rows())]
    assert headers[:3] == ["干部编号", "姓名", "单位编号"]

    unit_id = register_unit(suite)
    first, second = new_id("X"), new_id("X")

    def upload(level):
        book = Workbook()
        sheet = book.active
        sheet.append(headers)
        for cadre_id, lvl in ((first, "处级"), (second, level)):
            sheet.append([cadre_id, "李四", unit_id, lvl, "是", "否", "1980-01-02", 5, 12, "公务员",
                          "2022-03-01", "否"])
        out = io.BytesIO()
        book.save(out)
        return requests.post(f"{suite.url}/roster/imports", data=out.getvalue(), timeout=60, headers={
            **suite.auth_headers("ORG_ADMIN"),
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})

    refused = upload("部长")  # not a level
    report = refused.json()
    assert (refused.status_code, report["imported"]) == (200, 0), refused.text
    [error] = report["errors"]
    assert (error["row"], list(error["fields"])) == (3, ["level"])
    assert error["fields"]["level"][0].startswith("须为以下之一")
    assert suite.get(f"/cadres/{first}").status_code == 404  # nothing half-imported

    imported = upload("科级").json()
    assert (imported["imported"], imported["errors"]) == (2, [])
