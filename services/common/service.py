"""What every service class has: a name, a store, an outbox and a ``health`` RPC."""

from __future__ import annotations

from marshmallow import Schema, fields
from pymongo.errors import PyMongoError

from services.common.rpc import rpc


class HealthSchema(Schema):
    service = fields.String()
    status = fields.String()  # "ok" or "degraded"
    store = fields.String()   # "ok" or "unreachable"
    outbox_backlog = fields.Integer(allow_none=True)


class ServiceBase:
    """Subclasses declare ``name``, ``store = MongoStore(...)`` and ``outbox = Outbox(...)``."""

    name: str

    @rpc(response=HealthSchema)
    def health(self):
        try:
            self.store.ping()
            backlog = self.outbox.backlog() if hasattr(self, "outbox") else 0
        except PyMongoError:
            return {"service": self.name, "status": "degraded", "store": "unreachable",
                    "outbox_backlog": None}
        return {"service": self.name, "status": "ok", "store": "ok", "outbox_backlog": backlog}
