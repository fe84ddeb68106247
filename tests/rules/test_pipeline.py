"""The pure pipeline end to end: metrics, shipped rules, health, program roll-up, write plans."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rules.baseline import Baseline
from rules.config import CommentSettings
from rules.engine import evaluate, health_of
from rules.metrics import project_metrics
from rules.model import DONE, IN_PROGRESS
from rules.plan import plan_writes
from rules.program import Snapshot, program_metrics
from tests.rules.factories import blocker, blocks, epic, initiative, item
from webhooks.settings.rulefiles import default_rule_files, load_rules

TODAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
OUTPUTS = {"progress_pct": "Progress %", "scope_growth_pct": "Scope growth %", "health": "Health"}


def test_program_finds_scope_creep_cross_project_overdue_dependency_and_overrun() -> None:
    rules = load_rules(default_rule_files())
    pay = epic("PAY-3", program_key="PAY-1", budget=80_000.0, cost=2000.0, start_date=date(2026, 1, 15),
               due_date=date(2026, 5, 15))
    pay_items = [item("PAY-14", 40, DONE, epic="PAY-3", cost=25_500.0),
                 item("PAY-15", 12, IN_PROGRESS, epic="PAY-3", links=(blocks("WEB-8", "PAY-15"),))]
    web = epic("WEB-1", program_key="PAY-1", budget=40_000.0, cost=12_000.0, start_date=date(2026, 1, 15),
               due_date=date(2026, 4, 17))
    web_items = [item("WEB-8", 20, DONE, epic="WEB-1", cost=32_000.0), item("WEB-9", 20, epic="WEB-1")]
    blockers = {"WEB-8": blocker("WEB-8", date(2026, 3, 6), IN_PROGRESS, epic_key="WEB-1")}
    baseline = Baseline(40.0, 1, ("PAY-14",), date(2026, 2, 2))

    found = {}
    snapshots = {}
    for project, items, base in ((pay, pay_items, baseline), (web, web_items, None)):
        m = project_metrics(project, items, blockers, base, TODAY, has_program=True)
        findings = evaluate(rules, "project", project.key, project.jira_project, m.values, TODAY, m.details())
        m = m.with_health(health_of(findings))
        found[project.key] = {f.rule for f in findings}
        snapshots[project.key] = Snapshot.from_metrics(m)
    assert "scope-creep-critical" in found["PAY-3"] and "overdue-dependency" in found["PAY-3"]
    assert "budget-overrun" in found["WEB-1"]

    prog = initiative("PAY-1", budget=250_000.0, due_date=date(2026, 6, 30))
    pm = program_metrics(prog, snapshots, TODAY, {"PAY-3": "PAY-1", "WEB-1": "PAY-1"})
    assert pm.values["projects_at_risk"] == 2
    program_findings = evaluate(rules, "program", "PAY-1", "PAY", pm.values, TODAY, pm.details())
    [cross] = [f for f in program_findings if f.rule == "cross-project-overdue-dependency"]
    assert cross.severity == "critical"
    assert [(d["blocker_key"], d["dependent_key"], d["blocker_due"]) for d in cross.details["dependencies"]] \
        == [("WEB-8", "PAY-15", "2026-03-06")]
    pm = pm.with_health(health_of(program_findings))
    assert pm.values["health"] == "off-track"

    settings = CommentSettings(on_first_run=True)
    first = plan_writes("PAY-1", "program", pm.values, program_findings, previous_state=None,
                        current_outputs={}, outputs=OUTPUTS, labels=[], comments=settings, now=NOW,
                        snapshot=None, status_comment_id=None)
    assert first.fields["health"] == "off-track"
    assert {c.marker.split(":")[1] for c in first.comments} == {f.rule for f in program_findings if f.comment}
    second = plan_writes("PAY-1", "program", pm.values, program_findings,
                         previous_state=first.confirmed_state,
                         current_outputs=first.fields, outputs=OUTPUTS, labels=list(first.labels_add),
                         comments=settings, now=NOW.replace(hour=9), snapshot=None, status_comment_id=None)
    assert second.is_empty
