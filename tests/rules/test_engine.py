"""Rules evaluate against metrics into findings; a null never crashes and is reported once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rules.engine import Finding, ProblemLog, RuleSet, evaluate, health_of
from rules.metrics import project_metrics
from tests.rules.factories import blocker, blocks, epic, item
from webhooks.settings.rulefiles import load_rules

TODAY = date(2024, 1, 16)


def rules_from(tmp_path: Path, body: str) -> RuleSet:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + body, encoding="utf-8")
    return load_rules([path])


def rule(rule_id: str, when: str, message: str = "m", extra: str = "") -> str:
    return (f"  - id: {rule_id}\n    level: project\n    when: \"{when}\"\n    severity: warning\n"
            f"    message: \"{message}\"\n{extra}")


def test_rule_fires_with_rendered_message_and_the_figures_it_read(tmp_path: Path) -> None:
    rs = rules_from(tmp_path, rule("slow", "progress_pct < 50", "{key} is {progress_pct:.1f}% done",
                                   "    labels: [pm-slow]\n"))
    findings = evaluate(rs, "project", "PAY-1", "PAY", {"progress_pct": 25.0}, TODAY, {})
    assert findings == [Finding(rule="slow", severity="warning", message="PAY-1 is 25.0% done",
                                details={"progress_pct": 25.0}, issue_key="PAY-1", labels=("pm-slow",))]


def test_rule_that_does_not_hold_gives_nothing(tmp_path: Path) -> None:
    rs = rules_from(tmp_path, rule("slow", "progress_pct < 50"))
    assert evaluate(rs, "project", "PAY-1", "PAY", {"progress_pct": 75.0}, TODAY, {}) == []


def test_rules_of_the_other_level_are_skipped(tmp_path: Path) -> None:
    rs = rules_from(tmp_path, rule("slow", "progress_pct < 50"))
    assert evaluate(rs, "program", "PRG-1", "PRG", {"progress_pct": 1.0}, TODAY, {}) == []


def test_only_limits_a_rule_to_jira_projects_or_issue_keys(tmp_path: Path) -> None:
    rs = rules_from(tmp_path, rule("pay", "progress_pct < 50", extra="    only: [pay]\n")
                    + rule("one", "progress_pct < 50", extra="    only: [WEB-7]\n"))
    fired = lambda key, project: [f.rule for f in evaluate(rs, "project", key, project,  # noqa: E731
                                                            {"progress_pct": 1.0}, TODAY, {})]
    assert fired("PAY-1", "PAY") == ["pay"]
    assert fired("WEB-7", "WEB") == ["one"]
    assert fired("WEB-8", "WEB") == []


def test_null_metric_does_not_fire_and_is_reported_once(tmp_path: Path) -> None:
    rs = rules_from(tmp_path, rule("creep", "scope_growth_pct > 10"))
    log = ProblemLog()
    for key in ("PAY-1", "PAY-2"):
        assert evaluate(rs, "project", key, "PAY", {"scope_growth_pct": None}, TODAY, {}, log) == []
    reported = list(log.by_rule.values())
    assert len(reported) == 1 and list(log.by_rule) == ["creep"]
    assert "did not fire on PAY-1: scope_growth_pct is null" in reported[0]
    assert "guard it, e.g. `scope_growth_pct != null and ...`" in reported[0]


def test_today_is_pmrollups_today_and_dates_compare(tmp_path: Path) -> None:
    rs = rules_from(tmp_path, rule("stale", "due_date != null and today - due_date > t'P7D'",
                                   "due {due_date}, today {today}"))
    late = evaluate(rs, "project", "PAY-1", "PAY", {"due_date": date(2024, 1, 1)}, TODAY, {})
    assert [f.message for f in late] == ["due 2024-01-01, today 2024-01-16"]
    assert evaluate(rs, "project", "PAY-1", "PAY", {"due_date": date(2024, 1, 1)}, date(2024, 1, 5), {}) == []


def test_dependency_finding_lists_blocker_dependent_and_due_date(tmp_path: Path) -> None:
    project = epic(due_date=date(2024, 3, 1))
    items = [item("PAY-2", 1, links=(blocks("WEB-10", "PAY-2"), blocks("WEB-11", "PAY-2")))]
    blockers = {"WEB-10": blocker("WEB-10", date(2024, 1, 10)), "WEB-11": blocker("WEB-11", None)}
    m = project_metrics(project, items, blockers, None, TODAY, has_program=True)
    rs = rules_from(tmp_path, rule("overdue", "dependencies_overdue > 0"))
    [finding] = evaluate(rs, "project", "PAY-1", "PAY", m.values, TODAY, m.details())
    listed = finding.details["dependencies"]
    assert [(d["blocker_key"], d["dependent_key"], d["blocker_due"]) for d in listed] == \
        [("WEB-10", "PAY-2", "2024-01-10")]


def test_health_follows_the_worst_finding() -> None:
    def f(severity: str) -> Finding:
        return Finding("r", severity, "m", {}, "PAY-1")
    assert health_of([]) == "on-track"
    assert health_of([f("info")]) == "on-track"
    assert health_of([f("info"), f("warning")]) == "at-risk"
    assert health_of([f("warning"), f("critical")]) == "off-track"


def test_arithmetic_out_of_range_at_evaluation_is_a_problem_and_the_other_rules_still_fire(
        tmp_path: Path) -> None:
    rs = rules_from(tmp_path, rule("far", "due_date != null and due_date + t'P999999999D' > today")
                    + rule("slow", "progress_pct < 50"))
    log = ProblemLog()
    values = {"due_date": date(2024, 1, 1), "progress_pct": 25.0}
    findings = evaluate(rs, "project", "PAY-1", "PAY", values, TODAY, {}, log)
    assert [f.rule for f in findings] == ["slow"]
    reported = list(log.by_rule.values())
    assert len(reported) == 1 and list(log.by_rule) == ["far"]
    assert reported[0].startswith(f"rule 'far' ({tmp_path / 'rules.yaml'}:2) did not fire on PAY-1: its "
                                  f"arithmetic went out of range (date value out of range) with "
                                  f"due_date = 2024-01-01; check the arithmetic of its `when`")


def test_a_power_too_large_to_compute_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    rs = rules_from(tmp_path, rule("huge", "progress_pct ** 999999999 > 1"))
    log = ProblemLog()
    assert evaluate(rs, "project", "PAY-1", "PAY", {"progress_pct": 5.0}, TODAY, {}, log) == []
    reported = list(log.by_rule.values())
    assert "did not fire on PAY-1: arithmetic error with progress_pct = 5" in reported[0]
