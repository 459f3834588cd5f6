"""Downloads for officers: a list the API answers in JSON, as an Excel workbook (.xlsx, openpyxl) or a CSV
file, with Chinese column headers and every code read out by its Chinese label (``/labels``).

A route listed in ``EXPORTS`` takes ``?format=xlsx`` or ``?format=csv``; the gateway asks the service as
for JSON, then lays the answer out as the route's table says.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from werkzeug.wrappers import Response

from gateway.labels import LABELS
from services.common.errors import InvalidInput
from services.common.labels import label
from services.talent.schemas import ROSTER_COLUMNS  # the roster import's own column names

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
FORMATS = {"xlsx": XLSX, "csv": CSV}


@dataclass(frozen=True)
class Column:
    field: str
    header: str                # Chinese, as officers' sheets head it
    family: str | None = None  # a code read out by its label in /labels
    render: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[Any], Iterable[dict]] = lambda answer: answer  # a list answer, or its part


def cell(column: Column, row: dict) -> Any:
    value = row.get(column.field)
    if column.render is not None:
        return column.render(value)
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(label(LABELS, column.family, v) if column.family else str(v) for v in value)
    if column.family is not None:
        return label(LABELS, column.family, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def names(cadres) -> str:
    return "、".join(c.get("name") or c.get("cadre_id") for c in cadres or ())


EXPORTS: dict[str, Table] = {
    "demotion_report": Table("领导干部“下”的情况", (
        Column("year", "年度"), Column("unit_id", "单位"),
        Column("handling", "类型", render=lambda h: label(LABELS, "sanction", h)
               if h in LABELS["sanction"] else label(LABELS, "demotion_handling", h)),
        Column("count", "人数"), Column("cadres", "干部", render=names))),
    "year_quotas": Table("年度考核优秀等次名额", (
        Column("year", "年度"), Column("unit_id", "单位"), Column("participants", "参加考核人数"),
        Column("max", "优秀名额"), Column("used", "已定优秀"), Column("remaining", "剩余名额"),
        Column("pools", "分类名额", render=lambda pools: "；".join(
            f"{label(LABELS, 'quota_pool', p['pool'])} {p['used']}/{p['max']}" for p in pools or ())),
        Column("group", "合并计算", render=lambda g: g["name"] if g else ""))),
    "list_cases": Table("问责案件", (
        Column("case_id", "案件编号"), Column("cadre_id", "干部"), Column("unit_id", "单位"),
        Column("source", "来源", "case_source"), Column("situations", "情形", "inaction_situation"),
        Column("status", "状态", "case_state"), Column("outcome", "结果", "case_outcome"),
        Column("opened_at", "立案时间"))),
    "open_complaints": Table("信访举报", (
        Column("complaint_id", "编号"), Column("cadre_id", "干部"), Column("status", "状态",
                                                                       "complaint_status"),
        Column("expedited", "快查快结"), Column("filed_at", "受理时间"), Column("due_at", "办结期限"),
        Column("overdue", "已逾期"))),
    "list_talks": Table("谈心谈话", (
        Column("talk_id", "编号"), Column("cadre_id", "干部"), Column("reason", "事由", "talk_reason"),
        Column("status", "状态", "talk_status"), Column("assignee", "谈话人"),
        Column("opened_at", "发起时间"), Column("due_at", "应谈日期"))),
    "rotation_list": Table("干部交流轮岗名单", (
        Column("unit_id", "单位"), Column("cadre_id", "干部"), Column("name", "姓名"),
        Column("level", "职级", "level"), Column("post_since", "任现职时间"),
        Column("years_in_post", "任职年限"), Column("rotation", "交流要求", "rotation"),
        Column("priority_exchange", "优先考虑交流"))),
    "untaken_leave_report": Table("未休带薪年休假", (
        Column("unit_id", "单位"), Column("cadre_id", "干部"), Column("is_leader", "领导干部"),
        Column("entitlement", "应休天数"), Column("taken", "已休天数"), Column("remaining", "未休天数"))),
    "fund_ledger": Table("关心关爱干部专项资金台账", (
        Column("at", "时间"), Column("kind", "类别", "ledger_entry"),
        Column("direction", "收支", "ledger_direction"), Column("amount", "金额（元）"),
        Column("balance", "余额（元）"), Column("cadre_id", "干部"), Column("application_id", "申请编号"),
        Column("by", "经办人")), rows=lambda fund: fund["ledger"]),
}


def export_response(table: Table, answers: Iterable[Any], fmt: str, filename: str) -> Response:
    """The answers (a list's pages, one after another, or one answer) laid out as the table says.
    Rows go to a spooled file as each page arrives, so a list of any length is held one page at a
    time."""
    rows = ([cell(column, row) for column in table.columns]
            for answer in answers for row in table.rows(answer))
    return _sheet_response(table.title, [column.header for column in table.columns], rows, fmt,
                           filename)


def _quoted(text: str) -> str:
    return quote(text, safe="")


# the roster: a template to fill in, and an uploaded workbook read as the CSV the import takes

def roster_template(fmt: str) -> Response:
    """The roster's columns as officers' sheets head them, and one example row."""
    headers = list(ROSTER_COLUMNS)
    example = ["C0001", "张三", "JA", "处级", "是", "否", "1980-01-02", 5, 12, "公务员",
               "2022-03-01", "否"]
    return _sheet_response("干部名册模板", headers, [example], fmt, "roster-template")


def roster_csv(data: bytes) -> str:
    """An uploaded .xlsx roster (its first sheet) as CSV text: days as YYYY-MM-DD, whole numbers
    without a decimal point, empty cells empty."""


    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except (BadZipFile, InvalidFileException, KeyError, IndexError, ValueError, OSError):
        raise InvalidInput("the file is not an Excel workbook (.xlsx) that can be read",
                           code="XLSX_MALFORMED") from None
    out = io.StringIO()
    writer = csv.writer(out)
    for row in sheet.iter_rows(values_only=True):
        if row and any(value not in (None, "") for value in row):
            writer.writerow([_text(value) for value in row])
    return out.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


SPOOL_IN_MEMORY_BYTES = 1024 * 1024  # a larger file goes to disk as it is written
CHUNK_BYTES = 64 * 1024


def _sheet_response(title: str, headers: list, rows: Iterable[list], fmt: str,
                    filename: str) -> Response:
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)
    try:
        _write_sheet(spool, title, headers, rows, fmt)
    except BaseException:
        spool.close()  # a page that failed to come: nothing half-written is sent
        raise
    size = spool.tell()
    spool.seek(0)

    def chunks():
        with spool:
            yield from iter(lambda: spool.read(CHUNK_BYTES), b"")

    response = Response(chunks(), content_type=FORMATS[fmt])
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = (
        f"attachment; filename={filename}.{fmt}; filename*=UTF-8''{_quoted(title)}.{fmt}")
    response.headers["Cache-Control"] = "no-store"
    return response


def _write_sheet(spool, title: str, headers: list, rows: Iterable[list], fmt: str) -> None:
    if fmt == "csv":
        # a byte-order mark: Excel then reads the Chinese as UTF-8
        text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(headers)
        writer.writerows(rows)
        text.flush()
        text.detach()
    else:
        workbook = Workbook(write_only=True)  # rows go to a temporary file, not a tree in memory
        sheet = workbook.create_sheet(title[:31])
        sheet.append(headers)
        try:
            for row in rows:
                sheet.append([value if isinstance(value, int | float | str) else str(value)
                              for value in row])
        except BaseException:
            sheet.close()  # its temporary file, not left for the collector
            raise
        workbook.save(spool)
