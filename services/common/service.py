"""What every service class has: a name, a store, an outbox, access control with its audit trail,
ops endpoints and metrics, a ``health`` RPC and an ``audit_trail`` RPC, and the helpers its entrypoints
share (the acting user, a cadre it learnt from talent)."""

from __future__ import annotations

import uuid

from marshmallow import Schema, fields, validate
from nameko.timer import timer
from pymongo.errors import PyMongoError

from services.common import idempotency, paging
from services.common.boundary.access import Access
from services.common.boundary.rpc import rpc
from services.common.boundary.security import ANY, AUDITOR, PUBLIC
from services.common.clock import utcnow
from services.common.errors import unknown_copy
from services.common.messaging.reads import ReadPort
from services.common.ops.endpoints import Ops
from services.common.ops.logs import WorkerLogContext
from services.common.views import TICK_SECONDS, KeptViews


class HealthSchema(Schema):
    service = fields.String()
    status = fields.String()  # "ok" or "degraded"
    store = fields.String()   # "ok" or "unreachable"
    outbox_backlog = fields.Integer(allow_none=True)
    # how long the oldest event has waited to be published: what says a backlog needs attention
    outbox_oldest_seconds = fields.Float(allow_none=True)


class AuditQuerySchema(paging.PageQuerySchema):
    user_id = fields.String(load_default=None)
    record_id = fields.String(load_default=None)
    outcome = fields.String(load_default=None,
                            validate=validate.OneOf(["OK", "DENIED", "REFUSED", "ERROR"]))
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)


class AuditEntrySchema(Schema):
    at = fields.AwareDateTime()
    service = fields.String()
    action = fields.String()
    outcome = fields.String()
    error_code = fields.String(allow_none=True)
    user_id = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    record_type = fields.String(allow_none=True)
    record_id = fields.String(allow_none=True)
    correlation_id = fields.String(allow_none=True)
    seq = fields.Integer(allow_none=True)  # the entry's place in its service's chain


class ServiceBase:
    """Subclasses declare ``name``, ``store = MongoStore(...)`` and ``outbox = Outbox(...)``."""

    name: str

    access = Access()
    ops = Ops()  # /health/live, /health/ready, /metrics on OPS_ADDRESS
    reads = ReadPort()  # the RPC methods over HTTP on READ_ADDRESS, for the gateway's reads
    logs = WorkerLogContext()  # each log line names its worker's service, call, user and event
    views = KeptViews()  # work lists' department-wide sections, kept (services/common/views.py)
    kept_views: dict = {}  # name -> the method working it out: worked out once soon after a start

    @timer(interval=TICK_SECONDS)
    def refresh_views(self):
        """The kept views worked out again once old, outside any caller's request."""
        self.views.warm(self.kept_views)
        self.views.refresh(self)

    @rpc(response=HealthSchema, allow=PUBLIC)
    def health(self):
        try:
            self.store.ping()
            backlog, oldest = self.outbox.backlog_state()
        except PyMongoError:
            return {"service": self.name, "status": "degraded", "store": "unreachable",
                    "outbox_backlog": None, "outbox_oldest_seconds": None}
        age = round(max(0.0, (utcnow() - oldest).total_seconds()), 1) if oldest else 0.0
        return {"service": self.name, "status": "ok", "store": "ok", "outbox_backlog": backlog,
                "outbox_oldest_seconds": age}

    @rpc(request=AuditQuerySchema, response=AuditEntrySchema, many=True, paged=True,
         allow={AUDITOR: ANY})
    def audit_trail(self, **filters):
        """This service's audit entries, newest first, a page at a time (the gateway merges every
        service's: a cursor of the merged trail reads on here)."""
        return self.access.trail().query(**filters)

    # what every service's entrypoints use

    def _cadre(self, cadre_id):
        """The cadre this service learnt from talent's events (``self.store.cadres``), if within the
        user's scope: 403 outside it, whether or not it exists; then CADRE_NOT_FOUND if unknown."""
        cadre = self.store.cadres.get(cadre_id)
        self.access.check(unit_id=cadre and cadre.get("unit_id"), cadre_id=cadre_id,
                          record=("cadre", cadre_id))
        if cadre is None or "unit_id" not in cadre:
            raise unknown_copy("cadre", cadre_id, self.name)
        return cadre

    _client_key = None  # set while an idempotent command runs under a client key

    def _new_id(self, suffix: str = "") -> str:
        """A new record's id: derived from the client key while one is claimed, so that a command run
        again under it writes the same record (idempotency.py), else random."""
        if self._client_key:
            return idempotency.derived_id(self._client_key, suffix)
        return uuid.uuid4().hex

    def _by(self):
        """Who acts: the user behind this call."""
        return self.access.actor.user_id
