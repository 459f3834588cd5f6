"""Talent's pure rules: the roster vocabulary and eligibility computed from facts (DOMAIN.md L-3).

Eligibility is never typed in: it is a function of the facts the service has received, each fact
carrying the id of the event it came from, so every reason can say which rule and which event made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from services.common.clock import DEFAULT_BUSINESS_TIMEZONE, as_date, business_year_start
from services.common.errors import Conflict, RuleViolation

# Shared vocabulary (DOMAIN.md)
UNIT_TYPES = ("DISTRICT", "STREET_TOWNSHIP", "CITY_DEPARTMENT", "STATE_ENTERPRISE",
              "PUBLIC_INSTITUTION")
LEVELS = ("BUREAU_PRINCIPAL", "BUREAU_DEPUTY", "DIVISION", "SECTION", "STAFF")
# (v2) the three workforces of 000 item 14, and the rest: A-1's two pools in street units, L-6's moves
STAFF_CATEGORIES = ("CIVIL_SERVANT", "PUBLIC_INSTITUTION_STAFF", "ENTERPRISE_MANAGER", "OTHER")
# L-6 (v2): 制度性, 规范性, 配置性, 培养性 exchange (000 item 14), and 上挂外派 practice postings (item 13)
POSTING_KINDS = ("INSTITUTIONAL", "REGULATORY", "ALLOCATION", "DEVELOPMENTAL", "SECONDMENT")
UP, LATERAL, DOWN = "UP", "LATERAL", "DOWN"
DIRECTIONS = (UP, LATERAL, DOWN)
# C-6: why a cadre was moved down (不适宜担任现职, 降职, other)
DOWN_CAUSES = ("UNFIT_FOR_POST", "DEMOTION", "OTHER")

# What a reason does to a cadre's eligibility.
SELECTION_PRIORITY = "SELECTION_PRIORITY"  # 选拔任用优先考虑
TRAINING_PRIORITY = "TRAINING_PRIORITY"    # 优先调训
PROMOTION_BAN = "PROMOTION_BAN"            # may not be promoted now (C-7 NO_PROMOTION)
LEADERSHIP_POST_BAN = "LEADERSHIP_POST_BAN"  # may take no leadership post (C-7 NO_LEADERSHIP_POST)
HIGHER_POST_BAN = "HIGHER_POST_BAN"        # no post above the former level (C-7 NO_HIGHER_POST)
# C-7 (v2): accountability's restriction kinds as eligibility effects
RESTRICTION_EFFECTS = {"NO_PROMOTION": PROMOTION_BAN, "NO_LEADERSHIP_POST": LEADERSHIP_POST_BAN,
                       "NO_HIGHER_POST": HIGHER_POST_BAN}
NO_PRIORITY_PROMOTION = "NO_PRIORITY_PROMOTION"  # 不得优先提拔: priority in selection withheld
RESTRICTION_LIFTED = "RESTRICTION_LIFTED"  # informs: a restriction that no longer holds, and why

MERIT = "MERIT"
DROUGHT_YEARS = 3  # three consecutive years without MERIT

# Appraisal kinds whose EXCELLENT grade gives priority (A-5: annual, or in a special appraisal).
PRIORITY_KINDS = ("ANNUAL", "SPECIAL")

# L-4 young cadres and L-5 grassroots priority [policy values]
DEFAULT_YOUNG_CADRE_MAX_AGE = 40
DEFAULT_GRASSROOTS_PRIORITY_YEARS = 5
# A-5 (v2): an EXCELLENT of year Y gives priority until the end of year Y + this
DEFAULT_EXCELLENT_PRIORITY_YEARS = 1
# L-7 (v2) [national default]: leading cadres this long in one post must rotate, or should
DEFAULT_ROTATION_MUST_YEARS = 10
DEFAULT_ROTATION_SHOULD_YEARS = 5


@dataclass(frozen=True)
class Policy:
    """The policy values talent decides with: L-4's age, L-5's grassroots years, A-5's term, and
    where the department's year turns."""

    young_cadre_max_age: int = DEFAULT_YOUNG_CADRE_MAX_AGE
    grassroots_priority_years: int = DEFAULT_GRASSROOTS_PRIORITY_YEARS
    excellent_priority_years: int = DEFAULT_EXCELLENT_PRIORITY_YEARS
    business_timezone: str = DEFAULT_BUSINESS_TIMEZONE
    rotation_must_years: int = DEFAULT_ROTATION_MUST_YEARS
    rotation_should_years: int = DEFAULT_ROTATION_SHOULD_YEARS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        priority_years = config.get("EXCELLENT_PRIORITY_YEARS")
        return cls(int(config.get("YOUNG_CADRE_MAX_AGE") or DEFAULT_YOUNG_CADRE_MAX_AGE),
                   int(config.get("GRASSROOTS_PRIORITY_YEARS") or DEFAULT_GRASSROOTS_PRIORITY_YEARS),
                   DEFAULT_EXCELLENT_PRIORITY_YEARS if priority_years in (None, "")
                   else int(priority_years),
                   config.get("BUSINESS_TIMEZONE") or DEFAULT_BUSINESS_TIMEZONE,
                   int(config.get("ROTATION_MUST_YEARS") or DEFAULT_ROTATION_MUST_YEARS),
                   int(config.get("ROTATION_SHOULD_YEARS") or DEFAULT_ROTATION_SHOULD_YEARS))

    def excellent_priority_ends(self, year: int) -> datetime:
        """A-5 (v2): when the priority of an EXCELLENT of ``year`` lapses."""
        return business_year_start(year + self.excellent_priority_years + 1,
                                   {"BUSINESS_TIMEZONE": self.business_timezone})


