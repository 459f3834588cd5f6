"""Accountability's records behind the names its service uses: cases, complaints, and its copy of
talent's cadres."""

from services.accountability import rules
from services.accountability.models import CadreCopy, Case, Complaint, DownwardMove
from services.common.idempotency import ClientKeys
from services.common.paging import ASC, Order, Page, matching
from services.common.storage.records import Copies, Records, Storage


class Cases(Records):
    document = Case
    noun = "case"
    newest_by = "opened_at"

    def decided_in(self, year: int):
        """The decisions approved in ``year`` with their cases' units (C-6)."""
        return self.collection.find({"decision.year": year}, {"decision": 1, "unit_id": 1, "cadre_id": 1})

    def proposed(self, limit: int) -> list[dict]:
        """Work lists: verified cases with a decision proposed, waiting for a second officer, oldest
        proposal first."""
        return list(self.collection.find({"status": rules.VERIFIED, "proposal.proposal_id":
                                          {"$exists": True}}).sort("proposal.at", 1).limit(limit))

    def in_hand(self, limit: int) -> list[dict]:
        """Work lists: the cases not ended, oldest opened first."""
        return list(self.collection.find({"status": {"$in": [
            rules.OPEN, rules.INVESTIGATING, rules.VERIFIED, rules.DECIDED]}})
            .sort([("opened_at", 1), ("_id", 1)]).limit(limit))

    def of_complaint(self, complaint_id) -> list[dict]:
        return list(self.collection.find({"complaint_id": complaint_id}))

    def investigating(self, complaint_id) -> str | None:
        """The case an officer opened for the complaint, unless it was dismissed (C-5)."""
        found = self.collection.find_one(
            {"complaint_id": complaint_id, "status": {"$ne": rules.DISMISSED}}, {"_id": 1})
        return found and found["_id"]


class Complaints(Records):
    document = Complaint
    noun = "complaint"

    def claim(self, complaint_id, resolution: dict) -> bool:
        """Claim a filed complaint for one resolution (``RESOLVING``): of two officers resolving it at
        once, one claims it. False: it was not FILED any more."""
        claimed = self.store.update_one(
            Complaint, {"_id": complaint_id, "status": rules.FILED},
            {"$set": {"status": rules.RESOLVING, **resolution}, "$inc": {"version": 1}})
        return bool(claimed.matched_count)

    def finish(self, complaint_id, finished: dict, events=()) -> None:
        """The claimed resolution done, with the events it causes."""
        self.store.update_one(Complaint, {"_id": complaint_id, "status": rules.RESOLVING},
                              {"$set": finished, "$inc": {"version": 1}}, events)

    def by_deadline(self, cursor, limit: int, status=None, **equal) -> Page:
        """C-5 (v2): complaints (by default those not resolved yet), the earliest deadline (the most
        overdue) first."""
        return self.page({**matching(**equal),
                          "status": status or {"$in": [rules.FILED, rules.RESOLVING]}},
                         cursor, limit, Order(("due_at", ASC)))

    def not_expedited(self, cadre_id):
        return self.collection.find({"cadre_id": cadre_id, "status": rules.FILED, "expedited": False})

    def expedite(self, complaint_id, due_at) -> None:
        """C-5 快查快结: once -- an expedited complaint is not touched again."""
        self.store.update_one(
            Complaint, {"_id": complaint_id, "status": rules.FILED, "expedited": False},
            {"$set": {"expedited": True, "due_at": due_at}, "$inc": {"version": 1}})


class DownwardMoves(Records):
    document = DownwardMove
    noun = "downward move"

    def in_year(self, year: int) -> list[dict]:
        return list(self.collection.find({"year": year}))


class Cadres(Copies):
    """Talent's cadres, and whether each is under selection (C-5)."""

    document = CadreCopy
    key = "cadre_id"

    def principal_leaders(self, unit_id):
        return self.collection.find({"unit_id": unit_id, "is_principal": True})

    def names(self, cadre_ids) -> dict[str, str | None]:
        """C-6: the names the officers' copy of the report gives."""
        return {key: cadre.get("name") for key, cadre in self.store.by_ids(
            CadreCopy, list(cadre_ids), {"name": 1}).items()}


class AccountabilityStorage(Storage):
    client_keys = ClientKeys  # safe retries of the commands that create something
    cases = Cases
    complaints = Complaints
    cadres = Cadres
    downward_moves = DownwardMoves

