"""`pmrollup demo`: the story plays to the end, and what it shows is what `pmrollup evaluate` computes.

The story is played three times, by `pmrollup demo` processes the tests share: once as a newcomer runs
it, to its end; and once per flavor with --keep, on which the tests read Jira and run `pmrollup evaluate`
while both keep running, then press Ctrl-C. Each play mostly waits for its service to settle, so the
three are started together when one process runs the module.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from connector.client import Credentials, JiraGateway
from rules.figures import fixed
from rules.model import Program, Project
from tests.cli.conftest import Result
from webhooks.cli.main import main
from webhooks.cli.story import DEMO_OUTPUTS, PROGRAM, STORY
from webhooks.settings.appyaml import load_config

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"(sandbox Jira|pmrollup)\s+(http://127\.0\.0\.1:\d+)")
EXPORT = re.compile(r"^\s*export (.+)$")
CONFIG = re.compile(r"pmrollup --config (\S+) evaluate PAY-2 --dry-run")
OVERRUN_PCT = re.compile(r"against a budget of [\d,]+ \(([\d,.]+)%\)")
PLAY_TIMEOUT = 120  # a demo that never gets there fails, not hangs


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "webhooks.cli.main", "demo", *args]


def clean_env() -> dict[str, str]:
    """Return the environment of a newcomer's shell: no Jira, no pmrollup settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "PMROLLUP_"))}


def last_rollup_table(lines: list[str]) -> dict[str, list[str]]:
    """Parse the last 'Rollup fields in Jira' table: key -> cells, the new side of 'old -> new'."""
    return table_titled(lines, "Rollup fields in Jira")


def table_titled(lines: list[str], title: str) -> dict[str, list[str]]:
    """Parse the last table whose title starts with `title`: key -> cells after the summary, the new side
    of 'old -> new'."""
    start = max(i for i, line in enumerate(lines) if line.startswith(title))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 3:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = [c.split(" -> ")[-1] for c in cells[2:]]
    return rows


class Play:
    """One `pmrollup demo` process in a newcomer's shell, its output read as it comes."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(demo_command(*args), cwd=ROOT, env=clean_env(), text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out: list[str] = []
        self.err: list[str] = []
        self.waiting = False  # --keep printed its last line before it waits
        self.changed = threading.Event()  # set when it waits, or when its output ends
        stdout, stderr = self.process.stdout, self.process.stderr
        assert stdout is not None and stderr is not None
        self.readers = [threading.Thread(target=self._read, args=(stream, lines), daemon=True)
                        for stream, lines in ((stdout, self.out), (stderr, self.err))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream: IO[str], lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))
            if lines is self.out and "evaluate PAY-2 --dry-run" in line:  # the last line before it waits
                self.waiting = True
                self.changed.set()
        if lines is self.out:
            self.changed.set()

    def wait_until_kept(self) -> None:
        """Wait until a --keep play has printed how to try it and waits for Ctrl-C."""
        self.changed.wait(PLAY_TIMEOUT)
        assert self.waiting, "the demo did not get to waiting:\n" + "\n".join(self.err)

    def finish(self, timeout: float = PLAY_TIMEOUT) -> int:
        """Wait for the process to exit and for all its output; return its exit code."""
        code = self.process.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class Kept:
    """What a --keep play showed, what was read from it while it kept running, and how it ended."""

    lines: list[str]
    urls: dict[str, str]
    healthz: int
    issue: int
    evaluated: Result
    comments: dict[str, list[str]]
    scope_state: Any
    pay3_labels: Sequence[str]
    code: int


PLAYS = {"whole": (), "cloud": ("--keep",), "datacenter": ("--keep", "--flavor", "datacenter")}


class Plays:
    """The module's three plays, each started once: all at once, or each when a test first asks for it."""

    def __init__(self, at_once: bool) -> None:
        self.started: dict[str, Play] = {}
        self.looked: dict[str, Kept] = {}
        for name in PLAYS if at_once else ():
            self.play(name)

    def play(self, name: str) -> Play:
        if name not in self.started:
            self.started[name] = Play(*PLAYS[name])
        return self.started[name]

    def kept_play(self, flavor: str) -> Kept:
        """Return what the --keep play of `flavor` showed and what was read from it while it ran."""
        if flavor not in self.looked:
            self.looked[flavor] = look_at(self.play(flavor))
        return self.looked[flavor]

    def kill(self) -> None:
        for play in self.started.values():
            play.kill()


