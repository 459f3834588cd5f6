"""The one way a service checks the originating user's permission, and audits every checked call.

``@rpc(allow={ROLE: SCOPE, ...})`` asks this dependency, before the method runs, who the user is --
from the bearer token in nameko context data, checked here with the gateway's keys (tokens.py), never
from a claim a caller wrote -- and whether they hold one of the roles; the method then calls
``self.access.check(...)`` with the record it loaded, for roles limited to their own unit or
themselves. After the call -- whatever its outcome -- one audit entry is written
(services/common/boundary/audit.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError

from services.common.boundary.audit import AuditTrail
from services.common.boundary.security import Actor, Grant, denied, scopes_for
from services.common.boundary.tokens import CONTEXT_KEY, TokenVerifier
from services.common.errors import DomainError, Forbidden, Unauthenticated, Unavailable
from services.common.storage.store import MongoStore

log = logging.getLogger(__name__)


def outcome_of(exc: BaseException | None) -> tuple[str, str | None]:
    if exc is None:
        return "OK", None
    if isinstance(exc, Forbidden | Unauthenticated):
        return "DENIED", exc.code
    if isinstance(exc, DomainError):
        return "REFUSED", exc.code
    return "ERROR", type(exc).__name__


class AccessHandle:
    """What a worker sees as ``self.access``."""

    def __init__(self, provider: Access, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    @property
    def actor(self) -> Actor | None:
        grant = self._provider.grants.get(self._worker_ctx)
        return grant.actor if grant else Actor.from_context(self._worker_ctx.data.get("actor"))

    @property
    def unrestricted(self) -> bool:
        """Whether the user holds this call's permission for any record (not only a scope)."""
        grant = self._provider.grants.get(self._worker_ctx)
        return bool(grant and grant.unrestricted)

    def unit_or_own(self, unit_id: str | None = None) -> str | None:
        """The unit a list is of: the one asked for, else for a caller scoped to a unit their own
        (None: every unit, for a caller who may see them all)."""
        return unit_id or (None if self.unrestricted else self.actor.unit_id)

    def begin(self, action: str, allow: Mapping[str, str],
              record: tuple[str, str] | None = None) -> Grant:
        """Called by @rpc: the user's token must be valid and name a role allowed for ``action``."""
        actor = self._provider.verifier.actor(self._worker_ctx.data.get(CONTEXT_KEY))
        # the checked user, not whatever the caller claimed, is the one events and the audit name
        self._worker_ctx.data["actor"] = actor.to_context()
        grant = Grant(actor, action, scopes_for(actor, allow), record=record)
        self._provider.grants[self._worker_ctx] = grant
        if not grant.scopes:
            raise denied(actor, action)
        return grant

    def check(self, *, unit_id: str | None = None, cadre_id: str | None = None,
              record: tuple[str, str] | None = None) -> None:
        """Refuse unless the record (its unit, its cadre) is within the user's scope."""
        grant = self._provider.grants.get(self._worker_ctx)
        if grant is None:
            raise Forbidden("no permission was established for this call",
                            code="AUTHENTICATION_REQUIRED")
        grant.check(unit_id=unit_id, cadre_id=cadre_id, record=record)

    def trail(self) -> AuditTrail:
        return self._provider.trail()

    def audit(self, exc: BaseException | None) -> None:
        self._provider.audit(self._worker_ctx, exc)


class Access(DependencyProvider):
    def __init__(self):
        self.grants: dict = {}

    def setup(self):
        stores = [d for d in self.container.dependencies if isinstance(d, MongoStore)]
        if len(stores) != 1:
            raise RuntimeError(f"{self.container.service_name}: Access needs exactly one MongoStore")
        self.mongo = stores[0]
        self.verifier = TokenVerifier.from_config(self.container.config)

    def trail(self) -> AuditTrail:
        """One trail per process: it holds the head of the chain its entries are appended to."""
        if getattr(self, "_trail", None) is None:
            self._trail = AuditTrail.beside(self.mongo.store.database, self.container.service_name)
        return self._trail

    def start(self):
        try:
            self.trail().ensure_indexes()
        except PyMongoError as exc:
            log.warning("audit indexes not created yet: %s", exc)

    def get_dependency(self, worker_ctx):
        return AccessHandle(self, worker_ctx)

    def audit(self, worker_ctx, exc: BaseException | None) -> None:
        """One entry for the call, whatever its outcome. A lost entry is not acceptable for a
        call that succeeded: the caller gets Unavailable instead of an unaudited answer."""
        grant = self.grants.get(worker_ctx)
        outcome, code = outcome_of(exc)
        try:
            self.trail().record(
                action=worker_ctx.entrypoint.method_name,
                outcome=outcome,
                error_code=code,
                user_id=grant.actor.user_id if grant else None,
                roles=grant.actor.roles if grant else (),
                record=grant.record if grant else None,
                correlation_id=worker_ctx.data.get("correlation_id"),
            )
        except PyMongoError:
            log.exception("AUDIT WRITE FAILED for %s by %s", worker_ctx.entrypoint.method_name,
                          grant.actor.user_id if grant else None)
            if exc is None:
                raise Unavailable("the audit trail cannot be written; try again later",
                                  code="AUDIT_UNAVAILABLE") from None

    def worker_teardown(self, worker_ctx):
        self.grants.pop(worker_ctx, None)
