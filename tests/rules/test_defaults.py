"""The shipped rule files load, guard every null and fire as documented on crafted metrics."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rules.engine import RuleSet, default_rule_files, evaluate, load_rules
from rules.metrics import project_metrics
from rules.program import program_metrics
from tests.rules.factories import epic, initiative

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


def fired(rules: RuleSet, level: str, values: dict[str, Any]) -> dict[str, str]:
    key = "PAY-1" if level == "project" else "PRG-1"
    return {f.rule: f.severity for f in evaluate(rules, level, key, key.split("-")[0], values, TODAY, {})}


def test_shipped_files_cover_the_five_concerns() -> None:
    names = sorted(p.rsplit("/", 1)[-1] for p in default_rule_files())
    assert names == ["alignment.yaml", "budget.yaml", "dependencies.yaml", "schedule.yaml", "scope.yaml"]


def test_all_null_metrics_fire_nothing_and_report_no_problem(shipped: RuleSet) -> None:
    rules = RuleSet(shipped.rules)
    assert fired(rules, "project", empty_project()) == {}
    assert fired(rules, "program", empty_program()) == {}
    assert rules.problems == {}


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
