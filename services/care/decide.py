"""Care's decisions (DOMAIN.md K): what each command or event changes and publishes, given the record as
it stands, the command, the time, who acts and the policy. Pure: the service loads, calls one, and saves
the change (services/common/decision.py); a refusal is the rule's error."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.care import rules
from services.care.events import HardshipGranted, TalkCompleted
from services.common import work
from services.common.clock import as_date, as_utc, stored_date
from services.common.decision import NOTHING, Change, Event
from services.common.errors import Conflict, InvalidInput

Record = Mapping[str, Any]

# the deterministic ids of event-opened talks: one talk per reason and triggering matter, ever
TALK_IDS = uuid.UUID("9b2d7c1a-4f3e-4a8b-8c6d-1e2f3a4b5c6d")
# K-6 families of cadres who died on duty: none before the People's Republic's own cadre system
EARLIEST_DEATH = date(1949, 10, 1)


# K-1 must-talks


def talk(cadre: Record, *, talk_id: str, reason: str, matter: Record, opened_by: str,
         policy: rules.Policy, now: datetime, notes: str | None = None,
         assignee: str | None = None) -> Change:
    """A talk task, due within the policy's days (K-1)."""
    return Change(set={
        "talk_id": talk_id, "cadre_id": cadre["_id"], "unit_id": cadre.get("unit_id"),
        "reason": reason, "matter": matter, "notes": notes,
        "assignee": assignee or policy.talk_assignee, "opened_at": now, "opened_by": opened_by,
        "due_at": rules.talk_due(now, policy.talk_days)})


def talk_for(cadre: Record, *, reason: str, matter_type: str, matter_id: str, event: Any,
             policy: rules.Policy, now: datetime) -> Change:
    """K-1: a talk opened by what happened elsewhere, its id derived from the reason and the matter, so
    one matter opens one talk, however often its event comes."""
    return talk(cadre, talk_id=uuid.uuid5(TALK_IDS, f"{reason}:{matter_type}:{matter_id}").hex,
                reason=reason,
                matter={"type": matter_type, "id": matter_id, "event_id": event.event_id},
                opened_by=event.event_type, policy=policy, now=now)


def hold_talk(holder: Record | None, held: Record | None, *, talk_id: str) -> Change:
    """K-1: one open talk per cadre and reason opened by people. The key is taken for ``talk_id`` if
    nobody holds it, or if the talk holding it was completed (its release lost); otherwise the talk
    holding it is the one -- open, or still being written."""
    if holder is None or (held is not None and held["status"] == rules.DONE):
        return Change(set={"talk_id": talk_id})
    return NOTHING


def complete_talk(talk: Record, *, record: str, now: datetime, by: str) -> Change:
    """Completion records the talk (K-1); a second completion is refused."""
    rules.check_talk_open(talk)
    return Change(set={"status": rules.DONE, "completed_at": now, "completed_by": by,
                       "record": record},
                  events=[Event(TalkCompleted, {"talk_id": talk["_id"], "cadre_id": talk["cadre_id"],
                                                "reason": talk["reason"], "completed_at": now})])


# K-2 health checks, K-3 leave


def health_check(cadre: Record, *, year: int, checked_on: date, policy: rules.Policy,
                 now: datetime, today: date, by: str) -> Change:
    """One a year per cadre (``_id`` ``<cadre_id>:<year>``), to the standard the roster calls for;
    recorded once it took place, on a day of the year it counts for."""
    if checked_on.year != year:
        raise InvalidInput("the health check took place in another year than the one it counts for",
                           fields={"checked_on": [f"A day of {year}."]})
    if checked_on > today:
        raise InvalidInput("a health check is recorded once it took place",
                           fields={"checked_on": ["Not in the future."]})
    return Change(set={
        "check_id": f"{cadre['_id']}:{year}", "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
        "year": year, "checked_on": checked_on, "recorded_at": now, "recorded_by": by,
        "standard": rules.cadre_standard(cadre, policy.hardship_years)})


def record_leave(leave: Record | None, cadre: Record, *, year: int, days: int, starts_on: date,
                 entitlement: int, now: datetime, by: str) -> Change:
    """K-3: days taken, never more than the year's entitlement."""
    if starts_on.year != year:
        raise InvalidInput("the leave starts in another year than the one it is taken from",
                           fields={"starts_on": [f"A day of {year}."]})
    taken = leave["taken"] if leave else 0
    rules.check_leave(days, entitlement, taken)
    entry = {"days": days, "starts_on": stored_date(starts_on), "recorded_at": now, "by": by}
    if leave is None:
        return Change(set={"cadre_id": cadre["_id"], "year": year, "taken": days, "entries": [entry]})
    return Change(set={"taken": taken + days}, append={"entries": [entry]})


