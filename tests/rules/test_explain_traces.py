"""Every figure's trace lists the inputs it was computed from: recomputed from them alone, by the
definitions in README's "What pmrollup computes", each gives the metric's value.

`recomputed` works on the JSON shape `pmrollup explain --json` prints, so the command's tests check the
demo's figures with it too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.baseline import Baseline
from rules.engine import evaluate, health_of
from rules.explain import chosen_traces, closest_names, forecast_trace, health_trace
from rules.forecast import forecast
from rules.metrics import ProjectMetrics, project_metrics
from rules.model import DONE, IN_PROGRESS, TODO, Blocker, WorkItem
from rules.program import Snapshot, program_metrics
from rules.throughput import ForecastSettings, Throughput
from tests.rules.factories import blocker, blocks, epic, initiative, item
from webhooks.settings.rulefiles import default_rule_files, load_rules

TODAY = date(2026, 3, 16)
Traces = Mapping[str, Mapping[str, Any]]  # each trace's JSON shape, by the metric it explains


def by_metric(traces: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {trace["metric"]: trace for trace in traces}


def stated(trace: Mapping[str, Any], name: str) -> Any:
    """Return a value the trace says it read (a step naming it), such as the budget or the baseline."""
    return next(step["value"] for step in trace["steps"] if step["name"] == name)


def day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def number(value: float | None) -> float:
    return 0.0 if value is None or not math.isfinite(value) else value


def kept(value: float | None, places: int) -> float | None:
    """Round half away from zero from the float read to 15 digits, as README says figures are."""
    if value is None:
        return None
    return float(Decimal(f"{value:.15g}").quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def share(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    value = numerator / denominator
    return value if math.isfinite(value) else None


def pct(numerator: float | None, denominator: float | None) -> float | None:
    value = share(numerator, denominator)
    return None if value is None else 100.0 * value


def progress_of(points_done: float, points_total: float, done: int, total: int) -> float:
    by_points = pct(points_done, points_total) if points_total > 0 else None
    return by_points if by_points is not None else pct(done, total) or 0.0


def evm(budget: float | None, actual: float, earned: float | None, planned: float | None,
        planned_pct: float | None) -> dict[str, Any]:
    cpi = share(earned, actual)
    spi = share(earned, planned)
    eac = share(budget, cpi)
    tcpi = (share(budget - earned, budget - actual) if budget is not None and earned is not None
            and actual < budget else None)
    return {"planned_pct": kept(planned_pct, 1), "earned_value": kept(earned, 2),
            "planned_value": kept(planned, 2), "cpi": kept(cpi, 2), "spi": kept(spi, 2), "eac": kept(eac, 2),
            "etc": kept(None if eac is None else eac - actual, 2),
            "vac": kept(None if eac is None or budget is None else budget - eac, 2), "tcpi": kept(tcpi, 2)}


def planned_share(start: date | None, due: date | None, today: date) -> float | None:
    if start is None or due is None:
        return None
    span = (due - start).days
    if span <= 0:
        return 100.0 if today >= due else 0.0
    return max(0.0, min(100.0, 100.0 * (today - start).days / span))


def recomputed(traces: Traces, level: str, today: date) -> dict[str, Any]:
    """Recompute every metric from the inputs its trace lists (and the settings it says it read)."""
    found: dict[str, Any] = {}
    progress = traces["progress_pct"]["inputs"]
    if level == "project":
        total, done = len(progress), sum(1 for r in progress if r["done"])
        points = sum(number(r["points"]) for r in progress)
        points_done = sum(number(r["points"]) for r in progress if r["done"])
    else:
        total, done = sum(r["items_total"] for r in progress), sum(r["items_done"] for r in progress)
        points = sum(r["points_total"] for r in progress)
        points_done = sum(r["points_done"] for r in progress)
    found.update(items_total=total, items_done=done, items_open=total - done, points_total=points,
                 points_done=points_done, progress_pct=kept(progress_of(points_done, points, done, total), 1))
    found.update(project_scope(traces["scope_growth_pct"]) if level == "project"
                 else program_scope(traces["scope_growth_pct"]["inputs"]))
    schedule = traces["days_overdue"]
    due, done_issue = day(stated(schedule, "due_date")), stated(schedule, "is_done")
    days = (today - due).days if due is not None and not done_issue and due < today else 0
    found.update(start_date=day(stated(schedule, "start_date")), due_date=due, is_done=done_issue,
                 is_overdue=days > 0, days_overdue=days)
    deps = traces["dependencies_overdue"]["inputs"]
    if level == "project":
        found.update(project_dependencies(deps, due, today))
        found["has_program"] = stated(traces["has_program"], "has_program")
    else:
        found.update(program_dependencies(deps, today))
        found.update(program_projects(traces["projects_at_risk"]["inputs"]))
    found.update(project_money(traces, today) if level == "project" else program_money(traces, today))
    return found


def project_scope(trace: Mapping[str, Any]) -> dict[str, Any]:
    names = ("baseline_points", "baseline_items", "baseline_date", "scope_growth_pct", "scope_added",
             "scope_removed")
    base = stated(trace, "baseline_points")
    if base is None:
        return dict.fromkeys(names)
    items, keys = stated(trace, "baseline_items"), stated(trace, "baseline_keys")
    now = [r for r in trace["inputs"] if r["change"] != "removed"]
    points = sum(number(r["points"]) for r in now)
    growth = (pct(points - base, base) if base > 0 else pct(len(now) - items, items) if items > 0 else None)
    counts = [sum(1 for r in trace["inputs"] if r["change"] == c) if keys is not None else None
              for c in ("added", "removed")]
    return dict(zip(names, (base, items, day(stated(trace, "baseline_date")), kept(growth, 1), *counts),
                    strict=True))


def program_scope(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    based = [r for r in rows if r["baseline_points"] is not None]
    then = sum(r["baseline_points"] for r in based)
    now = sum(r["points_total"] for r in based)
    return {"baselined_projects": len(based), "baselined_points_total": now if based else None,
            "baseline_points": then if based else None,
            "scope_growth_pct": kept(pct(now - then, then) if then > 0 else None, 1)}


def project_dependencies(rows: Sequence[Mapping[str, Any]], epic_due: date | None,
                         today: date) -> dict[str, Any]:
    open_ = [r for r in rows if r["blocker_status"] not in (DONE, "unknown")]
    overdue = [r for r in open_ if r["blocker_due"] and day(r["blocker_due"]) < today]
    for r in rows:
        assert r["days_overdue"] == ((today - day(r["blocker_due"])).days if r in overdue else 0)
    late = [r for r in open_ if r["blocker_due"] and epic_due and day(r["blocker_due"]) > epic_due]
    return {"dependencies_open": len(open_), "dependencies_overdue": len(overdue),
            "dependencies_late": len(late),
            "dependencies_unknown": sum(1 for r in rows if r["blocker_status"] == "unknown")}


def program_dependencies(rows: Sequence[Mapping[str, Any]], today: date) -> dict[str, Any]:
    overdue = [r for r in rows if r["blocker_due"] and day(r["blocker_due"]) < today]
    cross = [r for r in rows if r["cross_project"]]
    return {"dependencies_open": len(rows), "dependencies_overdue": len(overdue),
            "cross_project_dependencies": len(cross),
            "cross_project_dependencies_overdue": sum(1 for r in cross if r in overdue),
            "external_dependencies": len(rows) - len(cross)}


def program_projects(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"projects_total": len(rows), "projects_done": sum(1 for r in rows if r["done"]),
            "projects_at_risk": sum(1 for r in rows if r["health"] in ("at-risk", "off-track"))}


def project_money(traces: Traces, today: date) -> dict[str, Any]:
    budget_trace = traces["budget_used_pct"]
    rows = budget_trace["inputs"]
    budget = stated(budget_trace, "budget")
    rate = next((s["value"] for s in budget_trace["steps"] if s["name"] == "cost.hourly_rate"), None)
    actual = sum(number(r["cost"]) for r in rows)
    if rate is not None:
        actual += sum(number(r["time_spent_hours"]) for r in rows) * rate
    [issue] = traces["cpi"]["inputs"]
    progress = issue["progress_pct"]
    assert kept(progress, 1) == kept(progress_of(*_progress_sums(traces)), 1)
    planned = planned_share(day(issue["start_date"]), day(issue["due_date"]), today)
    earned = None if budget is None else budget * progress / 100.0
    planned_value = None if budget is None or planned is None else budget * planned / 100.0
    return {"budget": budget, "actual_cost": kept(actual, 2),
            "budget_used_pct": kept(pct(actual, budget), 1),
            **evm(budget, issue["actual_cost"], earned, planned_value, planned)}


def _progress_sums(traces: Traces) -> tuple[float, float, int, int]:
    rows = traces["progress_pct"]["inputs"]
    return (sum(number(r["points"]) for r in rows if r["done"]), sum(number(r["points"]) for r in rows),
            sum(1 for r in rows if r["done"]), len(rows))


def program_money(traces: Traces, today: date) -> dict[str, Any]:
    own, *epics = traces["budget_used_pct"]["inputs"]
    budgets = [r["budget"] for r in epics if r["budget"] is not None]
    budget = own["budget"] if own["budget"] is not None else (sum(budgets) if budgets else None)
    actual = sum(r["actual_cost"] for r in epics)
    program, *rows = traces["cpi"]["inputs"]
    assert program["budget"] == budget
    assert [r["actual_cost"] for r in rows] == [r["actual_cost"] for r in epics]
    earned = [r["earned_value"] for r in rows if r["earned_value"] is not None]
    planned = [r["planned_value"] for r in rows if r["planned_value"] is not None]
    return {"budget": budget, "actual_cost": kept(actual, 2),
            "budget_used_pct": kept(pct(actual, budget), 1),
            **evm(budget, actual, sum(earned) if earned else None, sum(planned) if planned else None,
                  planned_share(day(program["start_date"]), day(program["due_date"]), today))}


def health_from(trace: Mapping[str, Any]) -> str:
    """Recompute the health from the rules the trace lists: the worst severity among those that held."""
    held = {r["severity"] for r in trace["inputs"] if r["outcome"] == "held"}
    return "off-track" if "critical" in held else "at-risk" if "warning" in held else "on-track"


def forecast_from(trace: Mapping[str, Any], key: str, today: date, due: date | None) -> dict[str, Any]:
    """Rebuild the samples from the days the trace lists and forecast from them alone."""
    window = stated(trace, "history_days")
    daily = [0.0] * window
    for r in trace["inputs"]:
        daily[window - (today - date.fromisoformat(r["key"])).days] = r["finished"]
    samples = Throughput(tuple(daily), stated(trace, "fresh_basis"), window, float(sum(daily)))
    fresh = forecast(key, stated(trace, "remaining"), samples, today, due, stated(trace, "trials"))
    return {"done_in_window": sum(daily), "fresh_throughput_per_week": kept(sum(daily) / window * 7, 2),
            "fresh_p85": None if fresh.p85 is None else fresh.p85.isoformat()}


def traces_json(metrics: ProjectMetrics) -> dict[str, Mapping[str, Any]]:
    return by_metric([trace.as_dict() for trace in metrics.traces.values()])


def as_read(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name != "health"}


points = st.none() | st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0])
costs = st.none() | st.integers(0, 20_000).map(float)
quarter_hours = st.none() | st.integers(0, 400).map(lambda n: n * 900)
days = st.none() | st.integers(-90, 90).map(lambda n: TODAY + timedelta(days=n))


@st.composite
def epics(draw: st.DrawFn, key: str) -> tuple[Any, list[WorkItem], dict[str, Blocker], Baseline | None]:
    """Draw an epic, its children (points, done, costs, time, links out) and a baseline."""
    keys = [f"{key}{n}" for n in range(draw(st.integers(0, 8)))]
    outside = [f"EXT-{n}" for n in range(4)]
    items = [item(k, draw(points), draw(st.sampled_from([TODO, IN_PROGRESS, DONE])), epic=key,
                  cost=draw(costs), time_spent_seconds=draw(quarter_hours),
                  links=tuple(blocks(b, k) for b in draw(st.lists(st.sampled_from(outside), max_size=2))))
             for k in keys]
    known = draw(st.lists(st.sampled_from(outside), unique=True))
    blockers = {b: blocker(b, draw(days), draw(st.sampled_from([TODO, IN_PROGRESS, DONE]))) for b in known}
    baseline = None
    if draw(st.booleans()):
        base_keys = draw(st.none() | st.lists(st.sampled_from(keys + [f"{key}9{n}" for n in range(3)]),
                                             unique=True))
        baseline = Baseline(draw(st.sampled_from([0.0, 5.0, 20.0])), draw(st.integers(0, 6)),
                            None if base_keys is None else tuple(sorted(base_keys)),
                            TODAY - timedelta(days=30))
    start = draw(days)
    project = epic(f"{key}0", draw(st.sampled_from([IN_PROGRESS, DONE])), budget=draw(costs),
                   cost=draw(costs), time_spent_seconds=draw(quarter_hours), start_date=start,
                   due_date=draw(days), program_key="PRG-1")
    return project, items, blockers, baseline


@settings(max_examples=150, deadline=None)
@given(drawn=epics("PAY-"), rate=st.none() | st.sampled_from([40.0, 75.5]))
def test_every_project_figure_is_recomputed_from_the_inputs_its_trace_lists(drawn: Any,
                                                                            rate: float | None) -> None:
    project, items, blockers, baseline = drawn
    m = project_metrics(project, items, blockers, baseline, TODAY, hourly_rate=rate, has_program=True,
                        link_types=["Blocks"])
    assert recomputed(traces_json(m), "project", TODAY) == as_read(m.values)
    scope = traces_json(m)["scope_growth_pct"]
    if baseline is not None and baseline.keys is not None:  # the rows' changes are the keys' own
        assert {r["key"] for r in scope["inputs"] if r["change"] == "added"} == \
            {i.key for i in items} - set(baseline.keys)
        assert {r["key"] for r in scope["inputs"] if r["change"] == "removed"} == \
            set(baseline.keys) - {i.key for i in items}


@settings(max_examples=60, deadline=None)
@given(drawn=st.lists(st.sampled_from(["PAY-", "WEB-", "OPS-"]), unique=True, max_size=3).flatmap(
    lambda keys: st.tuples(*(epics(k) for k in keys))),
    health=st.lists(st.sampled_from(["on-track", "at-risk", "off-track"]), min_size=3, max_size=3),
    budget=costs, due=days)
def test_every_program_figure_is_recomputed_from_its_epics_snapshots(drawn: Any, health: list[str],
                                                                    budget: float | None,
                                                                    due: date | None) -> None:
    snapshots = {}
    for (project, items, blockers, baseline), status in zip(drawn, health, strict=False):
        m = project_metrics(project, items, blockers, baseline, TODAY, has_program=True)
        snapshots[project.key] = Snapshot.from_metrics(m.with_health(status))
    program = initiative(budget=budget, start_date=TODAY - timedelta(days=40), due_date=due)
    pm = program_metrics(program, snapshots, TODAY, {key: "PRG-1" for key in snapshots})
    traces = by_metric([trace.as_dict() for trace in pm.traces.values()])
    assert recomputed(traces, "program", TODAY) == as_read(pm.values)


def test_each_metric_value_is_the_value_its_trace_gives() -> None:
    project = epic(budget=10_000.0, cost=500.0, start_date=date(2026, 3, 1), due_date=date(2026, 3, 31))
    m = project_metrics(project, [item("PAY-2", 5, DONE, cost=900.0), item("PAY-3", 3)], {}, None, TODAY,
                        has_program=False)
    given_by = {name: value for trace in m.traces.values() for name, value in trace.figures().items()}
    assert {name: given_by[name] for name in as_read(m.values)} == as_read(m.values)
    assert [t.metric for t in chosen_traces(m.traces, "points_total")] == ["progress_pct"]
    assert [t.metric for t in chosen_traces(m.traces, "budget")] == ["budget_used_pct", "cpi"]


def test_the_health_trace_names_the_rules_that_decided_it_with_the_values_they_saw() -> None:
    rules = load_rules(default_rule_files())
    project = epic("WEB-1", budget=40_000.0, cost=12_000.0, start_date=date(2026, 1, 19),
                   due_date=date(2026, 4, 17))
    m = project_metrics(project, [item("WEB-3", 5, DONE, epic="WEB-1", cost=32_000.0), item("WEB-4", 5)], {},
                        None, TODAY, has_program=True)
    findings = evaluate(rules, "project", "WEB-1", "WEB", m.values, TODAY, m.details())
    trace = health_trace(findings, rules.for_level("project"), "WEB-1", "WEB", m.values)
    assert trace.value == health_of(findings) == "off-track" == health_from(trace.as_dict())
    overrun = next(r for r in trace.inputs if r.key == "budget-overrun")
    assert overrun.values["outcome"] == "held" and "budget_used_pct = 110" in str(overrun.values["saw"])
    assert any("decided by budget-overrun" in step.text for step in trace.steps)


def test_the_forecast_trace_lists_the_samples_and_the_remaining_count_it_drew_from() -> None:
    settings_ = ForecastSettings(trials=500)
    daily = tuple(float(n % 3 == 0) for n in range(settings_.window_days))
    samples = Throughput(daily, "epic", settings_.window_days, sum(daily))
    fresh = forecast("PAY-3", 6, samples, TODAY, date(2026, 5, 15), settings_.trials)
    values = {"forecast_p85_date": fresh.p85, "forecast_basis": "epic"}
    trace = forecast_trace(samples, fresh, fresh.as_dict(), values, TODAY, settings_.trials, settings_,
                           "project")
    data = trace.as_dict()
    assert stated(data, "remaining") == 6 and stated(data, "fresh_basis") == "epic"
    assert forecast_from(data, "PAY-3", TODAY, date(2026, 5, 15)) == {
        "done_in_window": sum(daily), "fresh_throughput_per_week": samples.per_week,
        "fresh_p85": fresh.p85.isoformat() if fresh.p85 else None}
    assert trace.value == fresh.p85


def test_a_near_miss_of_a_metric_name_finds_it() -> None:
    assert closest_names("scope_grwth_pct")[0] == "scope_growth_pct"
    assert "dependencies_overdue" in closest_names("dependency_overdue")
