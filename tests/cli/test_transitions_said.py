"""Sweeps run one after another, pmrollup's clock moved between them: each transition is said once,
quiet hours hold only the same subject, and the audit says which rule wrote what and why not.

Each sweep but one runs in this process (`main(["sweep"])`) with PMROLLUP_NOW set for that command:
a command builds its clock, gateway, rules and store afresh, so what one sweep said reaches the next
only through Jira's issue properties and the store, as between cron runs, without a second of imports
per sweep. One sweep, the reopened finding held by quiet hours, runs as its own process: a memory of
what was said kept in the process, which sweeps in one process would share, would show there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from rules.plan import FIRST_RUN_SILENT
from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_SEED, Run
from tests.conftest import SandboxFactory
from webhooks.cli.trialconfig import trial_app_yaml
from webhooks.recompute.writeback import UNSAID_FIELD
from webhooks.settings.clock import NOW_ENV

PMROLLUP = [sys.executable, "-c", "import sys; from webhooks.cli.main import main; sys.exit(main())"]
RULE = "overdue-dependency"
MARKER = re.compile(rf"\[pmrollup:{RULE}:(start|clear):PAY-3:(\d+)\]")

SweepAt = Callable[[str], None]
# The demo's own choice: the first evaluation records what it finds without a comment.
SILENT_FIRST_RUN = trial_app_yaml("FLAVOR", comments={"on_first_run": False}, allow_unsigned=True)


def moment_of(moment: str) -> str:
    """Return pmrollup's clock at `moment` ("16T09:00": day of March 2026 and time, UTC)."""
    return f"2026-03-{moment}:00+00:00"


def sweeps_of(run: Run, monkeypatch: pytest.MonkeyPatch) -> SweepAt:
    """Return a runner of `pmrollup sweep` by `run` with pmrollup's clock at a moment, in this process."""

    def sweep(moment: str) -> None:
        monkeypatch.setenv(NOW_ENV, moment_of(moment))
        done = run("sweep")
        assert done.code == 0, done.err

    return sweep


@pytest.fixture
def sweep_at(demo: tuple[RunningSandbox, Run], monkeypatch: pytest.MonkeyPatch) -> SweepAt:
    """Return a runner of `pmrollup sweep` with pmrollup's clock at a moment, in this process."""
    return sweeps_of(demo[1], monkeypatch)


def sweep_in_own_process(tmp_path: Path, moment: str) -> None:
    """Run `pmrollup sweep` as its own process with pmrollup's clock at `moment`, as cron would."""
    done = subprocess.run([*PMROLLUP, "sweep"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, NOW_ENV: moment_of(moment)}, check=False)
    assert done.returncode == 0, done.stderr


def said(sandbox: RunningSandbox) -> list[tuple[str, int, str]]:
    """Return the overdue-dependency comments on PAY-3: (start or clear, number, body)."""
    answer = requests.get(f"{sandbox.url}/rest/api/2/issue/PAY-3/comment", auth=sandbox.admin_auth,
                          timeout=10)
    answer.raise_for_status()
    found = []
    for comment in answer.json()["comments"]:
        match = MARKER.search(comment["body"])
        if match:
            found.append((match.group(1), int(match.group(2)), comment["body"]))
    return found


def link(sandbox: RunningSandbox, blocker: str, dependent: str) -> None:
    answer = requests.post(f"{sandbox.url}/rest/api/2/issueLink", auth=sandbox.admin_auth, timeout=10,
                           json={"type": {"name": "Blocks"}, "inwardIssue": {"key": blocker},
                                 "outwardIssue": {"key": dependent}})
    answer.raise_for_status()


@pytest.fixture
def demo(sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run]
         ) -> tuple[RunningSandbox, Run]:
    sandbox = sandbox_factory(DEMO_SEED)
    return sandbox, pmrollup(sandbox)


