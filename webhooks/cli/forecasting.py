"""`pmrollup forecast KEY`: when a project's or program's open items will be done, and from what."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import click

from connector.client import JiraGateway
from rules.config import AppConfig
from rules.forecast import Forecast, WeekRow, forecast, render_histogram, weekly_histogram
from rules.outlook import epic_samples, program_pace, program_samples
from rules.program import Snapshot
from rules.throughput import FORECAST_KEY, Throughput
from rules.wording import counted, with_article
from webhooks.cli.base import CommandError, RootOptions, pass_root
from webhooks.recompute.evaluation import Evaluation, IssueResult
from webhooks.recompute.services import gateway_for, recomputer_for

MAX_ROWS = 16  # the histogram's rows: longer distributions show several weeks a row


@dataclass(frozen=True)
class Outlook:
    """One issue's forecast as the command shows it: the fresh one, its samples and the published one."""

    result: IssueResult
    throughput: Throughput
    fresh: Forecast
    weeks: list[WeekRow]
    trials: int
    today: date
    window_days: int  # forecast.window_days: the throughput's days, or more when the work began later
    min_done: int  # forecast.min_done: the items an epic must have finished to forecast from its own

    def as_dict(self) -> dict[str, Any]:
        first = self.today - timedelta(days=self.throughput.window_days)
        return {
            "key": self.result.key, "level": self.result.level,
            "remaining": self.fresh.remaining, "due_date": _iso(self.result.metrics.get("due_date")),
            "basis": self.throughput.basis, "throughput_per_week": self.throughput.per_week,
            "window": {"from": first.isoformat(), "to": (self.today - timedelta(days=1)).isoformat(),
                       "days": self.throughput.window_days, "done": self.throughput.done_in_window,
                       "began": _iso(self.throughput.began),
                       "why": self.throughput.began_text(self.today) or None},
            "trials": self.trials, "forecast": self.fresh.as_dict(),
            "published": (self.result.plan.state or {}).get(FORECAST_KEY),
            "weeks": [{"start": _iso(w.start), "count": w.count, "share": round(w.share, 4)}
                      for w in self.weeks],
        }


@click.command("forecast", short_help="when a project or program will be done: dates, odds and basis",
               help="Forecast when KEY's open items will be done, from the throughput of the same work over "
                    "forecast.window_days: the trials' finish weeks as a histogram, the P50/P85/P95 dates, "
                    "the chance of finishing by the due date, and the basis. Reads Jira; writes nothing.")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="print the forecast as JSON")
@click.option("--trials", type=click.IntRange(100, 100_000), default=None, metavar="N",
              help="simulated futures (default: forecast.trials)")
@pass_root
def forecast_command(root: RootOptions, key: str, as_json: bool, trials: int | None) -> int:
    config = root.load()
    outlook = outlook_of(config, key.strip().upper(), trials or config.forecast.trials)
    print(json.dumps(outlook.as_dict(), indent=2) if as_json else render(outlook))
    return 0


def outlook_of(config: AppConfig, key: str, trials: int, gateway: JiraGateway | None = None) -> Outlook:
    """Evaluate KEY's program (or KEY alone) without writing, and forecast KEY from what it read
    (through `gateway`, else the Jira the environment names)."""
    gateway = gateway or gateway_for(config)
    where = gateway.locate(key)
    recomputer = recomputer_for(config, gateway=gateway)
    if where.level not in ("program", "project"):
        hint = f"; its epic is {where.project_key}" if where.project_key else ""
        raise CommandError(f"{key} is {with_article(where.issue_type)}, not an epic or an initiative{hint}")
    if where.program_key is not None:
        evaluation = recomputer.program(where.program_key, dry_run=True)
    else:
        evaluation = recomputer.project(key, dry_run=True)
    today = recomputer.clock.today()
    result, throughput = _samples(evaluation, key, today, config)
    remaining = int(result.metrics.get("items_open") or 0)
    due = result.metrics.get("due_date")
    due = due if isinstance(due, date) else None
    fresh = forecast(key, remaining, throughput, today, due, trials)
    weeks = weekly_histogram(key, remaining, throughput, today, trials)
    return Outlook(result, throughput, fresh, weeks, trials, today, config.forecast.window_days,
                   config.forecast.min_done)


