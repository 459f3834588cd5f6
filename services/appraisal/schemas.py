"""Appraisal's RPC payloads: what its methods take and answer (the gateway's request and response
bodies). Its events are in events.py."""

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates

from services.appraisal.rules import (
    COMMENDATION_KINDS,
    CYCLE_STATES,
    DEED_KINDS,
    GRADES,
    KINDS,
    LISTED_AT,
    PARTICIPANT_CHANGES,
    QUOTA_GROUP_STATES,
    UNIT_GRADES,
)
from services.common.boundary.schemas import ID, YEAR, JsonBool, Name, Text, unique
from services.common.paging import PageQuerySchema


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
    # A-8 (v2): 处理突发事件, 争取上级支持, 承担重要工作, other
    deed_kind = fields.String(required=True, validate=validate.OneOf(DEED_KINDS))
    typical_example = JsonBool(load_default=False)


class CommendationSchema(Schema):
    commendation_id = fields.String(attribute="_id")
    cadre_id = fields.String()
    unit_id = fields.String()
    year = fields.Integer()
    kind = fields.String()
    deed = fields.String()
    deed_kind = fields.String(allow_none=True)  # null for a first-version commendation
    typical_example = fields.Boolean()
    awarded_at = fields.AwareDateTime()


class YearSchema(Schema):
    year = fields.Integer(required=True, validate=YEAR)  # not strict: it arrives in a URL path


class CadreIdSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)


class CadreResultsQuerySchema(CadreIdSchema, PageQuerySchema):
    pass


class ListCommendationsSchema(PageQuerySchema):
    year = fields.Integer(load_default=None, validate=YEAR)  # not strict: it may arrive in a path
    cadre_id = fields.String(load_default=None, validate=ID)
    unit_id = fields.String(load_default=None, validate=ID)
    kind = fields.String(load_default=None, validate=validate.OneOf(COMMENDATION_KINDS))


class YearQuotasSchema(YearSchema, PageQuerySchema):
    pass


class CommendationIdSchema(Schema):
    commendation_id = fields.String(required=True, validate=ID)


class ListCyclesSchema(PageQuerySchema):
    unit_id = fields.String(load_default=None, validate=ID)
    year = fields.Integer(load_default=None, validate=YEAR)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(CYCLE_STATES))


class ListQuotaGroupsSchema(PageQuerySchema):
    year = fields.Integer(load_default=None, validate=YEAR)
    state = fields.String(load_default=None, validate=validate.OneOf(QUOTA_GROUP_STATES))
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100))  # in the name


class ListUnitGradesSchema(PageQuerySchema):
    unit_id = fields.String(load_default=None, validate=ID)
    year = fields.Integer(load_default=None, validate=YEAR)
    grade = fields.String(load_default=None, validate=validate.OneOf(UNIT_GRADES))


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


class PoolQuotaSchema(Schema):
    """A-1: one pool's quota -- a street unit's civil servants (STREET_CIVIL_SERVANT, 20 %) or
    everyone else (DEFAULT, 15 %)."""

    pool = fields.String()
    participants = fields.Integer()
    ratio = fields.Decimal(as_string=True)
    max = fields.Integer(attribute="maximum")
    used = fields.Integer()
    remaining = fields.Integer()


class GroupQuotaSchema(Schema):
    """The quota group a unit's cycle is pooled in: the group's quota is the one that binds."""

    group_id = fields.String()
    name = fields.String()
    state = fields.String()
    pools = fields.List(fields.Nested(PoolQuotaSchema))


class QuotaSchema(Schema):
    """A unit's quota sheet for a year: its totals (``ratio``: null when the unit has two pools),
    each pool, and the quota group it is pooled in, if any."""

    unit_id = fields.String()
    year = fields.Integer()
    participants = fields.Integer()
    ratio = fields.Decimal(as_string=True, allow_none=True)
    max = fields.Integer(attribute="maximum")
    used = fields.Integer()
    remaining = fields.Integer()
    pools = fields.List(fields.Nested(PoolQuotaSchema))
    group = fields.Nested(GroupQuotaSchema, allow_none=True)


class ChangeParticipantSchema(Schema):
    cycle_id = fields.String(required=True, validate=ID)
    cadre_id = fields.String(required=True, validate=ID)
    # A-1 (v2): add a cadre of the unit, remove one, or mark one not rated (不确定等次)
    change = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_CHANGES))
    reason = Text(max_length=2000)


MAX_CYCLES_PER_GROUP = 200


class CreateQuotaGroupSchema(Schema):
    name = Name(max_length=200)
    cycle_ids = fields.List(fields.String(validate=ID), required=True,
                            validate=[validate.Length(min=2, max=MAX_CYCLES_PER_GROUP), unique])


class QuotaGroupIdSchema(Schema):
    group_id = fields.String(required=True, validate=ID)


class GroupUnitSchema(Schema):
    unit_id = fields.String()
    cycle_id = fields.String()
    status = fields.String()
    pools = fields.List(fields.Nested(PoolQuotaSchema))


class QuotaGroupSchema(Schema):
    """A quota group's sheet: the pooled quota by pool, and each unit's share."""

    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    group_id = fields.String(attribute="_id")
    name = fields.String()
    year = fields.Integer()
    state = fields.String()
    cycle_ids = fields.List(fields.String())
    unit_ids = fields.List(fields.String())
    created_at = fields.AwareDateTime()
    formed_at = fields.AwareDateTime(allow_none=True)
    pools = fields.List(fields.Nested(PoolQuotaSchema))
    units = fields.List(fields.Nested(GroupUnitSchema))


class CycleIdSchema(Schema):
    cycle_id = fields.String(required=True, validate=ID)


class ResultSchema(Schema):
    cadre_id = fields.String()
    grade = fields.String()
    recorded_at = fields.AwareDateTime()
    in_quota = fields.Boolean()  # principal leaders are outside the unit's quota
    pool = fields.String(allow_none=True)  # A-1 (v2); null on a result recorded before pools
    comment = fields.String(allow_none=True)
    amendments = fields.List(fields.Nested(AmendmentSchema))


class ParticipantSchema(Schema):
    cadre_id = fields.String()
    pool = fields.String()


class NotRatedSchema(Schema):
    cadre_id = fields.String()
    reason = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()


class ParticipantChangeSchema(Schema):
    cadre_id = fields.String()
    change = fields.String()
    reason = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()
    grade_dropped = fields.String(allow_none=True)


class CycleSchema(Schema):
    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    cycle_id = fields.String(attribute="_id")
    unit_id = fields.String()
    year = fields.Integer()
    kind = fields.String()
    status = fields.String()
    results = fields.List(fields.Nested(ResultSchema))
    opened_at = fields.AwareDateTime()
    finalized_at = fields.AwareDateTime(allow_none=True)
    # A-1 (v2): null on a cycle opened before participant lists (its participants: the roster)
    participants = fields.List(fields.Nested(ParticipantSchema), allow_none=True)
    not_rated = fields.List(fields.Nested(NotRatedSchema))
    participant_changes = fields.List(fields.Nested(ParticipantChangeSchema))
    group_id = fields.String(allow_none=True)

    @pre_dump
    def first_version(self, cycle, **kwargs):
        return cycle if cycle.get(LISTED_AT) is not None else {**cycle, "participants": None}
