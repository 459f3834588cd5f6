"""Accountability's decisions (DOMAIN.md C, A-4): what each command or event changes and publishes, given
the case or complaint as it stands, the command, the time, who acts and the policy. Pure: the service
loads, calls one, and saves the change (services/common/decision.py); a refusal is the rule's error."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.accountability import rules
from services.accountability.events import (
    CaseClosed,
    CaseOpened,
    ComplaintFiled,
    FalseAccusationReferred,
    LateMitigationRecorded,
    SanctionDecided,
)
from services.common import work
from services.common.clock import as_utc, business_year
from services.common.decision import NOTHING, Change, Event, transition
from services.common.errors import Conflict, InvalidInput, RuleViolation, unknown_copy

Record = Mapping[str, Any]

# deterministic ids make a redelivered event, or a retried request, find what it made before
IDS = uuid.UUID("6d1f3c1e-5a0b-4b8e-9a57-2b7f0c4f6a11")


def open_case(cadre: Record, complaint: Record | None, *, case_id: str, source: str,
              situations: Sequence[str], summary: str, complaint_id: str | None, now: datetime,
              by: str) -> Change:
    """C-1; with ``complaint_id``, the case investigates that complaint (C-5)."""
    rules.check_leading_cadre(cadre)
    rules.check_grounds(source, situations)
    if complaint_id:
        rules.check_case_for_complaint(source, complaint, cadre["_id"])
    return new_case(cadre, case_id=case_id, source=source, situations=situations, summary=summary,
                    now=now, by=by, complaint_id=complaint_id)


def new_case(cadre: Record, *, case_id: str, source: str, situations: Sequence[str], summary: str,
             now: datetime, by: str, **extra: Any) -> Change:
    """An OPEN case, announced (care opens an EARLY_WARNING talk, K-1; tolerance learns it)."""
    return Change(set={
        "case_id": case_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"], "source": source,
        "situations": list(situations), "summary": summary, "opened_at": now,
        "history": [transition(None, rules.OPEN, by, now, summary, action="opened")], **extra,
    }, events=[Event(CaseOpened, {
        "case_id": case_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"], "source": source,
        "situations": list(situations), "complaint_id": extra.get("complaint_id"),
        "opened_at": now})])


def appraisal_fail_cases(grade: Record, leaders: Iterable[Record], *, event_id: str,
                         now: datetime, by: str) -> list[Change]:
    """A-4: a unit graded FAIL -> one APPRAISAL_FAIL case per principal leader, its id derived from
    unit, year and cadre, so a redelivered grade finds the cases it made."""
    if grade["grade"] != "FAIL":
        return []
    return [new_case(
        cadre, case_id=uuid.uuid5(IDS, f"A-4:{grade['unit_id']}:{grade['year']}:{cadre['_id']}").hex,
        source=rules.APPRAISAL_FAIL, situations=[],
        summary=f"unit {grade['unit_id']} graded FAIL for {grade['year']} (A-4)", now=now, by=by,
        unit_grade={"unit_id": grade["unit_id"], "year": grade["year"], "grade": grade["grade"],
                    "event_id": event_id})
        for cadre in leaders]


def complaint_case_id(complaint_id: str) -> str:
    """The case a substantiated complaint opens: a retried resolution finds it again."""
    return uuid.uuid5(IDS, f"C-5:{complaint_id}").hex


def move(case: Record, move: str, *, reason: str | None, now: datetime, by: str,
         changes: Mapping[str, Any] | None = None, closed: str | None = None) -> Change:
    """A C-1 transition, kept in the history (who, when, why); ``closed`` announces how it ended."""
    target = rules.check_move(case, move)
    return Change(
        set={"status": target, **(changes or {})},
        append={"history": [transition(case["status"], target, by, now, reason, action=move)]},
        events=[Event(CaseClosed, {"case_id": case["_id"], "cadre_id": case["cadre_id"],
                                   "outcome": closed, "closed_at": now})] if closed else ())


def verify(case: Record, *, findings: str, discipline_due: bool, now: datetime, by: str) -> Change:
    """C-1 verified; the finding records whether discipline is due (C-2). An APPRAISAL_FAIL case is
    decided within C-3's own ladder, which has no disciplinary sanction: a discipline due there is
    a matter for a case of its own."""
    if discipline_due and case["source"] == rules.APPRAISAL_FAIL:
        raise RuleViolation("an APPRAISAL_FAIL case is decided as ADMONISHMENT or one organisational "
                            "handling; open a case of its own for the discipline due",
                            code="DISCIPLINE_NOT_IN_LADDER", rule="C-3")
    return move(case, "verify", reason=findings, now=now, by=by,
                changes={"findings": findings, "discipline_due": discipline_due})


def propose_decision(case: Record, *, severity: str, public_outcry: bool, bad_impact: bool,
                     sanctions: Sequence[str], disciplinary: Mapping[str, Any] | None, reason: str,
                     proposal_id: str, now: datetime, by: str) -> Change:
    """The first of the four eyes: a decision within the ladder (C-2, C-3, C-4), waiting for another
    officer's approval."""
    rules.check_move(case, "propose")
    rules.check_not_on_hold(case)
    option = rules.check_sanctions(sanctions, rules.allowed_sanction_sets(
        case["source"], severity, public_outcry, bad_impact, mitigated=bool(case.get("mitigated")),
        discipline_due=case.get("discipline_due")))
    rules.check_disciplinary_terms(option.sanctions, disciplinary)
    proposal = {"proposal_id": proposal_id, "severity": severity, "public_outcry": public_outcry,
                "bad_impact": bad_impact, "sanctions": list(option.sanctions),
                "disciplinary": disciplinary, "rule": option.rule, "reason": reason, "by": by,
                "at": now}
    return Change(set={"proposal": proposal}, append={"history": [transition(
        case["status"], case["status"], by, now, reason, action="proposed",
        sanctions=list(option.sanctions))]})


