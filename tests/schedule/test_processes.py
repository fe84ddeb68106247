"""Real processes: gunicorn web workers never schedule; one or two `pmrollup scheduler` run each job once."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import RunningSandbox
from tests.conftest import SMALL_SEED
from tests.schedule.conftest import APP_YAML, PMROLLUP, Process, SpawnSite, store_runs, wait_for
from webhooks.schedules.schedule import FIRST_SWEEP

BIN = Path(sys.executable).parent
EVERY_SECOND = """\
schedule:
  sweep: "* * * * * *"
  digest: "0 0 1 1 *"
  catchup: "0 0 1 1 *"
"""


@pytest.fixture
def spawn(spawn_site: SpawnSite) -> tuple[RunningSandbox, Path, Callable[[str, list[str]], Process]]:
    sandbox, config, start = spawn_site(SMALL_SEED, APP_YAML.replace("FLAVOR", "cloud") + EVERY_SECOND)
    return sandbox, config.parent / "pmrollup.sqlite3", start


def sweep_runs(store: Path) -> list[tuple[str, str | None]]:
    """Return the sweeps run on the store: the scheduled ones and the first start's, if it made one."""
    return store_runs(store, ("sweep", FIRST_SWEEP))


def program_listings(sandbox: RunningSandbox) -> int:
    """Count the sweep's listing searches (every initiative) the sandbox served."""
    return sum(1 for r in sandbox.requests() if "/search" in r["path"]
               and 'issuetype in ("Initiative")' in str(r["query"].get("jql", "")))


def settled(store: Path) -> list[tuple[str, str | None]]:
    runs = sweep_runs(store)
    assert all(outcome and outcome.startswith("done: enqueued 1 target") for _, outcome in runs), runs
    return runs


def test_two_gunicorn_workers_and_one_scheduler_run_each_sweep_once(spawn: Any) -> None:
    sandbox, store, start = spawn
    web = start("gunicorn", [str(BIN / "gunicorn"), "-w", "2", "-b", "127.0.0.1:0",
                             "webhooks.app:create_app()"])
    wait_for("two gunicorn workers", lambda: web.text().count("Booting worker") >= 2 and store.exists())
    # The web workers never sweep: every run below is the scheduler's (counted at the end).

    scheduler = start("scheduler", PMROLLUP + ["scheduler"])
    wait_for("three sweeps", lambda: len(sweep_runs(store)) >= 3)
    assert scheduler.stop() == 0, scheduler.text()
    assert web.stop() == 0
    runs = settled(store)
    assert len({at for at, _ in runs}) == len(runs)
    assert program_listings(sandbox) == len(runs), "each (job, scheduled time) ran exactly once"
    assert len(scheduler.events("schedule.run")) == len(runs)


def test_two_schedulers_started_by_mistake_never_run_a_sweep_twice(spawn: Any) -> None:
    sandbox, store, start = spawn
    first = start("scheduler-1", PMROLLUP + ["scheduler"])
    wait_for("the first scheduler", lambda: bool(first.events("schedule.start")), timeout=60.0,
             logs=[first])
    second = start("scheduler-2", PMROLLUP + ["scheduler"])
    wait_for("the second scheduler", lambda: bool(second.events("schedule.start")), timeout=60.0,
             logs=[second])
    already = len(sweep_runs(store))
    wait_for("three sweeps with both up", lambda: len(sweep_runs(store)) >= already + 3)
    assert first.stop() == 0 and second.stop() == 0
    runs = settled(store)
    ran = len(first.events("schedule.run")) + len(second.events("schedule.run"))
    skipped = len(first.events("schedule.skipped")) + len(second.events("schedule.skipped"))
    assert ran == len(runs) == program_listings(sandbox)
    assert skipped >= 3, "the second scheduler tried the same runs and found them claimed"
