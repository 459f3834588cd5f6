"""Accountability's events: what it publishes (the producer's full payloads) and, of what it consumes, only
the fields it relies on (ARCHITECTURE.md §2)."""

from marshmallow import Schema, fields, validate

from services.accountability.rules import RESTRICTION_KINDS, SANCTIONS, SOURCES
from services.common.messaging.events import EventSchema

# Events published


class CaseOpened(EventSchema):
    event_type = "accountability.case_opened"
    schema_version = 1

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    situations = fields.List(fields.String(), required=True)
    complaint_id = fields.String(allow_none=True)
    opened_at = fields.AwareDateTime(required=True)


class RestrictionOut(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(RESTRICTION_KINDS))
    until = fields.AwareDateTime(required=True)


class SanctionDecided(EventSchema):
    event_type = "accountability.sanction_decided"
    schema_version = 1

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)  # the year the sanction was decided
    sanctions = fields.List(fields.String(validate=validate.OneOf(SANCTIONS)), required=True)
    organisational_handling = fields.Boolean(required=True)  # L-2a, K-1 JOB_ADJUSTMENT
    disciplinary = fields.Boolean(required=True)  # L-2a
    severity = fields.String(required=True, allow_none=True)  # null: decided outside (C-7)
    mitigated = fields.Boolean(required=True)
    decided_at = fields.AwareDateTime(required=True)
    ban_until = fields.AwareDateTime(required=True, allow_none=True)  # the promotion ban's end
    # C-7 (v2): each restriction the decision carries and its end
    restrictions = fields.List(fields.Nested(RestrictionOut), load_default=list)
    # C-7 (v2): a sanction decided outside accountability says so, with the decision's reference
    source = fields.String(load_default=None, allow_none=True)
    reference = fields.String(load_default=None, allow_none=True)


class CaseClosed(EventSchema):
    event_type = "accountability.case_closed"
    schema_version = 1

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    outcome = fields.String(required=True)  # SANCTIONED, EXEMPTED, DISMISSED or CLEARED
    closed_at = fields.AwareDateTime(required=True)


class LateMitigationRecorded(EventSchema):
    """C-4 (v2): a MITIGATED ruling that came after the decision. The decided sanction stands -- it is
    not undone silently -- and this reports it, for the officers to review the decision."""

    event_type = "accountability.late_mitigation_recorded"
    schema_version = 1

    case_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    application_id = fields.String(required=True)
    sanctions = fields.List(fields.String(), required=True)  # the decision as it stands
    ruled_at = fields.AwareDateTime(required=True)


class ReporterOut(Schema):
    name = fields.String(required=True)
    contact = fields.String(allow_none=True)


class FalseAccusationReferred(EventSchema):
    """C-5 (v2) 诬告陷害: a named reporter's complaint found to be a false accusation, referred for
    handling according to discipline and law. For discipline inspection's systems: it names the
    reporter, so only what discipline inspection runs should bind to it."""

    event_type = "accountability.false_accusation_referred"
    schema_version = 1

    complaint_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    reporter = fields.Nested(ReporterOut, required=True)
    matter = fields.String(required=True)
    reason = fields.String(allow_none=True)
    referred_at = fields.AwareDateTime(required=True)


class CadreCleared(EventSchema):
    event_type = "accountability.cadre_cleared"
    schema_version = 1

    cadre_id = fields.String(required=True)
    complaint_id = fields.String(required=True)
    outcome = fields.String(required=True)  # GROUNDLESS or FALSE_ACCUSATION
    cleared_at = fields.AwareDateTime(required=True)
    # 澄清正名: the cases that decided sanctions on the untrue report; what they caused is lifted
    case_ids = fields.List(fields.String(), required=True)


class ComplaintFiled(EventSchema):
    """No reporter in it: the reporter's identity stays with discipline officers (C-5)."""

    event_type = "accountability.complaint_filed"
    schema_version = 1

    complaint_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    unit_id = fields.String(required=True)
    expedited = fields.Boolean(required=True)
    filed_at = fields.AwareDateTime(required=True)
    due_at = fields.AwareDateTime(required=True)


# Events consumed: only the fields accountability relies on


class CadreRegisteredIn(EventSchema):
    event_type = "talent.cadre_registered"

    cadre_id = fields.String(required=True)
    name = fields.String(required=True)
    unit_id = fields.String(required=True)
    level = fields.String(required=True)
    is_leader = fields.Boolean(required=True)
    is_principal = fields.Boolean(required=True)
    revision = fields.Integer(load_default=1)  # orders roster changes: the later one wins


class CadreUpdatedIn(CadreRegisteredIn):
    event_type = "talent.cadre_updated"


class PostingChangedIn(EventSchema):
    """talent.posting_changed: C-6 counts a leading cadre moved DOWN, with its cause."""

    event_type = "talent.posting_changed"

    cadre_id = fields.String(required=True)
    from_unit_id = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)
    direction = fields.String(load_default=None, allow_none=True)
    down_cause = fields.String(load_default=None, allow_none=True)
    is_leader = fields.Boolean(load_default=None, allow_none=True)
    name = fields.String(load_default=None, allow_none=True)


class SelectionStatusChangedIn(EventSchema):
    """talent.selection_status_changed: C-5 expedites complaints while IN_SELECTION."""

    event_type = "talent.selection_status_changed"

    cadre_id = fields.String(required=True)
    status = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)


class UnitGradedIn(EventSchema):
    event_type = "appraisal.unit_graded"

    unit_id = fields.String(required=True)
    year = fields.Integer(required=True)
    grade = fields.String(required=True)
    graded_at = fields.AwareDateTime(required=True)


class ApplicationFiledIn(EventSchema):
    """tolerance.application_filed: C-4 holds the case it answers."""

    event_type = "tolerance.application_filed"

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    case_id = fields.String(load_default=None, allow_none=True)
    case_held = fields.Boolean(load_default=None, allow_none=True)


class RulingMadeIn(EventSchema):
    """tolerance.ruling_made: C-4 closes or mitigates the case it answers."""

    event_type = "tolerance.ruling_made"

    application_id = fields.String(required=True)
    cadre_id = fields.String(required=True)
    case_id = fields.String(load_default=None, allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf(
        ("EXEMPTED", "MITIGATED", "REJECTED")))
    ruled_at = fields.AwareDateTime(required=True)
