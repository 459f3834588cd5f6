"""Care's RPC payloads: what its methods take and answer (the gateway's request and response
bodies). Its events are in events.py."""

import re
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, pre_dump, validate

from services.care.rules import (
    EARLY_WARNING,
    HARDSHIP_REASONS,
    HARDSHIP_STATES,
    RELATIONS,
    TALK_REASONS,
    yuan,
)
from services.common.boundary.schemas import ID, YEAR, Name, QueryBool, Text, visible_to
from services.common.boundary.security import CARE_OFFICER, ORG_ADMIN
from services.common.paging import PageQuerySchema

# K-5: the one form an amount takes on the wire, in yuan: a JSON string of digits with at most two
# decimals ("1200", "1200.5", "1200.50"). A JSON number may have passed through a binary float on the
# caller's side, and exponents, signs, spaces, leading zeros or separators would each be a second way
# to write a sum of money.
CANONICAL_YUAN = re.compile(r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")


class Money(fields.Decimal):
    """Yuan on the wire in the canonical form above; integer cents inside (rules.to_cents)."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not CANONICAL_YUAN.match(value):
            raise ValidationError('Yuan as a string of digits with at most two decimals, '
                                  'e.g. "1200.50".')
        return super()._deserialize(value, attr, data, **kwargs)


def _amount(value: Decimal) -> bool:
    if not Decimal("0.01") <= value <= Decimal("100000000"):
        raise ValidationError("An amount from 0.01 to 100000000.")
    return True


# the bounds are said to OpenAPI as numbers (a Range of Decimals would be rendered as strings)
AMOUNT = {"required": True, "validate": _amount,
          "metadata": {"minimum": 0.01, "maximum": 100000000, "pattern": CANONICAL_YUAN.pattern}}


# Requests


class RequestTalkSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    notes = Text(required=False, max_length=2000)


class OpenTalkSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    reason = fields.String(required=True, validate=validate.OneOf((
        "MAJOR_SETBACK", "JOB_ADJUSTMENT", "EARLY_WARNING")))  # SELF_REQUESTED: the cadre asks
    assignee = fields.String(load_default=None, allow_none=True, validate=ID)
    notes = Text(max_length=2000)


class CompleteTalkSchema(Schema):
    talk_id = fields.String(required=True, validate=ID)
    record = Text(max_length=4000)


class ListTalksSchema(PageQuerySchema):
    cadre_id = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None, validate=validate.OneOf(("OPEN", "DONE")))
    reason = fields.String(load_default=None, validate=validate.OneOf(TALK_REASONS))
    overdue = QueryBool(load_default=False)


class RecordHealthCheckSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    checked_on = fields.Date(required=True)


class UnitYearSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, validate=YEAR)


class CadreYearSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, validate=YEAR)


class RecordLeaveSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=60))
    starts_on = fields.Date(required=True)


class ReportYearSchema(PageQuerySchema):
    year = fields.Integer(required=True, validate=YEAR)
    unit_id = fields.String(load_default=None, validate=ID)


class ReferSupportSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    notes = Text(max_length=4000)


class TalkIdSchema(Schema):
    talk_id = fields.String(required=True, validate=ID)


class HardshipApplicationIdSchema(Schema):
    application_id = fields.String(required=True, validate=ID)


class FamilyIdSchema(Schema):
    family_id = fields.String(required=True, validate=ID)


class CadreIdSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)


class ReferralsQuerySchema(CadreIdSchema, PageQuerySchema):
    pass


class ListHealthChecksSchema(PageQuerySchema):
    unit_id = fields.String(load_default=None, validate=ID)
    cadre_id = fields.String(load_default=None, validate=ID)
    year = fields.Integer(load_default=None, validate=YEAR)


class ListHardshipSchema(PageQuerySchema):
    cadre_id = fields.String(load_default=None, validate=ID)
    unit_id = fields.String(load_default=None, validate=ID)
    year = fields.Integer(load_default=None, validate=YEAR)
    status = fields.String(load_default=None, validate=validate.OneOf(HARDSHIP_STATES))


class ListFamiliesSchema(PageQuerySchema):
    cadre_id = fields.String(load_default=None, validate=ID)
    unit_id = fields.String(load_default=None, validate=ID)


class DueVisitsQuerySchema(PageQuerySchema):
    pass


class SetBudgetSchema(Schema):
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    amount = Money(**AMOUNT)


class ApplyHardshipSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    reason = fields.String(required=True, validate=validate.OneOf(HARDSHIP_REASONS))
    facts = Text(max_length=4000)


class ApproveHardshipSchema(Schema):
    application_id = fields.String(required=True, validate=ID)
    amount = Money(**AMOUNT)
    note = Text(required=False, max_length=2000)


class PendingHardshipSchema(PageQuerySchema):
    pass


class RejectHardshipSchema(Schema):
    application_id = fields.String(required=True, validate=ID)
    note = Text(max_length=2000)


class YearSchema(Schema):
    year = fields.Integer(required=True, validate=YEAR)


class DependantSchema(Schema):
    name = Name()
    relation = fields.String(required=True, validate=validate.OneOf(RELATIONS))


class RegisterFamilySchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)  # the cadre who died on duty
    died_on = fields.Date(required=True)
    dependants = fields.List(fields.Nested(DependantSchema), required=True,
                             validate=validate.Length(min=1, max=20))
    visit_every_months = fields.Integer(load_default=None, allow_none=True, strict=True,
                                        validate=validate.Range(min=1, max=24))


class RecordVisitSchema(Schema):
    family_id = fields.String(required=True, validate=ID)
    visited_on = fields.Date(required=True)
    notes = Text(max_length=2000)


# Responses


def _early_warning(talk: dict) -> bool:
    return talk.get("reason") == EARLY_WARNING


# K-1, C-5: an early-warning talk is the only trace a cadre sees of a case or complaint against them:
# what opened it (the matter, the event or officer, the notes and the talk's record) stays with the
# officers, as a complaint under investigation is not disclosed to the accused
OFFICERS_ONLY_ON_EARLY_WARNING = visible_to(CARE_OFFICER, ORG_ADMIN, when=_early_warning)


class TalkSchema(Schema):
    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    talk_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    unit_id = fields.String(allow_none=True)
    reason = fields.String()
    matter = fields.Dict(metadata=OFFICERS_ONLY_ON_EARLY_WARNING)
    status = fields.String()
    assignee = fields.String()
    opened_at = fields.AwareDateTime()
    opened_by = fields.String(allow_none=True, metadata=OFFICERS_ONLY_ON_EARLY_WARNING)
    due_at = fields.AwareDateTime()
    notes = fields.String(allow_none=True, metadata=OFFICERS_ONLY_ON_EARLY_WARNING)
    completed_at = fields.AwareDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    record = fields.String(allow_none=True, metadata=OFFICERS_ONLY_ON_EARLY_WARNING)


class HealthCheckSchema(Schema):
    cadre_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    standard = fields.String()  # STANDARD or ENHANCED (K-2)
    checked_on = fields.Date()
    recorded_at = fields.AwareDateTime()


class CompletionSchema(Schema):
    unit_id = fields.String()
    year = fields.Integer()
    cadres = fields.Integer()
    checked = fields.Integer()
    missing = fields.List(fields.String())
    enhanced_due = fields.Integer()
    enhanced_done = fields.Integer()
    rate = fields.Decimal(as_string=True)


class LeaveSchema(Schema):
    cadre_id = fields.String()
    year = fields.Integer()
    entitlement = fields.Integer()
    taken = fields.Integer()
    remaining = fields.Integer()


class UntakenLeaveSchema(LeaveSchema):
    unit_id = fields.String()
    is_leader = fields.Boolean()


class ReferralSchema(Schema):
    referral_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    referred_at = fields.AwareDateTime()
    # K-4: confidential -- only care officers read what the referral says
    notes = fields.String(metadata=visible_to(CARE_OFFICER))
    referred_by = fields.String(metadata=visible_to(CARE_OFFICER))


class HardshipApplicationSchema(Schema):
    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    @pre_dump
    def from_store(self, application, **kwargs):
        """Money is kept in integer cents and shown in yuan (K-5)."""
        cents = application.get("amount_cents")
        return {**application, "amount": None if cents is None else yuan(cents)}

    application_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    reason = fields.String()
    facts = fields.String()
    status = fields.String()
    amount = fields.Decimal(as_string=True, allow_none=True)
    filed_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)


class LedgerLineSchema(Schema):
    at = fields.AwareDateTime()
    kind = fields.String()  # BUDGET or GRANT
    # as every amount on the wire (a budget, an approval): what moved, never signed; direction says
    # which way -- IN (a budget raised), OUT (a grant, or a budget lowered)
    amount = fields.Decimal(as_string=True)
    direction = fields.String()
    balance = fields.Decimal(as_string=True)
    application_id = fields.String(allow_none=True)
    cadre_id = fields.String(allow_none=True)
    by = fields.String(allow_none=True)


class FundSchema(Schema):
    year = fields.Integer()
    budget = fields.Decimal(as_string=True)
    granted = fields.Decimal(as_string=True)
    balance = fields.Decimal(as_string=True)
    ledger = fields.List(fields.Nested(LedgerLineSchema))


class VisitSchema(Schema):
    on = fields.Date()
    notes = fields.String()
    by = fields.String()


class FamilySchema(Schema):
    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    family_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    unit_id = fields.String(allow_none=True)
    died_on = fields.Date()
    dependants = fields.List(fields.Nested(DependantSchema))
    visit_every_months = fields.Integer()
    registered_on = fields.Date()
    visits = fields.List(fields.Nested(VisitSchema))
    next_visit = fields.Date()


class DueVisitSchema(FamilySchema):
    status = fields.String()  # DUE (within 30 days) or OVERDUE
