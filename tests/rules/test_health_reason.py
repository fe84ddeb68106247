"""`health_reason`: one line on the issue saying why it is at-risk or off-track, naming dates."""

from __future__ import annotations

from datetime import date, timedelta

from rules.engine import Finding, RuleSet, evaluate, health_of
from rules.metrics import project_metrics
from rules.reasons import MAX_REASON_CHARS, health_reason
from tests.rules.factories import blocker, blocks, epic, item
from webhooks.settings.rulefiles import DEFAULT_RULES_DIR, load_rules

TODAY = date(2026, 3, 16)


def shipped() -> RuleSet:
    return load_rules(sorted(DEFAULT_RULES_DIR.glob("*.yaml")))


def judged(today: date) -> tuple[str, list[Finding]]:
    """An over-budget epic whose story is blocked by an overdue one elsewhere, judged by the shipped rules."""
    project = epic("PAY-2", budget=1000.0, cost=1100.0, due_date=date(2026, 6, 30),
                   start_date=date(2026, 1, 5))
    items = [item("PAY-15", 3, links=(blocks("WEB-8", "PAY-15"),), epic="PAY-2"),
             item("PAY-16", 2, epic="PAY-2")]
    overdue = {"WEB-8": blocker("WEB-8", date(2026, 3, 6), epic_key="WEB-1")}
    metrics = project_metrics(project, items, overdue, None, today, has_program=True)
    findings = evaluate(shipped(), "project", "PAY-2", "PAY", metrics.values, today, metrics.details())
    return health_of(findings), findings


def test_an_off_track_epic_says_which_blocker_and_which_figure_make_it_so() -> None:
    health, findings = judged(TODAY)
    reason = health_reason(health, findings)
    assert health == "off-track"
    assert reason is not None and reason.startswith("off-track: budget 110 % used")
    assert "WEB-8 blocks PAY-15, due 2026-03-06" in reason


def test_the_reason_names_dates_so_it_reads_the_same_the_next_day() -> None:
    today, tomorrow = judged(TODAY), judged(TODAY + timedelta(days=1))
    assert health_reason(*today) == health_reason(*tomorrow)


def test_an_on_track_issue_has_no_reason() -> None:
    assert health_reason("on-track", []) is None
    info = Finding(rule="project-without-program", severity="info", message="m", details={},
                   issue_key="PAY-2")
    assert health_reason("on-track", [info]) is None


def test_critical_findings_come_first_and_the_line_fits_a_text_field() -> None:
    many = [Finding(rule=f"rule-{n}", severity="warning" if n % 2 else "critical", message="m", details={},
                    issue_key="PAY-2", reason=f"figure {n} " + "x" * 30) for n in range(20)]
    reason = health_reason("off-track", many)
    assert reason is not None and len(reason) <= MAX_REASON_CHARS and reason.endswith("…")
    assert reason.startswith("off-track: figure 0 ")
    shown = [part.split()[1] for part in reason.removeprefix("off-track: ").split("; ") if part != "…"]
    assert all(int(n) % 2 == 0 for n in shown), "every critical before any warning"
