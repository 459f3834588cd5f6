"""DOMAIN.md "Labels (v2)": every code the suite speaks has a Chinese and an English label; the 17
inaction situations and the ten exemptable ones carry the policy's own sentence, in its order."""

import importlib
import re

import pytest
from marshmallow import Schema, fields, validate

from gateway.labels import LABELS
from services.accountability import rules as accountability
from services.common.labels import codes_of, family
from services.tolerance import rules as tolerance

SERVICES = ("appraisal", "accountability", "tolerance", "talent", "care")
CJK = re.compile(r"[\u4e00-\u9fff]")


def choices_of(field) -> set[str]:
    """The codes a field accepts (its OneOf), inside lists and nested schemas too."""
    found = set()
    for validator in field.validators if isinstance(field.validators, list) else []:
        if isinstance(validator, validate.OneOf):
            found |= {c for c in validator.choices if isinstance(c, str)}
    if isinstance(field, fields.List):
        found |= choices_of(field.inner)
    return found


def accepted_codes(module_name: str) -> dict[str, set[str]]:
    """Every code a service's request schemas and events accept, by where it is accepted."""
    module = importlib.import_module(module_name)
    found = {}
    for name, value in vars(module).items():
        if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == module_name:
            for field_name, field in value._declared_fields.items():
                codes = choices_of(field)
                if codes:
                    found[f"{name}.{field_name}"] = codes
    return found


@pytest.mark.parametrize("module", [f"services.{s}.{m}" for s in SERVICES for m in ("schemas", "events")])
def test_every_code_a_service_accepts_has_a_label(module):
    known = codes_of(LABELS)
    missing = {where: sorted(codes - known) for where, codes in accepted_codes(module).items()
               if codes - known}
    assert not missing, f"codes without a label: {missing}"


def test_every_label_is_in_both_languages():
    for name, entries in LABELS.items():
        for code, entry in entries.items():
            assert CJK.search(entry["zh"]), (name, code, entry)
            assert entry["en"].isascii() and entry["en"].strip(), (name, code, entry)


@pytest.mark.parametrize("name,codes,count", [
    ("inaction_situation", accountability.SITUATIONS, 17),
    ("exemptable_situation", tolerance.SITUATIONS, 10),
])
def test_the_situations_carry_the_policy_s_own_sentence_in_its_order(name, codes, count):
    entries = LABELS[name]
    assert list(entries) == list(codes) and len(codes) == count
    assert all(CJK.search(entry["text"]) and entry["text"].endswith(("的", "情形"))
               for entry in entries.values())


def test_each_exemptable_situation_s_sentence_holds_its_qualifying_condition():
    for code, condition in tolerance.SITUATION_CONDITIONS.items():
        assert condition in LABELS["exemptable_situation"][code]["text"], code


def test_a_code_without_a_label_or_a_label_without_a_code_stops_the_import():
    with pytest.raises(ValueError, match="missing \\['B'\\]"):
        family(("A", "B"), {"A": ("甲", "A")})
    with pytest.raises(ValueError, match="unknown \\['C'\\]"):
        family(("A",), {"A": ("甲", "A"), "C": ("丙", "C")})
    with pytest.raises(ValueError, match="each language"):
        family(("A",), {"A": ("", "A")})
