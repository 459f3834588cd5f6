"""Appraisal's pure rules (DOMAIN.md section A). No I/O: the service reads, calls these, writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.common.errors import Conflict

KINDS = ("ANNUAL", "SPECIAL", "REGULAR")
GRADES = ("EXCELLENT", "COMPETENT", "BASICALLY_COMPETENT", "INCOMPETENT")

OPEN = "OPEN"
FINALIZED = "FINALIZED"


def ensure_open(cycle: Mapping[str, Any]) -> None:
    """A finalized cycle's results are immutable; corrections are amendments (DOMAIN.md A)."""
    if cycle["status"] != OPEN:
        raise Conflict(
            f"cycle {cycle['_id']} is {cycle['status']}: its results can no longer be recorded",
            code="CYCLE_FINALIZED",
            details={"cycle_id": cycle["_id"], "status": cycle["status"]},
        )


def ensure_cadre_in_unit(cycle: Mapping[str, Any], cadre: Mapping[str, Any]) -> None:
    """A unit's cycle grades that unit's cadres."""
    if cadre["unit_id"] != cycle["unit_id"]:
        raise Conflict(
            f"cadre {cadre['_id']} belongs to unit {cadre['unit_id']}, "
            f"not to this cycle's unit {cycle['unit_id']}",
            code="CADRE_NOT_IN_UNIT",
            details={"cadre_unit_id": cadre["unit_id"], "cycle_unit_id": cycle["unit_id"]},
        )


def with_grade(results: Sequence[Mapping[str, Any]], cadre_id: str, grade: str,
               now: datetime) -> list[dict[str, Any]]:
    """The cycle's results with ``cadre_id`` graded ``grade`` (a re-grade replaces, while OPEN)."""
    kept = [dict(r) for r in results if r["cadre_id"] != cadre_id]
    return [*kept, {"cadre_id": cadre_id, "grade": grade, "recorded_at": now}]


def finalized_results(cycle: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """One ``appraisal.result_finalized`` payload per result of the cycle."""
    return [
        {
            "cycle_id": cycle["_id"],
            "unit_id": cycle["unit_id"],
            "year": cycle["year"],
            "kind": cycle["kind"],
            "cadre_id": result["cadre_id"],
            "grade": result["grade"],
            "finalized_at": now,
        }
        for result in sorted(cycle["results"], key=lambda r: r["cadre_id"])
    ]
