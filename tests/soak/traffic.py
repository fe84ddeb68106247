"""Traffic for soak runs: people's edits, moves and links, and the checks every run ends with."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.harness import comment_markers, config_for, gateway_for, recomputer_for, wait_until
from bench.seeds import GeneratedProgram
from bench.service import log_events
from sandbox.server import RunningSandbox
from webhooks.store.inbox import SqliteInbox

Edit = Callable[[str, dict[str, Any]], object]


@dataclass(frozen=True)
class Duration:
    """How long a soak variant runs and how hard it is pushed."""

    seconds: float
    kills: int = 0


def long_duration(default_seconds: float, default_kills: int = 0) -> Duration:
    """Read the long variant's duration from PMROLLUP_SOAK_SECONDS and PMROLLUP_SOAK_KILLS."""
    return Duration(float(os.environ.get("PMROLLUP_SOAK_SECONDS", default_seconds)),
                    int(os.environ.get("PMROLLUP_SOAK_KILLS", default_kills)))


@dataclass
class Traffic:
    """A deterministic stream of what people do in Jira: re-estimate, move status, move stories, link."""

    program: GeneratedProgram
    seed: int = 7
    moves: bool = False
    links: bool = False
    done: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def step(self, sandbox: RunningSandbox, edit: Edit | None = None) -> None:
        """Make one change in the sandbox (through `edit` when given: an in-process edit)."""
        change = edit or sandbox.edit
        epic = self.rng.choice(self.program.epics)
        story = self.rng.choice(self.program.stories_of[epic])
        roll = self.rng.random()
        if self.moves and roll < 0.1:
            change(story, {"parent": self.rng.choice(self.program.epics)})
        elif self.links and roll < 0.2 and edit is None:
            other = self.rng.choice(self.program.stories_of[self.rng.choice(self.program.epics)])
            if other != story:
                link(sandbox, other, story)
        elif roll < 0.6:
            change(story, {"fields": {"Story Points": self.rng.choice((1, 2, 3, 5, 8, 13))}})
        else:
            change(story, {"status": self.rng.choice(("To Do", "In Progress", "In Review", "Done"))})
        self.done += 1


def wait_worker_started(log: Path, timeout: float = 120.0) -> None:
    """Wait until the `pmrollup worker` writing `log` says it has started (its imports done, its
    signal handlers in place)."""
    assert wait_until(lambda: bool(log_events(log, "worker.start")), timeout), log.read_text()[-2000:]


def link(sandbox: RunningSandbox, blocker: str, dependent: str, attempts: int = 20) -> None:
    """Make `blocker` block `dependent` through Jira's REST API, waiting out rate limits as people do."""
    for _ in range(attempts):
        answer = requests.post(f"{sandbox.url}/rest/api/2/issueLink", auth=sandbox.admin_auth, timeout=10,
                               json={"type": {"name": "Blocks"}, "inwardIssue": {"key": blocker},
                                     "outwardIssue": {"key": dependent}})
        if answer.status_code not in (429, 500, 502, 503):
            answer.raise_for_status()
            return
        time.sleep(float(answer.headers.get("Retry-After") or 0.2))
    answer.raise_for_status()


def assert_nothing_lost(store: SqliteInbox, sandbox: RunningSandbox) -> None:
    """Every delivery Jira sent was stored and processed; nothing waits, nothing is parked."""
    counts = store.counts()
    sent = sandbox.deliveries()
    identifiers = {a["identifier"] for a in sent["log"] if 200 <= (a.get("status") or 0) < 300}
    assert counts.deliveries_stored == len(identifiers)
    assert (counts.deliveries_pending, counts.deliveries_dead) == (0, 0)
    assert (counts.targets_pending, counts.targets_leased, counts.targets_dead) == (0, 0, 0)


def assert_no_comment_twice(sandbox: RunningSandbox) -> None:
    twice = {where: n for where, n in comment_markers(sandbox).items() if n > 1}
    assert twice == {}


def assert_clean_run_changes_nothing(sandbox: RunningSandbox, program: GeneratedProgram) -> None:
    """A clean recompute of every epic from Jira finds nothing to write: the state is a clean run's."""
    config = config_for(sandbox.flavor)
    evaluation = recomputer_for(config, gateway_for(sandbox, config)).program(program.initiative)
    written = {r.key: r.fields_written for r in evaluation.results if r.fields_written}
    posted = {r.key: r.comments_posted for r in evaluation.results if r.comments_posted}
    assert (written, posted) == ({}, {})
