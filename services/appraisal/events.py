"""Appraisal's events: what it publishes (the producer's full payloads) and, of what it consumes, only
the fields it relies on (ARCHITECTURE.md §2)."""

from marshmallow import fields, validate

from services.appraisal.rules import COMMENDATION_KINDS, DEED_KINDS, GRADES, KINDS
from services.common.messaging.events import EventSchema

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


class ResultAmended(EventSchema):
    event_type = "appraisal.result_amended"
    schema_version = 1

    cycle_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    cadre_id = fields.String(required=True)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    previous_grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    reason = fields.String(required=True)
    amended_at = fields.AwareDateTime(required=True)


class CommendationAwarded(EventSchema):
    """A-8: every field is always sent (the contract suite holds the producer to it)."""

    event_type = "appraisal.commendation_awarded"
    schema_version = 1

    commendation_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(COMMENDATION_KINDS))
    deed = fields.String(required=True)
    deed_kind = fields.String(required=True, validate=validate.OneOf(DEED_KINDS))
    typical_example = fields.Boolean(required=True)
    awarded_at = fields.AwareDateTime(required=True)


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
    # A-1 (v2): a street unit's civil servants are a pool of their own; none before categories
    staff_category = fields.String(load_default=None, allow_none=True)
    revision = fields.Integer(load_default=1)  # orders roster changes: the later one wins


class CadreUpdatedIn(CadreRegisteredIn):
    event_type = "talent.cadre_updated"


class SanctionDecidedIn(EventSchema):
    """A-6: no EXCELLENT in the year a sanction was decided."""

    event_type = "accountability.sanction_decided"

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    year = fields.Integer(required=True)
    sanctions = fields.List(fields.String(), required=True)
    decided_at = fields.AwareDateTime(required=True)


class CadreClearedIn(EventSchema):
    """A-6 lifted: the report behind the cases proved untrue (C-5)."""

    event_type = "accountability.cadre_cleared"

    cadre_id = fields.String(required=True)
    complaint_id = fields.String(required=True)
    case_ids = fields.List(fields.String(), required=True)
    cleared_at = fields.AwareDateTime(required=True)


class RulingMadeIn(EventSchema):
    """A-6 lifted by T-6: an EXEMPTED matter never counts."""

    event_type = "tolerance.ruling_made"

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    case_id = fields.String(load_default=None, allow_none=True)
    outcome = fields.String(required=True)
    ruled_at = fields.AwareDateTime(required=True)
