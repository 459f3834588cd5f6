"""Appraisal's own database: cycles with their results, and its copy of talent's roster."""

from mongoengine import BooleanField, DateTimeField, DictField, IntField, ListField, StringField

from services.appraisal.rules import KINDS, OPEN
from services.common.storage.documents import Aggregate


class UnitCopy(Aggregate):
    """Projection of talent.unit_registered."""

    meta = {"collection": "units"}

    unit_id = StringField(primary_key=True)
    name = StringField()
    unit_type = StringField()


class CadreCopy(Aggregate):
    """Projection of talent.cadre_registered."""

    meta = {"collection": "cadres", "indexes": ["unit_id"]}

    cadre_id = StringField(primary_key=True)
    name = StringField()
    unit_id = StringField()
    level = StringField()
    is_leader = BooleanField()
    is_principal = BooleanField()
    staff_category = StringField()  # A-1 (v2) pools; absent for cadres registered before it


class UnitGrade(Aggregate):
    """A unit's performance grade (绩效考评) for a year; ``_id`` is ``<unit_id>:<year>``."""

    meta = {
        "collection": "unit_grades",
        "indexes": [{"fields": ["unit_id", "year"], "unique": True}],
    }

    grade_id = StringField(primary_key=True)
    unit_id = StringField(required=True)
    year = IntField(required=True)
    grade = StringField(required=True)
    graded_at = DateTimeField(required=True)


class Commendation(Aggregate):
    """A-8: a merit citation (记功), commendation (嘉奖) or yearly selection (优秀共产党员, 人民满意的
    公务员) with the deed and its kind."""

    meta = {"collection": "commendations", "indexes": ["year", "cadre_id"]}

    commendation_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    unit_id = StringField(required=True)
    year = IntField(required=True)
    kind = StringField(required=True)
    deed = StringField(required=True)
    deed_kind = StringField()  # A-8 (v2); absent on first-version commendations
    typical_example = BooleanField(default=False)  # 优秀干部典型 of the year
    awarded_at = DateTimeField(required=True)
    awarded_by = StringField()


class Cycle(Aggregate):
    """A unit × year × kind appraisal; results are written under ``version`` (optimistic lock)."""

    meta = {
        "collection": "cycles",
        "indexes": [{"fields": ["unit_id", "year", "kind"], "unique": True},
                    ["status", "opened_at"],  # work lists: the open cycles, oldest first
                    "graded"],  # a cadre's results, found by an equality the store indexes
    }

    cycle_id = StringField(primary_key=True)
    unit_id = StringField(required=True)
    year = IntField(required=True)
    kind = StringField(required=True, choices=KINDS)
    status = StringField(required=True, default=OPEN)
    results = ListField(DictField())
    opened_at = DateTimeField(required=True)
    finalized_at = DateTimeField()
    # A-1 (v2): an annual cycle's participants ({cadre_id, pool}), listed from the roster when it
    # opens (a cycle opened before lists has none until an officer changes it); the cadres not rated
    # (不确定等次) with the reason; every change with who, when and why; its quota group
    participants = ListField(DictField())
    participants_listed_at = DateTimeField()
    not_rated = ListField(DictField())
    participant_changes = ListField(DictField())
    group_id = StringField()
    # the cadres with a result here: kept beside ``results`` by every change (storage.Cycles.change)
    graded = ListField(StringField())


class QuotaGroup(Aggregate):
    """A-1 (v2) pooling (合并计算): annual cycles of several units of one year counted against one
    quota. Formed in steps (FORMING, each cycle claimed, FORMED); a group still FORMING after its
    window was abandoned and claims nothing."""

    meta = {"collection": "quota_groups", "indexes": ["year"]}

    group_id = StringField(primary_key=True)
    name = StringField(required=True)
    year = IntField(required=True)
    cycle_ids = ListField(StringField())
    unit_ids = ListField(StringField())
    state = StringField(required=True)
    created_at = DateTimeField(required=True)
    formed_at = DateTimeField()
    created_by = StringField()


class Restriction(Aggregate):
    """A-6: a sanction decided on a cadre in a year, and whether it was lifted (T-6, C-5).

    ``_id`` is the case id; the sanction and its lifting may arrive in either order,
    so each event upserts its half and the bar holds while ``year`` is known and nothing lifted it.
    """

    meta = {"collection": "restrictions", "indexes": ["cadre_id", "year"]}  # year: A-6 per unit

    restriction_id = StringField(primary_key=True)
    cadre_id = StringField()     # from the sanction: unknown while only its lifting has arrived
    case_id = StringField(required=True)
    year = IntField()            # accountability.sanction_decided: the year it was decided
    sanctions = ListField(StringField())
    decided_at = DateTimeField()
    lifted = DictField()         # tolerance.ruling_made EXEMPTED, or accountability.cadre_cleared
