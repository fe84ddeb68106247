"""`pmrollup explain KEY [METRIC]` on the demo program: the inputs and arithmetic of each figure, down to
the issues a program manager would look for, recomputed from what it lists."""

from __future__ import annotations

from datetime import date
from typing import Any

from rules.trace import json_value
from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_TODAY, Run
from tests.rules.test_explain_traces import by_metric, forecast_from, health_from, recomputed, stated

TODAY = date.fromisoformat(DEMO_TODAY)


def evaluated(run: Run, key: str) -> dict[str, dict[str, Any]]:
    """Return `evaluate KEY --dry-run --json` by issue key: each issue's metrics and findings."""
    report = run("evaluate", key, "--dry-run", "--json").json()
    return {issue["key"]: issue for issue in [report, *report["projects"]]}


def explained(run: Run, *argv: str) -> str:
    shown = run("explain", *argv)
    assert shown.code == 0, shown.err
    return shown.out


def test_every_demo_figure_is_recomputed_from_the_inputs_explain_lists(run: Run) -> None:
    issues = {**evaluated(run, "PAY-1"), **evaluated(run, "OPS-1")}
    assert set(issues) == {"PAY-1", "PAY-2", "PAY-3", "WEB-1", "WEB-2", "OPS-1"}
    for key, issue in issues.items():
        metrics = issue["metrics"]
        report = run("explain", key, "--json").json()
        assert (report["key"], report["level"], report["metric"]) == (key, issue["level"], None)
        traces = by_metric(report["traces"])
        named = {step["name"] for trace in report["traces"] for step in trace["steps"]}
        assert set(metrics) <= named, f"{key}: every figure is explained"
        again = {name: json_value(value) for name, value in recomputed(traces, issue["level"], TODAY).items()}
        assert again == {name: metrics[name] for name in again}, key
        assert health_from(traces["health"]) == metrics["health"], key
        forecast = traces["forecast_p85_date"]
        assert forecast["value"] == metrics["forecast_p85_date"], key
        due = date.fromisoformat(metrics["due_date"]) if metrics["due_date"] else None
        fresh = forecast_from(forecast, key, TODAY, due)
        assert fresh == {name: stated(forecast, name) for name in fresh}, key


def test_scope_growth_names_the_baseline_and_each_item_added_and_removed(run: Run) -> None:
    out = explained(run, "PAY-3", "scope_growth_pct")
    assert "100 x (52 - 40) / 40 = 30" in out and "baseline_date = 2026-02-02" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.startswith("  PAY-")}
    assert [key for key, row in rows.items() if row[-1] == "added"] == ["PAY-24", "PAY-25", "PAY-26"]
    assert rows["PAY-19"][-1] == "removed" and rows["PAY-16"][1] == "8"
    assert "scope_removed = baseline keys that are no longer children = 1: PAY-19" in out


def test_overdue_dependencies_name_the_blocker_its_due_date_and_what_it_blocks(run: Run) -> None:
    out = explained(run, "PAY-3", "dependencies_overdue")
    [row] = [line.split() for line in out.splitlines() if line.startswith("  WEB-8 ")]
    assert row[:6] == ["WEB-8", "PAY-15", "Blocks", "In", "Progress", "2026-03-06"]
    assert row[6:8] == ["WEB-1", "10"]  # its epic, and 10 days past its due date
    assert "dependencies_overdue = open ones whose blocker's due date is before today (2026-03-16) = 1: " \
           "WEB-8 blocks PAY-15" in out
    assert "PAY-5 " in out  # the done blocker of PAY-16 is listed, not counted


