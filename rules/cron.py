"""Schedule strings: cron expressions read by APScheduler's CronTrigger, in one place.

Five fields (minute hour day-of-month month day-of-week, as crontab) or six with seconds first
(second minute hour day-of-month month day-of-week). Day-of-week numbers follow crontab (0 or 7 =
Sunday); names (mon, tue, ...) work too. `app.yaml` is checked at load with the same function the
schedules run with, so what loads is exactly what runs.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CronError(ValueError):
    """A schedule string that is not a cron expression; `reason` says why, for an admin."""

    def __init__(self, expression: str, reason: str, fields_wrong: bool = False) -> None:
        kind = "a cron expression" if fields_wrong else "a valid cron expression"
        super().__init__(f"{expression!r} is not {kind}: {reason}")
        self.reason = reason


def _day_of_week(spec: str) -> str:
    """Translate crontab day numbers (0/7 = Sunday) into the names APScheduler reads unambiguously."""

    def one(part: str) -> str:
        rng, _, step = part.partition("/")
        if "-" in rng:
            first, last = rng.split("-", 1)
            if first == "0" and last.isdigit():
                # 0-5 is Sunday to Friday: APScheduler's week starts on Monday.
                rest = f"mon-{DAY_NAMES[int(last)]}" if 1 <= int(last) <= 6 else ""
                rng = "*" if int(last) >= 6 else ",".join(x for x in ("sun", rest) if x)
                return rng if not step or rng == "*" else part
            rng = "-".join(DAY_NAMES[int(x)] if x.isdigit() and int(x) <= 7 else x for x in (first, last))
        elif rng.isdigit() and int(rng) <= 7:
            rng = DAY_NAMES[int(rng)]
        return f"{rng}/{step}" if step else rng

    return ",".join(one(p) for p in spec.split(","))


def parse_cron(expression: str, timezone: str) -> CronTrigger:
    """Read a 5-field (crontab) or 6-field (seconds first) cron expression in `timezone`."""
    parts = expression.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise CronError(expression, "use 5 fields (minute hour day month day-of-week) or 6 with "
                        "seconds first", fields_wrong=True)
    second, minute, hour, day, month, dow = parts
    try:
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                           day_of_week=_day_of_week(dow) if re.search(r"\d", dow) else dow,
                           timezone=ZoneInfo(timezone))
    except (ValueError, IndexError) as exc:
        raise CronError(expression, str(exc)) from exc
