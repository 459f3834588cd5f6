"""Talent's decisions (DOMAIN.md L, C-5, C-7): what each command or event changes and publishes, given
the cadre as it stands, the command, the time and who acts. Pure: the service loads, calls one, and
saves the change (services/common/decision.py); a refusal is the rule's error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from services.common import work
from services.common.clock import stored_date
from services.common.decision import NOTHING, Change, Event, transition
from services.common.errors import Conflict, InvalidInput
from services.talent import rules
from services.talent.events import (
    CadreRegistered,
    CadreUpdated,
    PoolExited,
    PostingChanged,
    SelectionStatusChanged,
    UnitRegistered,
)

Record = Mapping[str, Any]

ROSTER_FACTS = ("name", "unit_id", "level", "is_leader", "is_principal", "birth_date",
                "grassroots_years", "service_years", "staff_category", "post_since",
                "emergency_front_line")
# (v2) facts a cadre registered under the first version does not have: read as these
FIRST_VERSION_FACTS = {"staff_category": None, "post_since": None, "emergency_front_line": False}


def roster_facts(cadre: Record) -> dict[str, Any]:
    """The cadre's roster facts, a first-version record's missing ones as FIRST_VERSION_FACTS."""
    return {k: cadre.get(k, FIRST_VERSION_FACTS.get(k)) for k in ROSTER_FACTS}
IN_SELECTION, NOT_IN_SELECTION = "IN_SELECTION", "NOT_IN_SELECTION"


# the roster


def register_unit(*, unit_id: str, name: str, unit_type: str, now: datetime) -> Change:
    return Change(set={"unit_id": unit_id, "name": name, "unit_type": unit_type,
                       "registered_at": now},
                  events=[Event(UnitRegistered, {"unit_id": unit_id, "name": name,
                                                 "unit_type": unit_type})])


def register_cadre(facts: Record, *, now: datetime) -> Change:
    """A new cadre on the roster at revision 1, announced whole: every service keeps its copy."""
    return Change(set={
        "cadre_id": facts["cadre_id"], **roster_facts(facts), "registered_at": now,
        "revision": 1, "version": 1, "selection_status": NOT_IN_SELECTION, "appraisal_results": [],
        "sanctions": [], "liftings": [], "commendations": [], "postings": [], "applied_events": [],
    }, events=[Event(CadreRegistered, {**facts, **roster_facts(facts), "revision": 1})])


def cleared(clearing: Record, event_id: str) -> Change:
    """C-5 澄清正名 (v2): the clearing kept for the cadre's profile, and each sanction the untrue
    report led to lifted (L-3)."""
    return Change(append={
        "clearings": [{"complaint_id": clearing["complaint_id"], "outcome": clearing.get("outcome"),
                       "cleared_at": clearing["cleared_at"], "event_id": event_id}],
        "liftings": [{"case_id": case_id, "rule": "C-5", "event_id": event_id,
                      "complaint_id": clearing["complaint_id"], "at": clearing["cleared_at"]}
                     for case_id in clearing["case_ids"]]})


def update_cadre(cadre: Record, *, changes: Mapping[str, Any]) -> Change:
    """Changed roster facts (a move to another unit is a posting, L-6)."""
    if not changes:
        raise InvalidInput("name at least one fact to change", code="NOTHING_TO_CHANGE")
    return roster_change(cadre, Change(set=dict(changes)))


def roster_change(cadre: Record, change: Change) -> Change:
    """A change of roster facts bumps the record's revision and publishes the whole record with it,
    so that every copy elsewhere becomes current and ignores a late older one."""
    if not change:
        return change
    revision = cadre.get("revision", 1) + 1
    facts = roster_facts({**cadre, **change.set})
    return Change(set={**change.set, "revision": revision}, append=change.append,
                  events=[*change.events, Event(CadreUpdated, {
                      "cadre_id": cadre["_id"], **facts, "revision": revision})])


def change_posting(cadre: Record, *, unit_id: str, post: str, reason: str, is_principal: bool,
                   is_leader: bool | None, level: str | None, kind: str, direction: str,
                   down_cause: str | None, now: datetime, by: str) -> Change:
    """L-6 交流轮岗: the move is recorded and announced (care opens a JOB_ADJUSTMENT talk, K-1); the
    new post says whether the cadre leads the unit (A-1..A-4 read it). The same posting again (a
    retried request) changes nothing."""
    last = (cadre.get("postings") or [{}])[-1]
    if cadre["unit_id"] == unit_id and last.get("to_unit_id") == unit_id and last.get("post") == post:
        return NOTHING
    # C-7 (v2): to a leadership post, or to a level above the cadre's, not while restricted
    rules.check_restrictions(
        in_force(cadre, now), leadership_post=bool(is_leader or is_principal),
        higher_post=level is not None and rules.LEVELS.index(level) < rules.LEVELS.index(cadre["level"]))
    # the new post is held from today (任现职时间, L-7); the entry keeps whether the cadre led the
    # unit left and leads the one joined, and since when the post left was held (A-3's history)
    facts = {"unit_id": unit_id, "is_principal": is_principal, "post_since": now.date(),
             **{k: v for k, v in (("is_leader", is_leader), ("level", level)) if v is not None}}
    move = {"kind": kind, "direction": direction, "down_cause": down_cause}
    since = cadre.get("post_since")
    entry = {"from_unit_id": cadre["unit_id"], "to_unit_id": unit_id, "post": post, "reason": reason,
             **move, "at": now, "by": by, "was_principal": bool(cadre.get("is_principal")),
             "is_principal": is_principal, "from_since": stored_date(since) if since else None}
    return roster_change(cadre, Change(set=facts, append={"postings": [entry]}, events=[Event(
        PostingChanged, {
            "cadre_id": cadre["_id"], "from_unit_id": cadre["unit_id"], "to_unit_id": unit_id,
            "post": post, "changed_at": now, **move, "name": cadre.get("name"),
            "is_leader": bool(cadre.get("is_leader"))})]))


def in_force(cadre: Record, now: datetime) -> list[rules.Reason]:
    """C-7: the cadre's restrictions in force at ``now`` (exempted and cleared matters lifted)."""
    return [r for r in rules.promotion_bans(cadre.get("sanctions") or [], cadre.get("liftings") or [])
            if r.active_at(now)]


