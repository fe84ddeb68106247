"""The forecast as metrics: a project's or program's published delivery forecast, from its finished
items' days, ready for fields, rules, comments and `pmrollup.state`.

An epic's snapshot keeps how many of its items were finished on each day of the window (sparse:
`{"2026-03-02": 2}`), so its program can forecast from snapshots without reading items again,
whatever day the snapshot was taken on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from rules.forecast import Forecast, forecast, publish
from rules.model import WorkItem
from rules.throughput import (
    ForecastSettings,
    Throughput,
    daily_done_counts,
    epic_throughput,
    program_throughput,
)

FORECAST_KEY = "forecast"  # where `pmrollup.state` keeps the published forecast
# The metrics a forecast gives, with the Forecast attribute each is read from.
FORECAST_METRICS: dict[str, str] = {
    "forecast_p50_date": "p50",
    "forecast_p85_date": "p85",
    "forecast_p95_date": "p95",
    "on_time_probability": "on_time_probability",
    "forecast_basis": "basis",
    "throughput_per_week": "throughput_per_week",
    "forecast_slip_days": "slip_days",
}

# Their kinds, for rules and outputs: dates, a share from 0 to 1, the basis's name, numbers.
FORECAST_METRIC_KINDS: dict[str, str] = {
    "forecast_p50_date": "date", "forecast_p85_date": "date", "forecast_p95_date": "date",
    "on_time_probability": "number", "forecast_basis": "text", "throughput_per_week": "number",
    "forecast_slip_days": "number",
}


def done_by_day(items: Iterable[WorkItem], today: date, window_days: int) -> dict[str, int]:
    """Count the items finished on each day of the window before today (sparse, ISO days)."""
    first = today - timedelta(days=window_days)
    counts: dict[str, int] = {}
    for item in items:
        if item.is_done and item.done_on is not None and first <= item.done_on < today:
            day = item.done_on.isoformat()
            counts[day] = counts.get(day, 0) + 1
    return dict(sorted(counts.items()))


def daily_counts(done: Mapping[str, int], today: date, window_days: int) -> tuple[int, ...]:
    """Expand sparse day counts into the window's daily counts, oldest day first."""
    days: list[date] = []
    for text, count in done.items():
        try:
            day = date.fromisoformat(text)
        except (TypeError, ValueError):
            continue
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            days.extend([day] * count)
    return daily_done_counts(days, today, window_days)


def epic_forecast(key: str, open_items: int, own: Mapping[str, int], program: Sequence[float] | None,
                  epics_with_open: int, due: date | None, today: date, settings: ForecastSettings,
                  previous: Mapping[str, Any] | None) -> Forecast:
    """Return the forecast an epic publishes: from its own days with enough history, else its share of
    its program's days (`program`, None for an epic without one)."""
    throughput = epic_samples(own, program, epics_with_open, today, settings)
    return _published(key, open_items, throughput, due, today, settings, previous)


def epic_samples(own: Mapping[str, int], program: Sequence[float] | None, epics_with_open: int, today: date,
                 settings: ForecastSettings) -> Throughput:
    """Return the days an epic's forecast draws from: its own, or its share of its program's."""
    return epic_throughput(daily_counts(own, today, settings.window_days), program, epics_with_open, settings)


def program_samples(epics: Iterable[Mapping[str, int]], today: date,
                    settings: ForecastSettings) -> Throughput:
    """Return the days a program's forecast draws from: its epics' combined."""
    return program_throughput([daily_counts(e, today, settings.window_days) for e in epics], settings)


def program_forecast(key: str, open_items: int, epics: Iterable[Mapping[str, int]], due: date | None,
                     today: date, settings: ForecastSettings, previous: Mapping[str, Any] | None) -> Forecast:
    """Return the forecast a program publishes, from its epics' days combined."""
    throughput = program_samples(epics, today, settings)
    return _published(key, open_items, throughput, due, today, settings, previous)


def combined_days(epics: Iterable[Mapping[str, int]], today: date, window_days: int) -> tuple[float, ...]:
    """Return a program's daily counts: its epics' added up."""
    total = [0.0] * window_days
    for done in epics:
        for n, count in enumerate(daily_counts(done, today, window_days)):
            total[n] += count
    return tuple(total)


def forecast_values(published: Forecast) -> dict[str, Any]:
    """Return the forecast metrics of a published forecast."""
    return {metric: getattr(published, attribute) for metric, attribute in FORECAST_METRICS.items()}


def _published(key: str, open_items: int, throughput: Throughput, due: date | None, today: date,
               settings: ForecastSettings, previous: Mapping[str, Any] | None) -> Forecast:
    fresh = forecast(key, open_items, throughput, today, due, settings.trials)
    stored = previous.get(FORECAST_KEY) if previous is not None else None
    return publish(stored if isinstance(stored, Mapping) else None, fresh, settings.min_move_days)
