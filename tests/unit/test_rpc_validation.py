"""@rpc(request=..., response=...): arguments loaded by schema, results dumped, errors typed."""

import pytest
from marshmallow import Schema, fields, validate
from pymongo.errors import ServerSelectionTimeoutError

from services.common.boundary.rpc import _with_nul, rpc
from services.common.boundary.security import PUBLIC
from services.common.errors import InvalidInput, Unavailable


class In(Schema):
    name = fields.String(required=True)
    count = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1))


class Out(Schema):
    greeting = fields.String()


class Toy:
    name = "toy"

    @rpc(request=In, response=Out, allow=PUBLIC)
    def greet(self, name, count):
        return {"greeting": " ".join([f"hello {name}"] * count), "secret": "not dumped"}

    @rpc(request=In, allow=PUBLIC)
    def open_ended(self, **values):
        return values

    @rpc(allow=PUBLIC)
    def store_down(self):
        raise ServerSelectionTimeoutError("no servers")


def test_positional_and_keyword_arguments_are_loaded_and_the_result_dumped():
    assert Toy().greet("ann") == {"greeting": "hello ann"}
    assert Toy().greet(name="bo", count=2) == {"greeting": "hello bo hello bo"}


def test_invalid_fields_are_refused_with_field_errors():
    with pytest.raises(InvalidInput) as caught:
        Toy().greet(name="x", count="2")
    assert caught.value.fields == {"count": ["Not a valid integer."]}


def test_missing_and_unknown_fields_are_named():
    with pytest.raises(InvalidInput) as caught:
        Toy().greet(count=2)
    assert caught.value.fields == {"name": ["Missing data for required field."]}
    with pytest.raises(InvalidInput) as caught:
        Toy().greet(name="x", colour="red")
    assert caught.value.fields == {"colour": ["Unknown field."]}


def test_text_with_a_nul_character_is_bad_input_before_the_method_runs():
    # PostgreSQL, under FerretDB, cannot store U+0000: refused here, not a 500 from the store
    with pytest.raises(InvalidInput) as caught:
        Toy().greet(name="ann\x00")
    assert caught.value.fields == {"name": ["Text must not contain the NUL character (U+0000)."]}
    # nested values are named by their path
    assert dict(_with_nul({"grades": [{"comment": "ok"}, {"comment": "\x00"}]})) == {
        "grades.1.comment": ["Text must not contain the NUL character (U+0000)."]}


def test_a_method_taking_any_fields_gets_what_its_schema_allows():
    assert Toy().open_ended(name="x") == {"name": "x", "count": 1}
    with pytest.raises(InvalidInput) as caught:
        Toy().open_ended(name="x", colour="red")
    assert caught.value.fields == {"colour": ["Unknown field."]}


def test_too_many_positional_arguments_are_refused():
    with pytest.raises(InvalidInput) as caught:
        Toy().greet("a", 1, 2)
    assert caught.value.code == "INVALID_ARGUMENTS"


def test_an_unreachable_store_becomes_unavailable():
    with pytest.raises(Unavailable) as caught:
        Toy().store_down()
    assert caught.value.code == "STORE_UNAVAILABLE"