def approve_decision(case: Record, *, proposal_id: str, reason: str | None, year: int,
                     policy: rules.Policy, now: datetime, by: str) -> Change:
    """The second of the four eyes: another officer approves; the sanction is decided and published
    with the promotion ban's end (DOMAIN.md C, promotion restrictions). ``year`` is the department's
    year it is decided in (A-6, C-6)."""
    target = rules.check_move(case, "approve")
    rules.check_not_on_hold(case)
    proposal = case.get("proposal") or None
    rules.check_four_eyes(proposal, by)
    rules.check_same_proposal(proposal, proposal_id)
    # a MITIGATED ruling may have arrived since the proposal: the ladder is asked again
    rules.check_sanctions(proposal["sanctions"], rules.allowed_sanction_sets(
        case["source"], proposal["severity"], proposal["public_outcry"], proposal["bad_impact"],
        mitigated=bool(case.get("mitigated")), discipline_due=case.get("discipline_due")))
    disciplinary = proposal.get("disciplinary") or {}
    decision = {**proposal, "approved_by": by, "approved_at": now, "year": year,
                "ban_until": rules.ban_until(proposal["sanctions"], now, policy.ban_months,
                                             disciplinary.get("ban_months")),
                "restrictions": rules.restrictions(proposal["sanctions"], now, policy.ban_months,
                                                   disciplinary.get("ban_months"),
                                                   policy.no_higher_post_months),
                "exempted": False, "cleared": False}
    return Change(
        set={"status": target, "decision": decision, "proposal": {}},
        append={"history": [transition(case["status"], target, by, now, reason, action="approved")]},
        events=[Event(SanctionDecided, {
            "case_id": case["_id"], "cadre_id": case["cadre_id"], "unit_id": case["unit_id"],
            "year": year, "sanctions": proposal["sanctions"],
            "organisational_handling": any(map(rules.is_organisational, proposal["sanctions"])),
            "disciplinary": rules.DISCIPLINARY in proposal["sanctions"],
            "severity": proposal["severity"], "mitigated": bool(case.get("mitigated")),
            "decided_at": now, "ban_until": decision["ban_until"],
            "restrictions": decision["restrictions"]})])