def selection(cadre: Record, *, status: str, now: datetime) -> Change:
    """C-5: a cadre under selection (accountability expedites their complaints); already so, nothing
    to announce."""
    if cadre.get("selection_status", NOT_IN_SELECTION) == status:
        return NOTHING
    if status == IN_SELECTION:  # C-7 (v2): a selection for promotion, not while restricted
        rules.check_restrictions(in_force(cadre, now), promotion=True)
    return Change(set={"selection_status": status}, events=[Event(SelectionStatusChanged, {
        "cadre_id": cadre["_id"], "status": status, "changed_at": now})])


# the lion-type pool (L-1, L-2)


def pool_state(cadre: Record) -> dict[str, Any] | None:
    """The cadre's place in the pool as things stand (an exit a sanction caused shows, and goes when
    the matter is exempted or cleared)."""
    return rules.pool_state(cadre.get("pool") or None, cadre.get("sanctions") or [],
                            cadre.get("liftings") or [])


def nominate(cadre: Record, *, evidence: Mapping[str, str], profile: str | None,
             reason: str | None, now: datetime, by: str) -> Change:
    """L-1 定期发现储备: a nomination with evidence for each of the five standards."""
    rules.check_nomination_evidence(evidence)
    rules.check_profile(cadre["level"], profile)
    pool = cadre.get("pool") or {}
    state = pool_state(cadre)
    if state:  # again, after an exit or a nomination not admitted
        rules.check_pool_status(state, rules.EXITED, rules.NOT_ADMITTED, doing="nominate")
    history = list(pool.get("history", []))
    if state and state.get("exit") and state["exit"].get("cause") == rules.EXIT_SANCTION:
        # the exit a sanction caused was computed, never stored: kept now, with its cause
        history.append(transition(pool.get("status"), state["status"], "accountability",
                                  state["exit"]["at"], state["exit"]["evidence"], action="exited",
                                  cause=rules.EXIT_SANCTION, case_id=state["exit"]["case_id"]))
    entry = transition(state and state["status"], rules.NOMINATED, by, now, reason,
                       action="nominated")
    return Change(set={"pool": {
        "status": rules.NOMINATED, "profile": profile, "evidence": evidence, "nominated_at": now,
        "nominated_by": by, "admitted_at": None, "history": [*history, entry]}})


def assess_nomination(cadre: Record, *, standards: Mapping[str, Any],
                      profile_items: Mapping[str, bool], now: datetime, by: str) -> Change:
    """L-1: admitted to the RESERVE only when all five standards hold (and the level profile's items,
    for the levels 001 profiles); otherwise NOT_ADMITTED. A sanction since the nomination means not
    admitted (L-2a)."""
    rules.check_pool_status(pool_state(cadre), rules.NOMINATED, doing="assess a nomination")
    missing = [code for code in rules.STANDARDS if code not in standards]
    if missing:
        raise InvalidInput("assess each of the five standards",
                           fields={"standards": [f"Missing: {', '.join(missing)}."]})
    holds = {code: value["holds"] for code, value in standards.items()}
    admitted = rules.admitted(holds, profile_items, cadre["level"])
    status = rules.RESERVE if admitted else rules.NOT_ADMITTED
    return _pool(cadre, {"status": status, "standards": standards, "profile_items": profile_items,
                         "admitted_at": now if admitted else None},
                 transition(rules.NOMINATED, status, by, now, None, action="assessed"))


