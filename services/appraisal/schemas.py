"""Appraisal's RPC payloads and the events it publishes and consumes."""

from marshmallow import Schema, fields, validate

from services.appraisal.rules import GRADES, KINDS
from services.common.events import EventSchema
from services.common.schemas import ID

YEAR = validate.Range(min=2000, max=2100)


class OpenCycleSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))


class RecordGradeSchema(Schema):
    cycle_id = fields.String(required=True, validate=ID)
    cadre_id = fields.String(required=True, validate=ID)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))


class GradeUnitSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    grade = fields.String(required=True, validate=validate.Length(min=1, max=32))


class UnitGradeSchema(Schema):
    unit_id = fields.String()
    year = fields.Integer()
    grade = fields.String()
    graded_at = fields.AwareDateTime()


class UnitYearSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, validate=YEAR)  # not strict: it arrives in a URL path


class QuotaSchema(Schema):
    unit_id = fields.String()
    year = fields.Integer()
    participants = fields.Integer()
    ratio = fields.Decimal(as_string=True)
    max = fields.Integer(attribute="maximum")
    used = fields.Integer()
    remaining = fields.Integer()


class CycleIdSchema(Schema):
    cycle_id = fields.String(required=True, validate=ID)


class ResultSchema(Schema):
    cadre_id = fields.String()
    grade = fields.String()
    recorded_at = fields.AwareDateTime()
    in_quota = fields.Boolean()  # principal leaders are outside the unit's quota


class CycleSchema(Schema):
    cycle_id = fields.String(attribute="_id")
    unit_id = fields.String()
    year = fields.Integer()
    kind = fields.String()
    status = fields.String()
    results = fields.List(fields.Nested(ResultSchema))
    opened_at = fields.AwareDateTime()
    finalized_at = fields.AwareDateTime(allow_none=True)


# Events published


class ResultFinalized(EventSchema):
    event_type = "appraisal.result_finalized"
    schema_version = 1

    cycle_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    cadre_id = fields.String(required=True)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    finalized_at = fields.AwareDateTime(required=True)


class UnitGraded(EventSchema):
    event_type = "appraisal.unit_graded"
    schema_version = 1

    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)
    grade = fields.String(required=True)
    graded_at = fields.AwareDateTime(required=True)


# Events consumed: only the fields appraisal relies on


class UnitRegisteredIn(EventSchema):
    event_type = "talent.unit_registered"

    unit_id = fields.String(required=True)
    name = fields.String(required=True)
    unit_type = fields.String(required=True)  # the street (township) ratio


class CadreRegisteredIn(EventSchema):
    event_type = "talent.cadre_registered"

    cadre_id = fields.String(required=True)
    name = fields.String(required=True)
    unit_id = fields.String(required=True)
    level = fields.String(required=True)
    is_leader = fields.Boolean(required=True)
    is_principal = fields.Boolean(required=True)
