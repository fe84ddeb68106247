"""Throughput: items finished per calendar day over the window before today, and whose it is.

An epic with enough history forecasts from its own days; one with too little takes its share of
its program's (so its samples may be fractional); a program sums its epics' days. The forecast
(`rules/forecast.py`) samples these days. The days sampled start when the work began (the earliest
`created` day of the epic's items; a program's earliest epic's), never fewer than MIN_HISTORY_DAYS
and never more than `forecast.window_days`: the days before the work existed are not a pace of zero.

An epic's snapshot keeps how many of its items were finished on each day of the window (sparse:
`{"2026-03-02": 2}`), so its program can forecast from snapshots without reading items again,
whatever day the snapshot was taken on. The names the forecast is known by (its metrics and its
key in `pmrollup.state`) live here too, without numpy, so what only names them loads no numpy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rules.figures import round_figure
from rules.model import WorkItem

FORECAST_BASES = ("epic", "program", "none")
# The fewest days a forecast samples, however recently the work began: two weeks, so that a burst in
# the first days is not taken as the pace.
MIN_HISTORY_DAYS = 14


@dataclass(frozen=True)
class ForecastSettings:
    """The app.yaml `forecast:` section, parsed elsewhere into this."""

    window_days: int = 84
    min_done: int = 5
    trials: int = 10_000
    min_move_days: int = 3


@dataclass(frozen=True)
class Throughput:
    """The daily samples a forecast draws from, oldest day first, and whose days they are."""

    daily: tuple[float, ...]
    basis: str  # epic | program | none
    window_days: int  # the days sampled: forecast.window_days, or fewer when the work began inside it
    done_in_window: float  # sum of daily
    began: date | None = None  # the day the work began, when that made the days sampled fewer

    def began_text(self, today: date) -> str:
        """Say why fewer days than the window are sampled ("" when the whole window is)."""
        if self.began is None:
            return ""
        since = (today - self.began).days
        floor = (f"; at least {MIN_HISTORY_DAYS} days are sampled, so a first burst is not taken as the "
                 "pace" if since < self.window_days else "")
        return f"work began on {self.began.isoformat()}{floor}"

    @property
    def per_week(self) -> float | None:
        """Return the mean daily count over the window times 7, to two decimals; None without a window."""
        if self.window_days < 1:
            return None
        return round_figure(self.done_in_window / self.window_days * 7, 2)


def daily_done_counts(done_days: Iterable[date], today: date, window_days: int) -> tuple[int, ...]:
    """Count the items done on each of the window's days (today-window .. today-1), oldest first."""
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, not {window_days}")
    counts = [0] * window_days
    for day in done_days:
        index = window_days - (today - day).days
        if 0 <= index < window_days:
            counts[index] += 1
    return tuple(counts)


def combined(counts: Iterable[Sequence[float]]) -> tuple[float, ...]:
    """Sum daily counts element-wise (a program's days from its epics'); empty for no counts."""
    rows = [tuple(row) for row in counts]
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("daily counts of different windows cannot be combined")
    return tuple(float(sum(day)) for day in zip(*rows, strict=True))


def share(counts: Sequence[float], parts: int) -> tuple[float, ...]:
    """Divide a program's daily counts among `parts` epics."""
    if parts < 1:
        raise ValueError(f"a share needs at least one part, not {parts}")
    return tuple(count / parts for count in counts)


def history_days(first_day: date | None, today: date, window_days: int) -> tuple[int, date | None]:
    """Return how many days before today a forecast samples, from the day the work began (None: the
    whole window), with that day when it made them fewer than the window."""
    if first_day is None:
        return window_days, None
    days = min(window_days, max(MIN_HISTORY_DAYS, (today - first_day).days))
    return days, (first_day if days < window_days else None)


def first_day(items: Iterable[WorkItem]) -> date | None:
    """Return the day an epic's work began: the earliest `created` day of its items (None: none known)."""
    return min((item.created for item in items if item.created is not None), default=None)


def epic_throughput(own: Sequence[int], program: Sequence[float] | None, epics_with_open: int,
                    settings: ForecastSettings, began: date | None = None,
                    program_began: date | None = None) -> Throughput:
    """Choose an epic's samples: its own days, else its share of its program's, else none. Each may be
    fewer than the window's days, from the day its work (`began`, `program_began`) began."""
    _check_window(own, settings)
    if sum(own) >= settings.min_done:
        return _throughput(tuple(float(count) for count in own), "epic", began)
    if program is not None:
        _check_window(program, settings)
        # The epic asked about has open items itself, so it is one of the parts at least.
        return _throughput(share(program, max(1, epics_with_open)), "program", program_began)
    return _throughput(tuple(float(count) for count in own), "none", began)


def program_throughput(epics: Iterable[Sequence[int]], settings: ForecastSettings,
                       began: date | None = None, days: int | None = None) -> Throughput:
    """Sum a program's epics' days into the program's samples (`days` of them, from `began`)."""
    rows = list(epics)
    for row in rows:
        _check_window(row, settings)
    daily = combined(rows) if rows else (0.0,) * (days or settings.window_days)
    return _throughput(daily, "program", began)


def _throughput(daily: tuple[float, ...], basis: str, began: date | None) -> Throughput:
    return Throughput(daily=daily, basis=basis, window_days=len(daily), done_in_window=float(sum(daily)),
                      began=began)


def _check_window(counts: Sequence[float], settings: ForecastSettings) -> None:
    if not 1 <= len(counts) <= settings.window_days:
        raise ValueError(f"{len(counts)} daily counts for a window of {settings.window_days} days")


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
