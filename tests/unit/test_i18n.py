"""Refusals in the caller's language (gateway/i18n.py): every code the suite can refuse with has its
Chinese message in the catalogue; figures go in where the details carry them; field messages too; the
language is the caller's best match, else the configured default."""

import re
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.i18n import code_message, field_message, language_of, localised
from services.appraisal import rules as appraisal
from services.common.errors import RuleViolation

ROOT = Path(__file__).resolve().parents[2]
# how the source names an error code: code="X" (a raise), code = "X" (an error class),
# error_body("X"), and the gateway's routing errors {404: "X", ...}
CODE = re.compile(r'(?:code=|code = |error_body\(|\b\d{3}: |\.get\(exc\.code, )"([A-Z][A-Z0-9_]{2,})"')
CJK = re.compile(r"[\u4e00-\u9fff]")


def refusal_codes() -> set[str]:
    """Every error code written in the services and the gateway (unknown_copy names its kind:
    <KIND>_NOT_FOUND)."""
    found = {"UNIT_NOT_FOUND", "CADRE_NOT_FOUND"}
    for path in [*ROOT.glob("services/**/*.py"), *ROOT.glob("gateway/*.py")]:
        found |= set(CODE.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_source_s_refusals_are_found():
    found = refusal_codes()
    assert {"EXCELLENT_QUOTA_EXCEEDED", "CASE_ON_HOLD", "CYCLE_NOT_FOUND", "TOKEN_EXPIRED",
            "NO_SUCH_ENDPOINT", "INTERNAL_ERROR", "OUTSIDE_SANCTION_EXISTS"} <= found


@pytest.mark.parametrize("code", sorted(refusal_codes()))
def test_every_refusal_has_its_chinese_message(code):
    message = code_message(code, {})
    assert message and CJK.search(message), f"add msgctxt \"code\" msgid \"{code}\" to messages.po"


def test_the_quota_refusal_reads_its_figures_and_its_pool_in_chinese():
    refusal = appraisal._over_quota("full", appraisal.quota(
        12, appraisal.pool_ratio("STREET_CIVIL_SERVANT"), 2, "STREET_CIVIL_SERVANT"))
    assert isinstance(refusal, RuleViolation)
    body = localised(refusal.to_dict(), "zh-CN")
    assert body["message"] == ("优秀等次超出比例：街道（乡镇）公务员（20%）已有 2 个，最多 2 个"
                               "（12 名参加考核人员 × 0.20）（规则 A-1）")
    assert (body["code"], body["rule"], body["details"]) == (
        refusal.code, "A-1", refusal.details)  # unchanged


def test_a_figure_missing_falls_back_to_the_plain_message():
    assert code_message("EXCELLENT_QUOTA_EXCEEDED", {"used": 1}) == "优秀等次超出比例（规则 A-1）"


@pytest.mark.parametrize("english,chinese", [
    ("Missing data for required field.", "必填。"),
    ("Must be one of: EXCELLENT, COMPETENT.", "须为以下之一：EXCELLENT, COMPETENT。"),
    ("Length must be between 1 and 4.", "长度须在 1 到 4 之间。"),
    ("Something we never wrote.", "Something we never wrote."),  # kept rather than lost
])
def test_field_messages(english, chinese):
    assert field_message(english) == chinese


def test_english_is_the_services_own_wording():
    error = {"code": "CYCLE_FINALIZED", "message": "cycle c1 is FINALIZED", "fields": {"a": ["x"]}}
    assert localised(error, "en") == error


@pytest.mark.parametrize("header,default,language", [
    (None, "zh-CN", "zh-CN"),
    (None, "en", "en"),
    ("en-US,en;q=0.9", "zh-CN", "en"),
    ("zh-TW", "en", "zh-CN"),
    ("fr-FR, en;q=0.5, zh;q=0.8", "en", "zh-CN"),
    ("fr-FR", "zh-CN", "zh-CN"),
])
def test_the_caller_s_language_or_the_default(header, default, language):
    headers = {"Accept-Language": header} if header else {}
    request = Request(EnvironBuilder(headers=headers).get_environ())
    assert language_of(request, default) == language
