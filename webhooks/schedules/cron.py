"""The schedules' triggers: `app.yaml`'s cron expressions (read by rules.cron, the parser app.yaml is
validated with) and which scheduled run a job executing now is."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from rules.config import ConfigError
from rules.cron import CronError, parse_cron


def cron_trigger(expression: str, timezone: str, job: str = "job") -> CronTrigger:
    """Read a 5-field (crontab) or 6-field (seconds first) cron expression in `timezone`."""
    try:
        return parse_cron(expression, timezone)
    except CronError as exc:
        raise ConfigError(f"schedule.{job}: {exc}") from exc


def latest_fire(trigger: CronTrigger, now: datetime) -> datetime:
    """Return the trigger's latest fire time at or before `now`: the run a job executing now is."""
    lookback = timedelta(seconds=1)
    candidate: datetime | None = trigger.get_next_fire_time(None, now - lookback)
    while candidate is None or candidate > now:
        lookback *= 2
        if lookback > timedelta(days=800):
            raise ValueError("the trigger never fired before now")
        candidate = trigger.get_next_fire_time(None, now - lookback)
    while True:
        step = candidate + timedelta(microseconds=1)
        following: datetime | None = trigger.get_next_fire_time(candidate, step)
        if following is None or following > now:
            return candidate
        candidate = following