def _samples(evaluation: Evaluation, key: str, today: date, config: AppConfig
             ) -> tuple[IssueResult, Throughput]:
    """Return KEY's result and the days its forecast draws from, as the recompute drew them."""
    epics = [_snapshot(r) for r in evaluation.projects] if evaluation.top.level == "program" else []
    pace = program_pace(epics, today, config.forecast.window_days)
    if evaluation.top.key == key and evaluation.top.level == "program":
        return evaluation.top, program_samples(pace.epic_days, today, config.forecast, pace.began)
    result = next(r for r in evaluation.results if r.key == key)
    own = _snapshot(result)
    return result, epic_samples(own.done_by_day, pace.days if epics else None, pace.with_open, today,
                                config.forecast, own.history_from, pace.began)


def _snapshot(result: IssueResult) -> Snapshot:
    return Snapshot.from_dict(result.plan.snapshot or {})


def render(outlook: Outlook) -> str:
    """Return the forecast as a program manager reads it."""
    f, t, metrics = outlook.fresh, outlook.throughput, outlook.result.metrics
    first = outlook.today - timedelta(days=t.window_days)
    rows = [f"{outlook.result.key}  {outlook.result.summary} ({outlook.result.level})", "",
            f"open items    {f.remaining}",
            f"due date      {_iso(metrics.get('due_date')) or 'none'}",
            f"throughput    {_per_week(t.per_week)} items a week (basis: {t.basis})",
            f"window        from {first.isoformat()} to {(outlook.today - timedelta(days=1)).isoformat()}, "
            f"{_days_word(t.window_days)}, {t.done_in_window:g} done"
            + (f": {t.began_text(outlook.today)} (forecast.window_days is {outlook.window_days})"
               if t.began else "")]
    if f.status == "done":
        return "\n".join([*rows, "", "Nothing is left open: there is nothing to forecast."])
    if f.status == "no-history":
        why = ("No item was finished in the window" if not t.done_in_window else
               f"Only {counted(round(t.done_in_window), 'item')} finished in the window, fewer than "
               f"forecast.min_done ({outlook.min_done}), and {outlook.result.key} is under no initiative "
               "whose pace it could share")
        return "\n".join([*rows, "", f"{why}: there is no pace to forecast from (forecast_basis none)."])
    rows += [f"P50 / P85 / P95  {_iso(f.p50) or 'beyond'} / {_iso(f.p85) or 'beyond'} / "
             f"{_iso(f.p95) or 'beyond'}   ({outlook.trials:,} simulated futures)"]
    if f.on_time_probability is not None:
        rows.append(f"on time       {round(100 * f.on_time_probability)}% of futures are done by the due date"
                    + (f"; P85 is {_days_word(f.slip_days)} {'late' if (f.slip_days or 0) > 0 else 'early'}"
                       if f.slip_days is not None and f.slip_days != 0 else ""))
    published = Forecast.from_dict((outlook.result.plan.state or {}).get(FORECAST_KEY) or {})
    if published is not None and published.p85 != f.p85:
        rows.append(f"published     P85 {_iso(published.p85) or 'beyond'}: the fields keep it until the "
                    "forecast moves enough to matter")
    weeks, span = compact(outlook.weeks)
    label = "week" if span == 1 else f"{span} weeks"
    return "\n".join([*rows, "", f"finished in the {label} from", render_histogram(weeks)])


def compact(weeks: Sequence[WeekRow], most: int = MAX_ROWS) -> tuple[list[WeekRow], int]:
    """Merge runs of weeks so that at most `most` rows remain (the beyond row apart); return the
    rows and how many weeks each holds."""
    dated = [w for w in weeks if w.start is not None]
    beyond = [w for w in weeks if w.start is None]
    span = max(1, math.ceil(len(dated) / most))
    merged = [WeekRow(group[0].start, sum(w.count for w in group), sum(w.share for w in group))
              for group in (dated[n:n + span] for n in range(0, len(dated), span))]
    return merged + beyond, span


def _days_word(days: int | None) -> str:
    n = abs(days or 0)
    return f"{n} day" if n == 1 else f"{n} days"


def _per_week(value: float | None) -> str:
    return "no" if value is None else f"{value:g}"


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else value if isinstance(value, str) else None