def test_budget_used_names_each_issue_with_a_cost_and_the_division(run: Run) -> None:
    out = explained(run, "WEB-1", "budget_used_pct")
    costs = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.startswith("  WEB-")}
    assert costs == {"WEB-1": "12,000", "WEB-3": "5,000", "WEB-4": "3,500", "WEB-5": "3,000",
                     "WEB-6": "6,000", "WEB-7": "4,500", "WEB-8": "4,000", "WEB-9": "3,500",
                     "WEB-10": "2,000", "WEB-11": "500"}
    assert "100 x actual_cost / budget = 100 x 44,000 / 40,000 = 110" in out
    budget = explained(run, "WEB-1", "budget")  # the group: the earned-value formulas too
    assert "cpi = earned_value / actual_cost = 20,000 / 44,000 = 0.4545 → 0.45" in budget
    assert "tcpi = " in budget and "null, actual_cost has reached the budget" in budget


def test_program_progress_names_its_epics_and_their_sums(run: Run) -> None:
    out = explained(run, "PAY-1", "progress_pct")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line.startswith(("  PAY-", "  WEB-"))}
    assert rows == {"PAY-2": ["10", "5", "40", "24"], "PAY-3": ["12", "5", "52", "19"],
                    "WEB-1": ["10", "5", "40", "20"], "WEB-2": ["8", "4", "30", "16"]}
    assert "progress_pct = 100 x points_done / points_total = 100 x 79 / 162 = 48.7654 → 48.8" in out


def test_health_names_the_rules_that_decided_it_and_the_values_they_saw(run: Run) -> None:
    findings = evaluated(run, "PAY-1")["PAY-3"]["findings"]
    critical = sorted(f["rule"] for f in findings if f["severity"] == "critical")
    out = explained(run, "PAY-3", "health")
    assert f"health = off-track: decided by {', '.join(critical)}" in out
    [creep] = [line for line in out.splitlines() if line.startswith("  scope-creep-critical ")]
    assert "held" in creep and "scope_growth_pct > 25" in creep and "scope_growth_pct = 30" in creep
    assert "health_reason = off-track: " in out and "scope grew 30.0 % since 2026-02-02" in out


def test_forecast_names_the_remaining_count_the_basis_and_the_samples(run: Run) -> None:
    metrics = evaluated(run, "PAY-1")["PAY-3"]["metrics"]
    out = explained(run, "PAY-3", "forecast_p85_date")
    assert "remaining = items_open = 7" in out
    assert "basis = epic: at least forecast.min_done (5)" in out
    assert f"forecast_p85_date = {metrics['forecast_p85_date']}" in out
    assert ("days sampled = 49, 2026-01-26 to 2026-03-15: work began on 2026-01-26 (the earliest created "
            "day of its items)") in out
    assert "finished in the window = the days' samples summed = 5 on 5 of 49 days" in out


def test_without_a_metric_every_figure_is_shown_briefly(run: Run) -> None:
    metrics = evaluated(run, "PAY-1")["WEB-2"]["metrics"]
    out = explained(run, "WEB-2")
    for name in metrics:
        assert f"\n  {name} = " in out, name
    assert "WEB-13" in out and "  key " not in out  # the done items are named, the tables left out


def test_an_unknown_metric_is_refused_in_one_line_with_the_closest_names(
        demo_site: tuple[RunningSandbox, Run]) -> None:
    sandbox, run = demo_site
    refused = run("explain", "PAY-3", "scope_grwth_pct")
    assert refused.code == 2
    assert refused.err.startswith("pmrollup: unknown metric 'scope_grwth_pct'; closest: scope_growth_pct, ")
    assert refused.err.count("\n") == 1
    assert sandbox.requests() == [], "refused before Jira is asked"


def test_a_story_is_refused_as_evaluate_refuses_it(run: Run) -> None:
    refused = run("explain", "PAY-15", "progress_pct")
    assert refused.code == 1
    assert refused.err == run("evaluate", "PAY-15").err == \
        "pmrollup: PAY-15 is a Story, not an epic or an initiative; its epic is PAY-3\n"


def test_a_program_figure_asked_of_an_epic_is_refused(run: Run) -> None:
    refused = run("explain", "PAY-3", "projects_total")
    assert refused.code == 2
    assert refused.err == "pmrollup: projects_total is a figure of a program, and PAY-3 is a project\n"
