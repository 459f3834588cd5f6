"""Appraisal's RPC payloads and the events it publishes and consumes."""

from marshmallow import Schema, ValidationError, fields, validate, validates

from services.appraisal.rules import COMMENDATION_KINDS, GRADES, KINDS
from services.common.boundary.schemas import ID, YEAR, Text
from services.common.messaging.events import EventSchema


class OpenCycleSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))


class RecordGradeSchema(Schema):
    cycle_id = fields.String(required=True, validate=ID)
    cadre_id = fields.String(required=True, validate=ID)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


MAX_GRADES_PER_CALL = 1000  # a unit's roster; larger units send several calls


class GradeRowSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RecordGradesSchema(Schema):
    cycle_id = fields.String(required=True, validate=ID)
    grades = fields.List(fields.Nested(GradeRowSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_GRADES_PER_CALL))

    @validates("grades")
    def one_grade_per_cadre(self, grades, **kwargs):
        seen, twice = set(), set()
        # runs even when a row failed its own checks: that row may lack its cadre_id
        for cadre_id in filter(None, (row.get("cadre_id") for row in grades)):
            (twice if cadre_id in seen else seen).add(cadre_id)
        if twice:
            raise ValidationError(f"one grade per cadre per call; given twice: {', '.join(sorted(twice))}")


class AmendResultSchema(Schema):
    cycle_id = fields.String(required=True, validate=ID)
    cadre_id = fields.String(required=True, validate=ID)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))
    reason = Text(max_length=2000)


class CommendSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    kind = fields.String(required=True, validate=validate.OneOf(COMMENDATION_KINDS))
    deed = Text(max_length=4000)
    typical_example = fields.Boolean(load_default=False, truthy={True}, falsy={False})


class CommendationSchema(Schema):
    commendation_id = fields.String()
    cadre_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    kind = fields.String()
    deed = fields.String()
    typical_example = fields.Boolean()
    awarded_at = fields.AwareDateTime()


class YearSchema(Schema):
    year = fields.Integer(required=True, validate=YEAR)  # not strict: it arrives in a URL path


class CadreIdSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)


class AmendmentSchema(Schema):
    at = fields.AwareDateTime()
    by = fields.String()
    from_grade = fields.String()
    to_grade = fields.String()
    reason = fields.String()


class CadreResultSchema(Schema):
    """A-7: a cadre's own result with the reasons: the appraisal's comment and any amendment."""

    cycle_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    kind = fields.String()
    grade = fields.String()
    comment = fields.String(allow_none=True)
    finalized_at = fields.AwareDateTime(allow_none=True)
    amendments = fields.List(fields.Nested(AmendmentSchema))


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
    comment = fields.String(allow_none=True)
    amendments = fields.List(fields.Nested(AmendmentSchema))


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
