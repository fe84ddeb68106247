"""The forecast as metrics: a project's or program's published delivery forecast, from its finished
items' days (rules.throughput), ready for fields, rules, comments and `pmrollup.state`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rules.forecast import Forecast, forecast, publish
from rules.program import Snapshot, history_from
from rules.throughput import (
    FORECAST_KEY,
    FORECAST_METRICS,
    ForecastSettings,
    Throughput,
    combined,
    daily_counts,
    epic_throughput,
    history_days,
    program_throughput,
)


def epic_forecast(key: str, open_items: int, own: Mapping[str, int], program: Sequence[float] | None,
                  epics_with_open: int, due: date | None, today: date, settings: ForecastSettings,
                  previous: Mapping[str, Any] | None, began: date | None = None,
                  program_began: date | None = None) -> Forecast:
    """Return the forecast an epic publishes: from its own days with enough history, else its share of
    its program's days (`program`, None for an epic without one), each from the day its work began."""
    throughput = epic_samples(own, program, epics_with_open, today, settings, began, program_began)
    return _published(key, open_items, throughput, due, today, settings, previous)


def epic_samples(own: Mapping[str, int], program: Sequence[float] | None, epics_with_open: int, today: date,
                 settings: ForecastSettings, began: date | None = None,
                 program_began: date | None = None) -> Throughput:
    """Return the days an epic's forecast draws from: its own since `began` (its first day, None: the
    whole window), or its share of its program's (`program`, the days since `program_began`)."""
    days, start = history_days(began, today, settings.window_days)
    _, program_start = history_days(program_began, today, settings.window_days)
    return epic_throughput(daily_counts(own, today, days), program, epics_with_open, settings, start,
                           program_start)


def program_samples(epics: Iterable[Mapping[str, int]], today: date, settings: ForecastSettings,
                    began: date | None = None) -> Throughput:
    """Return the days a program's forecast draws from: its epics' combined, since `began` (its first
    day, None: the whole window)."""
    days, start = history_days(began, today, settings.window_days)
    return program_throughput([daily_counts(e, today, days) for e in epics], settings, start, days)


def program_forecast(key: str, open_items: int, epics: Iterable[Mapping[str, int]], due: date | None,
                     today: date, settings: ForecastSettings, previous: Mapping[str, Any] | None,
                     began: date | None = None) -> Forecast:
    """Return the forecast a program publishes, from its epics' days combined since `began`."""
    throughput = program_samples(epics, today, settings, began)
    return _published(key, open_items, throughput, due, today, settings, previous)


def combined_days(epics: Iterable[Mapping[str, int]], today: date, window_days: int,
                  began: date | None = None) -> tuple[float, ...]:
    """Return a program's daily counts: its epics' added up, since `began` (None: the whole window)."""
    days, _ = history_days(began, today, window_days)
    return combined([daily_counts(done, today, days) for done in epics]) or (0.0,) * days


@dataclass(frozen=True)
class ProgramPace:
    """What a program's epics forecast from together: each epic's finished items per day, and all of
    them added up since the program's work began."""

    epic_days: tuple[Mapping[str, int], ...]
    began: date | None  # the day the program's work began (None: the whole window)
    days: tuple[float, ...]  # the epics' days combined, since `began`
    with_open: int  # epics with open items: the parts an epic's share of `days` divides them into


def program_pace(epics: Iterable[Snapshot], today: date, window_days: int) -> ProgramPace:
    """Return the pace of a program whose epics' snapshots are `epics`."""
    snapshots = list(epics)
    began = history_from(snapshots)
    epic_days = tuple(snap.done_by_day for snap in snapshots)
    return ProgramPace(epic_days, began, combined_days(epic_days, today, window_days, began),
                       sum(1 for snap in snapshots if snap.items_open))


def forecast_values(published: Forecast) -> dict[str, Any]:
    """Return the forecast metrics of a published forecast."""
    return {metric: getattr(published, attribute) for metric, attribute in FORECAST_METRICS.items()}


def _published(key: str, open_items: int, throughput: Throughput, due: date | None, today: date,
               settings: ForecastSettings, previous: Mapping[str, Any] | None) -> Forecast:
    fresh = forecast(key, open_items, throughput, today, due, settings.trials)
    stored = previous.get(FORECAST_KEY) if previous is not None else None
    return publish(stored if isinstance(stored, Mapping) else None, fresh, settings.min_move_days)
