"""Downloads (gateway/exports.py): an answer laid out with Chinese headers, codes by their Chinese
labels; the workbook opens with openpyxl and the CSV with Excel (UTF-8 with a byte-order mark)."""

import csv
import io

from openpyxl import load_workbook

from gateway.exports import EXPORTS, export_response

CASES = [{"case_id": "k1", "cadre_id": "C1", "unit_id": "U1", "source": "COMPLAINT",
          "situations": ["REFORM_2", "RULE_OF_LAW_2"], "status": "DECIDED", "outcome": None,
          "opened_at": "2026-03-01T02:00:00+00:00"}]


def test_an_xlsx_download_has_the_headers_and_the_rows_in_chinese():
    response = export_response(EXPORTS["list_cases"], [CASES], "xlsx", "list_cases")
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:5] == ["案件编号", "干部", "单位", "来源", "情形"]
    assert rows[1][:6] == ["k1", "C1", "U1", "信访举报",
                           "不主动谋划改革，改革工作长期滞后、急难险重任务面前拒不接受或临阵退缩", "已决定"]
    assert len(rows) == 2


def test_a_csv_download_opens_in_excel_and_reads_a_ledger_s_lines():
    fund = {"year": 2026, "ledger": [
        {"at": "2026-01-02T01:00:00+00:00", "kind": "BUDGET", "direction": "IN",
         "amount": "100000.00", "balance": "100000.00", "application_id": None, "cadre_id": None,
         "by": "admin"},
        {"at": "2026-02-03T01:00:00+00:00", "kind": "GRANT", "direction": "OUT", "amount": "5000.00",
         "balance": "95000.00", "application_id": "a1", "cadre_id": "C1", "by": "care"}]}
    response = export_response(EXPORTS["fund_ledger"], [fund], "csv", "fund_ledger")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff时间,类别,收支,金额（元）")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [row[1:3] for row in rows[1:]] == [["年度预算", "收入"], ["困难帮扶金", "支出"]]
    assert rows[2][3:5] == ["5000.00", "95000.00"]


def test_a_download_of_a_list_s_pages_has_every_page_s_rows_in_order():
    pages = ([{**CASES[0], "case_id": f"k{page}-{row}"} for row in range(3)] for page in range(4))
    response = export_response(EXPORTS["list_cases"], pages, "csv", "list_cases")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == [f"k{page}-{row}" for page in range(4) for row in range(3)]
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_an_uploaded_workbook_reads_as_the_csv_the_import_takes():
    from datetime import datetime

    import pytest
    from openpyxl import Workbook

    from gateway.exports import roster_csv
    from services.common.errors import InvalidInput
    book = Workbook()
    sheet = book.active
    sheet.append(["干部编号", "出生日期", "工作年限", "是否领导干部", "姓名"])
    sheet.append(["C1", datetime(1980, 1, 2), 12.0, True, None])
    sheet.append([None, None, None, None, None])  # an empty row at the end of a sheet
    out = io.BytesIO()
    book.save(out)
    assert list(csv.reader(io.StringIO(roster_csv(out.getvalue())))) == [
        ["干部编号", "出生日期", "工作年限", "是否领导干部", "姓名"],
        ["C1", "1980-01-02", "12", "true", ""]]
    with pytest.raises(InvalidInput) as refused:
        roster_csv(b"not a workbook")
    assert refused.value.code == "XLSX_MALFORMED"


def test_a_download_waits_for_each_page_as_long_as_export_timeout_says():
    """A list's first page may rank the whole roster: each page of a download may take EXPORT_TIMEOUT
    seconds where any other call gets RPC_TIMEOUT."""
    from nameko.testing.services import worker_factory

    from gateway.routes import ROUTES
    from gateway.service import GatewayService

    gateway = worker_factory(GatewayService)
    gateway.config = {"RPC_TIMEOUT": "1", "EXPORT_TIMEOUT": "90"}
    gateway.reads.serves.return_value = True
    gateway.reads.call.side_effect = [{"items": [1], "next_cursor": "c"},
                                      {"items": [2], "next_cursor": None}]
    route = next(r for r in ROUTES if r.name == "untaken_leave_report")

    assert list(gateway.every_page(route, {"year": "2025"})) == [[1], [2]]
    assert [call.args[3] for call in gateway.reads.call.call_args_list] == [90.0, 90.0]
    assert gateway.reads.call.call_args_list[1].args[2]["cursor"] == "c"
