"""Care's events: what it publishes (the producer's full payloads) and, of what it consumes, only
the fields it relies on (ARCHITECTURE.md §2)."""

from marshmallow import fields, validate

from services.care.rules import HARDSHIP_REASONS, TALK_REASONS
from services.common.messaging.events import EventSchema

# Events published


class HardshipGranted(EventSchema):
    """K-5 -> K-1: an approved grant opens a MAJOR_SETBACK talk."""

    event_type = "care.hardship_granted"
    schema_version = 1

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(HARDSHIP_REASONS))
    amount_cents = fields.Integer(required=True)
    granted_at = fields.AwareDateTime(required=True)


class TalkCompleted(EventSchema):
    event_type = "care.talk_completed"
    schema_version = 1

    talk_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(TALK_REASONS))
    completed_at = fields.AwareDateTime(required=True)


# Events consumed: only the fields care relies on


class CadreRegisteredIn(EventSchema):
    event_type = "talent.cadre_registered"

    cadre_id = fields.String(required=True)
    name = fields.String(required=True)
    unit_id = fields.String(required=True)
    level = fields.String(required=True)
    is_leader = fields.Boolean(required=True)
    is_principal = fields.Boolean(required=True)
    grassroots_years = fields.Integer(required=True)
    service_years = fields.Integer(required=True)
    # K-2 (v2); absent from events of the first version
    emergency_front_line = fields.Boolean(load_default=False)
    revision = fields.Integer(load_default=1)


class CadreUpdatedIn(CadreRegisteredIn):
    event_type = "talent.cadre_updated"


class PostingChangedIn(EventSchema):
    event_type = "talent.posting_changed"

    cadre_id = fields.String(required=True)
    to_unit_id = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)


class CaseOpenedIn(EventSchema):
    event_type = "accountability.case_opened"

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    complaint_id = fields.String(load_default=None, allow_none=True)  # K-1 (v2): the complaint's matter
    opened_at = fields.AwareDateTime(required=True)


class ComplaintFiledIn(EventSchema):
    event_type = "accountability.complaint_filed"

    complaint_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    filed_at = fields.AwareDateTime(required=True)


class SanctionDecidedIn(EventSchema):
    event_type = "accountability.sanction_decided"

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    organisational_handling = fields.Boolean(required=True)
    decided_at = fields.AwareDateTime(required=True)


class CadreClearedIn(EventSchema):
    event_type = "accountability.cadre_cleared"

    cadre_id = fields.String(required=True)
    complaint_id = fields.String(required=True)
    cleared_at = fields.AwareDateTime(required=True)


class HardshipGrantedIn(EventSchema):
    event_type = "care.hardship_granted"

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    granted_at = fields.AwareDateTime(required=True)
