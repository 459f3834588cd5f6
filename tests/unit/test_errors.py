"""Domain errors keep their class, code, rule id and field errors across nameko's RPC serialisation."""

import pytest
from nameko.exceptions import RemoteError, deserialize, serialize

from services.common.errors import Conflict, DomainError, InvalidInput, NotFound, RuleViolation


@pytest.mark.parametrize("cls", [DomainError, InvalidInput, NotFound, Conflict, RuleViolation])
def test_round_trip_keeps_class_and_fields(cls):
    error = cls("quota exceeded", code="QUOTA", rule="A-1",
                fields={"grade": ["too many"]}, details={"quota": 3, "count": 4})

    back = deserialize(serialize(error))

    assert type(back) is cls
    assert back.code == "QUOTA"
    assert back.rule == "A-1"
    assert back.fields == {"grade": ["too many"]}
    assert back.details == {"quota": 3, "count": 4}  # numbers stay numbers
    assert back.message == "quota exceeded"


def test_default_code_comes_from_the_class():
    assert NotFound("x").code == "NOT_FOUND"
    assert InvalidInput("x").to_dict() == {"code": "INVALID_INPUT", "message": "x"}


def test_str_names_code_and_rule():
    assert str(RuleViolation("no", code="NO_EXCELLENT", rule="A-6")) == "NO_EXCELLENT: no (rule A-6)"


def test_unregistered_exceptions_still_become_remote_errors():
    back = deserialize(serialize(ValueError("boom")))
    assert isinstance(back, RemoteError)
    assert back.exc_type == "ValueError"
