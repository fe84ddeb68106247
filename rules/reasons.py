"""`health_reason`: one line saying why an issue is at-risk or off-track, written beside its health.

It names the findings that weigh on the health (critical first, then warnings) with their deciding
figures: a rule's `reason:` clause, or for a dependency rule without one, each overdue blocker with
the item it blocks and its due date. It names dates, not day counts, so it does not change by
itself from one day to the next: a field that JQL and a reader can trust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rules.engine import HEALTH_OF_SEVERITY, Finding

MAX_REASON_CHARS = 255  # what a Jira single-line text field holds
ELLIPSIS = "…"


def health_reason(health: str, findings: Sequence[Finding]) -> str | None:
    """Return "off-track: WEB-8 blocks PAY-15, due 2026-03-06; budget 110 % used", or None on track."""
    weighing = [severity for severity, _ in HEALTH_OF_SEVERITY]
    ranked = sorted((f for f in findings if f.severity in weighing), key=lambda f: weighing.index(f.severity))
    if not ranked:
        return None
    parts: list[str] = []
    for finding in ranked:
        part = (finding.reason or _blockers(finding.details.get("dependencies"))
                or finding.rule.replace("-", " "))
        if part not in parts:
            parts.append(part)
    return _fit(f"{health}: ", parts)


def _blockers(dependencies: object) -> str:
    """Name each listed dependency: "WEB-8 blocks PAY-15, due 2026-03-06"."""
    if not isinstance(dependencies, list):
        return ""
    named = [_blocker(d) for d in dependencies if isinstance(d, Mapping)]
    return "; ".join(n for n in named if n)


def _blocker(dependency: Mapping[str, Any]) -> str:
    blocker, dependent = dependency.get("blocker_key"), dependency.get("dependent_key")
    if not blocker or not dependent:
        return ""
    due = dependency.get("blocker_due")
    return f"{blocker} blocks {dependent}" + (f", due {due}" if due else "")


def _fit(head: str, parts: Sequence[str]) -> str:
    """Join the parts after `head`; past the field's length, leave out the last whole parts for an
    ellipsis (and cut the first part itself if it alone is too long)."""
    for kept in range(len(parts), 0, -1):
        text = head + "; ".join(parts[:kept]) + ("" if kept == len(parts) else "; " + ELLIPSIS)
        if len(text) <= MAX_REASON_CHARS:
            return text
    return (head + parts[0])[:MAX_REASON_CHARS - len(ELLIPSIS)].rstrip() + ELLIPSIS