def place_in_post(cadre: Record, *, post: str, now: datetime, by: str) -> Change:
    """L-1: a reserve cadre placed in a demanding post (吃劲岗位)."""
    state = pool_state(cadre)
    rules.check_pool_status(state, rules.RESERVE, rules.IN_USE, doing="place in a post")
    return _pool(cadre, {"status": rules.IN_USE, "post": post},
                 transition(state["status"], rules.IN_USE, by, now, post, action="placed"))


def exit_pool(cadre: Record, *, cause: str, evidence: str, now: datetime, by: str) -> Change:
    """L-2 (b) decline, (c) health: by an officer, with evidence; the cause is kept and announced."""
    state = pool_state(cadre)
    rules.check_pool_status(state, *rules.IN_POOL, doing="exit the pool")
    return _pool(cadre, {"status": rules.EXITED, "exit": {
        "cause": cause, "rule": "L-2", "evidence": evidence, "at": now, "by": by}},
        transition(state["status"], rules.EXITED, by, now, evidence, action="exited", cause=cause),
        events=[Event(PoolExited, {"cadre_id": cadre["_id"], "cause": cause, "case_id": None,
                                   "exited_at": now})])


def _pool(cadre: Record, changes: Mapping[str, Any], entry: Mapping[str, Any], events=()) -> Change:
    pool = cadre.get("pool") or {}
    return Change(set={"pool": {**pool, **changes, "history": [*pool.get("history", []), entry]}},
                  events=events)


def sanction_received(cadre: Record, sanction: Record) -> Change:
    """Promotion restrictions (C-7) and, for an admitted cadre, exit from the pool (L-2a) --
    announced in the same write as the fact, with the cause as the pool states it."""
    before = pool_state(cadre)
    after = rules.pool_state(cadre.get("pool") or None, [*(cadre.get("sanctions") or []), sanction],
                             cadre.get("liftings") or [])
    events = []
    if before and before["status"] in rules.IN_POOL and after["status"] == rules.EXITED:
        events.append(Event(PoolExited, {
            "cadre_id": cadre["_id"], "cause": rules.EXIT_SANCTION,
            "case_id": after["exit"]["case_id"], "exited_at": after["exit"]["at"]}))
    return Change(append={"sanctions": [sanction]}, events=events)


# training (L-5)


def allocate(programme: Record, candidates: Sequence[Record], *, now: datetime) -> Change:
    """L-5: seats to priority cadres first, in the stated order (rules.allocate), once."""
    if programme.get("allocated_at"):
        raise Conflict(f"programme {programme['_id']} is already allocated",
                       code="PROGRAMME_ALLOCATED")
    return Change(set={"allocation": rules.allocate(candidates, programme["seats"]),
                       "allocated_at": now})


# work lists (DOMAIN.md "Work lists (v2)")

NOMINATION_TO_ASSESS, ROTATION_DUE, MY_ELIGIBILITY = (
    "NOMINATION_TO_ASSESS", "ROTATION_DUE", "MY_ELIGIBILITY")


def nomination_work(entries: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """A nomination waits for its assessment against the five standards (L-1), oldest first."""
    return [work.item(NOMINATION_TO_ASSESS, "pool_entry", e["cadre_id"],
                      f"/talent/pool?status={rules.NOMINATED}", cadre_id=e["cadre_id"],
                      unit_id=e["unit_id"], state=e["status"], since=e.get("nominated_at"), now=now,
                      detail={"level": e["level"], "profile": e.get("profile")})
            for e in entries]


def rotation_work(entries: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """L-7: who must rotate, should rotate, or is listed for priority exchange; the longest in post
    waits longest."""
    return [work.item(ROTATION_DUE, "cadre", e["cadre_id"], f"/talent/rotation?unit_id={e['unit_id']}",
                      cadre_id=e["cadre_id"], unit_id=e["unit_id"],
                      state=e["rotation"] or rules.PRIORITY_EXCHANGE, since=_day_start(e["post_since"]),
                      now=now, detail={"name": e.get("name"), "years_in_post": e["years_in_post"],
                                       "priority_exchange": e["priority_exchange"]})
            for e in entries]


def eligibility_work(cadre_id: str, answer: rules.Eligibility, now: datetime) -> list[dict[str, Any]]:
    """A cadre's own eligibility with its reasons, each with its end (L-3)."""
    return [work.item(MY_ELIGIBILITY, "eligibility", cadre_id, f"/cadres/{cadre_id}/eligibility",
                      cadre_id=cadre_id, now=now, detail={
                          "promotable": answer.promotable,
                          "leadership_post_allowed": answer.leadership_post_allowed,
                          "higher_post_allowed": answer.higher_post_allowed,
                          "selection_priority": answer.selection_priority,
                          "training_priority": answer.training_priority,
                          "reasons": [{"rule": r.rule, "effect": r.effect,
                                       "until": r.valid_until.isoformat() if r.valid_until else None}
                                      for r in answer.reasons]})]


def _day_start(day) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
