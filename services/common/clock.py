"""The one clock every service and the gateway read (``utcnow``), and the department's calendar.

Time is UTC and timezone-aware everywhere (DEVELOPERS.md standards). The clock is one seam tests can
set, so that no test depends on the day it runs: in-process ``CLOCK.set(moment)``; for processes the
environment's ``CLOCK_OFFSET_SECONDS``, which runs their clock that far off the machine's -- the same
offset in every process of a suite, so they agree with each other and with the test that started
them. Production leaves it unset. Rules never read the clock: they are given ``now``.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# the organisation department's year -- of an appraisal, of a sanction -- turns at midnight in Wuhan
DEFAULT_BUSINESS_TIMEZONE = "Asia/Shanghai"
OFFSET_VARIABLE = "CLOCK_OFFSET_SECONDS"


class Clock:
    """The machine's time, moved by ``offset`` or stopped at ``frozen``."""

    def __init__(self, offset: timedelta = timedelta(0)):
        self.offset = offset
        self.frozen: datetime | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Clock:
        return cls(timedelta(seconds=float(environ.get(OFFSET_VARIABLE) or 0)))

    def now(self) -> datetime:
        """Now, to the millisecond: BSON keeps milliseconds, so a time published in an event is the
        time stored with it, and the two compare equal."""
        now = self.frozen or datetime.now(UTC) + self.offset
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def set(self, moment: datetime, *, running: bool = True) -> None:
        """From now on the clock reads ``moment``, and goes on from there -- or stays there."""
        if running:
            self.offset, self.frozen = moment - datetime.now(UTC), None
        else:
            self.frozen = moment.astimezone(UTC)

    def offset_seconds(self) -> float:
        """What ``CLOCK_OFFSET_SECONDS`` makes another process read the time this clock reads."""
        return self.offset.total_seconds()


CLOCK = Clock.from_environment()


def utcnow() -> datetime:
    return CLOCK.now()


def as_utc(value: datetime) -> datetime:
    """A stored datetime back as aware UTC (naive values from the store are UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_date(value):
    """A stored date back as a date: BSON has none, so the store keeps midnight UTC of the day."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    return as_utc(value).date()


def stored_date(day: date) -> datetime:
    """A date as the store keeps it: midnight UTC of the day."""
    return datetime(day.year, day.month, day.day)


def business_year(moment: datetime, config: Mapping | None = None) -> int:
    """The calendar year ``moment`` falls in where the department works (``BUSINESS_TIMEZONE``):
    7:00 on 1 January in Wuhan is still the old year in UTC."""
    zone = (config or {}).get("BUSINESS_TIMEZONE") or DEFAULT_BUSINESS_TIMEZONE
    return moment.astimezone(ZoneInfo(zone)).year


def business_date(moment: datetime, config: Mapping | None = None):
    """The calendar day ``moment`` falls on where the department works (an age, a deadline)."""
    zone = (config or {}).get("BUSINESS_TIMEZONE") or DEFAULT_BUSINESS_TIMEZONE
    return moment.astimezone(ZoneInfo(zone)).date()


def business_year_start(year: int, config: Mapping | None = None) -> datetime:
    """The moment ``year`` begins where the department works, in UTC: a term that runs "to the end
    of year Y" ends at ``business_year_start(Y + 1)``."""
    zone = (config or {}).get("BUSINESS_TIMEZONE") or DEFAULT_BUSINESS_TIMEZONE
    return datetime(year, 1, 1, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def business_day_start(day: date, config: Mapping | None = None) -> datetime:
    """The moment ``day`` begins where the department works, in UTC: a decision dated that day
    takes effect then."""
    zone = (config or {}).get("BUSINESS_TIMEZONE") or DEFAULT_BUSINESS_TIMEZONE
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def add_months(moment, months: int):
    """Calendar months, the day clipped to the month's end (31 Jan + 1 month = 28/29 Feb); a date or
    a datetime, whose time and zone are kept."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