# K-5 hardship fund


def set_budget(fund: Record | None, *, budget_cents: int, now: datetime, by: str) -> Change:
    """The year's budget; lowering it below what was granted is refused (K-5)."""
    budget_before = fund["budget_cents"] if fund else 0
    granted = budget_before - fund["balance_cents"] if fund else 0
    rules.check_budget(budget_cents, granted)
    line = {"at": now, "kind": "BUDGET", "delta_cents": budget_cents - budget_before, "by": by}
    if fund is None:
        return Change(set={"budget_cents": budget_cents, "balance_cents": budget_cents,
                           "entries": [line]})
    return Change(set={"budget_cents": budget_cents, "balance_cents": budget_cents - granted},
                  append={"entries": [line]})


def grant(fund: Record, application: Record, *, cents: int, now: datetime, by: str) -> Change:
    """K-5: the grant is paid exactly once (an application granted before is not granted again), never
    for an application the fund has seen rejected, and the balance never goes negative; the debit, its
    checks and the ledger line are one write. The fund's book is where an approval and a rejection of
    one application meet: whichever is written there first stands."""
    if application["_id"] in (fund.get("granted_applications") or []):
        return NOTHING
    if application["_id"] in (fund.get("rejected_applications") or []):
        raise Conflict(f"hardship application {application['_id']} was rejected",
                       code="APPLICATION_DECIDED", rule="K-5", details={"status": rules.REJECTED})
    rules.check_fund_set(fund)
    rules.check_grant(fund["balance_cents"], cents)
    line = {"at": now, "kind": "GRANT", "delta_cents": -cents, "application_id": application["_id"],
            "cadre_id": application["cadre_id"], "by": by}
    return Change(set={"balance_cents": fund["balance_cents"] - cents},
                  append={"entries": [line], "granted_applications": [application["_id"]]})


def granted(fund: Record, application_id: str, cents: int) -> Record:
    """The fund's grant line for the application, which must be of this amount (K-5)."""
    line = next(e for e in fund["entries"] if e.get("application_id") == application_id)
    if -line["delta_cents"] != cents:
        raise Conflict(f"application {application_id} was granted {-line['delta_cents'] / 100:.2f} "
                       "by another approval", code="APPLICATION_DECIDED", rule="K-5",
                       details={"amount_cents": -line["delta_cents"]})
    return line


def approve(application: Record, line: Record, *, cents: int, note: str | None) -> Change:
    """K-5: the application approved with its grant, announced (care opens a MAJOR_SETBACK talk, K-1);
    approved before with this grant, it stays as it is."""
    if application["status"] == rules.APPROVED and application.get("amount_cents") == cents:
        return NOTHING
    rules.check_application_pending(application)
    at = as_utc(line["at"])
    return Change(set={"status": rules.APPROVED, "amount_cents": cents, "decided_at": at,
                       "decided_by": line["by"], "decision_note": note},
                  events=[Event(HardshipGranted, {
                      "application_id": application["_id"], "cadre_id": application["cadre_id"],
                      "reason": application["reason"], "amount_cents": cents, "granted_at": at})])


def refuse_grant(fund: Record | None, application: Record) -> Change:
    """K-5: a rejection written into the fund's book first, where it meets any approval of the same
    application: one the fund granted is not rejected; one rejected is never granted."""
    if fund and application["_id"] in (fund.get("granted_applications") or []):
        raise Conflict(f"hardship application {application['_id']} was granted",
                       code="APPLICATION_DECIDED", rule="K-5", details={"status": rules.APPROVED})
    if fund and application["_id"] in (fund.get("rejected_applications") or []):
        return NOTHING
    if fund is None:  # no budget yet: the book is opened empty, to hold the rejection
        return Change(set={"budget_cents": 0, "balance_cents": 0, "entries": [],
                           "rejected_applications": [application["_id"]]})
    return Change(append={"rejected_applications": [application["_id"]]})


def reject(application: Record, *, note: str, now: datetime, by: str) -> Change:
    """The application rejected, once its rejection is in the fund's book (refuse_grant)."""
    rules.check_application_pending(application)
    return Change(set={"status": rules.REJECTED, "decided_at": now, "decided_by": by,
                       "decision_note": note})


