"""The shipped rule files load, guard every null and fire as documented on crafted metrics."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rules.engine import ProblemLog, RuleSet, evaluate
from rules.metrics import project_metrics
from rules.program import program_metrics
from rules.throughput import FORECAST_METRIC_KINDS
from tests.rules.factories import epic, initiative
from webhooks.settings.rulefiles import default_rule_files, load_rules

TODAY = date(2024, 1, 16)


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules(default_rule_files())


def empty_project(**values: Any) -> dict[str, Any]:
    """An epic with nothing in it (every nullable metric null), then the given values."""
    base = dict(project_metrics(epic(), [], {}, None, TODAY, has_program=True).values)
    return {**base, **values}


def empty_program(**values: Any) -> dict[str, Any]:
    return {**program_metrics(initiative(), {}, TODAY, {}).values, **values}


def fired(rules: RuleSet, level: str, values: dict[str, Any],
          log: ProblemLog | None = None) -> dict[str, str]:
    key = "PAY-1" if level == "project" else "PRG-1"
    return {f.rule: f.severity
            for f in evaluate(rules, level, key, key.split("-")[0], values, TODAY, {}, log)}


def test_shipped_files_cover_the_six_concerns() -> None:
    names = sorted(p.rsplit("/", 1)[-1] for p in default_rule_files())
    assert names == ["alignment.yaml", "budget.yaml", "dependencies.yaml", "forecast.yaml", "schedule.yaml",
                     "scope.yaml"]


def test_all_null_metrics_fire_nothing_and_report_no_problem(shipped: RuleSet) -> None:
    rules, log = RuleSet(shipped.rules), ProblemLog()
    assert fired(rules, "project", empty_project(), log) == {}
    assert fired(rules, "program", empty_program(), log) == {}
    assert log.by_rule == {}


@pytest.mark.parametrize(("growth", "expected"), [
    (10.0, {}), (10.1, {"scope-creep-warning": "warning"}), (25.0, {"scope-creep-warning": "warning"}),
    (25.1, {"scope-creep-critical": "critical"}),
])
def test_scope_growth_over_10_warns_and_over_25_is_critical(shipped: RuleSet, growth: float,
                                                             expected: dict[str, str]) -> None:
    assert fired(shipped, "project", empty_project(scope_growth_pct=growth)) == expected


def test_program_scope_growth_uses_the_same_thresholds(shipped: RuleSet) -> None:
    assert fired(shipped, "program", empty_program(scope_growth_pct=30.0)) == \
        {"program-scope-creep-critical": "critical"}


def test_overdue_dependency_warns_on_the_project(shipped: RuleSet) -> None:
    assert fired(shipped, "project", empty_project(dependencies_open=2, dependencies_overdue=1)) == \
        {"overdue-dependency": "warning"}


def test_cross_project_overdue_dependency_is_critical_on_the_program(shipped: RuleSet) -> None:
    values = empty_program(dependencies_overdue=1, cross_project_dependencies_overdue=1)
    assert fired(shipped, "program", values) == {"cross-project-overdue-dependency": "critical"}


def test_budget_running_ahead_of_progress_warns(shipped: RuleSet) -> None:
    ahead = empty_project(budget=1000.0, budget_used_pct=60.0, progress_pct=40.0)
    close = empty_project(budget=1000.0, budget_used_pct=55.0, progress_pct=40.0)
    assert fired(shipped, "project", ahead) == {"budget-ahead-of-progress": "warning"}
    assert fired(shipped, "project", close) == {}


def test_budget_over_100_percent_is_critical(shipped: RuleSet) -> None:
    values = empty_project(budget=1000.0, actual_cost=1100.0, budget_used_pct=110.0, progress_pct=95.0)
    findings = evaluate(shipped, "project", "PAY-1", "PAY", values, TODAY, {})
    assert {f.rule: f.severity for f in findings} == {"budget-overrun": "critical"}
    assert findings[0].message == ("Over budget: 1,100 spent against a budget of 1,000 (110.0%) "
                                   "at 95.0% done.")


def test_low_cpi_warns(shipped: RuleSet) -> None:
    assert fired(shipped, "project", empty_project(cpi=0.85, eac=1200.0, budget=1000.0)) == \
        {"low-cost-performance": "warning"}
    assert fired(shipped, "project", empty_project(cpi=0.9)) == {}


def test_overdue_project_and_program_are_critical(shipped: RuleSet) -> None:
    project = empty_project(is_overdue=True, days_overdue=3, due_date=date(2024, 1, 13))
    assert fired(shipped, "project", project) == {"project-overdue": "critical"}
    assert fired(shipped, "program", empty_program(is_overdue=True, days_overdue=3)) == \
        {"program-overdue": "critical"}


def test_spi_under_0_8_warns(shipped: RuleSet) -> None:
    assert fired(shipped, "project", empty_project(spi=0.7)) == {"behind-schedule": "warning"}
    assert fired(shipped, "program", empty_program(spi=0.7)) == {"program-behind-schedule": "warning"}


def test_project_without_program_is_info_without_comment(shipped: RuleSet) -> None:
    [finding] = evaluate(shipped, "project", "PAY-1", "PAY", empty_project(has_program=False), TODAY, {})
    assert (finding.rule, finding.severity, finding.comment) == ("project-without-program", "info", False)
    assert fired(shipped, "project", empty_project(has_program=False, is_done=True)) == {}


def messages(rules: RuleSet, level: str, values: dict[str, Any]) -> dict[str, str]:
    key = "PAY-1" if level == "project" else "PRG-1"
    return {f.rule: f.message for f in evaluate(rules, level, key, key.split("-")[0], values, TODAY, {})}


def test_dependency_messages_say_1_dependency_and_2_dependencies(shipped: RuleSet) -> None:
    one = messages(shipped, "project", empty_project(dependencies_open=1, dependencies_overdue=1))
    assert one["overdue-dependency"] == ("1 of 1 open dependency is overdue: the work blocking this epic "
                                         "is past its due date.")
    two = messages(shipped, "project", empty_project(dependencies_open=3, dependencies_overdue=2,
                                                      dependencies_late=1, due_date=date(2024, 3, 1)))
    assert two["overdue-dependency"].startswith("2 of 3 open dependencies are overdue:")
    assert two["late-dependency"] == "1 open dependency is due after this epic's due date of 2024-03-01."
    cross = messages(shipped, "program", empty_program(cross_project_dependencies_overdue=2))
    assert cross["cross-project-overdue-dependency"].startswith(
        "2 dependencies between projects of this program are overdue:")


def test_overdue_messages_say_1_day_and_count_projects(shipped: RuleSet) -> None:
    project = messages(shipped, "project", empty_project(is_overdue=True, days_overdue=1,
                                                          due_date=date(2024, 1, 15), progress_pct=95.0))
    assert project["project-overdue"] == "This epic is 1 day past its due date of 2024-01-15 and 95.0% done."
    program = messages(shipped, "program", empty_program(is_overdue=True, days_overdue=3, projects_done=0,
                                                          projects_total=1, due_date=date(2024, 1, 13)))
    assert program["program-overdue"] == ("This program is 3 days past its due date of 2024-01-13 and "
                                          "0.0% done (0 of 1 project done).")


def test_project_scope_message_shows_the_figures_its_growth_comes_from(shipped: RuleSet) -> None:
    by_points = messages(shipped, "project", empty_project(
        scope_growth_pct=30.0, points_total=13.0, items_total=5, baseline_points=10.0, baseline_items=4,
        baseline_date=date(2024, 1, 2), scope_added=1, scope_removed=0))
    assert by_points["scope-creep-critical"].startswith(
        "Scope grew 30.0% since the baseline of 2024-01-02: 13 points in 5 items now, against 10 points "
        "in 4 items then (1 item added, 0 removed).")
    by_items = messages(shipped, "project", empty_project(
        scope_growth_pct=50.0, points_total=0.0, items_total=3, baseline_points=0.0, baseline_items=2,
        baseline_date=date(2024, 1, 2), scope_added=1, scope_removed=0))
    assert "0 points in 3 items now, against 0 points in 2 items then" in by_items["scope-creep-critical"]


def forecast_of(due: date | None, p50: date | None, p85: date | None, on_time: float | None,
                **more: Any) -> dict[str, Any]:
    """An open epic with a published forecast: its P50 and P85 dates against its due date."""
    return empty_project(due_date=due, forecast_p50_date=p50, forecast_p85_date=p85,
                         forecast_p95_date=p85, on_time_probability=on_time, forecast_basis="epic",
                         throughput_per_week=3.5, forecast_slip_days=None if p85 is None or due is None
                         else (p85 - due).days, **more)


def program_forecast_of(due: date | None, p50: date | None, p85: date | None,
                        on_time: float | None) -> dict[str, Any]:
    """An open initiative with the same published forecast."""
    shared = ("due_date", "on_time_probability", *FORECAST_METRIC_KINDS)
    forecast = forecast_of(due, p50, p85, on_time)
    return {**empty_program(), **{m: v for m, v in forecast.items() if m in shared}}


@pytest.mark.parametrize("level", ["project", "program"])
def test_a_p85_after_the_due_date_warns_and_a_p50_after_it_is_critical_alone(shipped: RuleSet,
                                                                              level: str) -> None:
    due = date(2024, 3, 1)
    make = forecast_of if level == "project" else program_forecast_of
    prefix = "" if level == "project" else "program-"
    on_time = make(due, date(2024, 2, 10), date(2024, 2, 25), 0.93)
    late = make(due, date(2024, 2, 20), date(2024, 3, 8), 0.71)
    very_late = make(due, date(2024, 3, 12), date(2024, 4, 2), 0.22)
    beyond = make(due, None, None, 0.0)
    forecast_rules = {f"{prefix}forecast-late", f"{prefix}forecast-very-late"}

    def said(values: dict[str, Any]) -> dict[str, str]:
        return {rule: severity for rule, severity in fired(shipped, level, values).items()
                if rule in forecast_rules}

    assert said(on_time) == {}
    assert said(late) == {f"{prefix}forecast-late": "warning"}
    assert said(very_late) == {f"{prefix}forecast-very-late": "critical"}
    assert said(beyond) == {f"{prefix}forecast-very-late": "critical"}
    assert said(make(None, date(2024, 3, 12), date(2024, 4, 2), None)) == {}, "no due date, nothing late"


def test_an_epic_already_overdue_is_left_to_the_overdue_rule(shipped: RuleSet) -> None:
    values = forecast_of(date(2024, 1, 10), date(2024, 3, 12), date(2024, 4, 2), 0.0, is_overdue=True,
                         days_overdue=6)
    found = fired(shipped, "project", values)
    assert "project-overdue" in found and "forecast-very-late" not in found
