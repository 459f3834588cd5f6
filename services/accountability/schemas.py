"""Accountability's RPC payloads: what its methods take and answer (the gateway's request and response
bodies). Its events are in events.py."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, pre_dump, validate

from services.accountability.rules import (
    COMPLAINT_OUTCOMES,
    COMPLAINT_STATES,
    SANCTIONS,
    SEVERITIES,
    SITUATIONS,
    SOURCES,
)
from services.common.boundary.schemas import (
    ID,
    YEAR,
    JsonBool,
    Name,
    QueryBool,
    Text,
    TransitionSchema,
    Unset,
    unique,
    visible_to,
)
from services.common.boundary.security import DISCIPLINE_OFFICER
from services.common.clock import as_utc
from services.common.paging import PageQuerySchema

# Requests


class OpenCaseSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    situations = fields.List(fields.String(validate=validate.OneOf(SITUATIONS)), load_default=list,
                             validate=unique)
    summary = Text(max_length=4000)
    # C-5: the complaint this case investigates (source COMPLAINT)
    complaint_id = fields.String(load_default=None, allow_none=True, validate=ID)


class CaseIdSchema(Schema):
    case_id = fields.String(required=True, validate=ID)


class HoldForApplicationSchema(Schema):
    """C-4: what tolerance says of an application it is about to accept for the case."""

    case_id = fields.String(required=True, validate=ID)
    application_id = fields.String(required=True, validate=ID)
    cadre_id = fields.String(required=True, validate=ID)
    situation = fields.String(required=True, validate=validate.Regexp(r"^[A-Z][A-Z_]{0,39}$"))


class CaseMoveSchema(Schema):
    case_id = fields.String(required=True, validate=ID)
    reason = Text(required=False, max_length=2000)


class VerifyCaseSchema(Schema):
    case_id = fields.String(required=True, validate=ID)
    findings = Text(max_length=4000)
    # C-2 (v2): whether the finding is that discipline is due (应追究纪律责任): then DISCIPLINARY is
    # required, else refused
    discipline_due = JsonBool(load_default=False)


class DismissCaseSchema(Schema):
    case_id = fields.String(required=True, validate=ID)
    reason = Text(max_length=2000)


class DisciplinarySchema(Schema):
    """DISCIPLINARY: the sanction's own text, and the promotion ban its own term sets."""

    text = Text(max_length=2000)
    ban_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=120))


class SanctionsQuerySchema(Schema):
    case_id = fields.String(required=True, validate=ID)
    severity = fields.String(required=True, validate=validate.OneOf(SEVERITIES))
    public_outcry = JsonBool(load_default=False)
    bad_impact = JsonBool(load_default=False)


class ProposeDecisionSchema(SanctionsQuerySchema):
    sanctions = fields.List(fields.String(validate=validate.OneOf(SANCTIONS)), required=True,
                            validate=[validate.Length(min=1, max=4), unique])
    disciplinary = fields.Nested(DisciplinarySchema, load_default=None, allow_none=True)
    reason = Text(max_length=2000)


def _not_before_the_republic(day: date) -> bool:
    if day < date(1949, 10, 1):
        raise ValidationError("A decision of the People's Republic: on or after 1949-10-01.")
    return True


class RecordOutsideSanctionSchema(Schema):
    """C-7 (v2): a sanction decided outside accountability -- by discipline inspection (纪检监察机关)
    or another authority -- recorded with its reference so that it restricts the same."""

    cadre_id = fields.String(required=True, validate=ID)
    sanctions = fields.List(fields.String(validate=validate.OneOf(SANCTIONS)), required=True,
                            validate=[validate.Length(min=1, max=4), unique])
    disciplinary = fields.Nested(DisciplinarySchema, load_default=None, allow_none=True)
    authority = Name(max_length=200)   # e.g. 市纪委监委
    reference = Name(max_length=200)   # the decision's document number, e.g. 武纪发〔2026〕12号
    decided_on = fields.Date(required=True, validate=_not_before_the_republic)
    summary = Text(max_length=2000)


class ApproveDecisionSchema(Schema):
    case_id = fields.String(required=True, validate=ID)
    # the proposal the approver read: a proposal replaced since then is not approved blind
    proposal_id = fields.String(required=True, validate=ID)
    reason = Text(required=False, max_length=2000)


class ListCasesSchema(PageQuerySchema):
    cadre_id = fields.String(load_default=None, validate=ID)
    unit_id = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None, validate=validate.OneOf(
        ("OPEN", "INVESTIGATING", "VERIFIED", "DECIDED", "CLOSED", "DISMISSED")))
    year = fields.Integer(load_default=None, validate=YEAR)  # the year it was opened


class ReporterSchema(Schema):
    name = Name()
    contact = Text(required=False, max_length=200)


class FileComplaintSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    matter = Text(max_length=4000)
    reporter = fields.Nested(ReporterSchema, load_default=None, allow_none=True)  # None: anonymous


class ComplaintIdSchema(Schema):
    complaint_id = fields.String(required=True, validate=ID)


class OpenComplaintsSchema(PageQuerySchema):
    # None: the ones not resolved yet (FILED or RESOLVING)
    status = fields.String(load_default=None, validate=validate.OneOf(COMPLAINT_STATES))
    cadre_id = fields.String(load_default=None, validate=ID)
    unit_id = fields.String(load_default=None, validate=ID)


