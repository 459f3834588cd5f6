"""Talent's own database: the roster (units, cadres) and the facts eligibility is computed from."""

from mongoengine import (
    BooleanField,
    DateField,
    DateTimeField,
    DictField,
    Document,
    IntField,
    ListField,
    StringField,
)

from services.common.storage.documents import Aggregate
from services.talent.rules import LEVELS, STAFF_CATEGORIES, UNIT_TYPES


class Unit(Aggregate):
    meta = {"collection": "units"}

    unit_id = StringField(primary_key=True)
    name = StringField(required=True)
    unit_type = StringField(required=True, choices=UNIT_TYPES)
    registered_at = DateTimeField(required=True)
    # facts received from appraisal.unit_graded: A-3 reads them for the unit's principal leaders
    performance_grades = ListField(DictField())


class Cadre(Aggregate):
    meta = {"collection": "cadres", "indexes": ["unit_id"]}

    cadre_id = StringField(primary_key=True)
    name = StringField(required=True)
    unit_id = StringField(required=True)
    level = StringField(required=True, choices=LEVELS)
    is_leader = BooleanField(required=True)
    is_principal = BooleanField(required=True)
    birth_date = DateField(required=True)
    grassroots_years = IntField(required=True, min_value=0)
    service_years = IntField(required=True, min_value=0)
    # (v2) absent on cadres registered under the first version (decide.FIRST_VERSION_FACTS)
    staff_category = StringField(null=True, choices=STAFF_CATEGORIES)
    post_since = DateField(null=True)  # 任现职时间
    emergency_front_line = BooleanField(default=False)  # 急难险重工作一线 (K-2)
    registered_at = DateTimeField(required=True)
    # the roster record's revision: every change bumps it and travels on talent.cadre_updated, so
    # the copies other services keep apply the latest and ignore a late older one
    revision = IntField(required=True, default=1)
    # facts received from other services; eligibility and pool status are computed from them (L-3)
    # appraisal.result_finalized / result_amended as kept before ADR 0017; read beside Result
    appraisal_results = ListField(DictField())
    sanctions = ListField(DictField())          # accountability.sanction_decided
    liftings = ListField(DictField())           # tolerance.ruling_made EXEMPTED, cadre_cleared
    clearings = ListField(DictField())          # accountability.cadre_cleared: 澄清正名, shown
    commendations = ListField(DictField())      # appraisal.commendation_awarded (L-5 results)
    # L-1, L-2: the cadre's place in the lion-type pool as officers recorded it
    pool = DictField()
    # C-5: under consideration for selection (accountability expedites complaints)
    selection_status = StringField(default="NOT_IN_SELECTION")
    postings = ListField(DictField())           # L-6: exchange and rotation


class Result(Document):
    """An appraisal result as talent received it (appraisal.result_finalized / result_amended), the
    fact rule A-5 reads. Its own document under the id of the event it came in, so keeping it is an
    insert, grouped with other workers' (ADR 0017): the same event again collides on ``_id``.
    Stored and read raw, with the payload's fields and ``event_id``."""

    meta = {"collection": "results", "indexes": ["cadre_id"], "strict": False}

    result_id = StringField(primary_key=True)  # the event id
    cadre_id = StringField(required=True)


class Programme(Aggregate):
    """L-5: an incentive training programme (激励性调训) with its seats and their allocation."""

    meta = {"collection": "programmes"}

    programme_id = StringField(primary_key=True)
    name = StringField(required=True)
    year = IntField(required=True)
    seats = IntField(required=True, min_value=1)
    created_at = DateTimeField(required=True)
    allocation = ListField(DictField())
    allocated_at = DateTimeField()
