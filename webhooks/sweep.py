"""`pmrollup sweep`: recompute every program and lone project now, in the foreground."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from connector.client import JiraGateway
from connector.errors import JiraAuthError, JiraNotFound, JiraUnavailable
from connector.updates import portfolio
from webhooks.cli import CommandError, load, subcommand
from webhooks.recompute import Evaluation, Recomputer
from webhooks.tables import render_table

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

    def render(self) -> str:
        """Return the summary table."""
        order = {"critical": 0, "warning": 1, "info": 2}
        ranked = sorted(self.findings.items(), key=lambda item: (order.get(item[0], 9), item[0]))
        severities = ", ".join(f"{n} {s}" for s, n in ranked) or "none"
        rows: list[list[object]] = [
            ["programs", self.programs], ["projects", self.projects], ["findings", severities],
            ["fields written", "none (dry run)" if self.dry_run else self.fields_written],
            ["comments posted", "none (dry run)" if self.dry_run else self.comments_posted],
            ["Jira calls", self.jira_calls], ["time taken", f"{self.seconds:.2f} s"],
        ]
        text = render_table(["sweep", "result"], rows)
        if self.failures:
            text += "\n\nNot swept:\n" + "\n".join(f"  - {f}" for f in self.failures)
        return text


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


def progress_bar(stream: TextIO, width: int = 30) -> Progress:
    """Return a progress callback drawing one self-overwriting line on a terminal."""

    def draw(done: int, total: int, key: str) -> None:
        filled = width * done // total if total else width
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {key:<16}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return draw


@subcommand
def _sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="recompute every program and lone project now",
                       description="Recompute every initiative and every epic with no initiative in the "
                                   "configured projects, now, in the foreground (not through the queue).")
    p.add_argument("--dry-run", action="store_true", help="compute and report, write nothing")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run_sweep_command)


def run_sweep_command(args: argparse.Namespace) -> int:
    """Run the sweep and print its summary; non-zero when some target could not be swept."""
    from webhooks.inbox import SqliteInbox, StoreError
    from webhooks.services import gateway_for, recomputer_for

    config = load(args)
    gateway = gateway_for(config)
    store = None
    if not args.dry_run:
        try:
            store = SqliteInbox(config.store_path)
        except StoreError as exc:
            raise CommandError(str(exc)) from exc
    recomputer = recomputer_for(config, gateway=gateway, store=store)
    bar = progress_bar(sys.stderr) if sys.stderr.isatty() and not args.json else None
    summary = run_sweep(gateway, recomputer, dry_run=args.dry_run, progress=bar)
    print(json.dumps(summary.as_dict(), indent=2) if args.json else summary.render())
    return 1 if summary.failures else 0
