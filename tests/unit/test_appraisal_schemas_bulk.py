"""record_grades' payload: refused as bad input, never a crash (the API schema test found one)."""

import pytest
from marshmallow import ValidationError

from services.appraisal.schemas import MAX_GRADES_PER_CALL, RecordGradesSchema


def load(grades):
    return RecordGradesSchema().load({"cycle_id": "cy1", "grades": grades})


def test_a_row_without_its_cadre_is_a_field_error():
    with pytest.raises(ValidationError) as caught:
        load([{"grade": "COMPETENT"}, {"cadre_id": "C1", "grade": "COMPETENT"}])
    assert caught.value.messages["grades"][0] == {"cadre_id": ["Missing data for required field."]}


def test_a_cadre_given_twice_is_refused_by_name():
    with pytest.raises(ValidationError) as caught:
        load([{"cadre_id": "C1", "grade": "COMPETENT"}, {"cadre_id": "C1", "grade": "EXCELLENT"}])
    assert "C1" in caught.value.messages["grades"][0]


def test_at_most_a_thousand_rows():
    rows = [{"cadre_id": f"C{n}", "grade": "COMPETENT"} for n in range(MAX_GRADES_PER_CALL + 1)]
    with pytest.raises(ValidationError):
        load(rows)
    assert len(load(rows[:-1])["grades"]) == MAX_GRADES_PER_CALL
