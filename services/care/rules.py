"""Care's pure rules (DOMAIN.md section K). No I/O: the service reads, calls these, writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.common.clock import add_months
from services.common.errors import Conflict, RuleViolation

# K-1 the four must-talks (四必谈)
JOB_ADJUSTMENT, MAJOR_SETBACK, EARLY_WARNING, SELF_REQUESTED = (
    "JOB_ADJUSTMENT", "MAJOR_SETBACK", "EARLY_WARNING", "SELF_REQUESTED")
TALK_REASONS = (JOB_ADJUSTMENT, MAJOR_SETBACK, EARLY_WARNING, SELF_REQUESTED)
OPEN, DONE = "OPEN", "DONE"
DEFAULT_TALK_DAYS = 15

# K-2 health checks
STANDARD, ENHANCED = "STANDARD", "ENHANCED"
DEFAULT_HARDSHIP_YEARS = 5

# K-3 paid leave [national default]: <10 years 5 days, <20 years 10 days, otherwise 15
DEFAULT_LEAVE_DAYS = ((10, 5), (20, 10), (None, 15))

# K-5 hardship fund
HARDSHIP_REASONS = ("NATURAL_DISASTER", "MAJOR_ILLNESS", "MAJOR_INCIDENT")
PENDING, APPROVED, REJECTED = "PENDING", "APPROVED", "REJECTED"
HARDSHIP_STATES = (PENDING, APPROVED, REJECTED)
# a fund ledger line's way: into the fund (a budget raised) or out of it (a grant, a budget lowered)
IN, OUT = "IN", "OUT"
LEDGER_DIRECTIONS = (IN, OUT)

# K-6 bereaved families
RELATIONS = ("SPOUSE", "CHILD", "ELDER")
DEFAULT_VISIT_MONTHS = 6
DUE_SOON_DAYS = 30


DEFAULT_ASSIGNEE = "care-office"


@dataclass(frozen=True)
class Policy:
    """The policy values care decides with: K-1's deadline and default assignee, K-2's hardship years,
    K-3's leave table [national default], K-6's visit interval."""

    talk_days: int = DEFAULT_TALK_DAYS
    talk_assignee: str = DEFAULT_ASSIGNEE
    hardship_years: int = DEFAULT_HARDSHIP_YEARS
    leave_days: tuple = DEFAULT_LEAVE_DAYS
    visit_every_months: int = DEFAULT_VISIT_MONTHS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        table = config.get("LEAVE_DAYS")
        return cls(
            int(config.get("TALK_DUE_DAYS") or DEFAULT_TALK_DAYS),
            config.get("TALK_ASSIGNEE") or DEFAULT_ASSIGNEE,
            int(config.get("HARDSHIP_YEARS") or DEFAULT_HARDSHIP_YEARS),
            tuple((row.get("below"), int(row["days"])) for row in table) if table
            else DEFAULT_LEAVE_DAYS,
            int(config.get("VISIT_EVERY_MONTHS") or DEFAULT_VISIT_MONTHS))


def talk_due(opened_at: datetime, days: int) -> datetime:
    """K-1: a talk is held within the configured days (default 15)."""
    return opened_at + timedelta(days=days)


def check_talk_open(talk: Mapping[str, Any]) -> None:
    if talk["status"] != OPEN:
        raise Conflict(f"talk {talk['_id']} was already completed", code="TALK_COMPLETED",
                       rule="K-1", details={"completed_at": str(talk.get("completed_at"))})


def health_standard(grassroots_years: int, hardship_years: int = DEFAULT_HARDSHIP_YEARS,
                    emergency_front_line: bool = False) -> str:
    """K-2 (v2): the ENHANCED check for cadres long in grassroots and hardship posts, or serving on
    the front line of urgent, difficult, dangerous and heavy work (急难险重工作一线) -- roster facts."""
    return ENHANCED if grassroots_years >= hardship_years or emergency_front_line else STANDARD


def cadre_standard(cadre: Mapping[str, Any], hardship_years: int = DEFAULT_HARDSHIP_YEARS) -> str:
    """K-2 for a cadre as care keeps it (a copy of the first version has no front-line fact)."""
    return health_standard(cadre.get("grassroots_years") or 0, hardship_years,
                           bool(cadre.get("emergency_front_line")))


def completion(cadres: Iterable[Mapping[str, Any]], checked: Mapping[str, Mapping[str, Any]],
               hardship_years: int = DEFAULT_HARDSHIP_YEARS) -> dict[str, Any]:
    """K-2: a unit's yearly completion -- who was checked, to which standard, who is missing."""
    cadres = list(cadres)
    missing = sorted(c["_id"] for c in cadres if c["_id"] not in checked)
    enhanced_due = [c["_id"] for c in cadres if cadre_standard(c, hardship_years) == ENHANCED]
    done = len(cadres) - len(missing)
    return {
        "cadres": len(cadres), "checked": done, "missing": missing,
        "enhanced_due": len(enhanced_due),
        "enhanced_done": sum(1 for c in enhanced_due if checked.get(c, {}).get("standard") == ENHANCED),
        "rate": (Decimal(done) / Decimal(len(cadres))).quantize(Decimal("0.0001")) if cadres
        else Decimal(0),
    }