class ResolveComplaintSchema(Schema):
    complaint_id = fields.String(required=True, validate=ID)
    outcome = fields.String(required=True, validate=validate.OneOf(COMPLAINT_OUTCOMES))
    reason = Text(max_length=2000)
    # REPEAT: the earlier matter, a case or a complaint, concluded (C-5)
    repeat_of = fields.String(load_default=None, allow_none=True, validate=ID)
    situations = fields.List(fields.String(validate=validate.OneOf(SITUATIONS)),
                             load_default=list, validate=unique)  # SUBSTANTIATED: the new case's


class ReportYearSchema(PageQuerySchema):
    year = fields.Integer(required=True, validate=YEAR)  # not strict: it arrives in a URL path
    published = QueryBool(load_default=False)  # C-6: the counts alone, the copy to publish


# Responses


class HoldSchema(Schema):
    """C-4: whether the application holds the case; if not, why (DECIDED: the decision came first;
    SAME_SITUATION_REJECTED: re-filed for a situation already rejected)."""

    case_id = fields.String()
    application_id = fields.String()
    held = fields.Boolean()
    status = fields.String()
    not_held_because = fields.String(allow_none=True)


class DecisionSchema(Schema):
    proposal_id = fields.String()
    severity = fields.String()
    public_outcry = fields.Boolean()
    bad_impact = fields.Boolean()
    sanctions = fields.List(fields.String())
    disciplinary = fields.Nested(DisciplinarySchema, allow_none=True)
    rule = fields.String()
    reason = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()
    approved_by = fields.String()
    approved_at = fields.AwareDateTime()
    year = fields.Integer()
    ban_until = fields.AwareDateTime(allow_none=True)
    restrictions = fields.List(fields.Dict(), dump_default=list)  # C-7: [{kind, until}]
    exempted = fields.Boolean()
    cleared = fields.Boolean()  # the complaint behind it proved untrue (C-5)
    # C-7 (v2): a decision made outside accountability, as recorded here
    authority = fields.String()
    reference = fields.String()
    decided_on = fields.String()


class CaseRulingSchema(Schema):
    """A tolerance ruling as the case received it (C-4)."""

    application_id = fields.String()
    outcome = fields.String()
    ruled_at = fields.AwareDateTime()


def _decided_at(case) -> str | None:
    at = (case.get("decision") or {}).get("approved_at")
    return as_utc(at).isoformat() if at else None


class CaseSchema(Schema):
    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    case_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    unit_id = fields.String()
    source = fields.String()
    situations = fields.List(fields.String())
    summary = fields.String(allow_none=True)
    complaint_id = fields.String(allow_none=True)
    status = fields.String()
    outcome = fields.String(allow_none=True)
    findings = fields.String(allow_none=True)
    discipline_due = fields.Boolean(allow_none=True)  # C-2: null for a case verified before v2
    proposal = Unset(DecisionSchema)
    decision = Unset(DecisionSchema)
    pending_applications = fields.List(fields.String())
    rulings = fields.List(fields.Nested(CaseRulingSchema))
    mitigated = fields.Boolean()
    # C-4 (v2): MITIGATED rulings that came after the decision: [{application_id, ruled_at}]
    late_mitigations = fields.List(fields.Dict(), dump_default=list)
    history = fields.List(fields.Nested(TransitionSchema))
    opened_at = fields.AwareDateTime()
    # when the decision was approved (or recorded, for one made outside); null before
    decided_at = fields.Function(_decided_at, allow_none=True,
                                 metadata={"type": "string", "format": "date-time"})


class SanctionSetSchema(Schema):
    sanctions = fields.List(fields.String())
    rule = fields.String()


class AllowedSanctionsSchema(Schema):
    case_id = fields.String()
    severity = fields.String()
    public_outcry = fields.Boolean()
    bad_impact = fields.Boolean()
    mitigated = fields.Boolean()
    discipline_due = fields.Boolean(allow_none=True)
    allowed = fields.List(fields.Nested(SanctionSetSchema))


class ComplaintSchema(Schema):
    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    @pre_dump
    def from_store(self, complaint, **kwargs):
        """An anonymous complaint is stored with an empty reporter; a referral with its record."""
        return {**complaint, "anonymous": not complaint.get("reporter"),
                "referred": bool(complaint.get("referral"))}

    complaint_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    unit_id = fields.String()
    matter = fields.String()
    anonymous = fields.Boolean()
    # C-5: the reporter's identity is read by discipline officers only
    reporter = Unset(ReporterSchema, metadata=visible_to(DISCIPLINE_OFFICER))
    expedited = fields.Boolean()
    filed_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    repeat_of = fields.String(allow_none=True)
    repeat_of_kind = fields.String(allow_none=True)  # case or complaint
    case_id = fields.String(allow_none=True)
    referred = fields.Boolean()
    resolved_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean()  # in the open list: past its deadline (C-5)


class ReportedCadreSchema(Schema):
    cadre_id = fields.String()
    name = fields.String(allow_none=True)


class ReportLineSchema(Schema):
    year = fields.Integer()
    unit_id = fields.String()
    handling = fields.String()  # an organisational handling, or POSTING_<cause> (C-6)
    count = fields.Integer()
    cadres = fields.List(fields.Nested(ReportedCadreSchema))  # the officers' copy only