@pytest.fixture(scope="module")
def plays() -> Iterator[Plays]:
    # In one process, the three plays wait for their services side by side. Under pytest-xdist the
    # module's tests may be spread over workers: each starts only the plays its own tests ask for.
    started = Plays(at_once="PYTEST_XDIST_WORKER" not in os.environ)
    try:
        yield started
    finally:
        started.kill()


def look_at(play: Play) -> Kept:
    """While a --keep play keeps running, do what its instructions offer; then press Ctrl-C."""
    try:
        play.wait_until_kept()
        lines = list(play.out)
        urls = {found.group(1): found.group(2) for found in map(URL.search, lines) if found}
        healthz = requests.get(urls["pmrollup"] + "/healthz", timeout=10).status_code
        issue = requests.get(urls["sandbox Jira"] + "/rest/api/2/issue/PAY-2",
                             auth=("admin@example.com", "token"), timeout=10).status_code
        [exported] = [found.group(1) for found in map(EXPORT.match, lines) if found]
        environ = dict(pair.split("=", 1) for pair in exported.split())
        [config] = [found.group(1) for found in map(CONFIG.search, lines) if found]
        evaluated = evaluate_as_told(environ, config)
        reader = JiraGateway(load_config(config),
                             Credentials(environ["JIRA_URL"], environ["JIRA_USER"], environ["JIRA_TOKEN"]))
        program, projects = reader.program_with_projects(PROGRAM)
        issues: list[Program | Project] = [program, *projects]
        comments = {issue.key: [c.body for c in reader.comments(issue.key)] for issue in issues}
        scope_state = reader.get_property("PAY-2", "pmrollup.state")
        pay3_labels = [i.labels for i in projects if i.key == "PAY-3"][0]
        play.process.send_signal(signal.SIGINT)
        code = play.finish(60)
    finally:
        play.kill()
    return Kept(lines, urls, healthz, issue, evaluated, comments, scope_state, pay3_labels, code)


