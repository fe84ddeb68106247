"""Project (epic) metrics: progress, scope against baseline, dates, dependencies, budget and earned value."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules.baseline import Baseline
from rules.evm import EarnedValue, percent, planned_pct, project_earned_value
from rules.figures import MONEY_PLACES, PERCENT_PLACES, round_figure
from rules.model import Blocker, Link, Project, WorkItem
from rules.outlook import FORECAST_METRIC_KINDS, done_by_day
from rules.throughput import ForecastSettings

MetricValue = float | int | str | bool | date | None

# Every metric a rule can name, by kind: number, flag (true/false), text or date.
EVM_METRICS: dict[str, str] = {
    "budget": "number", "actual_cost": "number", "budget_used_pct": "number",
    "planned_pct": "number", "earned_value": "number", "planned_value": "number",
    "cpi": "number", "spi": "number", "eac": "number", "etc": "number", "vac": "number",
    "tcpi": "number",
}
PROJECT_METRICS: dict[str, str] = {
    "items_total": "number", "items_done": "number", "items_open": "number",
    "points_total": "number", "points_done": "number", "progress_pct": "number",
    "baseline_points": "number", "baseline_items": "number", "baseline_date": "date",
    "scope_growth_pct": "number", "scope_added": "number", "scope_removed": "number",
    "start_date": "date", "due_date": "date", "is_done": "flag", "is_overdue": "flag",
    "days_overdue": "number",
    "dependencies_open": "number", "dependencies_overdue": "number", "dependencies_late": "number",
    "dependencies_unknown": "number",
    **EVM_METRICS,
    **FORECAST_METRIC_KINDS,
    "has_program": "flag", "health": "text",
}
HEALTH_VALUES = ("on-track", "at-risk", "off-track")


def round_pct(value: float | None) -> float | None:
    """Round a percentage to one decimal, half away from zero."""
    return round_figure(value, PERCENT_PLACES)


def round_2(value: float | None) -> float | None:
    """Round money and indices to two decimals, half away from zero."""
    return round_figure(value, MONEY_PLACES)


def evm_values(ev: EarnedValue, planned: float | None) -> dict[str, MetricValue]:
    """Turn earned-value figures into rounded metric values."""
    return {
        "budget": ev.budget,
        "actual_cost": round_2(ev.actual_cost),
        "budget_used_pct": round_pct(percent(ev.actual_cost, ev.budget)),
        "planned_pct": round_pct(planned),
        "earned_value": round_2(ev.earned_value),
        "planned_value": round_2(ev.planned_value),
        "cpi": round_2(ev.cpi), "spi": round_2(ev.spi), "eac": round_2(ev.eac),
        "etc": round_2(ev.etc), "vac": round_2(ev.vac), "tcpi": round_2(ev.tcpi),
    }


def progress(points_done: float, points_total: float, items_done: int, items_total: int) -> float:
    """Return progress % by points when there are any, else by items, else 0."""
    by_points = percent(points_done, points_total) if points_total > 0 else None
    if by_points is not None:
        return by_points
    return percent(items_done, items_total) or 0.0


def overdue_days(due: date | None, done: bool, today: date) -> int:
    """Return how many days past due an unfinished piece of work is (0 when not overdue)."""
    return (today - due).days if due is not None and not done and due < today else 0


@dataclass(frozen=True)
class Dependency:
    """A link whose dependent is in this epic and whose blocker is outside it."""

    blocker_key: str
    dependent_key: str
    link_type: str
    blocker_due: date | None
    blocker_epic: str | None
    blocker_jira_project: str
    known: bool
    open: bool
    overdue: bool
    late: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready record, as findings and snapshots carry it."""
        data = dataclasses.asdict(self)
        data["blocker_due"] = self.blocker_due.isoformat() if self.blocker_due else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Dependency:
        """Read a record written by as_dict; raise ValueError on junk."""
        due = data.get("blocker_due")
        try:
            return cls(
                blocker_key=str(data["blocker_key"]), dependent_key=str(data["dependent_key"]),
                link_type=str(data.get("link_type", "")),
                blocker_due=date.fromisoformat(due) if due else None,
                blocker_epic=data.get("blocker_epic"),
                blocker_jira_project=str(data.get("blocker_jira_project", "")),
                known=bool(data.get("known", True)), open=bool(data.get("open", True)),
                overdue=bool(data.get("overdue")), late=bool(data.get("late")),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a dependency record: {data!r}") from exc


@dataclass(frozen=True)
class ProjectMetrics:
    """Every metric of one epic, plus the dependency and scope lists findings point at."""

    key: str
    values: Mapping[str, MetricValue]
    dependencies: tuple[Dependency, ...] = ()
    scope_added_keys: tuple[str, ...] = ()
    scope_removed_keys: tuple[str, ...] = ()
    baseline_truncated: bool = False
    evm: EarnedValue | None = field(default=None, compare=False)
    done_by_day: Mapping[str, int] = field(default_factory=dict)  # items finished per day of the window

    def with_health(self, health: str) -> ProjectMetrics:
        """Return a copy whose `health` is set (health depends on the findings of the rules)."""
        if health not in HEALTH_VALUES:
            raise ValueError(f"health must be one of {', '.join(HEALTH_VALUES)}, got {health!r}")
        return dataclasses.replace(self, values={**self.values, "health": health})

    def details(self) -> dict[str, Any]:
        """Return what a reader needs to act on a finding: dependencies and scope changes."""
        return {
            "dependencies": [d.as_dict() for d in self.dependencies if d.open or not d.known],
            "scope_added": list(self.scope_added_keys),
            "scope_removed": list(self.scope_removed_keys),
            "baseline_truncated": self.baseline_truncated,
        }

    def snapshot(self) -> dict[str, Any]:
        """Return the JSON sums a program re-aggregates from, without refetching items."""
        v = self.values
        ev = self.evm
        return {
            "key": self.key,
            "is_done": v["is_done"],
            "items_total": v["items_total"], "items_done": v["items_done"],
            "points_total": v["points_total"], "points_done": v["points_done"],
            "baseline_points": v["baseline_points"], "baseline_items": v["baseline_items"],
            "budget": v["budget"],
            "actual_cost": ev.actual_cost if ev else v["actual_cost"],
            "earned_value": ev.earned_value if ev else v["earned_value"],
            "planned_value": ev.planned_value if ev else v["planned_value"],
            "due_date": v["due_date"].isoformat() if isinstance(v["due_date"], date) else None,
            "health": v.get("health"),
            "dependencies": [d.as_dict() for d in self.dependencies if d.open or not d.known],
            "done_by_day": dict(self.done_by_day),
        }


def _finite(value: float | None) -> float:
    return value if value is not None and math.isfinite(value) else 0.0


def dependencies_of(project: Project, items: Sequence[WorkItem], blockers: Mapping[str, Blocker],
                    today: date, link_types: Sequence[str] | None = None) -> tuple[Dependency, ...]:
    """Find links whose dependent is the epic or a child and whose blocker is outside the epic."""
    members = {project.key} | {item.key for item in items}
    wanted = {t.lower() for t in link_types} if link_types is not None else None
    seen: set[tuple[str, str, str]] = set()
    found: list[Dependency] = []
    links: list[Link] = list(project.links) + [link for item in items for link in item.links]
    for link in links:
        ident = (link.blocker_key, link.dependent_key, link.link_type)
        if (ident in seen or link.dependent_key not in members or link.blocker_key in members
                or (wanted is not None and link.link_type.lower() not in wanted)):
            continue
        seen.add(ident)
        blocker = blockers.get(link.blocker_key)
        due = blocker.due_date if blocker else None
        is_open = blocker is not None and not blocker.is_done
        found.append(Dependency(
            blocker_key=link.blocker_key, dependent_key=link.dependent_key, link_type=link.link_type,
            blocker_due=due, blocker_epic=blocker.epic_key if blocker else None,
            blocker_jira_project=blocker.jira_project if blocker else "",
            known=blocker is not None, open=is_open,
            overdue=is_open and due is not None and due < today,
            late=is_open and due is not None and project.due_date is not None and due > project.due_date,
        ))
    return tuple(sorted(found, key=lambda d: (d.dependent_key, d.blocker_key)))


def project_metrics(project: Project, items: Sequence[WorkItem], blockers: Mapping[str, Blocker],
                    baseline: Baseline | None, today: date, *, hourly_rate: float | None = None,
                    has_program: bool, link_types: Sequence[str] | None = None,
                    window_days: int = ForecastSettings.window_days) -> ProjectMetrics:
    """Compute every metric of an epic from its children, blockers and baseline."""
    items_total = len(items)
    items_done = sum(1 for item in items if item.is_done)
    points_total = sum(_finite(item.points) for item in items)
    points_done = sum(_finite(item.points) for item in items if item.is_done)
    progress_pct = progress(points_done, points_total, items_done, items_total)

    growth: float | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    if baseline is not None:
        if baseline.points > 0:
            growth = percent(points_total - baseline.points, baseline.points)
        elif baseline.items > 0:
            growth = percent(items_total - baseline.items, baseline.items)
        if baseline.keys is not None:
            now = {item.key for item in items}
            added = tuple(sorted(now - set(baseline.keys)))
            removed = tuple(sorted(set(baseline.keys) - now))

    deps = dependencies_of(project, items, blockers, today, link_types)
    seconds = _finite(project.time_spent_seconds) + sum(_finite(i.time_spent_seconds) for i in items)
    actual = _finite(project.cost) + sum(_finite(item.cost) for item in items)
    if hourly_rate is not None:
        actual += seconds / 3600.0 * hourly_rate
    budget = project.budget if project.budget is not None and math.isfinite(project.budget) else None
    planned = planned_pct(project.start_date, project.due_date, today)
    ev = project_earned_value(budget, actual, progress_pct, planned)
    days = overdue_days(project.due_date, project.is_done, today)
    known_baseline = baseline is not None and baseline.keys is not None

    values: dict[str, MetricValue] = {
        "items_total": items_total, "items_done": items_done, "items_open": items_total - items_done,
        "points_total": points_total, "points_done": points_done,
        "progress_pct": round_pct(progress_pct),
        "baseline_points": baseline.points if baseline else None,
        "baseline_items": baseline.items if baseline else None,
        "baseline_date": baseline.date if baseline else None,
        "scope_growth_pct": round_pct(growth),
        "scope_added": len(added) if known_baseline else None,
        "scope_removed": len(removed) if known_baseline else None,
        "start_date": project.start_date, "due_date": project.due_date,
        "is_done": project.is_done, "is_overdue": days > 0, "days_overdue": days,
        "dependencies_open": sum(1 for d in deps if d.open),
        "dependencies_overdue": sum(1 for d in deps if d.overdue),
        "dependencies_late": sum(1 for d in deps if d.late),
        "dependencies_unknown": sum(1 for d in deps if not d.known),
        **evm_values(ev, planned),
        "has_program": has_program,
        "health": None,
    }
    return ProjectMetrics(key=project.key, values=values, dependencies=deps, scope_added_keys=added,
                          scope_removed_keys=removed,
                          baseline_truncated=baseline is not None and baseline.keys is None, evm=ev,
                          done_by_day=done_by_day(items, today, window_days))
