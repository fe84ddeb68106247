"""`pmrollup demo`: the sandbox Jira, the pmrollup service and a short program story, narrated.

Everything runs on loopback in this process: the sandbox Jira (demo seed) sends its webhook
deliveries over HTTP to the service, whose worker reads and writes the sandbox through the
`jira` library, as it would a real site. After each step the demo waits until every delivery is
processed, then reads back what pmrollup wrote: the rollup fields and the new comments.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from connector.client import Credentials, JiraGateway
from connector.updates import portfolio
from rules.config import AppConfig, load_config
from rules.model import Program, Project
from rules.wording import counted
from sandbox.seed import SEEDS_DIR
from webhooks.cli.admin import WEBHOOK_PATH, register_webhook
from webhooks.cli.base import CommandError, subcommand
from webhooks.cli.tables import cell, render_table
from webhooks.recompute.recomputer import Evaluation, Recomputer
from webhooks.recompute.services import audit_into, rules_for
from webhooks.schedules.sweep import run_sweep
from webhooks.telemetry.logs import LOGGER_NAME, configure_logging

if TYPE_CHECKING:
    from sandbox.server import RunningSandbox
    from webhooks.cli.serving import Service

SEED = SEEDS_DIR / "demo.yaml"
TODAY = "2026-03-16"  # the demo seed's figures are as of this day
PROGRAM = "PAY-1"
COLUMNS = ("progress_pct", "scope_growth_pct", "budget_used_pct", "dependencies_overdue", "health")
SETTLE_TIMEOUT = 30.0

CONFIG = """\
timezone: UTC
jira: {flavor: FLAVOR}
outputs:
  progress_pct: Progress %
  scope_growth_pct: Scope growth %
  budget_used_pct: Budget used %
  dependencies_overdue: Overdue dependencies
  health: Health
comments: {on_first_run: false, quiet_hours: 24}
webhooks: {allow_unsigned: false}
store: {path: STORE}
worker: {debounce_seconds: 0.3, max_delay_seconds: 2, max_attempts: 5}
"""


@dataclass(frozen=True)
class Change:
    """One thing a person does in Jira: edit an issue, or create one."""

    key: str
    body: Mapping[str, Any]
    says: str
    create: bool = False


@dataclass(frozen=True)
class Step:
    """One beat of the story: what happens, and what pmrollup should make of it."""

    title: str
    changes: tuple[Change, ...]
    expect: str


STORY = (
    Step("Two stories are finished",
         (Change("PAY-9", {"status": "Done"}, "PAY-9 Fee calculation rules (5 pts) -> Done"),
          Change("PAY-10", {"status": "Done"}, "PAY-10 Negative balance alerts (3 pts) -> Done")),
         "PAY-2's progress rises from 60 % to 80 %, and the initiative's with it; nobody gets a comment."),
    Step("Scope is added after the baseline",
         (Change("PAY-27", {"type": "Story", "summary": "Payout holds for risky merchants",
                            "parent": "PAY-2", "fields": {"Story Points": 8}},
                 "PAY-27 Payout holds for risky merchants (8 pts) created under PAY-2", create=True),
          Change("PAY-28", {"type": "Story", "summary": "Ledger export for auditors",
                            "parent": "PAY-2", "fields": {"Story Points": 5}},
                 "PAY-28 Ledger export for auditors (5 pts) created under PAY-2", create=True)),
         "PAY-2 now holds 53 points against a baseline of 38 (+39.5 %): a critical scope-creep comment "
         "on PAY-2, and the initiative's scope growth passes 10 %: a warning on PAY-1."),
    Step("A blocker slips past its due date",
         (Change("PAY-11", {"fields": {"Due date": "2026-03-13"}},
                 "PAY-11 Payout statement export (blocks WEB-20 in WEB-2): due 2026-03-27 -> 2026-03-13"),),
         "WEB-2 now waits on work overdue in another Jira project: its overdue dependencies go to 1, "
         "with a comment on WEB-2, and the initiative counts it too."),
    Step("Costs are booked beyond the budget",
         (Change("PAY-12", {"fields": {"Cost": 40000}}, "PAY-12 Ledger audit trail: Cost 40,000 booked"),),
         "PAY-2 has spent 66,000 of its 60,000 budget at 60 % progress: a budget overrun and a low "
         "cost performance on PAY-2, and the initiative's cost performance drops."),
    Step("A blocker lands",
         (Change("WEB-8", {"status": "Done"}, "WEB-8 (blocks PAY-15 in PAY-3) -> Done"),),
         "PAY-3's overdue dependency is gone, so its warning and label clear, without a comment: it was "
         "there before pmrollup came, so its start was never announced; WEB-8 is WEB-1's own story, so "
         "WEB-1's progress rises and its behind-schedule warning clears too."),
)


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
        from sandbox.server import start_sandbox
        from webhooks.cli.serving import Service

        os.environ["PMROLLUP_TODAY"] = TODAY  # the seed's dates are written for this day
        self._log = (self.folder / "service.log").open("a", encoding="utf-8")
        configure_logging(self._log)  # the service's JSON log goes to a file, the story to the screen
        self.sandbox = start_sandbox(SEED, self.flavor, port=self.jira_port)
        email, token = self.sandbox.admin_auth
        self.environ = {"JIRA_URL": self.sandbox.url, "JIRA_USER": email, "JIRA_TOKEN": token,
                        "PMROLLUP_WEBHOOK_SECRET": secrets.token_hex(16), "PMROLLUP_TODAY": TODAY}
        path = self.folder / "app.yaml"
        path.write_text(CONFIG.replace("FLAVOR", self.flavor)
                        .replace("STORE", str(self.folder / "pmrollup.sqlite3")), encoding="utf-8")
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
                  f"{counted(summary.fields_written, 'field')} written, "
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
            self.echo(self.comments_table(issues))

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
        agree = all(_same(held.get(r.key, {}).get(m), r.metrics.get(m))
                    for r in evaluation.results for m in COLUMNS)
        return agree and all(r.plan.is_empty for r in evaluation.results), evaluation

    def program_view_table(self, evaluation: Evaluation) -> str:
        """Render the program view: each epic's health, progress, scope, budget and dependencies."""
        rows = [[r.key, r.level, r.metrics.get("health"), r.metrics.get("progress_pct"),
                 r.metrics.get("scope_growth_pct"), r.metrics.get("budget_used_pct"),
                 r.metrics.get("dependencies_open"), r.metrics.get("dependencies_overdue"),
                 ", ".join(sorted({f.rule for f in r.findings})) or "-"]
                for r in (evaluation.top, *evaluation.projects)]
        headers = ["issue", "level", "health", "progress %", "scope growth %", "budget used %",
                   "deps open", "deps overdue", "findings"]
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
    if initial or _same(before, now):
        return cell(now)
    return f"{cell(before)} -> {cell(now)}"


