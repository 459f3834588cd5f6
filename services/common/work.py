"""Work lists (DOMAIN.md "Work lists (v2)"): what waits for an officer, most urgent first, so that nobody
needs a record's id to find their work.

Each service answers ``work_list`` for the caller's roles with the items it holds -- scoped exactly as
the records themselves (a unit administrator's to their unit, a cadre's to themselves) -- and the
gateway's ``GET /work`` gathers them. An item names its section (what kind of work), the record and the
path that opens it, and when it is due or has waited since.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import Schema, fields, validate

from services.common.boundary.security import (
    ANY,
    CADRE,
    CARE_OFFICER,
    DISCIPLINE_OFFICER,
    ORG_ADMIN,
    OWN_UNIT,
    SELF,
    UNIT_ADMIN,
)

# every role but the auditor has a work list; each service answers with what it holds for the roles
WORK = {ORG_ADMIN: ANY, DISCIPLINE_OFFICER: ANY, CARE_OFFICER: ANY, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}
FAR = datetime.max.replace(tzinfo=UTC)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def caller(access):
    """The user a work list is for, checked against their own scope (their unit, themselves) and
    remembered for the audit."""
    actor = access.actor
    access.check(unit_id=actor.unit_id, cadre_id=actor.cadre_id, record=("work", actor.user_id))
    return actor


def item(section: str, record: str, record_id: str, path: str, *, cadre_id: str | None = None,
         unit_id: str | None = None, state: str | None = None, due: date | datetime | None = None,
         since: datetime | None = None, now: datetime | None = None,
         detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """One thing waiting: overdue when its due moment has passed ``now``."""
    return {"section": section, "record": record, "record_id": record_id, "path": path,
            "cadre_id": cadre_id, "unit_id": unit_id, "state": state, "due": due, "since": since,
            "overdue": bool(due is not None and now is not None and _moment(due) < now),
            "detail": detail or {}}


def most_urgent_first(items: Iterable[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Overdue first, then by due moment, then oldest waiting first; ``limit`` of them."""
    return sorted(items, key=lambda i: (not i["overdue"], _moment(i["due"]) if i["due"] else FAR,
                                        i["since"] or FAR, i["record_id"]))[:limit]


def _moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


class WorkQuerySchema(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))


class WorkItemSchema(Schema):
    """One thing waiting. ``section`` says what kind (labelled in /labels, family ``work_section``);
    ``path`` is the API path that opens the record."""

    section = fields.String()
    record = fields.String()
    record_id = fields.String()
    path = fields.String()
    cadre_id = fields.String(allow_none=True)
    unit_id = fields.String(allow_none=True)
    state = fields.String(allow_none=True)
    # a day or a moment, ISO 8601
    due = fields.Function(lambda i: i["due"].isoformat() if i.get("due") else None,
                          allow_none=True, metadata={"type": "string"})
    since = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean()
    detail = fields.Dict()
