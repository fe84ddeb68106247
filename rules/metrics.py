"""Project (epic) metrics: progress, scope against baseline, dates, dependencies, budget and earned value."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rules.baseline import Baseline
from rules.evm import EarnedValue
from rules.measures import budget_trace, evm_trace, progress_trace, schedule_trace, scope_trace
from rules.model import Blocker, Link, Project, WorkItem
from rules.throughput import FORECAST_METRIC_KINDS, ForecastSettings, done_by_day, first_day
from rules.trace import Step, Trace, counted_step, given, row, trace_of

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
# The values pmrollup writes to each output that may be a select field.
SELECT_VALUES: Mapping[str, tuple[str, ...]] = {"health": HEALTH_VALUES}


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

    def days_overdue(self, today: date) -> int:
        """Return how many days past its due date an overdue blocker is (0 when it is not overdue)."""
        return (today - self.blocker_due).days if self.overdue and self.blocker_due is not None else 0

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
    history_from: date | None = None  # the day its work began (its items' earliest `created`)
    traces: Mapping[str, Trace] = field(default_factory=dict, compare=False)  # each group's, by its name

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
            "history_from": self.history_from.isoformat() if self.history_from else None,
        }


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


def dependency_trace(project: Project, deps: Sequence[Dependency], blockers: Mapping[str, Blocker],
                     today: date, link_types: Sequence[str] | None) -> Trace:
    """Return the dependencies trace: each link's blocker, its status and due date, the item it blocks
    inside the epic, and the counts."""
    kinds = ", ".join(link_types) if link_types is not None else "every type"
    steps = (
        Step(f"links counted: of {kinds} whose dependent is {project.key} or a child and whose blocker is "
             f"outside it = {len(deps)}", len(deps)),
        counted_step("dependencies_open", "links whose blocker is not done",
                     _pairs(d for d in deps if d.open)),
        counted_step("dependencies_overdue", f"open ones whose blocker's due date is before today ({today})",
                     _pairs(d for d in deps if d.overdue)),
        counted_step("dependencies_late", "open ones whose blocker is due after the epic's due date "
                     f"({project.due_date or 'none'})", _pairs(d for d in deps if d.late)),
        counted_step("dependencies_unknown", "links whose blocker Jira no longer returns",
                     _pairs(d for d in deps if not d.known)),
    )
    inputs = []
    for d in deps:
        found = blockers.get(d.blocker_key)
        inputs.append(row(d.blocker_key, blocks=d.dependent_key, link=d.link_type,
                          blocker_status=found.status_category if found else "unknown",
                          blocker_due=d.blocker_due, blocker_epic=d.blocker_epic,
                          days_overdue=d.days_overdue(today),
                          open=d.open, overdue=d.overdue, late=d.late))
    return trace_of(steps, "dependencies_overdue", inputs)


def _pairs(deps: Iterable[Dependency]) -> list[str]:
    return [f"{d.blocker_key} blocks {d.dependent_key}" for d in deps]


def project_metrics(project: Project, items: Sequence[WorkItem], blockers: Mapping[str, Blocker],
                    baseline: Baseline | None, today: date, *, hourly_rate: float | None = None,
                    has_program: bool, link_types: Sequence[str] | None = None,
                    window_days: int = ForecastSettings.window_days) -> ProjectMetrics:
    """Compute every metric of an epic from its children, blockers and baseline, each with its trace."""
    progress, progress_exact = progress_trace(items)
    scope, added, removed = scope_trace(items, baseline, int(progress.number("items_total")),
                                        progress.number("points_total"))
    deps = dependencies_of(project, items, blockers, today, link_types)
    budget_figures, budget, actual = budget_trace(project, items, hourly_rate)
    evm, ev = evm_trace(project.key, budget, actual, progress_exact, project.start_date, project.due_date,
                        today)
    program = "the epic sits under an initiative" if has_program else "the epic sits under no initiative"
    traces = {
        "progress": progress, "scope": scope, "schedule": schedule_trace(project, today),
        "dependencies": dependency_trace(project, deps, blockers, today, link_types),
        "budget": budget_figures, "evm": evm,
        "alignment": trace_of([given("has_program", has_program, program)], "has_program"),
    }
    figures = {name: value for trace in traces.values() for name, value in trace.figures().items()}
    values: dict[str, MetricValue] = {name: figures[name] for name in PROJECT_METRICS if name in figures}
    values["health"] = None
    return ProjectMetrics(key=project.key, values=values, dependencies=deps, scope_added_keys=added,
                          scope_removed_keys=removed,
                          baseline_truncated=baseline is not None and baseline.keys is None, evm=ev,
                          done_by_day=done_by_day(items, today, window_days),
                          history_from=first_day(items), traces=traces)