def record_outside_sanction(cadre: Record | None, existing: Record | None, *, case_id: str,
                            cadre_id: str, sanctions: Sequence[str],
                            disciplinary: Mapping[str, Any] | None, authority: str, reference: str,
                            decided_on: date, summary: str, decided_at: datetime, today: date,
                            policy: rules.Policy, now: datetime, by: str) -> Change:
    """C-7 (v2): a sanction decided outside accountability -- a discipline inspection decision --
    recorded with its reference, as a case already DECIDED, and published as any decision is: it
    restricts promotion and posts the same (C-7), exits the lion-type pool (L-2a), bars that year's
    EXCELLENT (A-6) and counts in the C-6 report. Reading: the authority decided it, so the ladder
    (C-2) is not asked again; its terms run from the day it was decided (``decided_at``, the start
    of ``decided_on`` where the department works). The same reference again is the same record (a
    retried request); with other sanctions, refused."""
    if existing is not None:
        if sorted(existing["decision"]["sanctions"]) != sorted(sanctions):
            raise Conflict(f"decision {reference} is already recorded for cadre {cadre_id} with "
                           f"{', '.join(existing['decision']['sanctions'])}",
                           code="OUTSIDE_SANCTION_EXISTS", rule="C-7",
                           details={"case_id": existing["_id"]})
        return NOTHING
    if cadre is None:
        raise unknown_copy("cadre", cadre_id, "accountability")
    if decided_on > today:
        raise InvalidInput("a decision recorded is one already made",
                           fields={"decided_on": [f"Not after today ({today.isoformat()})."]})
    rules.check_disciplinary_terms(sanctions, disciplinary)
    months = (disciplinary or {}).get("ban_months")
    decision = {"sanctions": list(sanctions), "disciplinary": disciplinary, "rule": "C-7",
                "severity": None, "authority": authority, "reference": reference,
                "decided_on": decided_on.isoformat(), "reason": summary, "by": by, "at": now,
                "approved_by": by, "approved_at": now, "year": decided_on.year,
                "ban_until": rules.ban_until(sanctions, decided_at, policy.ban_months, months),
                "restrictions": rules.restrictions(sanctions, decided_at, policy.ban_months, months,
                                                   policy.no_higher_post_months),
                "exempted": False, "cleared": False}
    return Change(set={
        "case_id": case_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
        "source": rules.OUTSIDE_DECISION, "situations": [], "summary": summary,
        "status": rules.DECIDED, "decision": decision, "opened_at": now,
        "history": [transition(None, rules.DECIDED, by, now, f"{authority} {reference}: {summary}",
                               action="recorded_outside", sanctions=list(sanctions))]},
        events=[Event(SanctionDecided, {
            "case_id": case_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
            "year": decided_on.year, "sanctions": list(sanctions),
            "organisational_handling": any(map(rules.is_organisational, sanctions)),
            "disciplinary": rules.DISCIPLINARY in sanctions, "severity": None, "mitigated": False,
            "decided_at": decided_at, "ban_until": decision["ban_until"],
            "restrictions": decision["restrictions"], "source": rules.OUTSIDE_DECISION,
            "reference": reference})])


def clear(case: Record, *, complaint_id: str, reason: str, now: datetime, by: str) -> Change:
    """C-5 澄清正名: a case whose complaint proved untrue ends, and what it decided is marked cleared;
    a dismissed case, or one cleared before, stays as it is."""
    if case["status"] == rules.DISMISSED or case.get("outcome") == rules.CLEARED:
        return NOTHING
    changes = {"status": rules.CLOSED, "outcome": rules.CLEARED, "proposal": {}}
    if case.get("decision"):
        changes["decision"] = {**case["decision"], "cleared": True}
    return Change(set=changes, append={"history": [transition(
        case["status"], rules.CLOSED, by, now, f"complaint {complaint_id} found untrue: {reason}",
        action="cleared")]}, events=[Event(CaseClosed, {
            "case_id": case["_id"], "cadre_id": case["cadre_id"], "outcome": rules.CLEARED,
            "closed_at": now})])


