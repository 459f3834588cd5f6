"""Tolerance's events: what it publishes (the producer's full payloads) and, of what it consumes, only
the fields it relies on (ARCHITECTURE.md §2)."""

from marshmallow import Schema, fields, validate

from services.common.messaging.events import EventSchema
from services.tolerance.rules import OUTCOMES, SITUATIONS

# Events published


class ApplicationFiled(EventSchema):
    event_type = "tolerance.application_filed"
    schema_version = 1

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    situation = fields.String(required=True, validate=validate.OneOf(SITUATIONS))
    case_id = fields.String(required=True, allow_none=True)  # C-4: the case held for the ruling
    # C-4 (v2): whether accountability held the case when the application was filed (it holds it
    # before the application is accepted); absent in events of the first version
    case_held = fields.Boolean(load_default=None, allow_none=True)
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
