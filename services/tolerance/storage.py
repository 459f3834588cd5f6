"""Tolerance's records behind the names its service uses: applications, and its copies of talent's
cadres and accountability's cases."""

from services.common.idempotency import ClientKeys
from services.common.storage.records import Copies, Records, Storage
from services.tolerance import rules
from services.tolerance.models import Application, CadreCopy, CaseCopy


class Applications(Records):
    document = Application
    noun = "application"
    newest_by = "filed_at"

    def pending_for_case(self, case_id) -> str | None:
        """The application answering the case that is not ruled yet, if any (C-4)."""
        found = self.collection.find_one({"case_id": case_id, "status": {"$ne": rules.RULED}},
                                         {"_id": 1})
        return found and found["_id"]

    def in_review(self, limit: int) -> list[dict]:
        """Work lists: applications not ruled yet, the oldest filed first."""
        return list(self.collection.find({"status": {"$in": [rules.FILED, rules.UNDER_REVIEW]}})
                    .sort([("filed_at", 1), ("_id", 1)]).limit(limit))

    def with_open_measures(self):
        """Ruled applications with a corrective measure not done (T-7)."""
        return self.collection.find({"status": rules.RULED, "measures.status": rules.OPEN})


class Cadres(Copies):
    """Talent's cadres: who may apply, and the unit that scopes them."""

    document = CadreCopy
    key = "cadre_id"


class Cases(Copies):
    """Accountability's cases: an application may answer a case of its own cadre."""

    document = CaseCopy
    key = "case_id"


class ToleranceStorage(Storage):
    client_keys = ClientKeys  # safe retries of the commands that create something
    applications = Applications
    cadres = Cadres
    cases = Cases