def hold(case: Record, application_id: str) -> Change:
    """C-4 fault tolerance first: the case waits for the application's ruling -- unless the ruling
    came first. For a hold tolerance placed before filing, the application's event confirms it: the
    filing was completed."""
    if any(r["application_id"] == application_id for r in case.get("rulings", [])):
        return NOTHING
    if application_id in (case.get("pending_applications") or []):
        return confirm_hold(case, application_id)
    return Change(set={"pending_applications": [*(case.get("pending_applications") or []),
                                                application_id]})


def hold_from_filing(case: Record, *, application_id: str, cadre_id: str, situation: str,
                     now: datetime) -> Change:
    """C-4 (v2): tolerance places the hold itself, before it accepts the application, so no decision
    slips through between the filing and the hold. The hold and a decision meet on the case's version:
    a decision written first stands (the application goes on, not holding the case: a later MITIGATED
    is recorded and reported); a hold written first refuses the decision. While an earlier
    application for this case stands REJECTED, a new one holds it again only if it names another
    situation, so re-filing cannot hold a case for ever."""
    if cadre_id != case["cadre_id"]:
        raise Conflict(f"case {case['_id']} is about another cadre", code="CASE_OF_ANOTHER_CADRE",
                       rule="C-4")
    if any(r["application_id"] == application_id for r in case.get("rulings", [])) \
            or application_id in (case.get("pending_applications") or []):
        return NOTHING
    if rules.hold_refused(case, situation) is not None:
        return NOTHING
    return Change(set={"pending_applications": [*(case.get("pending_applications") or []),
                                                application_id]},
                  append={"holds": [{"application_id": application_id, "situation": situation,
                                     "held_at": now}]})


def confirm_hold(case: Record, application_id: str) -> Change:
    """C-4: the application behind a hold exists (its event came, or tolerance said so)."""
    holds = case.get("holds") or []
    if not any(h["application_id"] == application_id and not h.get("confirmed") for h in holds):
        return NOTHING
    return Change(set={"holds": [{**h, "confirmed": True} if h["application_id"] == application_id
                                 else h for h in holds]})


def stale_holds(case: Record, now: datetime, settle_seconds: int) -> list[str]:
    """C-4: holds placed before a filing that was never confirmed, older than tolerance's filing
    window and a margin: the filing may have died between the hold and its own write."""
    pending = set(case.get("pending_applications") or ())
    return [h["application_id"] for h in case.get("holds") or ()
            if h["application_id"] in pending and not h.get("confirmed")
            and (now - as_utc(h["held_at"])).total_seconds() > settle_seconds]


def release_stale_hold(case: Record, application_id: str, *, now: datetime, by: str) -> Change:
    """C-4: tolerance has no such application, and past its filing window never will: the hold of a
    filing that never completed ends, said in the history."""
    if application_id not in (case.get("pending_applications") or []):
        return NOTHING
    return Change(
        set={"pending_applications": [a for a in case["pending_applications"] if a != application_id],
             "holds": [h for h in case.get("holds") or () if h["application_id"] != application_id]},
        append={"history": [transition(case["status"], case["status"], by, now,
                                       f"the filing of application {application_id} never completed",
                                       action="hold_released")]})


def settled_hold(application_id: str, *, exists: bool, now: datetime, by: str):
    """C-4: the decision for a stale hold once tolerance has answered: confirm it, or end it."""
    def decision(case: Record) -> Change:
        if exists:
            return confirm_hold(case, application_id)
        return release_stale_hold(case, application_id, now=now, by=by)
    return decision


