"""`pmrollup evaluate` on the demo program: what a program manager would check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_SEED, Run, jira_get
from tests.conftest import SandboxFactory

MARKER = "[pmrollup:"


def writes_and_comments(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests()
            if r["method"] in ("PUT", "POST", "DELETE") and "/rest/api/" in r["path"]]


def findings_of(report: dict[str, Any], key: str) -> set[str]:
    issue = report if report["key"] == key else next(p for p in report["projects"] if p["key"] == key)
    return {f["rule"] for f in issue["findings"]}


@pytest.fixture(params=["cloud", "datacenter"])
def demo(request: pytest.FixtureRequest, sandbox_factory: SandboxFactory,
         pmrollup: Callable[[RunningSandbox], Run]) -> tuple[RunningSandbox, Run]:
    sandbox = sandbox_factory(DEMO_SEED, request.param)
    return sandbox, pmrollup(sandbox)


def test_dry_run_finds_scope_creep_overdue_cross_project_dependency_and_overrun(
        demo: tuple[RunningSandbox, Run]) -> None:
    sandbox, run = demo
    result = run("evaluate", "PAY-1", "--dry-run", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["level"] == "program"
    assert {p["key"] for p in report["projects"]} == {"PAY-2", "PAY-3", "WEB-1", "WEB-2"}
    pay3 = next(p for p in report["projects"] if p["key"] == "PAY-3")
    assert pay3["metrics"]["scope_growth_pct"] == 30.0
    assert pay3["metrics"]["points_total"] == 52
    assert "scope-creep-critical" in findings_of(report, "PAY-3")
    dependency = next(f for f in pay3["findings"] if f["rule"] == "overdue-dependency")
    [dep] = dependency["details"]["dependencies"]
    assert (dep["blocker_key"], dep["dependent_key"], dep["blocker_due"]) == ("WEB-8", "PAY-15", "2026-03-06")
    assert "cross-project-overdue-dependency" in findings_of(report, "PAY-1")
    assert report["metrics"]["cross_project_dependencies_overdue"] == 1
    web1 = next(p for p in report["projects"] if p["key"] == "WEB-1")
    assert web1["metrics"]["budget_used_pct"] == 110.0
    assert "budget-overrun" in findings_of(report, "WEB-1")
    assert "project-overdue" in findings_of(report, "WEB-2")
    # PAY-2 is on plan by every figure but its pace: 5 items left by 2026-04-30 at 5 done in 12 weeks.
    assert findings_of(report, "PAY-2") == {"forecast-very-late"}
    assert writes_and_comments(sandbox) == [], "a dry run must not write to Jira"
    assert {w["key"] for w in report["writes"]} == {"PAY-1", "PAY-2", "PAY-3", "WEB-1", "WEB-2"}


def test_evaluate_writes_fields_and_comments_then_a_second_run_writes_nothing(
        demo: tuple[RunningSandbox, Run]) -> None:
    sandbox, run = demo
    first = run("evaluate", "PAY-1")
    assert first.code == 0, first.err
    assert "Written to Jira" in first.out
    epic = sandbox.issue_json("PAY-3")
    fields = {f["name"]: f["id"] for f in jira_get(sandbox, "/rest/api/2/field")}
    assert epic["fields"][fields["Scope growth %"]] == 30.0
    assert epic["fields"][fields["Health"]]["value"] == "off-track"
    initiative = sandbox.issue_json("PAY-1")
    assert initiative["fields"][fields["Overdue dependencies"]] == 1
    comments = jira_get(sandbox, "/rest/api/2/issue/WEB-1/comment")["comments"]
    overrun = [c for c in comments if "budget-overrun" in c["body"]]
    assert len(overrun) == 1 and "110.0%" in overrun[0]["body"] and MARKER in overrun[0]["body"]

    sandbox.clear_requests()
    second = run("evaluate", "PAY-1")
    assert second.code == 0, second.err
    assert "Written to Jira: nothing" in second.out
    assert writes_and_comments(sandbox) == []


def test_evaluate_of_an_epic_without_program_reports_alignment(demo: tuple[RunningSandbox, Run]) -> None:
    _, run = demo
    report = run("evaluate", "OPS-1", "--dry-run", "--json").json()
    assert report["level"] == "project"
    assert report["metrics"]["has_program"] is False
    assert "project-without-program" in {f["rule"] for f in report["findings"]}


def test_evaluate_of_a_story_says_which_epic_to_use(demo: tuple[RunningSandbox, Run]) -> None:
    _, run = demo
    result = run("evaluate", "PAY-15")
    assert result.code == 1
    assert "not an epic or an initiative; its epic is PAY-3" in result.err


def test_evaluate_of_an_unknown_key_is_one_line_and_exit_1(demo: tuple[RunningSandbox, Run]) -> None:
    _, run = demo
    result = run("evaluate", "PAY-999")
    assert result.code == 1
    assert result.err.count("\n") == 1 and "PAY-999" in result.err
    assert "Traceback" not in result.err
