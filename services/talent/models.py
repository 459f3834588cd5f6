"""Talent's own database: the roster (units, cadres) and the facts eligibility is computed from."""

from mongoengine import (
    BooleanField,
    DateField,
    DateTimeField,
    DictField,
    IntField,
    ListField,
    StringField,
)

from services.common.documents import Aggregate
from services.talent.rules import LEVELS, UNIT_TYPES


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
    registered_at = DateTimeField(required=True)
    # facts received from appraisal.result_finalized; eligibility is computed from them (L-3)
    appraisal_results = ListField(DictField())
