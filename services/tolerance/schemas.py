"""Tolerance's RPC payloads: what its methods take and answer (the gateway's request and response
bodies). Its events are in events.py."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.boundary.schemas import (
    ID,
    YEAR,
    JsonBool,
    Text,
    TransitionSchema,
    Unset,
    visible_to,
)
from services.common.boundary.security import DISCIPLINE_OFFICER, ORG_ADMIN
from services.common.paging import PageQuerySchema
from services.tolerance.rules import (
    CONDITIONS,
    FACTORS,
    LOSS_LEVELS,
    OUTCOMES,
    RATINGS,
    SITUATION_CONDITIONS,
    SITUATIONS,
)

STATUSES = ("FILED", "UNDER_REVIEW", "RULED")


# Requests


class FileApplicationSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    situation = fields.String(required=True, validate=validate.OneOf(SITUATIONS))
    facts = Text(max_length=8000)
    # OTHER_APPROVED: the reference of the city's approving decision (T-1)
    approval_reference = Text(required=False, max_length=200)
    case_id = fields.String(load_default=None, allow_none=True, validate=ID)  # the case it answers


class ApplicationIdSchema(Schema):
    application_id = fields.String(required=True, validate=ID)


class StartReviewSchema(ApplicationIdSchema):
    reason = Text(required=False, max_length=2000)


class ConditionSchema(Schema):
    holds = JsonBool(required=True)
    evidence = Text(max_length=4000)


class LossSchema(Schema):
    """T-3, T-4 (v2): the loss, as a level, with the evidence for it."""

    level = fields.String(required=True, validate=validate.OneOf(LOSS_LEVELS))
    evidence = Text(max_length=4000)


class FactorSchema(Schema):
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))
    note = Text(max_length=4000)


class AssessSchema(ApplicationIdSchema):
    conditions = fields.Dict(keys=fields.String(validate=validate.OneOf(CONDITIONS)),
                             values=fields.Nested(ConditionSchema), load_default=dict)
    factors = fields.Dict(keys=fields.String(validate=validate.OneOf(FACTORS)),
                          values=fields.Nested(FactorSchema), load_default=dict)
    loss = fields.Nested(LossSchema, load_default=None, allow_none=True)

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not data.get("conditions") and not data.get("factors") and not data.get("loss"):
            raise ValidationError("Record at least one condition, factor or the loss.", "conditions")


class MeasureInSchema(Schema):
    description = Text(max_length=2000)
    due = fields.AwareDateTime(required=True)


class ProposeRulingSchema(ApplicationIdSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reasoning = Text(max_length=4000)
    measures = fields.List(fields.Nested(MeasureInSchema), load_default=list,
                           validate=validate.Length(max=50))


class ApproveRulingSchema(ApplicationIdSchema):
    # the proposal the approver read: a proposal replaced since then is not approved blind
    proposal_id = fields.String(required=True, validate=ID)
    reason = Text(required=False, max_length=2000)


class CompleteMeasureSchema(ApplicationIdSchema):
    measure_id = fields.String(required=True, validate=ID)
    note = Text(max_length=2000)


class ListApplicationsSchema(PageQuerySchema):
    cadre_id = fields.String(load_default=None, validate=ID)
    unit_id = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    year = fields.Integer(load_default=None, validate=YEAR)  # the year it was filed


class OverdueMeasuresSchema(PageQuerySchema):
    pass


# Responses


class RecordedConditionSchema(ConditionSchema):
    by = fields.String()
    at = fields.AwareDateTime()


class RecordedFactorSchema(FactorSchema):
    by = fields.String()
    at = fields.AwareDateTime()


class RecordedLossSchema(LossSchema):
    by = fields.String()
    at = fields.AwareDateTime()


class MeasureSchema(Schema):
    measure_id = fields.String()
    description = fields.String()
    due = fields.AwareDateTime()
    status = fields.String()  # OPEN or DONE
    done_at = fields.AwareDateTime(allow_none=True)
    done_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class RulingSchema(Schema):
    proposal_id = fields.String()
    outcome = fields.String()
    rules = fields.List(fields.String())
    reasoning = fields.String()
    measures = fields.List(fields.Nested(MeasureSchema))
    by = fields.String()
    at = fields.AwareDateTime()
    approved_by = fields.String()
    approved_at = fields.AwareDateTime()


class ExistsSchema(Schema):
    application_id = fields.String()
    exists = fields.Boolean()


class ApplicationSchema(Schema):
    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    application_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    unit_id = fields.String()
    situation = fields.String()
    approval_reference = fields.String(allow_none=True)
    facts = fields.String()
    case_id = fields.String(allow_none=True)
    case_held = fields.Boolean(allow_none=True)  # C-4: whether the filing held the case
    status = fields.String()
    # the review's working papers are the reviewing officers'; the applicant reads the ruling
    conditions = fields.Dict(keys=fields.String(), values=fields.Nested(RecordedConditionSchema),
                             metadata=visible_to(ORG_ADMIN, DISCIPLINE_OFFICER))
    factors = fields.Dict(keys=fields.String(), values=fields.Nested(RecordedFactorSchema),
                          metadata=visible_to(ORG_ADMIN, DISCIPLINE_OFFICER))
    loss = Unset(RecordedLossSchema, metadata=visible_to(ORG_ADMIN, DISCIPLINE_OFFICER))
    # what SITUATION_CONDITION asks of this application's situation (001's words)
    situation_condition = fields.Function(lambda application: SITUATION_CONDITIONS.get(
        application.get("situation")))
    proposal = Unset(RulingSchema, metadata=visible_to(ORG_ADMIN, DISCIPLINE_OFFICER))
    ruling = Unset(RulingSchema)
    measures = fields.List(fields.Nested(MeasureSchema))
    history = fields.List(fields.Nested(TransitionSchema))
    filed_at = fields.AwareDateTime()
    filed_by = fields.String(allow_none=True)


class AllowedOutcomeSchema(Schema):
    outcome = fields.String()
    rules = fields.List(fields.String())


class AllowedOutcomesSchema(Schema):
    application_id = fields.String()
    complete = fields.Boolean()  # the seven conditions and the loss recorded: outcomes computed
    missing_conditions = fields.List(fields.String())
    loss_missing = fields.Boolean()
    missing_factors = fields.List(fields.String())
    allowed = fields.List(fields.Nested(AllowedOutcomeSchema))


class OverdueMeasureSchema(MeasureSchema):
    application_id = fields.String()
    cadre_id = fields.String()
    unit_id = fields.String()
    days_overdue = fields.Integer()
