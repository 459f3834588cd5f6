"""Typed domain errors that survive the nameko RPC hop (ARCHITECTURE.md §4).

nameko serialises an exception as its class path plus ``exc.args`` made JSON-safe (every non-string
leaf becomes a string). We keep the whole error in one JSON string argument and register a factory for
every subclass in nameko's exception registry, so the caller gets the same class back with its code,
rule id, field errors and details intact.
"""

from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import get_module_path, registry


class DomainError(Exception):
    """Base of every error a client may see. ``code`` is stable; ``rule`` is a DOMAIN.md id."""

    code = "DOMAIN_ERROR"
    remote = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        rule: str | None = None,
        fields: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
    ):
        self.message = message
        self.code = code or type(self).code
        self.rule = rule
        self.fields = fields or {}
        self.details = details or {}
        super().__init__(self.to_wire())

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        registry[get_module_path(cls)] = cls.from_wire

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.rule:
            body["rule"] = self.rule
        if self.fields:
            body["fields"] = self.fields
        if self.details:
            body["details"] = self.details
        return body

    def to_wire(self) -> str:
        return json.dumps(self.to_dict(), default=str, ensure_ascii=False)

    @classmethod
    def from_wire(cls, wire: str) -> DomainError:
        try:
            data = json.loads(wire)
        except (TypeError, ValueError):
            return cls(str(wire))
        error = cls(
            data.get("message", ""),
            code=data.get("code"),
            rule=data.get("rule"),
            fields=data.get("fields"),
            details=data.get("details"),
        )
        error.remote = True  # a service's answer, which that service has audited
        return error

    def __str__(self) -> str:
        rule = f" (rule {self.rule})" if self.rule else ""
        return f"{self.code}: {self.message}{rule}"


registry[get_module_path(DomainError)] = DomainError.from_wire


class InvalidInput(DomainError):
    """The request is malformed or a field is invalid (HTTP 400)."""

    code = "INVALID_INPUT"


class NotFound(DomainError):
    """The thing named does not exist (HTTP 404)."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """The request clashes with the current state: duplicate, wrong status (HTTP 409)."""

    code = "CONFLICT"


class RuleViolation(DomainError):
    """A DOMAIN.md rule refused the request; ``rule`` names it (HTTP 409)."""

    code = "RULE_VIOLATION"


class PreconditionFailed(DomainError):
    """The record changed since the caller read it: its ``If-Match`` names an older version (HTTP 412)."""

    code = "PRECONDITION_FAILED"


class Unauthenticated(DomainError):
    """No valid bearer token: none, forged, expired, or not one this suite accepts (HTTP 401)."""

    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """The acting user may not do this (HTTP 403)."""

    code = "FORBIDDEN"


class Unavailable(DomainError):
    """A dependency (store, broker, another service) is down; retrying later may succeed (HTTP 503)."""

    code = "UNAVAILABLE"


def unknown_copy(kind: str, key: str, service: str) -> NotFound:
    """A unit or cadre that ``service`` has not learnt from talent's events: not registered there, or
    its registration has not arrived yet (ARCHITECTURE.md §2)."""
    return NotFound(f"{kind} {key} is unknown to {service} (not registered in talent, or its "
                    "registration has not arrived yet)", code=f"{kind.upper()}_NOT_FOUND",
                    fields={f"{kind}_id": [f"Unknown {kind}."]})


# The classes a service's @rpc declares as expected: nameko then does not log them as crashes.
EXPECTED_ERRORS = (DomainError,)