def test_a_finding_cleared_and_started_again_after_quiet_hours_is_announced_again(
        demo: tuple[RunningSandbox, Run], sweep_at: SweepAt, tmp_path: Path) -> None:
    sandbox, run = demo
    sweep_at("16T09:00")  # WEB-8, due 2026-03-06, blocks PAY-15
    assert [(k, n) for k, n, _ in said(sandbox)] == [("start", 1)]
    sandbox.edit("WEB-8", {"status": "Done"})
    sweep_at("16T10:00")
    assert [(k, n) for k, n, _ in said(sandbox)] == [("start", 1), ("clear", 2)]
    sandbox.edit("WEB-8", {"status": "In Progress"})  # reopened: the same subject, inside quiet hours
    sweep_in_own_process(tmp_path, "16T11:00")  # knows of the clear only through Jira and the store
    assert len(said(sandbox)) == 2
    audit = run("audit", "PAY-3")
    assert "held by quiet hours" in audit.out and RULE in audit.out
    sweep_at("17T10:30")  # the window after the announced clear has ended; it still holds
    assert [(k, n) for k, n, _ in said(sandbox)] == [("start", 1), ("clear", 2), ("start", 3)]
    sweep_at("17T11:30")
    assert len(said(sandbox)) == 3


def test_a_finding_reactivated_by_a_different_blocker_is_announced_once(
        demo: tuple[RunningSandbox, Run], sweep_at: SweepAt) -> None:
    sandbox, _ = demo
    sweep_at("16T09:00")
    sandbox.edit("WEB-8", {"status": "Done"})
    sweep_at("16T09:30")
    sandbox.edit("WEB-9", {"fields": {"Due date": "2026-03-10"}})
    link(sandbox, "WEB-9", "PAY-16")
    sweep_at("16T10:00")  # inside quiet hours, but another subject: said at once
    sweep_at("16T10:30")
    comments = said(sandbox)
    assert [(k, n) for k, n, _ in comments] == [("start", 1), ("clear", 2), ("start", 3)]
    assert "- WEB-9 blocks PAY-16" in comments[2][2]


def test_the_audit_names_the_rule_of_every_comment_label_and_health_it_wrote(
        demo: tuple[RunningSandbox, Run], sweep_at: SweepAt) -> None:
    sandbox, run = demo
    sweep_at("16T09:00")
    sandbox.edit("WEB-8", {"status": "Done"})
    sweep_at("16T10:00")
    rows = [line.split() for line in run("audit", "PAY-3").out.splitlines()[1:]]
    by_field: dict[str, list[str]] = {}
    for row in rows:
        by_field.setdefault(row[3], []).append(row[-1])
    assert RULE in by_field["comment"]
    assert by_field["labels"] and "-" not in by_field["labels"]
    assert "Health" in by_field and "-" not in by_field["Health"][:1]


def unsaid_in_audit(run: Run, key: str) -> list[str]:
    """Return what `pmrollup audit KEY` lists as not posted for the overdue-dependency rule: kind: reason."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in run("audit", key).out.splitlines()[1:]]
    return [row[3].removeprefix("(empty) -> ") for row in rows
            if row[2] == UNSAID_FIELD and row[4] == RULE]


def test_a_clear_whose_start_was_never_announced_is_in_the_audit_with_why_it_was_not_said(
        sandbox_factory: SandboxFactory, pmrollup: Callable[..., Run],
        monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    run = pmrollup(sandbox, SILENT_FIRST_RUN)
    sweep_at = sweeps_of(run, monkeypatch)
    sweep_at("16T09:00")  # WEB-8 is overdue and blocks PAY-15: found on the first evaluation, not said
    [first] = unsaid_in_audit(run, "PAY-3")
    assert first == f"start: {FIRST_RUN_SILENT}"
    sandbox.edit("WEB-8", {"status": "Done"})
    sweep_at("16T10:00")
    assert said(sandbox) == [], "nobody was told of its start, so nobody is told of its clear"
    assert "pmrollup-blocked" not in sandbox.issue_json("PAY-3")["fields"]["labels"]
    assert unsaid_in_audit(run, "PAY-3") == [first, "clear: its start was not announced"]
