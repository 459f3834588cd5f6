"""Time is UTC and timezone-aware everywhere (DEVELOPERS.md standards)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored datetime back as aware UTC (naive values from the store are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
