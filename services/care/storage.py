"""Care's records behind the names its service uses: talks, health checks, leave, referrals, the
hardship fund and its applications, bereaved families, and its copy of talent's cadres. Dates come back
as dates (the store keeps midnight UTC of the day)."""

from services.care import rules
from services.care.models import (
    CadreCopy,
    Family,
    Fund,
    HardshipApplication,
    HealthCheck,
    LeaveYear,
    OpenTalk,
    Referral,
    Talk,
)
from services.common.clock import as_date
from services.common.idempotency import ClientKeys
from services.common.paging import ASC, DESC, Order, Page, matching
from services.common.storage.records import Copies, Records, Storage


class Talks(Records):
    document = Talk
    noun = "talk"
    newest_by = "opened_at"

    def overdue_page(self, now, cursor, limit, cadre_id=None, reason=None) -> Page:
        """K-1: open talks past their due date, the most overdue first."""
        return self.page({**matching(cadre_id=cadre_id, reason=reason), "status": rules.OPEN,
                          "due_at": {"$lt": now}}, cursor, limit, Order(("due_at", ASC)))


    def open_by_due(self, limit: int, cadre_id=None) -> list[dict]:
        """Work lists: open talks, the earliest due (the most overdue) first."""
        query = {"status": rules.OPEN, **({"cadre_id": cadre_id} if cadre_id else {})}
        return list(self.collection.find(query).sort([("due_at", 1), ("_id", 1)]).limit(limit))


class OpenTalks(Records):
    """K-1: while a talk opened by a person is open, the key ``<cadre_id>:<reason>`` names it, so that
    a cadre has one open talk per reason."""

    document = OpenTalk
    noun = "open talk"

    def release(self, talk_id) -> None:
        self.collection.delete_one({"talk_id": talk_id})


class HealthChecks(Records):
    """K-2: one a year per cadre, ``_id`` ``<cadre_id>:<year>``."""

    document = HealthCheck
    noun = "health check"
    order = Order(("year", DESC), ("unit_id", ASC), ("cadre_id", ASC))
    dates = ("checked_on",)

    def by_unit(self, year) -> dict[str, int]:
        """Work lists: the year's checks counted by unit (one query, grouped in the store)."""
        return {row["_id"]: row["n"] for row in self.collection.aggregate(
            [{"$match": {"year": year}}, {"$group": {"_id": "$unit_id", "n": {"$sum": 1}}}])}

    def count_in(self, unit_id, year) -> int:
        """The unit's checks of the year: two equalities the store answers from its indexes (a
        count or a $group would read every check on FerretDB)."""
        return len(list(self.collection.find({"unit_id": unit_id, "year": year}, {"_id": 1})))

    def of_unit(self, unit_id, year) -> dict[str, dict]:
        """The unit's checks of the year, by cadre."""
        return {c["cadre_id"]: c for c in self.collection.find({"unit_id": unit_id, "year": year})}


class Leave(Records):
    """K-3: a cadre's paid leave in a year, ``_id`` ``<cadre_id>:<year>``."""

    document = LeaveYear
    noun = "leave"

    def taken_in(self, year) -> dict[str, int]:
        """Days taken in the year, by cadre."""
        return {t["cadre_id"]: t["taken"] for t in self.collection.find({"year": year})}


class Referrals(Records):
    document = Referral
    noun = "referral"
    newest_by = "referred_at"


class Funds(Records):
    """K-5: a year's hardship fund, ``_id`` the year: its budget, balance and ledger in one document,
    so a grant's balance check, debit and ledger line are one write."""

    document = Fund
    noun = "the fund of"


class HardshipApplications(Records):
    document = HardshipApplication
    noun = "hardship application"

    newest_by = "filed_at"

    def pending(self, limit: int) -> list[dict]:
        """K-5 (v2): the applications waiting for a decision, oldest first."""
        return self.pending_page(None, limit)

    def pending_page(self, cursor, limit: int) -> Page:
        return self.page({"status": rules.PENDING}, cursor, limit, Order(("filed_at", ASC)))


class Families(Records):
    """K-6: the families of cadres who died on duty."""

    document = Family
    noun = "family"
    order = Order(("registered_on", DESC))
    dates = ("died_on", "registered_on")

    def load(self, family):
        family = super().load(family)
        return family and {**family, "visits": [{**visit, "on": as_date(visit["on"])}
                                                for visit in family.get("visits", [])]}

    def every(self) -> list[dict]:
        return [self.load(family) for family in self.collection.find({})]


class Cadres(Copies):
    """Talent's cadres: K-2 and K-3 read grassroots and service years, K-3 leaders; and the clearings
    (澄清正名) accountability announced."""

    document = CadreCopy
    key = "cadre_id"

    def in_unit(self, unit_id=None) -> list[dict]:
        """The unit's cadres, or every cadre."""
        return list(self.collection.find({"unit_id": unit_id} if unit_id else {}))

    def by_unit(self) -> dict[str, int]:
        """Work lists: the cadres counted by unit (one query, grouped in the store)."""
        return {row["_id"]: row["n"] for row in self.collection.aggregate(
            [{"$group": {"_id": "$unit_id", "n": {"$sum": 1}}}])}

    def count_in(self, unit_id) -> int:
        """The unit's cadres, by an equality the store answers from its index."""
        return len(list(self.collection.find({"unit_id": unit_id}, {"_id": 1})))

    def record_clearing(self, cadre_id, clearing: dict, event_id) -> None:
        self.apply_once(cadre_id, {"$push": {"cleared": clearing}}, event_id, upsert=True)


class CareStorage(Storage):
    client_keys = ClientKeys  # safe retries of the commands that create something
    talks = Talks
    open_talks = OpenTalks
    health_checks = HealthChecks
    leave = Leave
    referrals = Referrals
    funds = Funds
    hardship_applications = HardshipApplications
    families = Families
    cadres = Cadres
