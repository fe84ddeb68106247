"""What pmrollup says in Jira comments: the text of a transition, its marker, the status comment.

When a transition is said, and under which number, is rules.announce's to decide. Every
transition comment ends with a marker naming it, so that a retried or repeated POST finds it:
`[pmrollup:<rule>:<start|clear>:<issue key>:<number of the rule's transition on the issue>]`;
the one status comment of `comments.mode: status` ends with `[pmrollup:status:<issue key>]`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rules.templates import format_value

START, CLEAR = "start", "clear"
SEVERITY_WORDS = {"info": "Note", "warning": "Warning", "critical": "Critical"}


def parse_time(text: object) -> datetime | None:
    """Read an ISO timestamp from stored state; None for junk."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def marker(rule: str, kind: str, key: str, seq: int) -> str:
    """Return the marker that ends the comment of a rule's `seq`-th transition on an issue."""
    return f"[pmrollup:{rule}:{kind}:{key}:{seq}]"


def status_marker(key: str) -> str:
    """Return the marker that ends the one status comment of an issue."""
    return f"[pmrollup:status:{key}]"


def _figure_lines(details: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for dep in details.get("dependencies") or ():
        state = "overdue" if dep.get("overdue") else "late" if dep.get("late") else "open"
        if not dep.get("known", True):
            state = "status unknown"
        due = dep.get("blocker_due") or "no due date"
        cross = ", another project of this program" if dep.get("cross_project") else ""
        lines.append(f"- {dep.get('blocker_key')} blocks {dep.get('dependent_key')}: "
                     f"due {due}, {state}{cross}")
    if details.get("scope_added"):
        lines.append(f"Added since the baseline: {', '.join(details['scope_added'])}")
    if details.get("scope_removed"):
        lines.append(f"Removed since the baseline: {', '.join(details['scope_removed'])}")
    if details.get("baseline_truncated"):
        lines.append("The baseline was too large to keep its item keys; counts only.")
    return lines


def start_text(rule: str, severity: str, message: str, details: Mapping[str, Any], mark: str) -> str:
    """Write the comment for a finding that became active."""
    word = SEVERITY_WORDS.get(severity, severity.title())
    lines = [f"{word} from pmrollup ({rule}): {message}", *_figure_lines(details), "", mark]
    return "\n".join(lines)


def clear_text(rule: str, record: Mapping[str, Any], metrics: Mapping[str, Any], mark: str,
               names: Mapping[str, str] | None = None) -> str:
    """Write the comment for a finding that no longer holds, with its figures then and now, each
    called by its field's name in `names` (app.yaml's outputs) where it has one."""
    since = parse_time(record.get("since"))
    started = f" (active since {since.date().isoformat()})" if since else ""
    lines = [f"Cleared by pmrollup ({rule}): this no longer holds{started}."]
    figures = record.get("figures") or {}
    changes = [f"{(names or {}).get(name, name)}: {format_value(then)} then, "
               f"{format_value(metrics.get(name))} now"
               for name, then in sorted(figures.items()) if name in metrics]
    if changes:
        lines.append("; ".join(changes) + ".")
    return "\n".join([*lines, "", mark])


def status_text(key: str, findings: Sequence[Mapping[str, Any]], now: datetime) -> str:
    """Write the one status comment: every active finding, worst first, or that all is well."""
    order = {"critical": 0, "warning": 1, "info": 2}
    head = f"pmrollup status of {key}, updated {now.astimezone(UTC).date().isoformat()}:"
    if not findings:
        return "\n".join([head, "No active findings: on track.", "", status_marker(key)])
    lines = [head]
    for f in sorted(findings, key=lambda f: (order.get(f["severity"], 3), f["rule"])):
        word = SEVERITY_WORDS.get(f["severity"], f["severity"])
        lines.append(f"- {word} ({f['rule']}, since {f['since'][:10]}): {f['message']}")
        lines.extend(f"  {line}" for line in _figure_lines(f.get("details") or {}))
    return "\n".join([*lines, "", status_marker(key)])
