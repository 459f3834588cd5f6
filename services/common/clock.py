"""Time is UTC and timezone-aware everywhere (DEVELOPERS.md standards)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, to the millisecond: BSON keeps milliseconds, so a time published in an event is the
    time stored with it, and the two compare equal."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """A stored datetime back as aware UTC (naive values from the store are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