def _same(held: object, computed: object) -> bool:
    """Compare a value read from Jira with a computed one (numbers are stored rounded)."""
    if isinstance(held, int | float) and isinstance(computed, int | float) and not isinstance(computed, bool):
        return abs(float(held) - float(computed)) < 0.05
    if held is None or computed is None:
        return held is None and computed is None
    return str(held) == str(computed)


def say(text: str) -> None:
    """Print a line of the story now, also when the output is a pipe."""
    print(text, flush=True)


def run(folder: Path, keep: bool, flavor: str, jira_port: int, port: int,
        echo: Callable[[str], None] = say) -> int:
    """Play the demo; with `keep`, leave everything running until Ctrl-C."""
    demo = Demo(folder, flavor, jira_port, port, echo)
    try:
        demo.start()
        demo.play()
        agree, evaluation = demo.check_against_evaluate()
        echo("")
        echo(demo.program_view_table(evaluation))
        echo("")
        echo("pmrollup evaluate PAY-1 computes the same values Jira holds, with nothing left to write: "
             + ("yes" if agree else "NO"))
        if keep:
            echo(keep_instructions(demo))
            wait_for_ctrl_c()
        return 0 if agree else 1
    finally:
        demo.stop()


def keep_instructions(demo: Demo) -> str:
    """Return how to try the running sandbox and service by hand."""
    assert demo.sandbox is not None and demo.service is not None
    jira, service, env = demo.sandbox.url, demo.service.url, demo.environ
    user = f"{env['JIRA_USER']}:{env['JIRA_TOKEN']}"
    ids = demo.reader().field_ids().outputs
    shown = ",".join(["summary", *(ids[m] for m in COLUMNS if m in ids)])
    search = "/rest/api/3/search/jql" if demo.flavor == "cloud" else "/rest/api/2/search"
    return "\n".join([
        "",
        "Both keep running until Ctrl-C (or SIGTERM):",
        f"  sandbox Jira   {jira}   (admin {env['JIRA_USER']}, token {env['JIRA_TOKEN']})",
        f"  pmrollup       {service}{WEBHOOK_PATH}   /healthz /readyz /metrics",
        f"  its app.yaml, store and JSON log (service.log): {demo.folder}",
        "",
        "Try:",
        f"  curl -s -X POST {jira}/sandbox/issues/PAY-13 -H 'Content-Type: application/json' "
        "-d '{\"status\": \"Done\"}'",
        f"  curl -s -u {user} '{jira}/rest/api/2/issue/PAY-2?fields={shown}'",
        f"  curl -s -u {user} -G {jira}{search} "
        "--data-urlencode 'jql=\"Health\" = off-track' --data-urlencode 'fields=summary'",
        f"  curl -s {service}/readyz",
        f"  curl -s {service}/metrics",
        "",
        "Or point the command line at it (another terminal):",
        f"  export JIRA_URL={jira} JIRA_USER={env['JIRA_USER']} JIRA_TOKEN={env['JIRA_TOKEN']} "
        f"PMROLLUP_TODAY={TODAY}",
        f"  pmrollup --config {demo.folder / 'app.yaml'} evaluate PAY-2 --dry-run",
    ])


def wait_for_ctrl_c() -> None:
    """Block until Ctrl-C or SIGTERM."""
    from webhooks.cli.serving import wait_for_signal

    wait_for_signal(threading.Event())


@subcommand
def _demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="play a short program story on the sandbox Jira and show the rollups",
                       description="Start the sandbox Jira (demo program) and the pmrollup service on "
                                   "loopback, register the webhook, play a narrated story and print what "
                                   "pmrollup writes back after each step. Needs no Jira and no app.yaml.")
    p.add_argument("--keep", action="store_true",
                   help="leave the sandbox and the service running, and print URLs and curl examples")
    p.add_argument("--flavor", choices=("cloud", "datacenter"), default="cloud", help="Jira flavor to play")
    p.add_argument("--jira-port", type=int, default=0, help="port of the sandbox Jira (default: a free one)")
    p.add_argument("--port", type=int, default=0, help="port of the pmrollup service (default: a free one)")
    p.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="pmrollup-demo-") as folder:
        return run(Path(folder), args.keep, args.flavor, args.jira_port, args.port)