def ruling_received(case: Record, ruling: Record, *, now: datetime, by: str) -> Change:
    """C-4: the hold ends. EXEMPTED closes the case without sanction (an earlier decision is marked
    exempted, T-6); MITIGATED leaves only lighter sanctions; REJECTED lets the case go on."""
    changes: dict[str, Any] = {"pending_applications": [
        a for a in case.get("pending_applications") or [] if a != ruling["application_id"]]}
    situation = next((h["situation"] for h in case.get("holds") or ()
                      if h["application_id"] == ruling["application_id"]), None)
    appended: dict[str, list] = {"rulings": [{"application_id": ruling["application_id"],
                                              "outcome": ruling["outcome"],
                                              "ruled_at": ruling["ruled_at"],
                                              "situation": situation}]}
    events = []
    if ruling["outcome"] == "MITIGATED" and case.get("decision"):
        # C-4 (v2): after the decision -- recorded and reported, the sanction not undone silently
        appended["late_mitigations"] = [{"application_id": ruling["application_id"],
                                         "ruled_at": ruling["ruled_at"]}]
        appended["history"] = [transition(
            case["status"], case["status"], by, now,
            f"fault tolerance ruled MITIGATED after the decision ({ruling['application_id']})",
            action="late_mitigation")]
        events.append(Event(LateMitigationRecorded, {
            "case_id": case["_id"], "cadre_id": case["cadre_id"],
            "application_id": ruling["application_id"],
            "sanctions": list(case["decision"].get("sanctions") or ()), "ruled_at": ruling["ruled_at"]}))
    elif ruling["outcome"] == "MITIGATED":
        changes["mitigated"] = True
    elif ruling["outcome"] == "EXEMPTED" and case["status"] != rules.DISMISSED \
            and case.get("outcome") not in (rules.EXEMPTED, rules.CLEARED):
        changes.update(status=rules.CLOSED, outcome=rules.EXEMPTED, proposal={})
        if case.get("decision"):
            changes["decision"] = {**case["decision"], "exempted": True}
        # who, when, why -- also when a closed, sanctioned case is exempted afterwards
        appended["history"] = [transition(
            case["status"], rules.CLOSED, by, now,
            f"fault tolerance ruled EXEMPTED ({ruling['application_id']})", action="exempted")]
        events.append(Event(CaseClosed, {"case_id": case["_id"], "cadre_id": case["cadre_id"],
                                         "outcome": rules.EXEMPTED, "closed_at": now}))
    return Change(set=changes, append=appended, events=events)


# complaints (C-5)


def file_complaint(cadre: Record, *, complaint_id: str, matter: str,
                   reporter: Mapping[str, Any] | None, policy: rules.Policy, now: datetime,
                   by: str) -> Change:
    """C-5: against a cadre under selection a complaint is expedited (快查快结)."""
    expedited = cadre.get("selection_status") == rules.IN_SELECTION
    due = rules.complaint_due(now, expedited, policy.complaint_days, policy.expedited_complaint_days)
    return Change(set={
        "complaint_id": complaint_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
        "matter": matter, "reporter": reporter or {}, "expedited": expedited, "filed_at": now,
        "due_at": due, "filed_by": by,
    }, events=[Event(ComplaintFiled, {
        "complaint_id": complaint_id, "cadre_id": cadre["_id"], "unit_id": cadre["unit_id"],
        "expedited": expedited, "filed_at": now, "due_at": due})])


def resolution(complaint: Record, prior: Record | None, cadre: Record | None, *, outcome: str,
               reason: str, repeat_of: str | None, situations: Sequence[str], now: datetime,
               by: str, prior_kind: str = "case") -> dict[str, Any]:
    """C-5: what each outcome needs before it may be recorded, and what is recorded with it. A
    substantiated complaint opens a case, so its cadre must be a leading cadre accountability knows."""
    rules.check_resolution(complaint, outcome, prior, situations, prior_kind)
    if outcome == rules.SUBSTANTIATED:
        if cadre is None or "unit_id" not in cadre:
            raise unknown_copy("cadre", complaint["cadre_id"], "accountability")
        rules.check_leading_cadre(cadre)
    found = {"outcome": outcome, "reason": reason, "resolved_at": now, "resolved_by": by}
    if outcome == rules.REPEAT:
        found["repeat_of"], found["repeat_of_kind"] = repeat_of, prior_kind
    if outcome == rules.FALSE_ACCUSATION:
        found["referral"] = {"at": now, "by": by, "reason": reason}  # 依纪依法严肃处理
    return found


