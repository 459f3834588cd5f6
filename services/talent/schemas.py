"""Talent's RPC payloads: what its methods take and answer (the gateway's request and response
bodies). Its events are in events.py."""

import csv
import io
from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.boundary.schemas import ID, YEAR, JsonBool, Name, Text, TransitionSchema, unique
from services.common.clock import business_date, utcnow
from services.common.errors import InvalidInput
from services.common.paging import PageQuerySchema
from services.talent.rules import (
    DIRECTIONS,
    DOWN_CAUSES,
    EXIT_DECLINE,
    EXIT_HEALTH,
    LEVELS,
    POSTING_KINDS,
    PROFILES,
    STAFF_CATEGORIES,
    STANDARDS,
    UNIT_TYPES,
)


class UnitSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)
    name = Name()
    unit_type = fields.String(required=True, validate=validate.OneOf(UNIT_TYPES))


def _plausible_birth(day):
    if not date(1900, 1, 1) <= day <= business_date(utcnow()):
        raise ValidationError("A birth date between 1900 and today.")
    return True


YEARS = validate.Range(min=0, max=80)  # years of service or in grassroots posts


def _plausible_post_since(day):
    if not date(1949, 10, 1) <= day <= business_date(utcnow()):
        raise ValidationError("The day the current post was taken: from 1949-10-01 to today.")
    return True


class CadreSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    name = Name()
    unit_id = fields.String(required=True, validate=ID)
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    is_leader = JsonBool(required=True)
    is_principal = JsonBool(required=True)
    birth_date = fields.Date(required=True, validate=_plausible_birth)
    grassroots_years = fields.Integer(required=True, strict=True, validate=YEARS)
    service_years = fields.Integer(required=True, strict=True, validate=YEARS)
    # (v2) the workforce (A-1's pools in street units), 任现职时间 (the posting history starts there; a
    # cadre without it is taken as in post since registration) and 急难险重工作一线 (K-2)
    staff_category = fields.String(load_default=None, allow_none=True,
                                   validate=validate.OneOf(STAFF_CATEGORIES))
    post_since = fields.Date(load_default=None, allow_none=True, validate=_plausible_post_since)
    emergency_front_line = JsonBool(load_default=False)


class UnitIdSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)


class ListUnitsSchema(PageQuerySchema):
    unit_type = fields.String(load_default=None, validate=validate.OneOf(UNIT_TYPES))
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100))  # in the name


class ListProgrammesSchema(PageQuerySchema):
    year = fields.Integer(load_default=None, validate=YEAR)
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100))  # in the name


class ProgrammeIdSchema(Schema):
    programme_id = fields.String(required=True, validate=ID)


class CadreIdSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)


class ClearingSchema(Schema):
    complaint_id = fields.String()
    outcome = fields.String()  # GROUNDLESS or FALSE_ACCUSATION
    cleared_at = fields.AwareDateTime()


class PostingSchema(Schema):
    from_unit_id = fields.String()
    to_unit_id = fields.String()
    post = fields.String()
    reason = fields.String()
    kind = fields.String(allow_none=True)  # L-6 (v2); null for a first-version posting
    direction = fields.String(allow_none=True)
    down_cause = fields.String(allow_none=True)
    at = fields.AwareDateTime()
    by = fields.String()  # the officer who recorded it


class CadreViewSchema(CadreSchema):
    """A cadre's roster record as it is read."""

    revision = fields.Integer()
    selection_status = fields.String()
    # C-5 澄清正名 (v2): complaints found untrue, shown on the profile
    clearings = fields.List(fields.Nested(ClearingSchema), dump_default=list)
    # L-6: the cadre's postings, oldest first (任职经历 on the profile)
    postings = fields.List(fields.Nested(PostingSchema), dump_default=list)


