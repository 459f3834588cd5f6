"""The audit trail: who did what to which record, when, and with what outcome -- denials included.

Append-only: this module inserts and reads; there is no update or delete path in code. Each service
keeps its own trail in its own database (collection ``audit``); the gateway keeps the authentication
failures it refuses before any service is called; an AUDITOR reads them all through the gateway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING

from services.common.clock import utcnow

COLLECTION = "audit"
MAX_QUERY = 1000


class AuditTrail:
    def __init__(self, database, service: str):
        self.collection = database[COLLECTION]
        self.service = service

    def ensure_indexes(self) -> None:
        self.collection.create_index([("at", DESCENDING)])
        self.collection.create_index([("user_id", 1), ("at", DESCENDING)])
        self.collection.create_index([("record_id", 1), ("at", DESCENDING)])

    def record(self, *, action: str, outcome: str, user_id: str | None, roles=(),
               record: tuple[str, str] | None = None, error_code: str | None = None,
               correlation_id: str | None = None, at: datetime | None = None) -> None:
        self.collection.insert_one({
            "at": at or utcnow(),
            "service": self.service,
            "action": action,
            "outcome": outcome,           # OK, DENIED, REFUSED (a domain error) or ERROR
            "error_code": error_code,
            "user_id": user_id,
            "roles": list(roles),
            "record_type": record[0] if record else None,
            "record_id": record[1] if record else None,
            "correlation_id": correlation_id,
        })

    def query(self, *, user_id: str | None = None, record_id: str | None = None,
              outcome: str | None = None, since: datetime | None = None,
              until: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
        filters: dict[str, Any] = {}
        for key, value in (("user_id", user_id), ("record_id", record_id), ("outcome", outcome)):
            if value is not None:
                filters[key] = value
        if since or until:
            filters["at"] = {k: v for k, v in (("$gte", since), ("$lt", until)) if v}
        cursor = self.collection.find(filters, {"_id": 0}).sort("at", DESCENDING)
        return list(cursor.limit(min(limit, MAX_QUERY)))
