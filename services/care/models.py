"""Care's own database: talks, health checks, leave, referrals, the hardship fund, bereaved families,
and its copy of talent's roster."""

from mongoengine import (
    BooleanField,
    DateField,
    DateTimeField,
    DictField,
    IntField,
    ListField,
    StringField,
)

from services.care.rules import OPEN, PENDING
from services.common.storage.documents import Aggregate


class CadreCopy(Aggregate):
    """Projection of talent's roster: K-2 and K-3 read grassroots and service years, K-3 leaders."""

    meta = {"collection": "cadres", "indexes": ["unit_id"]}

    cadre_id = StringField(primary_key=True)
    name = StringField()
    unit_id = StringField()
    level = StringField()
    is_leader = BooleanField()
    is_principal = BooleanField()
    grassroots_years = IntField()
    service_years = IntField()
    emergency_front_line = BooleanField()  # K-2 (v2)
    revision = IntField()
    cleared = ListField(DictField())  # accountability.cadre_cleared: 澄清正名, recorded


class Talk(Aggregate):
    """K-1: a must-talk task. Opened by an event its id derives from the matter (once per matter)."""

    meta = {"collection": "talks", "indexes": ["cadre_id", "status"]}

    talk_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    unit_id = StringField()
    reason = StringField(required=True)
    matter = DictField()  # what triggered it: {"type": "case", "id": ...}
    status = StringField(required=True, default=OPEN)
    assignee = StringField(required=True)
    opened_at = DateTimeField(required=True)
    opened_by = StringField()
    due_at = DateTimeField(required=True)
    notes = StringField()
    completed_at = DateTimeField()
    completed_by = StringField()
    record = StringField()  # what was said and agreed


class OpenTalk(Aggregate):
    """While a person-opened talk is open, this holds its key: one open per cadre and reason."""

    meta = {"collection": "open_talks"}

    key = StringField(primary_key=True)
    talk_id = StringField(required=True)


class HealthCheck(Aggregate):
    """K-2: one a year per cadre; ``_id`` is ``<cadre_id>:<year>``."""

    meta = {"collection": "health_checks", "indexes": ["unit_id", "year"]}

    check_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    unit_id = StringField(required=True)
    year = IntField(required=True)
    standard = StringField(required=True)
    checked_on = DateField(required=True)
    recorded_at = DateTimeField(required=True)
    recorded_by = StringField()


class LeaveYear(Aggregate):
    """K-3: a cadre's paid leave in a year; ``_id`` is ``<cadre_id>:<year>``."""

    meta = {"collection": "leave", "indexes": ["year"]}

    leave_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    year = IntField(required=True)
    taken = IntField(required=True, default=0)
    entries = ListField(DictField())


class Referral(Aggregate):
    """K-4: a psychological support referral; read by care officers only."""

    meta = {"collection": "referrals", "indexes": ["cadre_id"]}

    referral_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    notes = StringField(required=True)
    referred_at = DateTimeField(required=True)
    referred_by = StringField()


class Fund(Aggregate):
    """K-5: a year's hardship fund. Grants are single conditional updates of this one document:
    the balance check, the debit and the ledger line are one write."""

    meta = {"collection": "funds"}

    year = IntField(primary_key=True)
    budget_cents = IntField(required=True, default=0)
    balance_cents = IntField(required=True, default=0)
    entries = ListField(DictField())  # the ledger: budget changes and grants, in order
    granted_applications = ListField(StringField())  # the guard: each application granted once
    # and never once rejected: an approval and a rejection of one application meet here (K-5)
    rejected_applications = ListField(StringField())


class HardshipApplication(Aggregate):
    """K-5: an application to the hardship fund."""

    meta = {"collection": "hardship_applications", "indexes": ["cadre_id", "status"]}

    application_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    unit_id = StringField(required=True)
    year = IntField(required=True)
    reason = StringField(required=True)
    facts = StringField(required=True)
    status = StringField(required=True, default=PENDING)
    amount_cents = IntField()
    filed_at = DateTimeField(required=True)
    filed_by = StringField()
    decided_at = DateTimeField()
    decided_by = StringField()
    decision_note = StringField()


class Family(Aggregate):
    """K-6: the family of a cadre who died on duty (因公殉职), with its condolence visits."""

    meta = {"collection": "families"}

    family_id = StringField(primary_key=True)
    cadre_id = StringField(required=True)
    unit_id = StringField()
    died_on = DateField(required=True)
    dependants = ListField(DictField())
    visit_every_months = IntField(required=True)
    registered_on = DateField(required=True)
    visits = ListField(DictField())
