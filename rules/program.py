"""Program (initiative) metrics, aggregated from its projects' snapshots."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules.evm import earned_value, percent, planned_pct
from rules.metrics import (
    EVM_METRICS,
    HEALTH_VALUES,
    Dependency,
    MetricValue,
    ProjectMetrics,
    evm_values,
    overdue_days,
    progress,
    round_pct,
)
from rules.model import Program
from rules.outlook import FORECAST_METRIC_KINDS

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
        )


@dataclass(frozen=True)
class ProgramMetrics:
    """Every metric of one initiative and the open dependencies of its projects."""

    key: str
    values: Mapping[str, MetricValue]
    dependencies: tuple[Dependency, ...] = ()
    cross_project: tuple[Dependency, ...] = ()

    def with_health(self, health: str) -> ProgramMetrics:
        """Return a copy whose `health` is set from the program's own findings."""
        if health not in HEALTH_VALUES:
            raise ValueError(f"health must be one of {', '.join(HEALTH_VALUES)}, got {health!r}")
        return ProgramMetrics(self.key, {**self.values, "health": health}, self.dependencies,
                              self.cross_project)

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


def _sum_known(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def program_metrics(program: Program, snapshots: Mapping[str, Snapshot], today: date,
                    project_programs: Mapping[str, str | None]) -> ProgramMetrics:
    """Aggregate an initiative from its projects' snapshots (keyed by epic key).

    `project_programs` maps epic keys to their initiative key, so each dependency's blocker can be
    placed: in another project of this program (cross-project) or outside it (external).
    """
    snaps = list(snapshots.values())
    items_total = sum(s.items_total for s in snaps)
    items_done = sum(s.items_done for s in snaps)
    points_total = sum(s.points_total for s in snaps)
    points_done = sum(s.points_done for s in snaps)
    # Scope growth compares the projects that have a baseline, and only them, now and then.
    with_baseline = [s for s in snaps if s.baseline_points is not None]
    base_points = sum(s.baseline_points or 0.0 for s in with_baseline)
    baselined_now = sum(s.points_total for s in with_baseline)
    growth = percent(baselined_now - base_points, base_points) if base_points > 0 else None

    deps = tuple(d for s in snaps for d in s.dependencies if d.open)
    members = set(snapshots)

    def in_program(dep: Dependency) -> bool:
        epic = dep.blocker_epic if dep.blocker_epic is not None else dep.blocker_key
        return epic in members or (project_programs.get(epic) == program.key)

    cross = tuple(d for d in deps if in_program(d))
    own = _number(program.budget, None)
    budget = own if own is not None else _sum_known([s.budget for s in snaps])
    actual = sum(s.actual_cost for s in snaps)
    ev = earned_value(budget, actual, _sum_known([s.earned_value for s in snaps]),
                      _sum_known([s.planned_value for s in snaps]))
    days = overdue_days(program.due_date, program.is_done, today)
    values: dict[str, MetricValue] = {
        "projects_total": len(snaps),
        "projects_done": sum(1 for s in snaps if s.is_done),
        "projects_at_risk": sum(1 for s in snaps if s.health in ("at-risk", "off-track")),
        "items_total": items_total, "items_done": items_done, "items_open": items_total - items_done,
        "points_total": points_total, "points_done": points_done,
        "progress_pct": round_pct(progress(points_done, points_total, items_done, items_total)),
        "baselined_projects": len(with_baseline),
        "baselined_points_total": baselined_now if with_baseline else None,
        "baseline_points": base_points if with_baseline else None,
        "scope_growth_pct": round_pct(growth),
        "dependencies_open": len(deps),
        "dependencies_overdue": sum(1 for d in deps if d.overdue),
        "cross_project_dependencies": len(cross),
        "cross_project_dependencies_overdue": sum(1 for d in cross if d.overdue),
        "external_dependencies": len(deps) - len(cross),
        **evm_values(ev, planned_pct(program.start_date, program.due_date, today)),
        "start_date": program.start_date, "due_date": program.due_date,
        "is_done": program.is_done, "is_overdue": days > 0, "days_overdue": days,
        "health": None,
    }
    return ProgramMetrics(key=program.key, values=values, dependencies=deps, cross_project=cross)