def false_accusation_referral(complaint: Record, *, now: datetime) -> Event:
    """C-5 (v2): 诬告陷害 referred, for discipline inspection's systems: who reported what against
    whom. The reporter's identity, kept from everyone but discipline officers, goes to them."""
    return Event(FalseAccusationReferred, {
        "complaint_id": complaint["_id"], "cadre_id": complaint["cadre_id"],
        "unit_id": complaint["unit_id"], "reporter": dict(complaint.get("reporter") or {}),
        "matter": complaint["matter"], "reason": (complaint.get("referral") or {}).get("reason"),
        "referred_at": now})


def resuming(complaint: Record, outcome: str) -> bool:
    """A retry of the same resolution, claimed before: it carries on from where it stopped."""
    return complaint["status"] == rules.RESOLVING and complaint.get("outcome") == outcome


def downward_move(posting: Record, event_id: str, config: Mapping[str, Any]) -> Change | None:
    """C-6 (v2): a posting DOWN of a leading cadre, as the yearly report counts it (the year where
    the department works); any other posting, nothing."""
    if posting.get("direction") != "DOWN" or not posting.get("is_leader"):
        return None
    return Change(set={
        "move_id": event_id, "cadre_id": posting["cadre_id"], "name": posting.get("name"),
        "unit_id": posting["from_unit_id"], "cause": posting.get("down_cause") or "OTHER",
        "year": business_year(posting["changed_at"], config), "moved_at": posting["changed_at"]})


def selection_changed(cadre: Record | None, status: str, changed_at: datetime) -> Change:
    """C-5: whether the cadre is under selection, the later change standing over an older one
    arriving late."""
    if cadre and cadre.get("selection_changed_at") \
            and as_utc(cadre["selection_changed_at"]) >= changed_at:
        return NOTHING
    return Change(set={"selection_status": status, "selection_changed_at": changed_at})


def expedited_due(complaint: Record, policy: rules.Policy) -> datetime:
    """C-5: a complaint filed before the cadre came under selection gets the shorter deadline too,
    counted from its filing."""
    return min(as_utc(complaint["due_at"]), rules.complaint_due(
        as_utc(complaint["filed_at"]), True, policy.complaint_days, policy.expedited_complaint_days))


# work lists (DOMAIN.md "Work lists (v2)")

DECISION_TO_APPROVE, CASE_IN_HAND, COMPLAINT_DUE = (
    "DECISION_TO_APPROVE", "CASE_IN_HAND", "COMPLAINT_DUE")


def decisions_to_approve(cases: Sequence[Record], user_id: str, now: datetime) -> list[dict[str, Any]]:
    """Decisions proposed by another officer, waiting for this one's approval (four eyes)."""
    return [work.item(DECISION_TO_APPROVE, "case", c["_id"], f"/accountability/cases/{c['_id']}",
                      cadre_id=c["cadre_id"], unit_id=c.get("unit_id"), state=c["status"],
                      since=c["proposal"].get("at"), now=now,
                      detail={"proposed_by": c["proposal"].get("by"),
                              "sanctions": c["proposal"].get("sanctions"),
                              "on_hold": bool(c.get("pending_applications"))})
            for c in cases if c["proposal"].get("by") != user_id]


def cases_in_hand(cases: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """Cases by state, those held by a fault-tolerance application (C-4) marked."""
    return [work.item(CASE_IN_HAND, "case", c["_id"], f"/accountability/cases/{c['_id']}",
                      cadre_id=c["cadre_id"], unit_id=c.get("unit_id"), state=c["status"],
                      since=c.get("opened_at"), now=now,
                      detail={"source": c["source"], "on_hold": bool(c.get("pending_applications")),
                              "proposed": bool((c.get("proposal") or {}).get("proposal_id"))})
            for c in cases]


def complaints_due(complaints: Sequence[Record], now: datetime) -> list[dict[str, Any]]:
    """Open complaints by their deadline, overdue first (C-5)."""
    return [work.item(COMPLAINT_DUE, "complaint", c["_id"],
                      f"/accountability/complaints/{c['_id']}", cadre_id=c["cadre_id"],
                      unit_id=c.get("unit_id"), state=c["status"], due=as_utc(c["due_at"]),
                      since=c.get("filed_at"), now=now,
                      detail={"expedited": bool(c.get("expedited"))})
            for c in complaints]