# K-6 bereaved families


def family(cadre: Record, *, died_on: date, dependants: Sequence[Record],
           visit_every_months: int | None, policy: rules.Policy, today: date) -> Change:
    """One registration per cadre (``family_id`` derived from the cadre), after the death."""
    if died_on > today:
        raise InvalidInput("a death is registered once it happened",
                           fields={"died_on": ["Not in the future."]})
    if died_on < EARLIEST_DEATH:
        raise InvalidInput("a death on duty the department still cares for is after 1949",
                           fields={"died_on": [f"On or after {EARLIEST_DEATH.isoformat()}."]})
    return Change(set={
        "family_id": uuid.uuid5(TALK_IDS, f"K-6:{cadre['_id']}").hex, "cadre_id": cadre["_id"],
        "unit_id": cadre["unit_id"], "died_on": died_on, "dependants": list(dependants),
        "visit_every_months": visit_every_months or policy.visit_every_months,
        "registered_on": today})


def visit(family: Record, *, visited_on: date, notes: str, today: date, by: str) -> Change:
    """K-6 定期慰问: a visit is recorded once it happened."""
    if visited_on > today:
        raise InvalidInput("a visit is recorded once it happened",
                           fields={"visited_on": ["Not in the future."]})
    if visited_on < as_date(family["died_on"]):
        raise InvalidInput("a condolence visit comes after the death",
                           fields={"visited_on": [f"On or after {as_date(family['died_on']).isoformat()}."]})
    return Change(append={"visits": [{"on": stored_date(visited_on), "notes": notes, "by": by}]})


# work lists (DOMAIN.md "Work lists (v2)")

TALK_DUE, HARDSHIP_PENDING, VISIT_DUE, HEALTH_CHECKS_MISSING, MY_LEAVE = (
    "TALK_DUE", "HARDSHIP_PENDING", "VISIT_DUE", "HEALTH_CHECKS_MISSING", "MY_LEAVE")


def talks_due(talks: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """Open must-talks by their due date, overdue first (K-1)."""
    return [work.item(TALK_DUE, "talk", t["_id"], f"/care/talks?cadre_id={t['cadre_id']}",
                      cadre_id=t["cadre_id"], state=t["status"], due=as_utc(t["due_at"]),
                      since=t.get("opened_at"), now=now,
                      detail={"reason": t["reason"], "assignee": t.get("assignee")})
            for t in talks]


def hardship_pending(applications: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """Hardship applications waiting for a decision, oldest first (K-5)."""
    return [work.item(HARDSHIP_PENDING, "hardship_application", a["_id"],
                      "/care/hardship-applications/pending", cadre_id=a["cadre_id"],
                      state=a["status"], since=a.get("filed_at"), now=now,
                      detail={"reason": a["reason"]})
            for a in applications]


def visits_due(families: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """Condolence visits due within 30 days or overdue (K-6)."""
    return [work.item(VISIT_DUE, "family", f["_id"], "/care/families/due-visits",
                      cadre_id=f.get("cadre_id"), state=f["status"], due=f["next_visit"], now=now,
                      detail={"died_on": f.get("died_on")})
            for f in families]


def health_checks_missing(cadres: Mapping[str, int], checked: Mapping[str, int], year: int,
                          now: datetime) -> list[dict[str, Any]]:
    """Units with cadres not yet checked this year (K-2), due by the year's end."""
    return [work.item(HEALTH_CHECKS_MISSING, "unit", unit_id,
                      f"/care/units/{unit_id}/health-checks/{year}", unit_id=unit_id,
                      due=date(year, 12, 31), now=now,
                      detail={"year": year, "cadres": count, "checked": checked.get(unit_id, 0),
                              "missing": count - checked.get(unit_id, 0)})
            for unit_id, count in sorted(cadres.items()) if unit_id and count > checked.get(unit_id, 0)]


def my_leave(leave: Record, now: datetime) -> list[dict[str, Any]]:
    """A cadre's paid leave of the year, while some is left (K-3)."""
    if leave["remaining"] <= 0:
        return []
    return [work.item(MY_LEAVE, "leave", f"{leave['cadre_id']}:{leave['year']}",
                      f"/care/cadres/{leave['cadre_id']}/leave/{leave['year']}",
                      cadre_id=leave["cadre_id"], due=date(leave["year"], 12, 31), now=now,
                      detail={k: leave[k] for k in ("year", "entitlement", "taken", "remaining")})]