class UpdateCadreSchema(Schema):
    """Roster facts that change; a move to another unit is a posting (L-6)."""

    cadre_id = fields.String(required=True, validate=ID)
    name = Name(required=None)
    level = fields.String(validate=validate.OneOf(LEVELS))
    is_leader = JsonBool()
    is_principal = JsonBool()
    birth_date = fields.Date(validate=_plausible_birth)
    grassroots_years = fields.Integer(strict=True, validate=YEARS)
    service_years = fields.Integer(strict=True, validate=YEARS)
    staff_category = fields.String(validate=validate.OneOf(STAFF_CATEGORIES))
    post_since = fields.Date(validate=_plausible_post_since)
    emergency_front_line = JsonBool()


class ListCadresSchema(PageQuerySchema):
    unit_id = fields.String(load_default=None, validate=ID)
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100))  # in the name
    level = fields.String(load_default=None, validate=validate.OneOf(LEVELS))
    # the first version's paging, kept for its clients; a cursor is what a new one follows
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class ImportRosterSchema(Schema):
    # the roster as CSV with a header row of CadreSchema's field names (UTF-8)
    csv = fields.String(required=True, validate=validate.Length(min=1, max=8_000_000))


class RowErrorSchema(Schema):
    row = fields.Integer()  # the line in the file, the header being line 1
    cadre_id = fields.String(allow_none=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ImportReportSchema(Schema):
    rows = fields.Integer()
    imported = fields.Integer()
    unchanged = fields.Integer()  # already on the roster with the same facts
    errors = fields.List(fields.Nested(RowErrorSchema))


class StandardAssessmentSchema(Schema):
    holds = JsonBool(required=True)
    evidence = Text(max_length=4000)


class NominateSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    # L-1: evidence for each of the five standards
    evidence = fields.Dict(keys=fields.String(validate=validate.OneOf(STANDARDS)),
                           values=fields.String(validate=validate.Length(max=4000)), required=True)
    profile = fields.String(load_default=None, allow_none=True,
                            validate=validate.OneOf(sorted(PROFILES)))
    reason = Text(required=False, max_length=2000)


class AssessNominationSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    standards = fields.Dict(keys=fields.String(validate=validate.OneOf(STANDARDS)),
                            values=fields.Nested(StandardAssessmentSchema), required=True)
    profile_items = fields.Dict(keys=fields.String(validate=validate.OneOf(
        sorted({item for items in PROFILES.values() for item in items}))),
        values=JsonBool(), load_default=dict)


class PlaceInPostSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    post = Text(max_length=200)  # the demanding post (吃劲岗位)


class ExitPoolSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    cause = fields.String(required=True, validate=validate.OneOf((EXIT_DECLINE, EXIT_HEALTH)))
    evidence = Text(max_length=4000)


class PoolQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ("NOMINATED", "RESERVE", "IN_USE", "EXITED", "NOT_ADMITTED")))


class PoolExitSchema(Schema):
    cause = fields.String()
    rule = fields.String()
    case_id = fields.String(allow_none=True)
    source_event_id = fields.String(allow_none=True)
    evidence = fields.String(allow_none=True)
    at = fields.AwareDateTime()
    by = fields.String(allow_none=True)


class PoolEntrySchema(Schema):
    cadre_id = fields.String()
    unit_id = fields.String()
    level = fields.String()
    status = fields.String(allow_none=True)  # null: never nominated
    profile = fields.String(allow_none=True)
    evidence = fields.Dict(keys=fields.String(), values=fields.String())
    standards = fields.Dict(keys=fields.String(), values=fields.Nested(StandardAssessmentSchema))
    profile_items = fields.Dict(keys=fields.String(), values=fields.Boolean())
    post = fields.String(allow_none=True)
    nominated_at = fields.AwareDateTime()
    admitted_at = fields.AwareDateTime(allow_none=True)
    exit = fields.Nested(PoolExitSchema, allow_none=True)
    history = fields.List(fields.Nested(TransitionSchema))


class SelectionSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    reason = Text(required=False, max_length=2000)


class YoungCadresSchema(PageQuerySchema):
    unit_id = fields.String(load_default=None, validate=ID)


