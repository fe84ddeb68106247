"""Schedule strings: crontab's five fields or six with seconds, read in the configured time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rules.config import ConfigError
from webhooks.schedules.cron import cron_trigger, latest_fire

UTC = ZoneInfo("UTC")


def fires(expression: str, start: datetime, count: int, timezone: str = "UTC") -> list[datetime]:
    trigger = cron_trigger(expression, timezone)
    found: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        nxt = trigger.get_next_fire_time(previous, now)
        assert nxt is not None
        found.append(nxt)
        previous, now = nxt, nxt + timedelta(microseconds=1)
    return found


def test_five_fields_read_as_crontab_at_second_zero() -> None:
    [first, second] = fires("*/15 * * * *", datetime(2026, 3, 16, 10, 7, 30, tzinfo=UTC), 2)
    assert (first.hour, first.minute, first.second) == (10, 15, 0)
    assert second - first == timedelta(minutes=15)


def test_six_fields_put_seconds_first() -> None:
    [first, second, third] = fires("*/2 * * * * *", datetime(2026, 3, 16, 10, 0, 1, tzinfo=UTC), 3)
    assert [f.second for f in (first, second, third)] == [2, 4, 6]


def test_day_numbers_follow_crontab_where_zero_and_seven_are_sunday() -> None:
    start = datetime(2026, 3, 16, tzinfo=UTC)  # a Monday
    assert [d.strftime("%a") for d in fires("0 8 * * 0", start, 2)] == ["Sun", "Sun"]
    assert fires("0 8 * * 7", start, 1)[0].strftime("%a") == "Sun"
    assert fires("0 8 * * 1", start, 1)[0] == datetime(2026, 3, 16, 8, tzinfo=UTC)
    assert [d.strftime("%a") for d in fires("0 8 * * 1-5", start, 6)] == [
        "Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
    assert [d.strftime("%a") for d in fires("0 8 * * 0-1", start, 3)] == ["Mon", "Sun", "Mon"]
    assert [d.strftime("%a") for d in fires("0 8 * * mon", start, 2)] == ["Mon", "Mon"]


def test_the_default_digest_runs_on_monday_mornings_in_the_configured_zone() -> None:
    [first] = fires("0 8 * * mon", datetime(2026, 3, 10, tzinfo=UTC), 1, "Europe/Paris")
    assert first.isoformat() == "2026-03-16T08:00:00+01:00"


@pytest.mark.parametrize("expression", ["* * * *", "0 25 * * *", "61 * * * *", "0 8 * * funday",
                                        "1 2 3 4 5 6 7"])
def test_a_bad_expression_names_the_schedule_key(expression: str) -> None:
    with pytest.raises(ConfigError, match="schedule.sweep"):
        cron_trigger(expression, "UTC", "sweep")


@pytest.mark.parametrize(("expression", "now", "expected"), [
    ("* * * * * *", "2026-03-16T10:00:05.250000+00:00", "2026-03-16T10:00:05+00:00"),
    ("*/15 * * * *", "2026-03-16T10:14:59+00:00", "2026-03-16T10:00:00+00:00"),
    ("0 2 * * *", "2026-03-16T02:00:00.004000+00:00", "2026-03-16T02:00:00+00:00"),
    ("0 2 * * *", "2026-03-16T01:59:59+00:00", "2026-03-15T02:00:00+00:00"),
    ("0 8 * * mon", "2026-03-22T23:00:00+00:00", "2026-03-16T08:00:00+00:00"),
])
def test_a_job_running_now_knows_which_scheduled_run_it_is(expression: str, now: str, expected: str) -> None:
    assert latest_fire(cron_trigger(expression, "UTC"), datetime.fromisoformat(now)).isoformat() == expected
