"""Program (initiative) metrics, aggregated from its projects' snapshots."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules.evm import earned_value, percent, planned_figure
from rules.figures import MONEY_PLACES, PERCENT_PLACES
from rules.measures import progress_figure, schedule_trace
from rules.metrics import EVM_METRICS, HEALTH_VALUES, Dependency, MetricValue, ProjectMetrics
from rules.model import Program
from rules.throughput import FORECAST_METRIC_KINDS
from rules.trace import Step, Trace, counted_step, formula, given, row, shown, summed, trace_of

PROGRAM_METRICS: dict[str, str] = {
    "projects_total": "number", "projects_done": "number", "projects_at_risk": "number",
    "items_total": "number", "items_done": "number", "items_open": "number",
    "points_total": "number", "points_done": "number", "progress_pct": "number",
    "baselined_projects": "number", "baselined_points_total": "number", "baseline_points": "number",
    "scope_growth_pct": "number",
    "dependencies_open": "number", "dependencies_overdue": "number",
    "cross_project_dependencies": "number", "cross_project_dependencies_overdue": "number",
    "external_dependencies": "number",
    **EVM_METRICS,
    **FORECAST_METRIC_KINDS,
    "start_date": "date", "due_date": "date", "is_done": "flag", "is_overdue": "flag",
    "days_overdue": "number", "health": "text",
}


def _number(value: Any, default: float | None = 0.0) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return default
    return float(value)


@dataclass(frozen=True)
class Snapshot:
    """The sums of one project that its program needs, as stored in `pmrollup.state`."""

    key: str
    is_done: bool
    items_total: int
    items_done: int
    points_total: float
    points_done: float
    baseline_points: float | None
    budget: float | None
    actual_cost: float
    earned_value: float | None
    planned_value: float | None
    health: str | None
    dependencies: tuple[Dependency, ...]
    done_by_day: Mapping[str, int] = field(default_factory=dict)  # items finished per day (sparse)
    history_from: date | None = None  # the day its work began; None (or a snapshot from before): unknown

    @property
    def items_open(self) -> int:
        return max(0, self.items_total - self.items_done)

    @classmethod
    def from_metrics(cls, metrics: ProjectMetrics) -> Snapshot:
        """Take the snapshot of freshly computed project metrics."""
        return cls.from_dict(metrics.snapshot())

    @classmethod
    def stored(cls, data: object) -> Snapshot | None:
        """Read the snapshot an epic's state holds; None when there is none or it is incomplete
        (its dependency list was left out to fit Jira's property limit), so the epic is re-read."""
        if not isinstance(data, Mapping) or data.get("dependencies_omitted"):
            return None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """Read a stored snapshot, treating missing or junk numbers as zero or unknown."""
        deps = []
        for raw in data.get("dependencies") or ():
            if isinstance(raw, Mapping):
                try:
                    deps.append(Dependency.from_dict(raw))
                except ValueError:
                    continue
        health = data.get("health")
        return cls(
            key=str(data.get("key", "")),
            is_done=data.get("is_done") is True,
            items_total=int(_number(data.get("items_total")) or 0),
            items_done=int(_number(data.get("items_done")) or 0),
            points_total=_number(data.get("points_total")) or 0.0,
            points_done=_number(data.get("points_done")) or 0.0,
            baseline_points=_number(data.get("baseline_points"), None),
            budget=_number(data.get("budget"), None),
            actual_cost=_number(data.get("actual_cost")) or 0.0,
            earned_value=_number(data.get("earned_value"), None),
            planned_value=_number(data.get("planned_value"), None),
            health=health if health in HEALTH_VALUES else None,
            dependencies=tuple(deps),
            done_by_day=_day_counts(data.get("done_by_day")),
            history_from=_day(data.get("history_from")),
        )


@dataclass(frozen=True)
class ProgramMetrics:
    """Every metric of one initiative and the open dependencies of its projects."""

    key: str
    values: Mapping[str, MetricValue]
    dependencies: tuple[Dependency, ...] = ()
    cross_project: tuple[Dependency, ...] = ()
    traces: Mapping[str, Trace] = field(default_factory=dict, compare=False)  # each group's, by its name

    def with_health(self, health: str) -> ProgramMetrics:
        """Return a copy whose `health` is set from the program's own findings."""
        if health not in HEALTH_VALUES:
            raise ValueError(f"health must be one of {', '.join(HEALTH_VALUES)}, got {health!r}")
        return dataclasses.replace(self, values={**self.values, "health": health})

    def details(self) -> dict[str, Any]:
        """Return the open dependencies, cross-project ones flagged, for findings."""
        cross = set(self.cross_project)
        return {"dependencies": [dict(d.as_dict(), cross_project=d in cross) for d in self.dependencies]}


def _day_counts(value: object) -> dict[str, int]:
    """Read stored day counts, leaving out what is not a day and a positive whole count."""
    if not isinstance(value, Mapping):
        return {}
    return {str(day): count for day, count in value.items()
            if isinstance(count, int) and not isinstance(count, bool) and count > 0}


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def history_from(snapshots: Iterable[Snapshot]) -> date | None:
    """Return the day a program's work began: the earliest of its epics' that have items; None (the
    whole window) when one of them does not say (a snapshot from before it was kept) or none has items."""
    days = [snap.history_from for snap in snapshots if snap.items_total]
    if not days or None in days:
        return None
    return min(day for day in days if day is not None)


def _sum_known(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def program_metrics(program: Program, snapshots: Mapping[str, Snapshot], today: date,
                    project_programs: Mapping[str, str | None]) -> ProgramMetrics:
    """Aggregate an initiative from its projects' snapshots (keyed by epic key), each figure with its trace.

    `project_programs` maps epic keys to their initiative key, so each dependency's blocker can be
    placed: in another project of this program (cross-project) or outside it (external).
    """
    snaps = list(snapshots.values())
    deps = tuple(d for s in snaps for d in s.dependencies if d.open)
    members = set(snapshots)

    def in_program(dep: Dependency) -> bool:
        epic = dep.blocker_epic if dep.blocker_epic is not None else dep.blocker_key
        return epic in members or (project_programs.get(epic) == program.key)

    cross = tuple(d for d in deps if in_program(d))
    budget, evm = _money_traces(program, snaps, today)
    traces = {"projects": _projects_trace(snaps), "progress": _progress_trace(snaps),
              "scope": _scope_trace(snaps), "dependencies": _dependency_trace(deps, cross, today),
              "budget": budget, "evm": evm, "schedule": schedule_trace(program, today)}
    figures = {name: value for trace in traces.values() for name, value in trace.figures().items()}
    values: dict[str, MetricValue] = {name: figures[name] for name in PROGRAM_METRICS if name in figures}
    values["health"] = None
    return ProgramMetrics(key=program.key, values=values, dependencies=deps, cross_project=cross,
                          traces=traces)


def _projects_trace(snaps: Sequence[Snapshot]) -> Trace:
    steps = (Step(f"projects_total = the initiative's epics = {len(snaps)}", len(snaps), "projects_total"),
             counted_step("projects_done", "epics whose status category is Done",
                          [s.key for s in snaps if s.is_done]),
             counted_step("projects_at_risk", "epics whose health is at-risk or off-track",
                          [s.key for s in snaps if s.health in ("at-risk", "off-track")]))
    return trace_of(steps, "projects_at_risk", [row(s.key, done=s.is_done, health=s.health) for s in snaps])


def _progress_trace(snaps: Sequence[Snapshot]) -> Trace:
    items_total = sum(s.items_total for s in snaps)
    items_done = sum(s.items_done for s in snaps)
    points_total = sum(s.points_total for s in snaps)
    points_done = sum(s.points_done for s in snaps)
    steps = (
        summed("items_total", "the epics' items summed", items_total),
        summed("items_done", "the epics' done items summed", items_done),
        formula("items_open", "items_total - items_done", {"items_total": items_total,
                                                            "items_done": items_done},
                items_total - items_done),
        summed("points_total", "the epics' points summed", points_total),
        summed("points_done", "the epics' done points summed", points_done),
        progress_figure(points_done, points_total, items_done, items_total)[1],
    )
    inputs = [row(s.key, items_total=s.items_total, items_done=s.items_done, points_total=s.points_total,
                  points_done=s.points_done) for s in snaps]
    return trace_of(steps, "progress_pct", inputs)


def _scope_trace(snaps: Sequence[Snapshot]) -> Trace:
    # Scope growth compares the projects that have a baseline, and only them, now and then.
    with_baseline = [s for s in snaps if s.baseline_points is not None]
    base_points = sum(s.baseline_points or 0.0 for s in with_baseline)
    baselined_now = sum(s.points_total for s in with_baseline)
    growth = percent(baselined_now - base_points, base_points) if base_points > 0 else None
    now, then = (baselined_now, base_points) if with_baseline else (None, None)
    steps = (
        counted_step("baselined_projects", "epics with a baseline", [s.key for s in with_baseline]),
        Step(f"baselined_points_total = their points now, summed = {shown(now)}", now,
             "baselined_points_total"),
        Step(f"baseline_points = their baseline points, summed = {shown(then)}", then, "baseline_points"),
        formula("scope_growth_pct", "100 x (baselined_points_total - baseline_points) / baseline_points",
                {"baselined_points_total": baselined_now, "baseline_points": base_points}, growth,
                PERCENT_PLACES, null="no epic's baseline holds points"),
    )
    inputs = [row(s.key, baseline_points=s.baseline_points, points_total=s.points_total) for s in snaps]
    return trace_of(steps, "scope_growth_pct", inputs)


def _dependency_trace(deps: Sequence[Dependency], cross: Sequence[Dependency], today: date) -> Trace:
    crossing = set(cross)

    def pairs(chosen: Sequence[Dependency]) -> list[str]:
        return [f"{d.blocker_key} blocks {d.dependent_key}" for d in chosen]

    steps = (
        counted_step("dependencies_open", "the epics' open dependencies", pairs(deps)),
        counted_step("dependencies_overdue", f"open ones whose blocker's due date is before today ({today})",
                     pairs([d for d in deps if d.overdue])),
        counted_step("cross_project_dependencies", "open ones whose blocker sits in another epic of this "
                     "program", pairs(cross)),
        counted_step("cross_project_dependencies_overdue", "cross-project ones that are overdue",
                     pairs([d for d in cross if d.overdue])),
        formula("external_dependencies", "dependencies_open - cross_project_dependencies",
                {"dependencies_open": len(deps), "cross_project_dependencies": len(cross)},
                len(deps) - len(cross)),
    )
    inputs = [row(d.blocker_key, blocks=d.dependent_key, blocker_due=d.blocker_due,
                  blocker_epic=d.blocker_epic, days_overdue=d.days_overdue(today),
                  overdue=d.overdue, cross_project=d in crossing) for d in deps]
    return trace_of(steps, "dependencies_overdue", inputs)


def _money_traces(program: Program, snaps: Sequence[Snapshot], today: date) -> tuple[Trace, Trace]:
    """Return the budget trace (the initiative's own Budget, else its epics') and the earned-value one."""
    own = _number(program.budget, None)
    budget = own if own is not None else _sum_known([s.budget for s in snaps])
    actual = sum(s.actual_cost for s in snaps)
    earned = _sum_known([s.earned_value for s in snaps])
    planned_value = _sum_known([s.planned_value for s in snaps])
    ev = earned_value(budget, actual, earned, planned_value)
    whose = "the initiative's own Budget" if own is not None else "its epics' budgets summed"
    money = (
        given("budget", budget, whose),
        summed("actual_cost", "the epics' actual costs summed", actual, MONEY_PLACES),
        formula("budget_used_pct", "100 x actual_cost / budget", {"actual_cost": actual, "budget": budget},
                percent(actual, budget), PERCENT_PLACES),
    )
    budget_inputs = [row(program.key, budget=own)] + [row(s.key, budget=s.budget, actual_cost=s.actual_cost)
                                                       for s in snaps]
    _, planned_step = planned_figure(program.start_date, program.due_date, today)
    steps = (
        given("today", today), planned_step,
        summed("earned_value", "the epics' earned values summed", earned, MONEY_PLACES),
        summed("planned_value", "the epics' planned values summed", planned_value, MONEY_PLACES),
        *ev.steps,
    )
    evm_inputs = [row(program.key, budget=budget, start_date=program.start_date, due_date=program.due_date)]
    evm_inputs += [row(s.key, earned_value=s.earned_value, planned_value=s.planned_value,
                       actual_cost=s.actual_cost) for s in snaps]
    return trace_of(money, "budget_used_pct", budget_inputs), trace_of(steps, "cpi", evm_inputs)
