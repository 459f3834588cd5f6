"""Tolerance's RPC payloads and the events it publishes and consumes."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.events import EventSchema
from services.common.schemas import ID, Text, TransitionSchema, visible_to
from services.common.security import DISCIPLINE_OFFICER, ORG_ADMIN
from services.tolerance.rules import CONDITIONS, FACTORS, OUTCOMES, RATINGS, SITUATIONS

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
    holds = fields.Boolean(required=True, truthy={True}, falsy={False})
    evidence = Text(max_length=4000)


class FactorSchema(Schema):
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS))
    note = Text(max_length=4000)


class AssessSchema(ApplicationIdSchema):
    conditions = fields.Dict(keys=fields.String(validate=validate.OneOf(CONDITIONS)),
                             values=fields.Nested(ConditionSchema), load_default=dict)
    factors = fields.Dict(keys=fields.String(validate=validate.OneOf(FACTORS)),
                          values=fields.Nested(FactorSchema), load_default=dict)

    @validates_schema
    def at_least_one(self, data, **kwargs):
        if not data.get("conditions") and not data.get("factors"):
            raise ValidationError("Record at least one condition or factor.", "conditions")


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


class ListApplicationsSchema(Schema):
    cadre_id = fields.String(load_default=None, validate=ID)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


# Responses


class RecordedConditionSchema(ConditionSchema):
    by = fields.String()
    at = fields.AwareDateTime()


class RecordedFactorSchema(FactorSchema):
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


class ApplicationSchema(Schema):
    application_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    unit_id = fields.String()
    situation = fields.String()
    approval_reference = fields.String(allow_none=True)
    facts = fields.String()
    case_id = fields.String(allow_none=True)
    status = fields.String()
    # the review's working papers are the reviewing officers'; the applicant reads the ruling
    conditions = fields.Dict(keys=fields.String(), values=fields.Nested(RecordedConditionSchema),
                             metadata=visible_to(ORG_ADMIN, DISCIPLINE_OFFICER))
    factors = fields.Dict(keys=fields.String(), values=fields.Nested(RecordedFactorSchema),
                          metadata=visible_to(ORG_ADMIN, DISCIPLINE_OFFICER))
    proposal = fields.Nested(RulingSchema, allow_none=True,
                             metadata=visible_to(ORG_ADMIN, DISCIPLINE_OFFICER))
    ruling = fields.Nested(RulingSchema, allow_none=True)
    measures = fields.List(fields.Nested(MeasureSchema))
    history = fields.List(fields.Nested(TransitionSchema))
    filed_at = fields.AwareDateTime()
    filed_by = fields.String(allow_none=True)


class AllowedOutcomeSchema(Schema):
    outcome = fields.String()
    rules = fields.List(fields.String())


class AllowedOutcomesSchema(Schema):
    application_id = fields.String()
    complete = fields.Boolean()  # all seven conditions recorded: the outcomes can be computed
    missing_conditions = fields.List(fields.String())
    missing_factors = fields.List(fields.String())
    allowed = fields.List(fields.Nested(AllowedOutcomeSchema))


class OverdueMeasureSchema(MeasureSchema):
    application_id = fields.String()
    cadre_id = fields.String()
    unit_id = fields.String()
    days_overdue = fields.Integer()


# Events published


class ApplicationFiled(EventSchema):
    event_type = "tolerance.application_filed"
    schema_version = 1

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    situation = fields.String(required=True, validate=validate.OneOf(SITUATIONS))
    case_id = fields.String(required=True, allow_none=True)  # C-4: the case held for the ruling
    filed_at = fields.AwareDateTime(required=True)


class MeasureOut(Schema):
    measure_id = fields.String(required=True)
    description = fields.String(required=True)
    due = fields.AwareDateTime(required=True)


class RulingMade(EventSchema):
    event_type = "tolerance.ruling_made"
    schema_version = 1

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    case_id = fields.String(required=True, allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    rules = fields.List(fields.String(), required=True)
    ruled_at = fields.AwareDateTime(required=True)
    measures = fields.List(fields.Nested(MeasureOut), required=True)  # T-7


# Events consumed: only the fields tolerance relies on


class CadreRegisteredIn(EventSchema):
    event_type = "talent.cadre_registered"

    cadre_id = fields.String(required=True)
    name = fields.String(required=True)
    unit_id = fields.String(required=True)
    revision = fields.Integer(load_default=1)  # orders roster changes: the later one wins


class CadreUpdatedIn(CadreRegisteredIn):
    event_type = "talent.cadre_updated"


class CaseOpenedIn(EventSchema):
    event_type = "accountability.case_opened"

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    source = fields.String(required=True)
    opened_at = fields.AwareDateTime(required=True)
