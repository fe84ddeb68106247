"""Render an evaluation as the tables a program manager reads."""

from __future__ import annotations

from collections.abc import Sequence

from rules.config import AppConfig
from webhooks.cli.tables import render_table
from webhooks.recompute.recomputer import Evaluation, IssueResult

COLUMNS = [
    ("health", "health"), ("progress_pct", "progress %"), ("points_done", "pts done"),
    ("points_total", "pts"), ("scope_growth_pct", "scope +%"), ("budget_used_pct", "budget %"),
    ("cpi", "cpi"), ("spi", "spi"), ("dependencies_open", "deps open"),
    ("dependencies_overdue", "deps overdue"), ("days_overdue", "days late"),
]
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def metrics_table(results: Sequence[IssueResult], title: str = "") -> str:
    """Return one row per issue with the headline metrics."""
    rows = [[r.key, r.level, r.summary[:32], *(r.metrics.get(m) for m, _ in COLUMNS)] for r in results]
    return render_table(["key", "level", "summary", *(label for _, label in COLUMNS)], rows, title)


def findings_table(results: Sequence[IssueResult]) -> str:
    """Return every active finding, most severe first."""
    rows = sorted(([f.severity, r.key, f.rule, f.message] for r in results for f in r.findings),
                  key=lambda row: (SEVERITY_ORDER.get(str(row[0]), 9), row[1], row[2]))
    if not rows:
        return "\nFindings: none"
    return render_table(["severity", "key", "rule", "message"], rows, "\nFindings")


def writes_table(results: Sequence[IssueResult], config: AppConfig, applied: bool) -> str:
    """Return the write plan: fields with their new values, labels and comments."""
    rows: list[list[object]] = []
    for r in results:
        plan = r.plan
        for metric, value in plan.fields.items():
            rows.append([r.key, config.outputs.get(metric, metric), value])
        for label in plan.labels_add:
            rows.append([r.key, "label +", label])
        for label in plan.labels_remove:
            rows.append([r.key, "label -", label])
        for action in plan.comments:
            first = action.body.strip().splitlines()[0] if action.body.strip() else ""
            rows.append([r.key, f"comment ({action.kind})", first[:70]])
    verb = "Written to Jira" if applied else "Would write (dry run)"
    if not rows:
        return f"\n{verb}: nothing, Jira already shows these figures"
    return render_table(["key", "field", "value"], rows, f"\n{verb}")


def render_evaluation(evaluation: Evaluation, config: AppConfig, applied: bool) -> str:
    """Return metrics, findings and the write plan of one evaluation."""
    top = evaluation.top
    head = f"{top.key} {top.summary} ({top.level}), health {top.metrics.get('health')}"
    parts = [head, "", metrics_table(evaluation.results), findings_table(evaluation.results),
             writes_table(evaluation.results, config, applied)]
    if evaluation.problems:
        parts.append("\nNotes:")
        parts.extend(f"  - {p}" for p in evaluation.problems)
    return "\n".join(parts)