def leave_entitlement(service_years: int, table=DEFAULT_LEAVE_DAYS) -> int:
    """K-3 (v2): paid leave days by years of service [national default 5 / 10 / 15]; none under one
    year of service (``service_years`` counts whole years, so 0)."""
    if service_years < 1:
        return 0
    for below, days in table:
        if below is None or service_years < below:
            return days
    raise ValueError("the leave table needs an open-ended last row")


def check_leave(days: int, entitlement: int, taken: int) -> None:
    if taken + days > entitlement:
        raise RuleViolation(f"{days} days would exceed the year's paid leave: {taken} of "
                            f"{entitlement} taken", code="LEAVE_EXCEEDED", rule="K-3",
                            details={"entitlement": entitlement, "taken": taken, "asked": days})


def untaken_report(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """K-3 领导干部带头: untaken leave, leading cadres first, then most days left, then the id."""
    found = [dict(r) for r in rows if r["remaining"] > 0]
    return sorted(found, key=untaken_order)


def untaken_order(row: Mapping[str, Any]) -> tuple[bool, int, str]:
    """K-3 领导干部带头: leading cadres first, the most days left first."""
    return not row["is_leader"], -row["remaining"], row["cadre_id"]


def to_cents(amount: Decimal) -> int:
    """Money is integer cents: 12.34 yuan -> 1234; more than two decimals is refused upstream."""
    return int((amount * 100).to_integral_exact())


def yuan(cents: int) -> Decimal:
    """Integer cents back as yuan with two places: 10000 -> 100.00."""
    return Decimal(cents).scaleb(-2)


def check_grant(balance_cents: int, amount_cents: int) -> None:
    """K-5: the fund's balance never goes negative."""
    if amount_cents > balance_cents:
        raise RuleViolation(f"the grant of {amount_cents / 100:.2f} exceeds the fund's remaining "
                            f"{balance_cents / 100:.2f}", code="FUND_EXCEEDED", rule="K-5",
                            details={"remaining_cents": balance_cents, "amount_cents": amount_cents})


def check_fund_set(fund: Mapping[str, Any]) -> None:
    """K-5: grants come from a budget the department set for the year (a book opened only to hold a
    rejection has none)."""
    if not any(entry.get("kind") == "BUDGET" for entry in fund.get("entries") or ()):
        raise Conflict(f"no hardship fund budget is set for {fund['_id']}", code="NO_FUND", rule="K-5")


def check_budget(new_budget_cents: int, granted_cents: int) -> None:
    if new_budget_cents < granted_cents:
        raise RuleViolation("the budget cannot be set below what was already granted",
                            code="BUDGET_BELOW_GRANTED", rule="K-5",
                            details={"granted_cents": granted_cents, "budget_cents": new_budget_cents})


def check_application_pending(application: Mapping[str, Any]) -> None:
    if application["status"] != PENDING:
        raise Conflict(f"hardship application {application['_id']} is {application['status']}",
                       code="APPLICATION_DECIDED", rule="K-5",
                       details={"status": application["status"]})


def ledger(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """K-5: the fund's book in the order it was written, each line with the running balance a
    person can check by hand."""
    balance = 0
    lines = []
    for entry in entries:
        balance += entry["delta_cents"]
        lines.append({**entry, "balance_cents": balance})
    return lines




def next_visit(family: Mapping[str, Any]) -> date:
    """K-6 定期慰问: every ``visit_every_months`` from the last visit (or from registration)."""
    visits = family.get("visits") or []
    last = max((v["on"] for v in visits), default=family["registered_on"])
    return add_months(last, family["visit_every_months"])


def visit_status(due: date, today: date) -> str | None:
    if due < today:
        return "OVERDUE"
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return "DUE"
    return None
