"""What a recompute evaluated: each issue's metrics, findings and write plan, and their JSON shape."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rules.engine import Finding
from rules.plan import WritePlan
from rules.trace import Trace


@dataclass(frozen=True)
class IssueResult:
    """What one project or program evaluated to, and what was (or would be) written."""

    key: str
    level: str
    summary: str
    metrics: Mapping[str, Any]
    findings: tuple[Finding, ...]
    plan: WritePlan
    fields_written: int = 0
    comments_posted: int = 0
    traces: Mapping[str, Trace] = field(default_factory=dict, compare=False)  # how its metrics were computed

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape of `pmrollup evaluate --json` for one issue."""
        return {
            "key": self.key,
            "level": self.level,
            "metrics": {k: _json_value(v) for k, v in self.metrics.items()},
            "findings": [{"rule": f.rule, "severity": f.severity, "message": f.message,
                          "details": _json_value(f.details)} for f in self.findings],
        }


@dataclass(frozen=True)
class Evaluation:
    """A program (with its projects) or a lone project, evaluated."""

    top: IssueResult
    projects: tuple[IssueResult, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def results(self) -> tuple[IssueResult, ...]:
        return (*self.projects, self.top) if self.top.level == "program" else (self.top,)

    def wake_at(self) -> datetime | None:
        """Return when the first comment held by quiet hours is due, if any is held."""
        held = [r.plan.wake_at for r in self.results if r.plan.wake_at is not None]
        return min(held) if held else None

    def findings_by_severity(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for result in self.results:
            for finding in result.findings:
                counts[finding.severity] += 1
        return dict(counts)

    def as_dict(self) -> dict[str, Any]:
        """Return the documented `--json` shape."""
        return {
            **self.top.as_dict(),
            "projects": [p.as_dict() for p in self.projects],
            "writes": [r.plan.as_dict() for r in self.results if not r.plan.is_empty],
        }


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(v) for v in value]
    return value
