"""An epic's figures, each computed with its trace: progress, scope against the baseline, dates,
budget and earned value (its dependencies are in `rules.metrics`, beside the links they read)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from rules.baseline import Baseline
from rules.evm import EarnedValue, percent, planned_figure, project_earned_value
from rules.figures import MONEY_PLACES, PERCENT_PLACES, round_figure
from rules.model import Program, Project, WorkItem
from rules.trace import Row, Step, Trace, counted_step, formula, given, row, shown, summed, trace_of

HOUR = 3600.0


def round_pct(value: float | None) -> float | None:
    """Round a percentage to one decimal, half away from zero."""
    return round_figure(value, PERCENT_PLACES)


def round_2(value: float | None) -> float | None:
    """Round money and indices to two decimals, half away from zero."""
    return round_figure(value, MONEY_PLACES)


def finite(value: float | None) -> float:
    """Return a number Jira held, or 0 for a missing or non-finite one."""
    return value if value is not None and math.isfinite(value) else 0.0


def progress(points_done: float, points_total: float, items_done: int, items_total: int) -> float:
    """Return progress % by points when there are any, else by items, else 0."""
    return progress_figure(points_done, points_total, items_done, items_total)[0]


def progress_figure(points_done: float, points_total: float, items_done: int,
                    items_total: int) -> tuple[float, Step]:
    """Return progress % unrounded and the step that computes it (rounded, as the metric holds it)."""
    by_points = percent(points_done, points_total) if points_total > 0 else None
    if by_points is not None:
        return by_points, formula("progress_pct", "100 x points_done / points_total",
                                  {"points_done": points_done, "points_total": points_total}, by_points,
                                  PERCENT_PLACES)
    by_items = percent(items_done, items_total)
    if by_items is not None:
        step = formula("progress_pct", "100 x items_done / items_total",
                       {"items_done": items_done, "items_total": items_total}, by_items, PERCENT_PLACES)
        return by_items, Step(f"{step.text} (no points, so by items)", step.value, step.name)
    return 0.0, Step("progress_pct = 0: no items and no points", 0.0, "progress_pct")


def overdue_days(due: date | None, done: bool, today: date) -> int:
    """Return how many days past due an unfinished piece of work is (0 when not overdue)."""
    return (today - due).days if due is not None and not done and due < today else 0


def progress_trace(items: Sequence[WorkItem]) -> tuple[Trace, float]:
    """Return the progress trace of an epic's children (each child's points and done state, the sums,
    the division) and its progress % unrounded."""
    items_total = len(items)
    items_done = sum(1 for item in items if item.is_done)
    points_total = sum(finite(item.points) for item in items)
    points_done = sum(finite(item.points) for item in items if item.is_done)
    exact, step = progress_figure(points_done, points_total, items_done, items_total)
    steps = (
        summed("items_total", "the epic's children", items_total),
        counted_step("items_done", "children whose status category is Done",
                     [i.key for i in items if i.is_done]),
        formula("items_open", "items_total - items_done", {"items_total": items_total,
                                                            "items_done": items_done},
                items_total - items_done),
        summed("points_total", "the children's story points summed, a missing one as 0", points_total),
        summed("points_done", "the done children's story points summed", points_done),
        step,
    )
    inputs = [Row(i.key, {"points": i.points, "status": i.status, "done": i.is_done}) for i in items]
    return trace_of(steps, "progress_pct", inputs), exact


def scope_trace(items: Sequence[WorkItem], baseline: Baseline | None, items_total: int,
                points_total: float) -> tuple[Trace, tuple[str, ...], tuple[str, ...]]:
    """Return the scope trace (the baseline against today's children, each added and removed item)
    with the added and removed keys."""
    names = ("baseline_points", "baseline_items", "baseline_date", "scope_growth_pct", "scope_added",
             "scope_removed")
    if baseline is None:
        steps = [Step(f"{name} = null: the epic has no baseline yet (pmrollup baseline KEY takes one)", None,
                      name) for name in names]
        return trace_of(steps, "scope_growth_pct"), (), ()
    steps = [given("baseline_points", baseline.points, "pmrollup.baseline"),
             given("baseline_items", baseline.items), given("baseline_date", baseline.date),
             given("baseline_keys", None if baseline.keys is None else len(baseline.keys),
                   "kept" if baseline.keys is not None else "too many to keep"),
             Step(f"points now = {shown(points_total)} in {items_total} children (points_total)",
                  points_total)]
    if baseline.points > 0:
        steps.append(formula("scope_growth_pct", "100 x (points_total - baseline_points) / baseline_points",
                             {"points_total": points_total, "baseline_points": baseline.points},
                             percent(points_total - baseline.points, baseline.points), PERCENT_PLACES))
    elif baseline.items > 0:
        steps.append(formula("scope_growth_pct", "100 x (items_total - baseline_items) / baseline_items",
                             {"items_total": items_total, "baseline_items": baseline.items},
                             percent(items_total - baseline.items, baseline.items), PERCENT_PLACES))
    else:
        steps.append(Step("scope_growth_pct = null: the baseline holds no points and no items", None,
                          "scope_growth_pct"))
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    if baseline.keys is None:
        steps += [Step(f"{name} = null: the baseline was too large to keep its keys", None, name)
                  for name in ("scope_added", "scope_removed")]
    else:
        now = {item.key for item in items}
        added = tuple(sorted(now - set(baseline.keys)))
        removed = tuple(sorted(set(baseline.keys) - now))
        steps += [counted_step("scope_added", "children not in the baseline's keys", added),
                  counted_step("scope_removed", "baseline keys that are no longer children", removed)]
    base = set(baseline.keys or ())
    new = set(added)
    inputs = [Row(i.key, {"points": i.points, "change": "added" if i.key in new else "in baseline"
                          if i.key in base else ""}) for i in items]
    inputs += [row(key, points=None, change="removed") for key in removed]
    return trace_of(steps, "scope_growth_pct", inputs), added, removed


def schedule_trace(issue: Project | Program, today: date) -> Trace:
    """Return the dates trace: start and due dates, done, overdue and by how many days."""
    days = overdue_days(issue.due_date, issue.is_done, today)
    overdue = Step("is_overdue = false: no due date", False, "is_overdue") if issue.due_date is None else \
        Step(f"is_overdue = due_date < today and not is_done = {issue.due_date} < {today} and not "
             f"{shown(issue.is_done)} = {shown(days > 0)}", days > 0, "is_overdue")
    steps = (
        given("today", today), given("start_date", issue.start_date), given("due_date", issue.due_date),
        given("is_done", issue.is_done, f"status {issue.status}, category {issue.status_category}"),
        overdue,
        formula("days_overdue", "today - due_date", {"today": today, "due_date": issue.due_date}, days)
        if days else Step("days_overdue = 0: not overdue", 0, "days_overdue"),
    )
    inputs = [row(issue.key, status=issue.status, start_date=issue.start_date, due_date=issue.due_date)]
    return trace_of(steps, "days_overdue", inputs)


def budget_trace(project: Project, items: Sequence[WorkItem],
                 hourly_rate: float | None) -> tuple[Trace, float | None, float]:
    """Return the budget trace (each issue's Cost and time spent, the sum, the share of the budget) with
    the budget and the actual cost unrounded."""
    seconds = finite(project.time_spent_seconds) + sum(finite(i.time_spent_seconds) for i in items)
    cost = finite(project.cost) + sum(finite(item.cost) for item in items)
    actual = cost
    if hourly_rate is not None:
        actual += seconds / HOUR * hourly_rate
    budget = project.budget if project.budget is not None and math.isfinite(project.budget) else None
    steps = [given("budget", budget, "the epic's Budget field"),
             Step(f"cost = the Cost of the epic and of its children summed = {shown(cost)}", cost)]
    if hourly_rate is not None:
        steps += [given("cost.hourly_rate", hourly_rate, "app.yaml"),
                  formula("actual_cost", "cost + time_spent_hours x cost.hourly_rate",
                          {"cost": cost, "time_spent_hours": seconds / HOUR, "cost.hourly_rate": hourly_rate},
                          actual, MONEY_PLACES)]
    else:
        steps.append(formula("actual_cost", "cost", {"cost": cost}, actual, MONEY_PLACES))  # no rate set
    steps.append(formula("budget_used_pct", "100 x actual_cost / budget", {"actual_cost": actual,
                                                                         "budget": budget},
                         percent(actual, budget), PERCENT_PLACES))
    inputs = [_cost_row(project.key, project.cost, project.time_spent_seconds)]
    inputs += [_cost_row(i.key, i.cost, i.time_spent_seconds) for i in items
               if i.cost is not None or i.time_spent_seconds]
    return trace_of(steps, "budget_used_pct", inputs), budget, actual


def _cost_row(key: str, cost: float | None, seconds: int | None) -> Row:
    return Row(key, {"cost": cost, "time_spent_hours": None if seconds is None else seconds / HOUR})


def evm_trace(key: str, budget: float | None, actual: float, progress_exact: float,
              start: date | None, due: date | None, today: date) -> tuple[Trace, EarnedValue]:
    """Return the earned-value trace of an epic (each formula with its values) and its figures unrounded."""
    planned, planned_step = planned_figure(start, due, today)
    ev = project_earned_value(budget, actual, progress_exact, planned)
    inputs = [row(key, budget=budget, actual_cost=actual, progress_pct=progress_exact, start_date=start,
                  due_date=due)]
    return trace_of((given("today", today), planned_step, *ev.steps), "cpi", inputs), ev
