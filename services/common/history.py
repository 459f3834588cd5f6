"""An aggregate's history: every change of state kept with who, when and why (DOMAIN.md C-1, T-1)."""

from datetime import datetime
from typing import Any


def transition(status_from: str | None, status_to: str, by: str, at: datetime, reason: str | None,
               **extra: Any) -> dict[str, Any]:
    """One entry of a history; ``extra`` says what was done (``action``) and with what."""
    return {"from": status_from, "to": status_to, "by": by, "at": at, "reason": reason, **extra}
