"""Field-level protection: a field marked ``visible_to(...)`` reaches only those roles, at any depth."""

from marshmallow import Schema, fields

from services.common.boundary.schemas import strip_hidden, visible_to
from services.common.boundary.security import CADRE, CARE_OFFICER, DISCIPLINE_OFFICER, ORG_ADMIN


class Reporter(Schema):
    name = fields.String()
    phone = fields.String(metadata=visible_to(DISCIPLINE_OFFICER))


class Complaint(Schema):
    complaint_id = fields.String()
    facts = fields.String()
    reporter_name = fields.String(data_key="reporterName", metadata=visible_to(DISCIPLINE_OFFICER))
    reporter = fields.Nested(Reporter)                                   # visible; phone inside is not
    witnesses = fields.List(fields.Nested(Reporter))
    sources = fields.Nested(Reporter, many=True)
    referral = fields.Nested(Reporter, metadata=visible_to(CARE_OFFICER))


class Case(Schema):
    case_id = fields.String()
    complaints = fields.List(fields.Nested(Complaint))
    main = fields.Nested(Complaint)


REPORTER = {"name": "王五", "phone": "13800000000"}
COMPLAINT = {"complaint_id": "K-1", "facts": "late twice", "reporter_name": "王五",
             "reporter": REPORTER, "witnesses": [REPORTER, {"name": "赵六", "phone": "13900000000"}],
             "sources": [REPORTER], "referral": REPORTER}


def dumped(schema, data, many=False):
    return schema(many=many).dump(data)


def test_the_data_dumps_every_field_before_stripping():
    # the fixture really contains what must be stripped, so each test below can fail
    out = dumped(Complaint, COMPLAINT)
    assert out["reporterName"] == "王五" and out["reporter"]["phone"] == "13800000000"
    assert out["referral"] == REPORTER


def test_a_hidden_field_is_dropped_for_a_cadre_and_kept_for_the_role_it_is_visible_to():
    data = dumped(Complaint, COMPLAINT)
    for_cadre = strip_hidden(Complaint(), data, [CADRE])
    assert "reporterName" not in for_cadre and "reporter_name" not in for_cadre
    assert for_cadre["facts"] == "late twice" and for_cadre["complaint_id"] == "K-1"

    for_officer = strip_hidden(Complaint(), data, [DISCIPLINE_OFFICER])
    assert for_officer["reporterName"] == "王五"


def test_nested_list_of_nested_and_nested_many():
    data = dumped(Complaint, COMPLAINT)
    for_cadre = strip_hidden(Complaint(), data, [CADRE])
    assert for_cadre["reporter"] == {"name": "王五"}
    assert for_cadre["witnesses"] == [{"name": "王五"}, {"name": "赵六"}]
    assert for_cadre["sources"] == [{"name": "王五"}]

    for_officer = strip_hidden(Complaint(), data, [DISCIPLINE_OFFICER])
    assert for_officer["reporter"]["phone"] == "13800000000"
    assert [w["phone"] for w in for_officer["witnesses"]] == ["13800000000", "13900000000"]
    assert for_officer["sources"][0]["phone"] == "13800000000"


def test_a_hidden_nested_field_goes_whole():
    data = dumped(Complaint, COMPLAINT)
    assert "referral" not in strip_hidden(Complaint(), data, [CADRE])
    assert "referral" not in strip_hidden(Complaint(), data, [DISCIPLINE_OFFICER])
    # visible to a care officer, but the phone inside it is still a discipline officer's only
    assert strip_hidden(Complaint(), data, [CARE_OFFICER])["referral"] == {"name": "王五"}


def test_two_levels_deep():
    case = {"case_id": "X-1", "complaints": [COMPLAINT, COMPLAINT], "main": COMPLAINT}
    data = dumped(Case, case)
    for_cadre = strip_hidden(Case(), data, [CADRE])
    for complaint in [*for_cadre["complaints"], for_cadre["main"]]:
        assert "reporterName" not in complaint
        assert "phone" not in complaint["reporter"]
        assert all("phone" not in w for w in complaint["witnesses"])
    for_officer = strip_hidden(Case(), data, [DISCIPLINE_OFFICER])
    assert for_officer["main"]["reporter"]["phone"] == "13800000000"
    assert all(c["reporterName"] == "王五" for c in for_officer["complaints"])


def test_a_list_result():
    data = dumped(Complaint, [COMPLAINT, {**COMPLAINT, "complaint_id": "K-2"}], many=True)
    for_cadre = strip_hidden(Complaint(many=True), data, [CADRE])
    assert [c["complaint_id"] for c in for_cadre] == ["K-1", "K-2"]
    assert all("reporterName" not in c and "phone" not in c["reporter"] for c in for_cadre)
    for_officer = strip_hidden(Complaint(many=True), data, [DISCIPLINE_OFFICER])
    assert all(c["reporterName"] == "王五" for c in for_officer)


def test_any_one_of_several_roles_is_enough_and_no_role_sees_nothing_hidden():
    data = dumped(Complaint, COMPLAINT)
    assert strip_hidden(Complaint(), data, [ORG_ADMIN, DISCIPLINE_OFFICER])["reporterName"] == "王五"
    assert "reporterName" not in strip_hidden(Complaint(), data, [ORG_ADMIN])
    assert "reporterName" not in strip_hidden(Complaint(), data, ())


def test_the_dumped_data_is_not_changed_in_place():
    data = dumped(Complaint, COMPLAINT)
    strip_hidden(Complaint(), data, [CADRE])
    assert data["reporterName"] == "王五" and data["reporter"]["phone"] == "13800000000"
