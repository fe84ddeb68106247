"""Delivery forecasts: when a project's or program's remaining items will be done, from its throughput.

Each trial of the Monte Carlo samples the window's days (with replacement, uniformly), day by day
from tomorrow, until its sampled items reach the remaining count; its finish day is the first day
on which they do. The percentiles are nearest-rank over the trials' finish days. The trials are
seeded from the issue key, so the same data gives the same dates in any process, and the published
forecast changes only when it moves enough to matter (`publish`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from rules.figures import fixed, round_figure
from rules.throughput import (
    FORECAST_BASES,
    ForecastSettings,
    Throughput,
    combined,
    daily_done_counts,
    epic_throughput,
    program_throughput,
    share,
)

__all__ = ["FORECAST_BASES", "FORECAST_STATUSES", "HORIZON_DAYS", "Forecast", "ForecastSettings",
           "Throughput", "WeekRow", "combined", "daily_done_counts", "epic_throughput", "forecast",
           "finish_days", "program_throughput", "publish", "render_histogram", "share", "stable_seed",
           "weekly_histogram"]

FORECAST_STATUSES = ("forecast", "done", "beyond", "no-history")
HORIZON_DAYS = 3 * 365  # a trial not done by then is beyond
PERCENTILES = (50, 85, 95)
CHUNK_DAYS = 64  # days drawn at once for the trials still running
TOLERANCE = 1e-9  # fractional samples (a program's share) add up with a float's noise
MAX_DENOMINATOR = 10_000  # fractional samples are counts shared among at most this many epics
# A trial's drawn day costs about what 40 steps of the convolution do (measured: 22 ns and 0.5 ns).
DAY_COST_PER_TRIAL = 40

Days = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Forecast:
    """A delivery forecast of one project or program: the P50, P85 and P95 dates and their meaning."""

    basis: str  # epic | program | none
    remaining: int
    p50: date | None
    p85: date | None
    p95: date | None
    on_time_probability: float | None  # share of trials done on or before the due date, 2 decimals
    slip_days: int | None  # P85 minus the due date, negative when early
    throughput_per_week: float | None
    status: str  # forecast | done | beyond (some percentile past the horizon) | no-history
    due: date | None = None  # the due date slip and probability were measured against

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready record, dates as ISO strings, for the issue's state property."""
        return {"basis": self.basis, "remaining": self.remaining, "p50": _iso(self.p50),
                "p85": _iso(self.p85), "p95": _iso(self.p95),
                "on_time_probability": self.on_time_probability, "slip_days": self.slip_days,
                "throughput_per_week": self.throughput_per_week, "status": self.status,
                "due": _iso(self.due)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Forecast | None:
        """Read a record written by as_dict; None for anything else."""
        try:
            found = cls(basis=data["basis"], remaining=data["remaining"], p50=_day(data["p50"]),
                        p85=_day(data["p85"]), p95=_day(data["p95"]),
                        on_time_probability=_number(data["on_time_probability"]),
                        slip_days=data["slip_days"],
                        throughput_per_week=_number(data["throughput_per_week"]),
                        status=data["status"], due=_day(data.get("due")))
        except (KeyError, TypeError, ValueError):
            return None
        valid = (found.basis in FORECAST_BASES and found.status in FORECAST_STATUSES
                 and _is_int(found.remaining) and found.remaining >= 0
                 and (found.slip_days is None or _is_int(found.slip_days))
                 and (found.on_time_probability is None or 0 <= found.on_time_probability <= 1))
        return found if valid else None


@dataclass(frozen=True)
class WeekRow:
    """One row of the histogram: the trials finishing in the week from `start` (None: beyond)."""

    start: date | None
    count: int
    share: float


def forecast(key: str, remaining: int, throughput: Throughput, today: date, due: date | None,
             trials: int) -> Forecast:
    """Forecast when `remaining` items will be done, seeded from `key`."""
    status, days = _outcome(key, remaining, throughput, trials)
    if status in ("done", "no-history"):
        per_week = None if status == "done" else throughput.per_week
        return Forecast("none" if status == "done" else throughput.basis, remaining, None, None, None,
                        None, None, per_week, status)
    dates: list[date | None] = [None] * len(PERCENTILES)
    on_time = None if due is None else 0.0
    if days is not None:
        ordered = np.sort(days)
        for index, percentile in enumerate(PERCENTILES):
            day = int(ordered[-(-percentile * trials // 100) - 1])  # the ceil(p/100 * trials)-th
            dates[index] = today + timedelta(days=day) if day <= HORIZON_DAYS else None
        if due is not None:
            on_time = round_figure(int(np.count_nonzero(days <= (due - today).days)) / trials, 2)
    p50, p85, p95 = dates
    slip = None if p85 is None or due is None else (p85 - due).days
    return Forecast(throughput.basis, remaining, p50, p85, p95, on_time, slip, throughput.per_week,
                    "forecast" if None not in dates else "beyond", due)


def weekly_histogram(key: str, remaining: int, throughput: Throughput, today: date,
                     trials: int) -> list[WeekRow]:
    """Count the trials finishing in each week from tomorrow, the beyond ones in a last row."""
    status, days = _outcome(key, remaining, throughput, trials)
    if days is None:
        return [WeekRow(None, trials, 1.0)] if status == "beyond" else []
    weeks = np.bincount((days[days <= HORIZON_DAYS] - 1) // 7)
    held = np.flatnonzero(weeks)
    rows = [WeekRow(today + timedelta(days=1 + 7 * week), int(weeks[week]), int(weeks[week]) / trials)
            for week in range(int(held[0]), int(held[-1]) + 1)] if held.size else []
    beyond = int(np.count_nonzero(days > HORIZON_DAYS))
    return rows + ([WeekRow(None, beyond, beyond / trials)] if beyond else [])


def render_histogram(rows: Sequence[WeekRow], width: int = 40) -> str:
    """Show the histogram's rows with bars, the longest `width` characters."""
    most = max((row.count for row in rows), default=0)
    lines = []
    for row in rows:
        bar = "#" * (round(row.count * width / most) if most else 0)
        label = row.start.isoformat() if row.start else "beyond"
        lines.append(f"{label:<10}  {bar:<{width}}  {row.count:>6}  {fixed(100 * row.share, 1):>5}%")
    return "\n".join(lines)


def publish(previous: Mapping[str, Any] | None, fresh: Forecast, min_move_days: int) -> Forecast:
    """Return the forecast to publish: the previous one unless the fresh one moved enough to matter."""
    old = None if previous is None else Forecast.from_dict(previous)
    if old is None or (old.status, old.basis, old.due) != (fresh.status, fresh.basis, fresh.due):
        return fresh
    if (old.p85 is None) != (fresh.p85 is None):
        return fresh
    if old.p85 is None or fresh.p85 is None:
        return old
    if abs((fresh.p85 - old.p85).days) >= min_move_days:
        return fresh
    if fresh.due is not None and (old.p85 <= fresh.due) != (fresh.p85 <= fresh.due):
        return fresh
    return old


def stable_seed(key: str) -> int:
    """Return the random seed of an issue key: the first 8 bytes of its SHA-256, the same in any process."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def _outcome(key: str, remaining: int, throughput: Throughput, trials: int) -> tuple[str, Days | None]:
    """Say what the forecast is, with the trials' finish days (1 = tomorrow) when it simulates."""
    if remaining < 0 or trials < 1:
        raise ValueError(f"cannot forecast {remaining} remaining items over {trials} trials")
    if any(value < 0 or not math.isfinite(value) for value in throughput.daily):
        raise ValueError("throughput samples must be finite counts")
    if remaining == 0:
        return "done", None
    if throughput.basis == "none" or not any(throughput.daily):
        return "no-history", None
    if max(throughput.daily) * HORIZON_DAYS < remaining - TOLERANCE:
        return "beyond", None  # not even the best day, every day, would finish in time
    return "forecast", finish_days(key, remaining, throughput.daily, trials)


def finish_days(key: str, remaining: int, daily: Sequence[float], trials: int) -> Days:
    """Return each trial's finish day (1 = tomorrow); HORIZON_DAYS + 1 for a trial not done by then."""
    rng = np.random.default_rng(stable_seed(key))
    lattice = _lattice(daily)
    if lattice is not None:
        scale, units = lattice
        need = remaining * scale
        if need * (int(units.max()) + 1) <= DAY_COST_PER_TRIAL * trials:
            return _by_distribution(units, need, trials, rng)
    return _by_chunks(np.asarray(daily, dtype=np.float64), remaining, trials, rng)


def _by_distribution(units: npt.NDArray[np.int64], need: int, trials: int,
                     rng: np.random.Generator) -> Days:
    """Sample the finish days from their exact distribution, day by day, by inverse transform.

    On a lattice the running total's distribution is exact: tomorrow's is today's convolved with
    one day's, and P(finish <= d) is the mass that has reached `need` by day d. A trial's uniform
    u then picks the first day whose P(finish <= d) exceeds it: the same distribution as drawing
    every day of every trial, at a cost that does not grow with the trials.
    """
    one_day = np.bincount(units) / units.size
    draws = rng.random(trials)
    highest = float(draws.max())
    running = np.zeros(need)
    running[0] = 1.0  # the total not yet at `need`, by value
    done_by = np.ones(HORIZON_DAYS)
    for day in range(HORIZON_DAYS):
        running = np.convolve(running, one_day)[:need]
        done_by[day] = 1.0 - float(running.sum())
        if done_by[day] > highest:
            break
    done_by = np.maximum.accumulate(done_by[:day + 1])
    return np.searchsorted(done_by, draws, side="right").astype(np.int64) + 1


def _by_chunks(samples: npt.NDArray[np.float64], remaining: int, trials: int,
               rng: np.random.Generator) -> Days:
    """Draw the trials' days in chunks, for samples on no small lattice (or too fine a one)."""
    finish = np.full(trials, HORIZON_DAYS + 1, dtype=np.int64)
    total = np.zeros(trials)
    running = np.arange(trials)
    start = 0
    while running.size and start < HORIZON_DAYS:
        span = min(CHUNK_DAYS, HORIZON_DAYS - start)
        drawn = samples[rng.integers(0, samples.size, size=(running.size, span))]
        totals = np.cumsum(drawn, axis=1) + total[running][:, None]
        reached = totals >= remaining - TOLERANCE
        hit = reached[:, -1]
        finish[running[hit]] = start + np.argmax(reached[hit], axis=1) + 1
        total[running] = totals[:, -1]
        running = running[~hit]
        start += span
    return finish


def _lattice(daily: Sequence[float]) -> tuple[int, npt.NDArray[np.int64]] | None:
    """Return the scale that makes every sample a whole number, with the scaled samples; None if none."""
    fractions = {value: Fraction(value).limit_denominator(MAX_DENOMINATOR) for value in set(daily)}
    if any(abs(float(exact) - value) > TOLERANCE * max(1.0, value) for value, exact in fractions.items()):
        return None
    scale = math.lcm(*(exact.denominator for exact in fractions.values()))
    if scale > MAX_DENOMINATOR:
        return None
    return scale, np.rint(np.asarray(daily, dtype=np.float64) * scale).astype(np.int64)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"not an ISO date: {value!r}")
    return date.fromisoformat(value)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
