"""Downloads over HTTP: `?format=xlsx` and `?format=csv` on the lists officers keep in Excel, Chinese
headers and labels, against the running suite."""

import io

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.integration

YEAR = 2019  # a fund year of this test's own


def test_the_fund_ledger_downloads_as_a_workbook_and_the_cases_as_csv(suite):
    care = suite.auth_headers("CARE_OFFICER")
    budget = suite.post("/care/fund/budget", {"year": YEAR, "amount": "120000.00"}, headers=care)
    assert budget.status_code == 200, budget.text

    workbook = suite.get(f"/care/fund/{YEAR}?format=xlsx", headers=care)
    assert workbook.status_code == 200, workbook.text
    assert workbook.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(workbook.content)).active.iter_rows()]
    assert rows[0][:4] == ["时间", "类别", "金额（元）", "余额（元）"]
    assert rows[-1][1:4] == ["年度预算", "120000.00", "120000.00"]

    cases = suite.get("/accountability/cases?limit=5&format=csv",
                      headers=suite.auth_headers("DISCIPLINE_OFFICER"))
    assert cases.status_code == 200 and cases.headers["Content-Type"].startswith("text/csv")
    assert cases.content.decode("utf-8").startswith("\ufeff案件编号,干部,单位,来源,情形,状态")

    other = suite.get(f"/care/fund/{YEAR}?format=pdf", headers=care)
    assert (other.status_code, list(other.json()["error"]["fields"])) == (400, ["format"])
