"""Accountability's own database: cases, complaints, the downward moves talent announced, and its copy
of talent's roster."""

from mongoengine import BooleanField, DateTimeField, DictField, IntField, ListField, StringField

from services.accountability.rules import FILED, OPEN
from services.common.storage.documents import Aggregate


class CadreCopy(Aggregate):
    """Projection of talent.cadre_registered, and the selection status C-5 reads."""

    meta = {"collection": "cadres", "indexes": ["unit_id"]}

    cadre_id = StringField(primary_key=True)
    name = StringField()
    unit_id = StringField()
    level = StringField()
    is_leader = BooleanField()
    is_principal = BooleanField()
    selection_status = StringField()  # talent.selection_status_changed: IN_SELECTION or not
    selection_changed_at = DateTimeField()


class Case(Aggregate):
    """A case of inaction against a leading cadre (C-1). Every write goes through ``version``."""

    meta = {"collection": "cases",
            "indexes": ["cadre_id", "status"]}

    case_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    unit_id = StringField(required=True)
    source = StringField(required=True)
    situations = ListField(StringField())
    summary = StringField()
    complaint_id = StringField()
    unit_grade = DictField()  # the unit's FAIL grade that opened it
    status = StringField(required=True, default=OPEN)
    history = ListField(DictField())       # who, when, from, to, why
    findings = StringField()               # what the investigation verified
    discipline_due = BooleanField(null=True)  # C-2 (v2): the finding that discipline is due
    proposal = DictField()                 # the decision waiting for a second officer
    decision = DictField()                 # the approved decision (sanctions, ban_until, year ...)
    pending_applications = ListField(StringField())  # C-4: tolerance applications not yet ruled
    # C-4 (v2): each hold as tolerance placed it, with the application's situation (re-filing)
    holds = ListField(DictField())
    # C-4 (v2): MITIGATED rulings that came after the decision, recorded and reported
    late_mitigations = ListField(DictField())
    rulings = ListField(DictField())       # C-4: tolerance rulings received
    mitigated = BooleanField(default=False)
    outcome = StringField()                # SANCTIONED, EXEMPTED or DISMISSED once it ends
    opened_at = DateTimeField(required=True)


class Complaint(Aggregate):
    """A report (信访举报) against a cadre (C-5). The reporter is seen by discipline officers only."""

    meta = {"collection": "complaints", "indexes": ["cadre_id", "status"]}

    complaint_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    unit_id = StringField(required=True)
    matter = StringField(required=True)
    reporter = DictField()  # empty: anonymous
    expedited = BooleanField(default=False)
    filed_at = DateTimeField(required=True)
    due_at = DateTimeField(required=True)
    status = StringField(required=True, default=FILED)
    outcome = StringField()
    reason = StringField()
    repeat_of = StringField()
    repeat_of_kind = StringField()  # C-5 (v2): the earlier matter is a case or a complaint
    case_id = StringField()
    referral = DictField()  # FALSE_ACCUSATION: referred for handling
    resolved_at = DateTimeField()
    resolved_by = StringField()
    filed_by = StringField()


class DownwardMove(Aggregate):
    """C-6 (v2): a leading cadre moved down by a posting in talent (talent.posting_changed, DOWN), with
    its cause: counted in the yearly report beside the organisational handlings decided here. Keyed by
    the event, so a redelivery is the same move."""

    meta = {"collection": "downward_moves", "indexes": ["year"]}

    move_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    name = StringField()
    unit_id = StringField(required=True)  # the unit the cadre was moved down from
    cause = StringField(required=True)  # UNFIT_FOR_POST, DEMOTION, OTHER
    year = IntField(required=True)
    moved_at = DateTimeField(required=True)