@dataclass(frozen=True)
class Reason:
    rule: str
    effect: str
    source_event_id: str
    valid_from: datetime
    valid_until: datetime | None
    detail: str

    def active_at(self, now: datetime) -> bool:
        return self.valid_from <= now and (self.valid_until is None or now < self.valid_until)


@dataclass(frozen=True)
class Eligibility:
    promotable: bool
    leadership_post_allowed: bool
    higher_post_allowed: bool
    selection_priority: bool
    training_priority: bool
    reasons: list[Reason] = field(default_factory=list)


def latest_result_per_cycle(results: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """An amended result supersedes the earlier one of the same cycle (DOMAIN.md A: amendments)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for result in results:
        kept = latest.get(result["cycle_id"])
        if kept is None or result["finalized_at"] >= kept["finalized_at"]:
            latest[result["cycle_id"]] = result
    return sorted(latest.values(), key=lambda r: (r["finalized_at"], r["cycle_id"]))


def excellent_priority(results: Iterable[Mapping[str, Any]], policy: Policy | None = None) -> list[Reason]:
    """Rule A-5 (v2): EXCELLENT (annual or special) -> selection priority and training priority,
    from the result until the end of the following year (``EXCELLENT_PRIORITY_YEARS``, 1) where the
    department works. A later EXCELLENT renews it with a term of its own; an amendment that takes
    the EXCELLENT away takes the reason with it (the cycle's latest result counts)."""
    policy = policy or Policy()
    reasons = []
    for result in latest_result_per_cycle(results):
        if result["grade"] != "EXCELLENT" or result["kind"] not in PRIORITY_KINDS:
            continue
        detail = f"{result['kind']} appraisal {result['year']}: EXCELLENT"
        until = policy.excellent_priority_ends(result["year"])
        for effect in (SELECTION_PRIORITY, TRAINING_PRIORITY):
            reasons.append(Reason("A-5", effect, result["event_id"], result["finalized_at"],
                                  until, detail))
    return reasons


def latest_grade_per_year(unit_grades: Iterable[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    latest: dict[int, Mapping[str, Any]] = {}
    for graded in unit_grades:
        kept = latest.get(graded["year"])
        if kept is None or graded["graded_at"] >= kept["graded_at"]:
            latest[graded["year"]] = graded
    return latest


def merit_drought(unit_grades: Iterable[Mapping[str, Any]]) -> list[Reason]:
    """Rule A-3: three consecutive graded years without MERIT -> the unit's principal leaders may
    not be promoted with priority until the unit is MERIT again (000 item 8).

    A year the unit was not graded stops a run from forming (the rule needs three known years),
    but it does not lift a bar: only a later MERIT year does.
    """
    by_year = latest_grade_per_year(unit_grades)
    run: list[int] = []
    barred: list[int] | None = None
    for year in sorted(by_year):
        if by_year[year]["grade"] == MERIT:
            run, barred = [], None
            continue
        run = [*run, year] if run and run[-1] == year - 1 else [year]
        if len(run) >= DROUGHT_YEARS and barred is None:
            barred = run[-DROUGHT_YEARS:]
    if barred is None:
        return []
    since = by_year[barred[-1]]
    detail = "unit without MERIT in " + ", ".join(
        f"{year} ({by_year[year]['grade']})" for year in barred)
    return [Reason("A-3", NO_PRIORITY_PROMOTION, since["event_id"], since["graded_at"], None,
                   detail)]


def principal_tenures(cadre: Mapping[str, Any]) -> list[tuple[str, date | None, date | None]]:
    """A-3 (v2): the spans in which the cadre led a unit as principal, from the posting history,
    as (unit, from, to): ``to`` None while it lasts. The history starts at ``post_since`` (任现职时间)
    of the first post, or, for a cadre registered without it, at registration (DOMAIN.md: treated
    as in post since registration; ``history_assumed`` says so). A posting recorded before postings
    said who led is read as leading only if it is the last one and the cadre leads now. The last
    span is as the roster says now (a correction included)."""
    postings = cadre.get("postings") or []
    first = postings[0] if postings else {}
    unit = first.get("from_unit_id", cadre["unit_id"])
    start = as_date(first.get("from_since") if postings else cadre.get("post_since")) \
        or history_assumed(cadre)
    leading = bool(first.get("was_principal")) if postings else bool(cadre.get("is_principal"))
    spans = []
    for index, posting in enumerate(postings):
        at = as_date(posting["at"])
        if leading:
            spans.append((unit, start, at))
        unit, start = posting["to_unit_id"], at
        last = index == len(postings) - 1
        leading = bool(posting.get("is_principal", last and cadre.get("is_principal")))
    if cadre.get("is_principal"):
        spans.append((cadre["unit_id"], start if unit == cadre["unit_id"] else None, None))
    return spans


def history_assumed(cadre: Mapping[str, Any]) -> date | None:
    """The day the posting history is taken to start when the first post's ``post_since`` was never
    given: registration (None when it was given)."""
    postings = cadre.get("postings") or []
    given = postings[0].get("from_since") if postings else cadre.get("post_since")
    if given or not cadre.get("registered_at"):
        return None
    return as_date(cadre["registered_at"])


def years_led(spans: Iterable[tuple[str, date | None, date | None]], today: date) -> dict[int, str]:
    """A-3 (v2): the years the cadre led a unit, and which: a year counts for whoever led the unit
    more than half of it (of a year under way, of the part gone by) -- reading: the unit's grade of a
    year is its leader's when they led most of it, so a successor does not take a predecessor's
    year, nor leave one to them. A span without a start (a record without a registration date)
    reaches back to 1949."""
    led: dict[int, str] = {}
    for unit_id, start, end in spans:
        for year in range((start or date(1949, 10, 1)).year, (end or today).year + 1):
            begins, ends = date(year, 1, 1), min(date(year + 1, 1, 1), today)
            # of a year still under way, the part of it gone by
            days = (min(end or today, ends) - max(start or begins, begins)).days
            if days * 2 > (ends - begins).days:
                led[year] = unit_id
    return led


def own_unit_grades(led: Mapping[int, str], grades_by_unit: Mapping[str, Iterable[Mapping[str, Any]]]
                    ) -> list[Mapping[str, Any]]:
    """A-3 (v2): the performance grades of the units the cadre led, in the years they led them."""
    return [graded for unit_id, grades in grades_by_unit.items() for graded in grades
            if led.get(graded["year"]) == unit_id]


def lifted_cases(liftings: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """T-6 and C-5: the cases whose consequences are lifted (exempted, or cleared), by case id."""
    return {lifting["case_id"]: lifting for lifting in liftings}


def sanction_restrictions(sanction: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """C-7: the restrictions a decided sanction carries, each ``{kind, until}``. A sanction decided
    under the first version carried one promotion ban (``ban_until``): read as NO_PROMOTION."""
    if sanction.get("restrictions"):
        return sanction["restrictions"]
    return [{"kind": "NO_PROMOTION", "until": sanction["ban_until"]}] if sanction.get("ban_until") else []


def promotion_bans(sanctions: Iterable[Mapping[str, Any]],
                   liftings: Iterable[Mapping[str, Any]] = ()) -> list[Reason]:
    """C-7 (v2) [national default]: a decided sanction restricts what its kinds name -- promotion,
    a leadership post, a post above the former level -- each until its own end; an exempted (T-6)
    or cleared (C-5) matter restricts nothing, whichever came first."""
    lifted = lifted_cases(liftings)
    reasons = []
    for sanction in sanctions:
        restrictions = sanction_restrictions(sanction)
        lifting = lifted.get(sanction["case_id"])
        if lifting is not None and restrictions:
            # L-3: what was lifted, by which rule and event (T-6 exemption, C-5 clearing)
            reasons.append(Reason(
                lifting["rule"], RESTRICTION_LIFTED, lifting["event_id"], lifting["at"], None,
                f"the restrictions of case {sanction['case_id']} are lifted"))
        if lifting is not None:
            continue
        for restriction in restrictions:
            until = restriction["until"]
            reasons.append(Reason(
                "C-7", RESTRICTION_EFFECTS[restriction["kind"]], sanction["event_id"],
                sanction["decided_at"], until,
                f"{' + '.join(sanction['sanctions'])} decided in case {sanction['case_id']}: "
                f"{restriction['kind']} until {until.isoformat()}"))
    return reasons


def eligibility(results: Iterable[Mapping[str, Any]], now: datetime,
                unit_grades: Iterable[Mapping[str, Any]] = (),
                is_principal: bool = False,
                sanctions: Iterable[Mapping[str, Any]] = (),
                liftings: Iterable[Mapping[str, Any]] = (),
                policy: Policy | None = None, history_assumed: date | None = None,
                grassroots: Iterable[Reason] = ()) -> Eligibility:
    """Rule L-3: the cadre's eligibility now, with every reason that is in force. ``unit_grades``:
    the grades of the units the cadre led as principal, in the years they led them (A-3), their
    history taken to start at ``history_assumed`` when its start was never given (the answer says
    so)."""
    reasons = [r for r in excellent_priority(results, policy) if r.active_at(now)]
    if is_principal:
        note = f"; in post since registration on {history_assumed.isoformat()} (post_since not " \
               "given)" if history_assumed else ""
        reasons += [replace(r, detail=r.detail + note) for r in merit_drought(unit_grades)
                    if r.active_at(now)]
    reasons += [r for r in promotion_bans(sanctions, liftings) if r.active_at(now)]
    reasons += [r for r in grassroots if r.active_at(now)]  # L-5's grassroots priority
    effects = {r.effect for r in reasons}
    return Eligibility(
        # a promotion is a higher post: either restriction bars it
        promotable=not {PROMOTION_BAN, HIGHER_POST_BAN} & effects,
        leadership_post_allowed=LEADERSHIP_POST_BAN not in effects,
        # L-3 (v2): a higher post is a promotion, and a promotion a higher post (C-7)
        higher_post_allowed=not {PROMOTION_BAN, HIGHER_POST_BAN} & effects,
        selection_priority=SELECTION_PRIORITY in effects and NO_PRIORITY_PROMOTION not in effects,
        training_priority=TRAINING_PRIORITY in effects,
        reasons=reasons,
    )


# L-1, L-2: the lion-type pool (狮子型干部)

STANDARDS = ("LOYAL_AND_CLEAN", "OPEN_MINDED", "RESOURCEFUL_AND_CAPABLE", "TAKES_RESPONSIBILITY",
             "OUTSTANDING_RESULTS")
# 001: a profile per level; other levels are assessed against the five standards alone
PROFILES = {
    "BUREAU_PRINCIPAL": ("COMMANDS_THE_WHOLE", "DECIDES_DECISIVELY", "BUILDS_AND_LEADS_TEAMS"),
    "BUREAU_DEPUTY": ("HOLDS_OWN_GROUND", "STRONG_EXECUTION", "BACKBONE_ROLE", "CLEAR_THINKING",
                      "TACKLES_HARD_PROBLEMS", "DELIVERS"),
}
NOMINATED, RESERVE, IN_USE, EXITED, NOT_ADMITTED = (
    "NOMINATED", "RESERVE", "IN_USE", "EXITED", "NOT_ADMITTED")
IN_POOL = (RESERVE, IN_USE)
# L-2: why a cadre leaves the pool
EXIT_SANCTION = "SANCTION"   # (a) automatic, from accountability
EXIT_DECLINE = "DECLINE"     # (b) by an officer, with evidence
EXIT_HEALTH = "HEALTH"       # (c) by an officer, with evidence
OFFICER_EXITS = (EXIT_DECLINE, EXIT_HEALTH)


def check_profile(level: str, profile: str | None) -> None:
    """L-1: the level profile assessed is the cadre's own level's, where 001 gives one."""
    if profile is None:
        return
    if profile != level or level not in PROFILES:
        raise RuleViolation(
            f"the {profile} profile does not match the cadre's level {level}",
            code="PROFILE_MISMATCH", rule="L-1",
            details={"level": level, "profiles": sorted(PROFILES)})


def check_nomination_evidence(evidence: Mapping[str, str]) -> None:
    """L-1: a nomination brings evidence for every one of the five standards."""
    missing = [code for code in STANDARDS if not (evidence.get(code) or "").strip()]
    if missing:
        raise RuleViolation("a nomination brings evidence for each of the five standards",
                            code="EVIDENCE_MISSING", rule="L-1", details={"missing": missing})


def admitted(standards: Mapping[str, bool], profile_items: Mapping[str, bool], level: str) -> bool:
    """L-1: admitted only when all five standards hold, and the level profile's items where the
    level has one."""
    return all(standards.get(code, False) for code in STANDARDS) and all(
        profile_items.get(code, False) for code in PROFILES.get(level, ()))


def check_pool_status(pool: Mapping[str, Any] | None, *allowed: str, doing: str) -> None:
    status = (pool or {}).get("status")
    if status not in allowed:
        raise Conflict(f"the cadre is {status or 'not nominated'} in the pool: cannot {doing} "
                       f"(needs {' or '.join(allowed)})", code="POOL_STATE", rule="L-1",
                       details={"status": status, "needs": list(allowed)})


def exits_pool(sanction: Mapping[str, Any]) -> bool:
    """L-2(a): a new disciplinary sanction or organisational handling."""
    return bool(sanction.get("disciplinary") or sanction.get("organisational_handling"))


def pool_state(pool: Mapping[str, Any] | None, sanctions: Iterable[Mapping[str, Any]],
               liftings: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any] | None:
    """L-1, L-2: the pool status as things stand. An admitted cadre with a qualifying sanction
    decided after admission is EXITED, citing it -- until the matter is exempted or cleared, when
    they are back where they were (an exit caused by a lifted matter is reversed)."""
    if not pool:
        return None
    state = dict(pool)
    if pool.get("status") not in (NOMINATED, *IN_POOL):
        return state
    # "new": decided since the nomination -- a cadre sanctioned while nominated is not admitted
    since = pool.get("nominated_at") or pool.get("admitted_at")
    lifted = lifted_cases(liftings)
    causes = sorted((s for s in sanctions if exits_pool(s) and s["case_id"] not in lifted
                     and (since is None or s["decided_at"] >= since)),
                    key=lambda s: (s["decided_at"], s["case_id"]))
    if causes:
        first = causes[0]
        state.update(status=EXITED if pool["status"] in IN_POOL else NOT_ADMITTED, exit={
            "cause": EXIT_SANCTION, "rule": "L-2", "case_id": first["case_id"],
            "source_event_id": first["event_id"], "at": first["decided_at"],
            "evidence": f"{' + '.join(first['sanctions'])} decided in case {first['case_id']}"})
    return state


# L-4 young cadres

def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def young(cadres: Iterable[Mapping[str, Any]], today: date, max_age: int) -> list[dict[str, Any]]:
    """L-4: cadres under ``max_age``, youngest first, as the reserve lion-type selection looks at."""
    found = [{**cadre, "age": age_on(cadre["birth_date"], today)} for cadre in cadres]
    return sorted((c for c in found if c["age"] < max_age), key=lambda c: (c["age"], c["cadre_id"]))


# L-7 rotation (交流轮岗, 000 item 14)

MUST_ROTATE, SHOULD_ROTATE = "MUST", "SHOULD"
PRIORITY_EXCHANGE = "PRIORITY_EXCHANGE"  # 优先考虑交流: listed without being due to rotate


def years_between(start: date, today: date) -> int:
    """Whole years from ``start`` to ``today``."""
    return age_on(start, today)


def rotation_list(cadres: Iterable[Mapping[str, Any]], today: date, policy: Policy,
                  distinguished: set[str] = frozenset()) -> list[dict[str, Any]]:
    """L-7 (v2): leading cadres ``ROTATION_MUST_YEARS`` (10) or more in their post must rotate, those
    ``ROTATION_SHOULD_YEARS`` (5) or more should; cadres long in grassroots or hardship posts
    (``GRASSROOTS_PRIORITY_YEARS``) with an EXCELLENT result or a commendation (``distinguished``)
    are listed for priority exchange (优先考虑交流). Per unit, longest in post first. The post is held
    since ``post_since`` (任现职时间); a cadre registered without it counts from registration, and
    the entry says so (``post_since_assumed``)."""
    found = []
    for cadre in cadres:
        since = cadre.get("post_since")
        assumed = since is None
        if assumed:
            since = cadre["registered_at"].date() if cadre.get("registered_at") else today
        years = years_between(since, today)
        rotation = None
        if cadre.get("is_leader"):
            if years >= policy.rotation_must_years:
                rotation = MUST_ROTATE
            elif years >= policy.rotation_should_years:
                rotation = SHOULD_ROTATE
        priority = (cadre.get("grassroots_years") or 0) >= policy.grassroots_priority_years \
            and cadre["cadre_id"] in distinguished
        if rotation or priority:
            found.append({**cadre, "post_since": since, "post_since_assumed": assumed,
                          "years_in_post": years, "rotation": rotation,
                          "priority_exchange": priority})
    return sorted(found, key=rotation_order)


def rotation_order(entry: Mapping[str, Any]) -> tuple[str, int, str]:
    """L-7's list per unit, the longest in post first."""
    return entry["unit_id"], -entry["years_in_post"], entry["cadre_id"]


# L-5 incentive training (激励性调训)

PRIORITY_EXCELLENT = "EXCELLENT_APPRAISAL"      # A-5 / L-5: EXCELLENT annual or special
PRIORITY_GRASSROOTS = "GRASSROOTS_WITH_RESULTS"  # L-5: long in grassroots posts, with results
NO_PRIORITY = "NONE"
PRIORITY_ORDER = (PRIORITY_EXCELLENT, PRIORITY_GRASSROOTS, NO_PRIORITY)


def grassroots_priority(cadre: Mapping[str, Any], commendations: Iterable[Mapping[str, Any]],
                        grassroots_years: int) -> list[Reason]:
    """L-5 as a reason of L-3: long in grassroots or hardship posts (``grassroots_years`` or more)
    with outstanding results -- a commendation on record (A-8) -- gives priority in training, as
    the allocation of a programme's seats gives it (``training_priority``)."""
    commendations = list(commendations)
    if (cadre.get("grassroots_years") or 0) < grassroots_years or not commendations:
        return []
    first = min(commendations, key=lambda c: c["awarded_at"])
    return [Reason("L-5", TRAINING_PRIORITY, first["event_id"], first["awarded_at"], None,
                   f"{cadre['grassroots_years']} years in grassroots posts, commended "
                   f"({first.get('kind')}, {first.get('year')})")]


def training_priority(cadre: Mapping[str, Any], has_excellent: bool, has_commendation: bool,
                      grassroots_years: int) -> str:
    """L-5: priority to an EXCELLENT annual or special appraisal, then to cadres long in grassroots
    or hardship posts (``grassroots_years`` or more) whose results are outstanding -- a
    commendation (记功, 嘉奖: A-8) on record."""
    if has_excellent:
        return PRIORITY_EXCELLENT
    if cadre["grassroots_years"] >= grassroots_years and has_commendation:
        return PRIORITY_GRASSROOTS
    return NO_PRIORITY


def allocate(candidates: Iterable[Mapping[str, Any]], seats: int) -> list[dict[str, Any]]:
    """L-5: fill ``seats`` in this stated order: priority group (EXCELLENT, then grassroots with
    results, then the rest), then more grassroots years, then the cadre id. Each candidate is told
    the seat or the miss, and why."""
    ordered = sorted(candidates, key=lambda c: (PRIORITY_ORDER.index(c["priority"]),
                                                -c["grassroots_years"], c["cadre_id"]))
    allocation = []
    for rank, candidate in enumerate(ordered, start=1):
        seated = rank <= seats
        why = {PRIORITY_EXCELLENT: "priority: EXCELLENT appraisal (A-5, L-5)",
               PRIORITY_GRASSROOTS: "priority: long in grassroots posts with a commendation (L-5)",
               NO_PRIORITY: "no priority (L-5)"}[candidate["priority"]]
        allocation.append({
            "cadre_id": candidate["cadre_id"], "rank": rank, "seated": seated,
            "priority": candidate["priority"],
            "reason": f"{why}; rank {rank} of {len(ordered)} for {seats} seats: "
                      f"{'seated' if seated else 'no seat left'}"})
    return allocation


def check_restrictions(reasons: Iterable[Reason], *, promotion: bool = False,
                       leadership_post: bool = False, higher_post: bool = False) -> None:
    """C-7 (v2): a restriction in force blocks what it names -- a selection for promotion under
    NO_PROMOTION or NO_HIGHER_POST, a posting to a leadership post under NO_LEADERSHIP_POST, to a
    higher level under NO_HIGHER_POST (and NO_PROMOTION: a promotion) -- refused with its end."""
    blocking = set()
    if promotion or higher_post:
        blocking |= {PROMOTION_BAN, HIGHER_POST_BAN}
    if leadership_post:
        blocking.add(LEADERSHIP_POST_BAN)
    found = [r for r in reasons if r.effect in blocking]
    if found:
        until = max(r.valid_until for r in found if r.valid_until)
        raise RuleViolation(
            "a restriction in force forbids this until " + until.isoformat(), code="RESTRICTED",
            rule="C-7", details={"restrictions": [
                {"effect": r.effect, "until": r.valid_until.isoformat(), "source_event_id": r.source_event_id}
                for r in found]})
