"""Who may do what, checked where the data lives (ARCHITECTURE.md §4).

The gateway authenticates people and passes each one's bearer token on in nameko context data, which
nameko carries on every RPC; the service checks the token itself (tokens.py) and the outbox copies the
user it names into every event envelope. Each RPC declares who may call it -- a role and the scope it
holds for that role -- and the service checks the *originating* user, never the identity of the process
that called it. A call without a valid token is refused.

Scopes: ``ANY`` record; ``OWN_UNIT`` -- records of the actor's own unit (UNIT_ADMIN); ``SELF`` -- the
actor's own cadre record (CADRE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from services.common.errors import Forbidden

ORG_ADMIN = "ORG_ADMIN"                    # organisation department
DISCIPLINE_OFFICER = "DISCIPLINE_OFFICER"
CARE_OFFICER = "CARE_OFFICER"
UNIT_ADMIN = "UNIT_ADMIN"                  # only their own unit's cadres
CADRE = "CADRE"                            # only themselves
AUDITOR = "AUDITOR"                        # the audit trail only
ROLES = (ORG_ADMIN, DISCIPLINE_OFFICER, CARE_OFFICER, UNIT_ADMIN, CADRE, AUDITOR)

ANY = "ANY"
OWN_UNIT = "OWN_UNIT"
SELF = "SELF"



class _Public:
    def __repr__(self):
        return "PUBLIC"


# ``@rpc(allow=PUBLIC)``: callable without a user (health checks). Everything else names its roles.
PUBLIC = _Public()


@dataclass(frozen=True)
class Actor:
    user_id: str
    roles: tuple[str, ...]
    unit_id: str | None = None
    cadre_id: str | None = None

    @classmethod
    def from_context(cls, data: Mapping[str, Any] | None) -> Actor | None:
        if not isinstance(data, Mapping) or not data.get("user_id"):
            return None
        roles = tuple(r for r in data.get("roles") or () if r in ROLES)
        return cls(str(data["user_id"]), roles, data.get("unit_id"), data.get("cadre_id"))

    def to_context(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "roles": list(self.roles), "unit_id": self.unit_id,
                "cadre_id": self.cadre_id}


@dataclass(frozen=True)
class Target:
    """The record an action touches, as far as scope is concerned."""

    unit_id: str | None = None
    cadre_id: str | None = None


def scopes_for(actor: Actor, allow: Mapping[str, str]) -> set[str]:
    """The scopes the actor's roles give it for an action (empty: not allowed at all)."""
    return {allow[role] for role in actor.roles if role in allow}


def in_scope(actor: Actor, scopes: set[str], target: Target) -> bool:
    if ANY in scopes:
        return True
    if OWN_UNIT in scopes and actor.unit_id and target.unit_id == actor.unit_id:
        return True
    return SELF in scopes and bool(actor.cadre_id) and target.cadre_id == actor.cadre_id


def denied(actor: Actor, action: str) -> Forbidden:
    return Forbidden(f"user {actor.user_id} ({', '.join(actor.roles) or 'no role'}) may not {action}"
                     " this record", details={"action": action})


@dataclass
class Grant:
    """What the decorator learnt before the method ran; the method completes it with ``check``."""

    actor: Actor
    action: str
    scopes: set[str]
    record: tuple[str, str] | None = None
    checked: bool = field(default=False)

    def check(self, *, unit_id: str | None = None, cadre_id: str | None = None,
              record: tuple[str, str] | None = None) -> None:
        """Refuse unless the record is in the actor's scope; remember the record for the audit."""
        self.record = record or self.record
        if not in_scope(self.actor, self.scopes, Target(unit_id, cadre_id)):
            raise denied(self.actor, self.action)
        self.checked = True

    @property
    def unrestricted(self) -> bool:
        return ANY in self.scopes