class YoungCadreSchema(Schema):
    cadre_id = fields.String()
    name = fields.String()
    unit_id = fields.String()
    level = fields.String()
    birth_date = fields.Date()
    age = fields.Integer()


class RotationQuerySchema(PageQuerySchema):
    unit_id = fields.String(load_default=None, validate=ID)


class RotationEntrySchema(Schema):
    """L-7: a cadre due to rotate (MUST or SHOULD), or listed for priority exchange."""

    cadre_id = fields.String()
    name = fields.String()
    unit_id = fields.String()
    level = fields.String()
    is_leader = fields.Boolean()
    post_since = fields.Date()
    post_since_assumed = fields.Boolean()  # no 任现职时间 on the roster: counted from registration
    years_in_post = fields.Integer()
    rotation = fields.String(allow_none=True)  # MUST (10 years or more), SHOULD (5 or more)
    priority_exchange = fields.Boolean()  # long in grassroots posts, with an EXCELLENT or a commendation
    grassroots_years = fields.Integer()


class CreateProgrammeSchema(Schema):
    name = Name()
    year = fields.Integer(required=True, strict=True, validate=YEAR)
    seats = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))


class AllocationLineSchema(Schema):
    cadre_id = fields.String()
    rank = fields.Integer()
    seated = fields.Boolean()
    priority = fields.String()
    reason = fields.String()


class ProgrammeSchema(Schema):
    version = fields.Integer()  # the record's ETag: If-Match it to change it safely
    programme_id = fields.String(attribute="_id")
    name = fields.String()
    year = fields.Integer()
    seats = fields.Integer()
    created_at = fields.AwareDateTime()
    allocation = fields.List(fields.Nested(AllocationLineSchema))
    allocated_at = fields.AwareDateTime(allow_none=True)


class AllocateSchema(Schema):
    programme_id = fields.String(required=True, validate=ID)
    candidates = fields.List(fields.String(validate=ID), required=True,
                             validate=[validate.Length(min=1, max=5000), unique])


class ChangePostingSchema(Schema):
    cadre_id = fields.String(required=True, validate=ID)
    unit_id = fields.String(required=True, validate=ID)  # where the cadre goes
    post = Text(max_length=200)
    reason = Text(max_length=2000)
    # the new post: whether it leads the unit (A-1..A-4), and optionally its leadership and level
    is_principal = JsonBool(required=True)
    is_leader = JsonBool(load_default=None, allow_none=True)
    level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LEVELS))
    # L-6 (v2): the exchange's kind and its direction; a move DOWN says why (C-6)
    kind = fields.String(required=True, validate=validate.OneOf(POSTING_KINDS))
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    down_cause = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(DOWN_CAUSES))

    @validates_schema
    def a_move_down_says_why(self, data, **kwargs):
        if (data.get("direction") == "DOWN") != bool(data.get("down_cause")):
            raise ValidationError("A move DOWN names its cause (UNFIT_FOR_POST, DEMOTION, OTHER); "
                                  "no other move does.", "down_cause")


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
    leadership_post_allowed = fields.Boolean()  # C-7: no NO_LEADERSHIP_POST restriction in force
    higher_post_allowed = fields.Boolean()  # C-7: neither NO_HIGHER_POST nor NO_PROMOTION in force
    selection_priority = fields.Boolean()
    training_priority = fields.Boolean()
    reasons = fields.List(fields.Nested(ReasonSchema))
    computed_at = fields.AwareDateTime()


# the roster import's file (POST /roster/imports)


