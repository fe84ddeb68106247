"""The demo `pmrollup demo` plays: the sandbox Jira, the pmrollup service and the story, narrated.

Everything runs on loopback in this process: the sandbox Jira (demo seed) sends its webhook
deliveries over HTTP to the service, whose worker reads and writes the sandbox through the
`jira` library, as it would a real site. After each step the demo waits until every delivery is
processed, then reads back what pmrollup wrote: the rollup fields and the new comments.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from connector.client import Credentials, JiraGateway
from connector.updates import portfolio
from rules.config import AppConfig
from rules.model import Program, Project
from rules.sameness import same_value
from rules.wording import counted
from sandbox.server import RunningSandbox, start_sandbox
from webhooks.cli.admin import register_webhook
from webhooks.cli.base import CommandError
from webhooks.cli.explaining import explained, render
from webhooks.cli.serving import Service
from webhooks.cli.story import PROGRAM, SEED, STORY, TODAY, Step, app_yaml
from webhooks.cli.tables import cell, render_table
from webhooks.recompute.recomputer import Evaluation, Recomputer
from webhooks.recompute.services import audit_into, rules_for
from webhooks.schedules.sweep import run_sweep
from webhooks.settings.appyaml import load_config
from webhooks.settings.clock import clock_from_environ
from webhooks.telemetry.logs import LOGGER_NAME, configure_logging

COLUMNS = ("progress_pct", "scope_growth_pct", "budget_used_pct", "dependencies_overdue", "health")
REASON = "health_reason"  # shown in a table of its own: a line too long for a column
SETTLE_TIMEOUT = 30.0


@dataclass
class Demo:
    """The sandbox, the service and a reader gateway, wired together on loopback."""

    folder: Path
    flavor: str = "cloud"
    jira_port: int = 0
    port: int = 0
    echo: Callable[[str], None] = print
    sandbox: RunningSandbox | None = None
    service: Service | None = None
    config: AppConfig | None = None
    environ: dict[str, str] = field(default_factory=dict)
    shown: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen_comments: set[str] = field(default_factory=set)
    _log: TextIO | None = None
    _reader: JiraGateway | None = None

    # -- setting up

    def start(self) -> Demo:
        """Start the sandbox Jira and the service, register the webhook, take the first rollup."""
        os.environ["PMROLLUP_TODAY"] = TODAY  # the seed's dates are written for this day
        self._log = (self.folder / "service.log").open("a", encoding="utf-8")
        configure_logging(self._log)  # the service's JSON log goes to a file, the story to the screen
        self.sandbox = start_sandbox(SEED, self.flavor, port=self.jira_port)
        email, token = self.sandbox.admin_auth
        self.environ = {"JIRA_URL": self.sandbox.url, "JIRA_USER": email, "JIRA_TOKEN": token,
                        "PMROLLUP_WEBHOOK_SECRET": secrets.token_hex(16), "PMROLLUP_TODAY": TODAY}
        path = self.folder / "app.yaml"
        path.write_text(app_yaml(self.flavor, str(self.folder / "pmrollup.sqlite3")), encoding="utf-8")
        self.config = load_config(path)
        self.service = Service(self.config, port=self.port, environ=self.environ).start()
        outcome, _ = register_webhook(self.config, self.reader(), self.service.url,
                                      self.environ["PMROLLUP_WEBHOOK_SECRET"])
        self.echo(f"Sandbox Jira ({self.flavor}) at {self.sandbox.url}, today is {TODAY}.")
        self.echo(f"pmrollup service at {self.service.url}; webhook {outcome}, signed with a fresh secret.")
        found = portfolio(self.reader())  # what the sweep rolls up, to say it as the tables show it
        summary = run_sweep(self.reader(), self.recomputer())
        lone = found.lone_projects
        alone = (f", and {counted(len(lone), 'project')} under no initiative (epic {', '.join(lone)}), "
                 f"rolled up alone and not shown" if lone else "")
        self.echo(f"First rollup: program {PROGRAM} and its "
                  f"{counted(len(found.programs.get(PROGRAM, ())), 'project')}, shown below{alone}; "
                  f"{counted(summary.fields_written, 'field')} written on these "
                  f"{summary.programs + summary.projects} issues, of the "
                  f"{counted(len(self.config.outputs), 'output')} app.yaml names (the tables show "
                  f"{len(COLUMNS)}), "
                  f"{counted(summary.comments_posted, 'comment')} (a first evaluation is silent by design).")
        self.settle()
        return self

    def reader(self) -> JiraGateway:
        """Return the demo's own gateway, as the admin, to read what pmrollup wrote (one for the
        whole run, so Jira's fields are looked up once)."""
        assert self.sandbox is not None and self.config is not None
        if self._reader is None:
            email, token = self.sandbox.admin_auth
            self._reader = JiraGateway(self.config, Credentials(self.sandbox.url, email, token))
        return self._reader

    def recomputer(self) -> Recomputer:
        """Return the recompute path the worker and `pmrollup evaluate` use."""
        assert self.service is not None and self.config is not None
        return Recomputer(config=self.config, gateway=self.reader(), rules=rules_for(self.config),
                          clock=clock_from_environ(self.config.timezone),
                          audit=audit_into(self.service.store), site=self.service.store)

    def stop(self) -> None:
        """Stop the service, then the sandbox."""
        if self.service is not None:
            self.service.stop()
        if self.sandbox is not None:
            self.sandbox.stop()
        if self._log is not None:
            logging.getLogger(LOGGER_NAME).handlers.clear()
            self._log.close()

    # -- playing

    def play(self, story: Sequence[Step] = STORY) -> None:
        """Play each step through the sandbox, as people would, and show what pmrollup wrote back."""
        assert self.sandbox is not None
        self.echo("")
        self.echo(self.rollup_table("Before the story", self.program_view(), initial=True))
        for number, step in enumerate(story, 1):
            self.echo("")
            self.echo(f"== Step {number}: {step.title}")
            for change in step.changes:
                if change.create:
                    self.sandbox.create({"key": change.key, **change.body})
                else:
                    self.sandbox.edit(change.key, change.body)
                self.echo(f"   {change.says}")
            self.echo(f"   Expect: {step.expect}")
            self.settle()
            issues = self.program_view()
            self.echo("")
            self.echo(self.rollup_table("Rollup fields in Jira (changed values shown old -> new)", issues))
            self.echo("")
            self.echo(self.reasons_table(issues))
            self.echo("")
            self.echo(self.comments_table(issues))
            if step.explain is not None:
                self.echo("")
                self.echo(self.explanation(*step.explain))

    def settle(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until the sandbox has sent every delivery and the inbox has processed them all."""
        assert self.sandbox is not None and self.service is not None
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:  # twice in a row: pmrollup's own writes come back as deliveries too
            if time.monotonic() > deadline:
                raise CommandError(f"the service did not settle within {timeout:.0f} s: "
                                   f"{self.service.store.counts()}")
            self.sandbox.wait_deliveries_idle(max(0.1, deadline - time.monotonic()))
            counts = self.service.store.counts()
            busy = counts.deliveries_pending + counts.targets_pending + counts.targets_leased
            quiet = quiet + 1 if busy == 0 else 0
            time.sleep(0.2)
        if self.service.store.counts().targets_dead:
            raise CommandError("a recompute failed for good: see `pmrollup inbox` in " + str(self.folder))

    # -- reading back

    def program_view(self) -> list[Program | Project]:
        """Return the initiative and its epics as Jira holds them now."""
        program, projects = self.reader().program_with_projects(PROGRAM)
        return [program, *projects]

    def rollup_table(self, title: str, issues: Sequence[Program | Project], initial: bool = False) -> str:
        """Render the rollup fields of the initiative and its epics, marking what changed."""
        rows = []
        for issue in issues:
            now = {m: _counted(m, issue.outputs.get(m)) for m in COLUMNS}
            before = self.shown.get(issue.key, now)
            rows.append([issue.key, _short(issue.summary)]
                        + [_changed(before.get(m), now[m], initial) for m in COLUMNS])
            self.shown[issue.key] = now
        headers = ["issue", "summary", *(self._field_name(m) for m in COLUMNS)]
        return render_table(headers, rows, title)

    def reasons_table(self, issues: Sequence[Program | Project]) -> str:
        """Render why each at-risk or off-track issue is so, as its health reason field says."""
        rows = [[issue.key, str(issue.outputs.get(REASON))] for issue in issues if issue.outputs.get(REASON)]
        title = f"Why, as the field {self._field_name(REASON)!r} says"
        return render_table(["issue", "reason"], rows, title) if rows else f"{title}: every issue is on track"

    def explanation(self, key: str, metric: str) -> str:
        """Show what `pmrollup explain KEY METRIC` prints: the figure's inputs and its arithmetic."""
        assert self.config is not None
        result, traces = explained(self.config, key, metric, self.reader())
        shown = render(result.key, result.summary, traces, brief=False)
        return f"$ pmrollup explain {key} {metric}\n{shown}"

    def comments_table(self, issues: Sequence[Program | Project]) -> str:
        """Render the pmrollup comments posted on these issues since the last table."""
        rows = []
        for issue in issues:
            for comment in self.reader().comments(issue.key):
                if "[pmrollup:" not in comment.body or comment.id in self.seen_comments:
                    continue
                self.seen_comments.add(comment.id)
                rows.append([issue.key, _first_words(comment.body)])
        if not rows:
            return "New pmrollup comments: none"
        return render_table(["issue", "comment"], rows, "New pmrollup comments")

    def _field_name(self, metric: str) -> str:
        assert self.config is not None
        return self.config.outputs.get(metric, metric)

    # -- checking

    def check_against_evaluate(self) -> tuple[bool, Evaluation]:
        """Evaluate the program afresh (dry run, as `pmrollup evaluate` does) and compare with Jira."""
        evaluation = self.recomputer().program(PROGRAM, dry_run=True)
        held = {i.key: i.outputs for i in self.program_view()}
        agree = all(same_value(r.metrics.get(m), held.get(r.key, {}).get(m))
                    for r in evaluation.results for m in COLUMNS)
        return agree and all(r.plan.is_empty for r in evaluation.results), evaluation

    def program_view_table(self, evaluation: Evaluation) -> str:
        """Render the program view: each epic's health, progress, scope, budget and dependencies, its
        findings, and when it is forecast to be done (P85) beside when it is due."""
        rows = [[r.key, r.level, r.metrics.get("health"), r.metrics.get("progress_pct"),
                 r.metrics.get("scope_growth_pct"), r.metrics.get("budget_used_pct"),
                 r.metrics.get("dependencies_open"), r.metrics.get("dependencies_overdue"),
                 ", ".join(sorted({f.rule for f in r.findings})) or "-",
                 r.metrics.get("due_date"), r.metrics.get("forecast_p85_date") or "-"]
                for r in (evaluation.top, *evaluation.projects)]
        headers = ["issue", "level", "health", "progress %", "scope growth %", "budget used %",
                   "deps open", "deps overdue", "findings", "due", "P85 forecast"]
        return render_table(headers, rows, f"Program view: {evaluation.top.key} {evaluation.top.summary}")


def _counted(metric: str, value: object) -> object:
    """Show a count read back from a Jira number field (1.0) as the count it is (1)."""
    if metric.startswith("dependencies_") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _short(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _first_words(body: str, width: int = 110) -> str:
    text = " ".join(body.split())
    return _short(text, width)


def _changed(before: object, now: object, initial: bool) -> str:
    if initial or same_value(now, before):
        return cell(now)
    return f"{cell(before)} -> {cell(now)}"
