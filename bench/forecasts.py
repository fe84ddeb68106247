"""The forecasts' cost: the share that forecasting every epic and the program adds to a full recompute.

The recompute forecasts inside its one pass (`webhooks/recompute/recomputer.py`) and has no switch
that turns forecasts off, so the forecast step is timed alone, after a timed first run, on the
inputs that run used: each epic's open items, due date and finished items per day, its program's
days and the count of epics with open items, the program's own open items and due date, and the
config's forecast settings. The share is forecast / (full recompute - forecast).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bench.figure import Figure
from bench.harness import config_for, gateway_for, recomputer_for, timed
from bench.seeds import TODAY, GeneratedProgram
from rules.forecast import Forecast
from rules.outlook import epic_forecast, program_forecast, program_pace
from rules.program import Snapshot
from rules.throughput import ForecastSettings
from sandbox.server import start_sandbox
from webhooks.recompute.evaluation import Evaluation, IssueResult

TARGET = 0.10  # forecasts may add at most a tenth to a full recompute
REPEAT = 5  # the forecast step is pure and repeatable: its median over this many runs


@dataclass(frozen=True)
class ForecastInput:
    """What the recompute forecast one epic or the program from; an epic's days and the day its work
    began are in its snapshot."""

    key: str
    open_items: int
    due: date | None
    snapshot: Snapshot | None = None


def epic_inputs(evaluation: Evaluation) -> list[ForecastInput]:
    """Return each epic's forecast inputs, as the recompute measured them."""
    return [ForecastInput(r.key, _open(r), _due(r), Snapshot.from_dict(r.plan.snapshot or {}))
            for r in evaluation.projects]


def forecast_step(epics: Sequence[ForecastInput], program: ForecastInput, today: date,
                  settings: ForecastSettings) -> dict[str, Forecast]:
    """Forecast every epic from its days and its program's pace, then the program, as a first run
    does (no forecast published before); return the forecasts by key."""
    snapshots = [_snapshot_of(e) for e in epics]
    pace = program_pace(snapshots, today, settings.window_days)
    found = {e.key: epic_forecast(e.key, e.open_items, snap.done_by_day, pace.days, pace.with_open, e.due,
                                  today, settings, None, snap.history_from, pace.began)
             for e, snap in zip(epics, snapshots, strict=True)}
    found[program.key] = program_forecast(program.key, program.open_items, pace.epic_days, program.due, today,
                                          settings, None, pace.began)
    return found


def agreeing(evaluation: Evaluation, forecasts: dict[str, Forecast]) -> int:
    """Count the issues whose forecast here gives the dates the recompute published."""
    published = ("forecast_p50_date", "forecast_p85_date", "forecast_p95_date", "forecast_basis")
    return sum(1 for r in evaluation.results
               if tuple(r.metrics.get(m) for m in published) == _dates(forecasts[r.key]))


def measure(program: GeneratedProgram, flavor: str) -> tuple[list[Figure], dict[str, Any]]:
    """Recompute the whole program cold, then time its forecasts alone on the same inputs."""
    with start_sandbox(program.seed, flavor) as sandbox:
        config = config_for(flavor)
        recomputer = recomputer_for(config, gateway_for(sandbox, config))
        first = timed(lambda: recomputer.program(program.initiative))
    evaluation: Evaluation = first.value
    settings = config.forecast
    epics = epic_inputs(evaluation)
    top = ForecastInput(evaluation.top.key, _open(evaluation.top), _due(evaluation.top))
    step = timed(lambda: forecast_step(epics, top, date.fromisoformat(TODAY), settings), REPEAT)
    forecasts: dict[str, Forecast] = step.value
    rest = first.seconds - step.seconds
    share = step.seconds / rest if rest > 0 else float("inf")
    bases = sorted({f.basis for f in forecasts.values()})
    same = agreeing(evaluation, forecasts)
    name = f"forecast cost: share the forecasts add to a full recompute ({flavor})"
    note = (f"forecasts {step.seconds:.3f} s (median of {len(step.runs)}; {len(epics)} epics and the "
            f"program, {settings.trials:,} trials each, bases {', '.join(bases)}) of a {first.seconds:.2f} s "
            f"first-run full recompute of the {program.shape.stories:,}-story program; timed alone on the "
            f"inputs the recompute used (same dates on {same} of {len(forecasts)}); share {share:.3f}")
    figure = Figure(name, step.seconds, "s", "full recompute less forecasts", rest, f"<= {TARGET:.2f}x",
                    share <= TARGET, note=note)
    open_items = [e.open_items for e in epics]
    per_week = [f.throughput_per_week or 0.0 for k, f in forecasts.items() if k != top.key]
    details = {"full_seconds": round(first.seconds, 3), "forecast_seconds": [round(s, 4) for s in step.runs],
               "share": round(share, 4), "issues_forecast": len(forecasts), "dates_agree": same,
               "trials": settings.trials, "window_days": settings.window_days,
               "epic_open_items": {"min": min(open_items, default=0), "max": max(open_items, default=0)},
               "program_open_items": top.open_items,
               "epic_per_week": {"min": min(per_week, default=0), "max": max(per_week, default=0)},
               "program_per_week": forecasts[top.key].throughput_per_week,
               "statuses": sorted({f.status for f in forecasts.values()}), "bases": bases}
    return [figure], details


def _dates(found: Forecast) -> tuple[Any, ...]:
    return found.p50, found.p85, found.p95, found.basis


def _snapshot_of(epic: ForecastInput) -> Snapshot:
    if epic.snapshot is None:
        raise ValueError(f"{epic.key}: an epic's forecast input needs its snapshot")
    return epic.snapshot


def _open(result: IssueResult) -> int:
    found = result.metrics.get("items_open")
    return found if isinstance(found, int) and not isinstance(found, bool) else 0


def _due(result: IssueResult) -> date | None:
    found = result.metrics.get("due_date")
    return found if isinstance(found, date) else None