def read_roster(text):
    """A roster import's CSV (its header: CadreSchema's fields) read: (data lines read, rows as loaded
    by CadreSchema with their line numbers, errors per line). A file that cannot be read at all is
    InvalidInput."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        given = reader.fieldnames or []
    except csv.Error as exc:
        raise InvalidInput(f"the CSV cannot be read: {exc}", code="CSV_MALFORMED") from None
    # a column is named in English or in Chinese, as the department's own sheets name it
    names = [ROSTER_COLUMNS.get((name or "").strip(), (name or "").strip()) for name in given]
    reader.fieldnames = names
    known = set(CadreSchema().fields)
    required = known - set(OPTIONAL_COLUMNS)
    if not required <= set(names) or not set(names) <= known or len(names) != len(set(names)):
        raise InvalidInput("the CSV header must name each of the roster's fields once",
                           code="CSV_HEADER", details={
                               "missing": sorted(required - set(names)),
                               "unknown": sorted(set(names) - known),
                               "repeated": sorted({n for n in names if names.count(n) > 1})})
    schema = CadreSchema()
    rows, errors, seen, lines = [], [], {}, 0
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidInput(f"the CSV cannot be read at line {reader.line_num}: {exc}",
                               code="CSV_MALFORMED", details={"line": reader.line_num}) from None
        line = reader.line_num  # the file's line, however many blank or multi-line rows before
        if all(not (v or "").strip() for k, v in raw.items() if k is not None):
            continue  # a blank line
        lines += 1
        if None in raw or any(v is None for v in raw.values()):
            errors.append({"row": line, "cadre_id": raw.get("cadre_id"),
                           "fields": {"_row": ["Wrong number of columns."]}})
            continue
        typed = {**raw, "level": LEVEL_LABELS.get(raw["level"].strip(), raw["level"]),
                 "is_leader": _flag(raw["is_leader"]),
                 "is_principal": _flag(raw["is_principal"]),
                 "grassroots_years": _number(raw["grassroots_years"]),
                 "service_years": _number(raw["service_years"])}
        for name in OPTIONAL_COLUMNS:  # an empty cell of a column a first-version sheet lacks
            if name in typed and not typed[name].strip():
                del typed[name]
        if "staff_category" in typed:
            typed["staff_category"] = STAFF_CATEGORY_LABELS.get(typed["staff_category"].strip(),
                                                                typed["staff_category"])
        if "emergency_front_line" in typed:
            typed["emergency_front_line"] = _flag(typed["emergency_front_line"])
        try:
            row = schema.load(typed)
        except ValidationError as exc:
            errors.append({"row": line, "cadre_id": raw.get("cadre_id"),
                           "fields": exc.normalized_messages()})
            continue
        if row["cadre_id"] in seen:
            errors.append({"row": line, "cadre_id": row["cadre_id"], "fields": {
                "cadre_id": [f"Also on line {seen[row['cadre_id']]}."]}})
            continue
        seen[row["cadre_id"]] = line
        rows.append((line, row))
    return lines, rows, errors


# the roster's columns as officers' sheets name them (DOMAIN.md shared vocabulary), beside the English
ROSTER_COLUMNS = {
    "干部编号": "cadre_id", "姓名": "name", "单位编号": "unit_id", "职级": "level",
    "是否领导干部": "is_leader", "是否党政主要领导": "is_principal", "出生日期": "birth_date",
    "基层一线艰苦地区工作年限": "grassroots_years", "工作年限": "service_years",
    "人员类别": "staff_category", "任现职时间": "post_since", "是否急难险重工作一线": "emergency_front_line",
}
# columns a first-version roster sheet does not have
OPTIONAL_COLUMNS = ("staff_category", "post_since", "emergency_front_line")
LEVEL_LABELS = {"市管正局级": "BUREAU_PRINCIPAL", "市管副局级": "BUREAU_DEPUTY", "处级": "DIVISION",
                "科级": "SECTION", "其他": "STAFF"}
STAFF_CATEGORY_LABELS = {"公务员": "CIVIL_SERVANT", "事业单位工作人员": "PUBLIC_INSTITUTION_STAFF",
                         "国有企业经营管理人员": "ENTERPRISE_MANAGER", "其他": "OTHER"}


def _flag(text):
    return {"true": True, "false": False, "1": True, "0": False, "是": True, "否": False}.get(
        text.strip().lower(), text)


def _number(text):
    text = text.strip()
    try:
        return int(text) if text.isascii() and text.isdecimal() and len(text) < 6 else text
    except ValueError:
        return text

