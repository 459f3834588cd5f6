"""Tolerance's own database: applications with their assessment and ruling, and its copies of
talent's roster and of accountability's cases."""

from mongoengine import BooleanField, DateTimeField, DictField, ListField, StringField

from services.common.storage.documents import Aggregate
from services.tolerance.rules import FILED


class CadreCopy(Aggregate):
    """Projection of talent.cadre_registered: who may apply, and the unit that scopes them."""

    meta = {"collection": "cadres", "indexes": ["unit_id"]}

    cadre_id = StringField(primary_key=True)
    name = StringField()
    unit_id = StringField()


class CaseCopy(Aggregate):
    """Projection of accountability.case_opened: an application answers a case of its cadre."""

    meta = {"collection": "cases", "indexes": ["cadre_id"]}

    case_id = StringField(primary_key=True)
    cadre_id = StringField()
    unit_id = StringField()
    source = StringField()
    opened_at = DateTimeField()


class Application(Aggregate):
    """A fault-tolerance application (T-1). Every write goes through ``version``."""

    meta = {"collection": "applications", "indexes": ["cadre_id", "status", "case_id"]}

    application_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    unit_id = StringField(required=True)
    situation = StringField(required=True)
    approval_reference = StringField()  # OTHER_APPROVED: the city's approving decision
    facts = StringField(required=True)
    case_id = StringField()
    loss = DictField()  # T-3, T-4 (v2): {level, evidence, by, at}
    case_held = BooleanField(null=True)  # C-4: whether the filing held the case (v2)
    status = StringField(required=True, default=FILED)
    conditions = DictField()   # code -> {holds, evidence, by, at}
    factors = DictField()      # code -> {rating, note, by, at} (T-5 分析研判)
    proposal = DictField()     # the ruling waiting for a second officer
    ruling = DictField()       # the approved ruling
    measures = ListField(DictField())  # T-7: corrective measures, tracked to DONE
    history = ListField(DictField())   # who, when, from, to, why
    filed_at = DateTimeField(required=True)
    filed_by = StringField()
