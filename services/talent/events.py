"""Talent's events: what it publishes (the producer's full payloads) and, of what it consumes, only
the fields it relies on (ARCHITECTURE.md §2)."""

from marshmallow import Schema, fields, validate

from services.common.messaging.events import EventSchema
from services.talent.schemas import CadreSchema, UnitSchema

# Events published


class UnitRegistered(EventSchema, UnitSchema):
    event_type = "talent.unit_registered"
    schema_version = 1


class CadreRegistered(EventSchema, CadreSchema):
    event_type = "talent.cadre_registered"
    schema_version = 1

    revision = fields.Integer(required=True)


class CadreUpdated(EventSchema, CadreSchema):
    """The whole roster record after a change; ``revision`` orders changes (the later one wins)."""

    event_type = "talent.cadre_updated"
    schema_version = 1

    revision = fields.Integer(required=True)


class PostingChanged(EventSchema):
    """L-6: a posting change, announced (care: K-1 JOB_ADJUSTMENT talk)."""

    event_type = "talent.posting_changed"
    schema_version = 1

    cadre_id = fields.String(required=True)
    from_unit_id = fields.String(required=True)
    to_unit_id = fields.String(required=True)
    post = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)
    # L-6 (v2): kind and direction; a move DOWN with its cause is counted in C-6's yearly report
    kind = fields.String(allow_none=True)
    direction = fields.String(allow_none=True)
    down_cause = fields.String(allow_none=True)
    is_leader = fields.Boolean(allow_none=True)  # C-6 counts leading cadres moved down
    name = fields.String(allow_none=True)  # the officers' copy of C-6 names them


class PoolExited(EventSchema):
    """L-2: a cadre leaves the lion-type pool, with the cause."""

    event_type = "talent.pool_exited"
    schema_version = 1

    cadre_id = fields.String(required=True)
    cause = fields.String(required=True)  # SANCTION (L-2a), DECLINE (L-2b), HEALTH (L-2c)
    case_id = fields.String(required=True, allow_none=True)
    exited_at = fields.AwareDateTime(required=True)


class SelectionStatusChanged(EventSchema):
    """C-5: accountability expedites complaints against a cadre IN_SELECTION."""

    event_type = "talent.selection_status_changed"
    schema_version = 1

    cadre_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("IN_SELECTION", "NOT_IN_SELECTION")))
    changed_at = fields.AwareDateTime(required=True)


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


class RestrictionIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ("NO_PROMOTION", "NO_LEADERSHIP_POST", "NO_HIGHER_POST")))
    until = fields.AwareDateTime(required=True)


class SanctionDecidedIn(EventSchema):
    """Promotion bans (C) and L-2(a) pool exit."""

    event_type = "accountability.sanction_decided"

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    sanctions = fields.List(fields.String(), required=True)
    organisational_handling = fields.Boolean(required=True)
    disciplinary = fields.Boolean(required=True)
    decided_at = fields.AwareDateTime(required=True)
    ban_until = fields.AwareDateTime(required=True, allow_none=True)
    # C-7 (v2): each restriction and its end; absent from first-version events (ban_until then)
    restrictions = fields.List(fields.Nested(RestrictionIn), load_default=list)


class RulingMadeIn(EventSchema):
    """T-6: an exempted matter lifts its ban and reverses its pool exit."""

    event_type = "tolerance.ruling_made"

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    case_id = fields.String(load_default=None, allow_none=True)
    outcome = fields.String(required=True)
    ruled_at = fields.AwareDateTime(required=True)


class CadreClearedIn(EventSchema):
    """C-5 澄清正名: the cases named are lifted like an exemption."""

    event_type = "accountability.cadre_cleared"

    cadre_id = fields.String(required=True)
    complaint_id = fields.String(required=True)
    outcome = fields.String(load_default=None)  # GROUNDLESS or FALSE_ACCUSATION: shown (v2)
    case_ids = fields.List(fields.String(), required=True)
    cleared_at = fields.AwareDateTime(required=True)


class CommendationAwardedIn(EventSchema):
    """L-5: a commendation is the outstanding result that gives grassroots cadres priority."""

    event_type = "appraisal.commendation_awarded"

    commendation_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    year = fields.Integer(required=True)
    kind = fields.String(required=True)
    awarded_at = fields.AwareDateTime(required=True)
