"""pmrollup's today and now: the wall clock, unless PMROLLUP_TODAY or PMROLLUP_NOW freeze it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from rules.config import ConfigError

TODAY_ENV = "PMROLLUP_TODAY"  # YYYY-MM-DD: the day the seed's or the trial's dates are written for
NOW_ENV = "PMROLLUP_NOW"  # ISO 8601: the moment stamped on findings and comments, for trials and tests


@dataclass(frozen=True)
class Clock:
    """Today in `timezone` and the moment now, read from `seconds` unless frozen."""

    timezone: str = "UTC"
    frozen_today: date | None = None
    frozen_now: datetime | None = None
    seconds: Callable[[], float] = time.time

    def today(self) -> date:
        """Return the frozen day when there is one, else today's date in `timezone`."""
        if self.frozen_today is not None:
            return self.frozen_today
        return datetime.fromtimestamp(self.seconds(), ZoneInfo(self.timezone)).date()

    def now(self) -> datetime:
        """Return the frozen moment when there is one; on a frozen day, that day at the clock's time
        of day (so dates agree with each other); else the moment now, in UTC."""
        if self.frozen_now is not None:
            return self.frozen_now
        now = datetime.fromtimestamp(self.seconds(), UTC)
        if self.frozen_today is None:
            return now
        return datetime.combine(self.frozen_today, now.timetz())


def clock_from_environ(timezone: str, environ: Mapping[str, str] | None = None) -> Clock:
    """Return the clock `PMROLLUP_TODAY` and `PMROLLUP_NOW` freeze (when set) in `timezone`."""
    env = os.environ if environ is None else environ
    return Clock(timezone, frozen_today(env.get(TODAY_ENV, "")), frozen_now(env.get(NOW_ENV, "")))


def frozen_today(text: str) -> date | None:
    """Read `PMROLLUP_TODAY` (YYYY-MM-DD); blank freezes nothing."""
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{TODAY_ENV}={text!r} is not a date: use YYYY-MM-DD") from exc


def frozen_now(text: str) -> datetime | None:
    """Read `PMROLLUP_NOW` (ISO 8601, e.g. 2026-03-16T09:00:00+00:00; no zone means UTC); blank
    freezes nothing."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{NOW_ENV}={text!r} is not a time: use ISO 8601, e.g. 2026-03-16T09:00:00+00:00"
                          ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
