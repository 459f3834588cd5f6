"""Time is UTC and timezone-aware everywhere (DEVELOPERS.md standards)."""

import calendar
from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# the organisation department's year -- of an appraisal, of a sanction -- turns at midnight in Wuhan
DEFAULT_BUSINESS_TIMEZONE = "Asia/Shanghai"


def utcnow() -> datetime:
    """Now, to the millisecond: BSON keeps milliseconds, so a time published in an event is the
    time stored with it, and the two compare equal."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """A stored datetime back as aware UTC (naive values from the store are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def business_year(moment: datetime, config: Mapping | None = None) -> int:
    """The calendar year ``moment`` falls in where the department works (``BUSINESS_TIMEZONE``):
    7:00 on 1 January in Wuhan is still the old year in UTC."""
    zone = (config or {}).get("BUSINESS_TIMEZONE") or DEFAULT_BUSINESS_TIMEZONE
    return moment.astimezone(ZoneInfo(zone)).year


def business_date(moment: datetime, config: Mapping | None = None):
    """The calendar day ``moment`` falls on where the department works (an age, a deadline)."""
    zone = (config or {}).get("BUSINESS_TIMEZONE") or DEFAULT_BUSINESS_TIMEZONE
    return moment.astimezone(ZoneInfo(zone)).date()


def add_months(moment, months: int):
    """Calendar months, the day clipped to the month's end (31 Jan + 1 month = 28/29 Feb); a date or
    a datetime, whose time and zone are kept."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