def evaluate_as_told(environ: dict[str, str], config: str) -> Result:
    """Run `pmrollup --config CONFIG evaluate PAY-1 --dry-run --json` in the shell the demo's
    instructions export (in this process: the point is the figures, not a process start)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith(("JIRA_", "PMROLLUP_")):
                env.delenv(name)
        for name, value in environ.items():
            env.setenv(name, value)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["--config", config, "evaluate", PROGRAM, "--dry-run", "--json"])
    return Result(code, out.getvalue(), err.getvalue())


def test_demo_plays_the_whole_story_and_exits_0(plays: Plays) -> None:
    whole = plays.play("whole")
    code = whole.finish(180)
    stdout, stderr = "\n".join(whole.out), "\n".join(whole.err)
    assert code == 0, stderr
    for number, step in enumerate(STORY, 1):
        assert f"== Step {number}: {step.title}" in stdout
    assert "Program view: PAY-1 Launch instant payouts" in stdout
    # The first line says what the tables show, and what the fifth project is.
    shown = table_titled(whole.out, "Before the story")
    assert list(shown) == [PROGRAM, "PAY-2", "PAY-3", "WEB-1", "WEB-2"]
    [first] = [line for line in whole.out if line.startswith("First rollup:")]
    assert first.startswith(f"First rollup: program {PROGRAM} and its {len(shown) - 1} projects, shown "
                            "below, and 1 project under no initiative (epic OPS-1), rolled up alone and not "
                            "shown; ")
    issues, outputs = len(shown) + 1, len(DEMO_OUTPUTS)
    columns = len(next(iter(shown.values())))
    assert re.search(rf"shown; \d+ fields written on these {issues} issues, of the {outputs} outputs "
                     rf"app.yaml names \(the tables show {columns}\), 0 comments \(a first "
                     r"evaluation is silent by design\)\.$", first), first
    assert "OPS-1" not in stdout[stdout.index("Before the story"):], "OPS-1 is in no table"
    assert "computes the same values Jira holds, with nothing left to write: yes" in stdout
    assert '"event"' not in stdout + stderr, "the service's JSON log belongs in its log file"
    # Why it is red, on the issue and explained down to the issues; when it will be done.
    assert "PAY-2  off-track: budget 110 % used" in stdout
    assert "$ pmrollup explain PAY-2 budget_used_pct" in stdout
    assert "budget_used_pct = 100 x actual_cost / budget = 100 x 66,000 / 60,000 = 110" in stdout
    assert any(line.split()[:2] == ["PAY-12", "40,000"] for line in whole.out), "the cost booked is listed"
    view = stdout[stdout.index("Program view: PAY-1"):]
    assert "due" in view.splitlines()[1] and view.splitlines()[1].rstrip().endswith("P85 forecast")


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_demo_tables_match_pmrollup_evaluate(plays: Plays, flavor: str) -> None:
    kept = plays.kept_play(flavor)
    done = kept.evaluated
    assert done.code == 0, done.err
    evaluated = json.loads(done.out)
    assert evaluated["writes"] == [], "Jira should already hold every value pmrollup computes"
    shown = last_rollup_table(kept.lines)
    for result in [evaluated, *evaluated["projects"]]:
        metrics = result["metrics"]
        progress, scope, budget, overdue, health = shown[result["key"]]
        assert progress == fixed(metrics["progress_pct"], 1)
        assert scope == fixed(metrics["scope_growth_pct"] or 0.0, 1)
        assert budget == fixed(metrics["budget_used_pct"], 1)
        assert int(overdue) == metrics["dependencies_overdue"]
        assert health == metrics["health"]
    assert shown["PAY-2"][0] == "60.4" and shown["PAY-2"][2] == "110.0"  # the story's points and costs
    said = {key: " ".join(bodies) for key, bodies in kept.comments.items()}
    assert "(scope-creep-critical)" in said["PAY-2"] and "(budget-overrun)" in said["PAY-2"]
    assert "(overdue-dependency)" in said["WEB-2"]
    # The budget figure in PAY-2's overrun comment is the table's and `pmrollup evaluate`'s.
    [overrun] = [b for b in kept.comments["PAY-2"] if "(budget-overrun)" in b]
    found = OVERRUN_PCT.search(overrun)
    assert found, overrun
    [pay2] = [r for r in evaluated["projects"] if r["key"] == "PAY-2"]
    assert found.group(1) == shown["PAY-2"][2] == fixed(pay2["metrics"]["budget_used_pct"], 1)
    # PAY-3's overdue dependency was there before pmrollup came (the silent first run), so its clear is
    # not announced either: its label goes, and no comment speaks of a start nobody was told about.
    assert "Cleared by pmrollup" not in said["PAY-3"] and "pmrollup-blocked" not in kept.pay3_labels
    assert isinstance(kept.scope_state, dict)
    since = kept.scope_state["findings"]["scope-creep-critical"]["since"]
    assert since.startswith("2026-03-16"), "stamps follow the demo's frozen today"
    markers = [m for bodies in kept.comments.values() for b in bodies
               for m in re.findall(r"\[pmrollup:[^\]]+\]", b)]
    assert len(markers) == len(set(markers)), "each transition is said once"


def test_demo_keep_leaves_both_running_until_ctrl_c(plays: Plays) -> None:
    kept = plays.kept_play("cloud")
    assert set(kept.urls) >= {"sandbox Jira", "pmrollup"}
    assert kept.healthz == 200
    assert kept.issue == 200
    assert kept.code == 0
