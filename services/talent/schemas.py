"""Talent's RPC payloads and the events it publishes and consumes."""

from marshmallow import Schema, fields, validate

from services.common.events import EventSchema
from services.common.schemas import ID
from services.talent.rules import LEVELS, UNIT_TYPES


class UnitSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit_type = fields.String(required=True, validate=validate.OneOf(UNIT_TYPES))


class CadreSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit_id = fields.String(required=True, validate=ID)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    is_leader = fields.Boolean(required=True, truthy={True}, falsy={False})
    is_principal = fields.Boolean(required=True, truthy={True}, falsy={False})
    birth_date = fields.Date(required=True)
    grassroots_years = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    service_years = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class CadreIdSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)


class ReasonSchema(Schema):
    rule = fields.String()
    effect = fields.String()
    source_event_id = fields.String()
    valid_from = fields.AwareDateTime()
    valid_until = fields.AwareDateTime(allow_none=True)
    detail = fields.String()


class EligibilitySchema(Schema):
    cadre_id = fields.String()
    promotable = fields.Boolean()
    selection_priority = fields.Boolean()
    training_priority = fields.Boolean()
    reasons = fields.List(fields.Nested(ReasonSchema))
    computed_at = fields.AwareDateTime()


# Events published


class UnitRegistered(EventSchema, UnitSchema):
    event_type = "talent.unit_registered"
    schema_version = 1


class CadreRegistered(EventSchema, CadreSchema):
    event_type = "talent.cadre_registered"
    schema_version = 1


# Events consumed: only the fields talent relies on


class ResultFinalizedIn(EventSchema):
    event_type = "appraisal.result_finalized"

    cycle_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True)
    grade = fields.String(required=True)
    finalized_at = fields.AwareDateTime(required=True)


class UnitGradedIn(EventSchema):
    event_type = "appraisal.unit_graded"

    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)
    grade = fields.String(required=True)
    graded_at = fields.AwareDateTime(required=True)


class ResultAmendedIn(EventSchema):
    event_type = "appraisal.result_amended"

    cycle_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True)
    grade = fields.String(required=True)
    amended_at = fields.AwareDateTime(required=True)
