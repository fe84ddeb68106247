"""`pmrollup sweep`: recompute every program and lone project now, in the foreground."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connector.client import JiraGateway
from connector.errors import JiraAuthError, JiraNotFound, JiraUnavailable
from connector.updates import portfolio
from webhooks.recompute.recomputer import Evaluation, Recomputer

Progress = Callable[[int, int, str], None]


@dataclass
class SweepSummary:
    """What one sweep covered and did."""

    programs: int = 0
    projects: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    fields_written: int = 0
    comments_posted: int = 0
    jira_calls: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    failures: list[str] = field(default_factory=list)

    def add(self, evaluation: Evaluation) -> None:
        """Count one evaluated program or lone project."""
        if evaluation.top.level == "program":
            self.programs += 1
        self.projects += len(evaluation.projects) if evaluation.top.level == "program" else 1
        self.findings.update(evaluation.findings_by_severity())
        self.fields_written += sum(r.fields_written for r in evaluation.results)
        self.comments_posted += sum(r.comments_posted for r in evaluation.results)

    def as_dict(self) -> dict[str, Any]:
        """Return the `--json` shape."""
        return {"programs": self.programs, "projects": self.projects, "findings": dict(self.findings),
                "fields_written": self.fields_written, "comments_posted": self.comments_posted,
                "jira_calls": self.jira_calls, "seconds": round(self.seconds, 3),
                "dry_run": self.dry_run, "failures": list(self.failures)}


def run_sweep(gateway: JiraGateway, recomputer: Recomputer, dry_run: bool = False,
              progress: Progress | None = None) -> SweepSummary:
    """Recompute every program (all its projects from items) and every project with no program."""
    started = time.perf_counter()
    calls_before = gateway.request_count
    summary = SweepSummary(dry_run=dry_run)
    found = portfolio(gateway)
    work = [("program", k) for k in found.programs] + [("project", k) for k in found.lone_projects]
    for done, (kind, key) in enumerate(work):
        if progress:
            progress(done, len(work), key)
        try:
            if kind == "program":
                summary.add(recomputer.program(key, dry_run=dry_run))
            else:
                summary.add(recomputer.project(key, dry_run=dry_run))
        except (JiraUnavailable, JiraAuthError):
            raise  # every other target would fail the same way
        except (JiraNotFound, ValueError) as exc:
            summary.failures.append(f"{kind} {key}: {exc}")
    if progress:
        progress(len(work), len(work), "")
    summary.jira_calls = gateway.request_count - calls_before
    summary.seconds = time.perf_counter() - started
    return summary
