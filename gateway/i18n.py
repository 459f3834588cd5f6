"""Refusals in the caller's language (DOMAIN.md "Labels (v2)": refusals read in Chinese to a Chinese-speaking
caller). Codes, rule ids, fields and details stay as the services gave them; only ``message`` and the field
messages are read out in the language the caller's ``Accept-Language`` prefers, or ``DEFAULT_LANGUAGE``
(``zh-CN`` for this department) when it names none we have.

The messages are a gettext catalogue (``locale/zh_CN/LC_MESSAGES/messages.po``, read with Babel): a
refusal by its code (context ``code``), the same with figures from its details where it carries them
(``code-details``: used only when every figure is there), and field messages (``field``: braces match
the English message's values). English is the services' own wording.
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from gateway.labels import LABELS
from services.common.labels import label

CHINESE, ENGLISH = "zh-CN", "en"
LANGUAGES = (CHINESE, ENGLISH)
DEFAULT_LANGUAGE = CHINESE
CATALOGUE_PATH = Path(__file__).parent / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"


@cache
def catalogue():
    with CATALOGUE_PATH.open("rb") as po:
        return read_po(po, locale="zh_CN")


def language_of(request, default: str = DEFAULT_LANGUAGE) -> str:
    """The language to answer in: the caller's best match among ours (``zh``, ``zh-TW`` … read as
    Chinese), else the default."""
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best is None:
        return default if default in LANGUAGES else DEFAULT_LANGUAGE
    return CHINESE if best.lower().startswith("zh") else ENGLISH


def localised(error: dict[str, Any], language: str) -> dict[str, Any]:
    """An error body's ``error`` with its message (and field messages) in ``language``."""
    if language != CHINESE:
        return error
    translated = dict(error)
    translated["message"] = code_message(error.get("code", ""), error.get("details") or {}) \
        or error.get("message", "")
    if error.get("fields"):
        translated["fields"] = _fields(error["fields"])
    return translated


def localised_fields(fields: Any, language: str) -> Any:
    """Field messages (an import's row errors, say) in ``language``."""
    return _fields(fields) if language == CHINESE else fields


def code_message(code: str, details: dict[str, Any]) -> str | None:
    """The Chinese message of a code, with its figures when the details hold every one of them."""
    detailed = _string("code-details", code)
    if detailed:
        try:
            return _Figures().format(detailed, **details)
        except (KeyError, IndexError, TypeError, ValueError):
            pass  # a figure missing: the plain message below
    return _string("code", code)


def field_message(message: str) -> str:
    for pattern, template in _field_patterns():
        found = pattern.fullmatch(message)
        if found:
            return template.format(**found.groupdict())
    return message


def _fields(fields: Any) -> Any:
    """Field errors as marshmallow nests them: lists of messages, dicts by field or row."""
    if isinstance(fields, str):
        return field_message(fields)
    if isinstance(fields, list):
        return [_fields(item) for item in fields]
    if isinstance(fields, dict):
        return {key: _fields(value) for key, value in fields.items()}
    return fields


def _string(context: str, msgid: str) -> str | None:
    message = catalogue().get(msgid, context=context)
    return message.string if message is not None and message.string else None


@cache
def _field_patterns() -> list[tuple[re.Pattern, str]]:
    """Each field msgid as a pattern: its braces capture the English message's values."""
    patterns = []
    for message in catalogue():
        if message.context != "field" or not message.string:
            continue
        parts = re.split(r"\{(\w+)\}", message.id)
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                        for i, part in enumerate(parts))
        patterns.append((re.compile(regex, re.DOTALL), message.string))
    return patterns


class _Figures(string.Formatter):
    """``{pool:quota_pool}``: the code's Chinese label from that family of /labels; ``{x:count}``
    and ``{x:names}``: how many, and who (a list of {cadre_id, name}); ``{x:until}``: the latest
    ``until`` of a list of restrictions, as a day."""

    def format_field(self, value, spec):
        if spec == "count":
            return str(len(value))
        if spec == "names":
            return "、".join(item.get("name") or item.get("cadre_id") for item in value)
        if spec == "until":
            return max(str(item["until"]) for item in value)[:10]
        if spec in LABELS:
            return label(LABELS, spec, value)
        return super().format_field(value, spec)
