"""Real processes: gunicorn web workers never schedule; one or two `pmrollup scheduler` run each job once."""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox.server import RunningSandbox
from tests.conftest import SMALL_SEED
from tests.schedule.conftest import NEVER, PMROLLUP, Site, SiteFactory, store_runs, wait_for
from webhooks.schedules.schedule import FIRST_SWEEP

BIN = Path(sys.executable).parent
EVERY_SECOND = {"sweep": "* * * * * *", "digest": NEVER, "catchup": NEVER}


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


def every_second(site: SiteFactory) -> Site:
    """Start a site whose schedules sweep every second (and never digest nor catch up)."""
    return site(SMALL_SEED, schedule=EVERY_SECOND)


def test_two_gunicorn_workers_and_one_scheduler_run_each_sweep_once(site: SiteFactory) -> None:
    here = every_second(site)
    sandbox, store = here.sandbox, here.store_path
    # Both start at once; the sweeps counted are the ones run once both web workers have built the app.
    web = here.start("gunicorn", [str(BIN / "gunicorn"), "-w", "2", "-b", "127.0.0.1:0",
                                  "webhooks.app:create_app()"])
    scheduler = here.start("scheduler", PMROLLUP + ["scheduler"])
    wait_for("two gunicorn workers", lambda: web.text().count("Booting worker") >= 2
             and len(web.events("service.start")) >= 2, timeout=60, logs=[web])
    up = len(sweep_runs(store))
    wait_for("three sweeps with the web workers up", lambda: len(sweep_runs(store)) >= up + 3, timeout=60,
             logs=[web, scheduler])
    # The web workers never sweep: every run below is the scheduler's (counted at the end).
    assert scheduler.stop() == 0, scheduler.text()
    assert web.stop() == 0
    assert web.events("schedule.start") == [], "no web worker started the schedules"
    runs = settled(store)
    assert len({at for at, _ in runs}) == len(runs)
    assert program_listings(sandbox) == len(runs), "each (job, scheduled time) ran exactly once"
    assert len(scheduler.events("schedule.run")) == len(runs)


def test_two_schedulers_started_by_mistake_never_run_a_sweep_twice(site: SiteFactory) -> None:
    here = every_second(site)
    sandbox, store = here.sandbox, here.store_path
    first = here.start("scheduler-1", PMROLLUP + ["scheduler"])
    second = here.start("scheduler-2", PMROLLUP + ["scheduler"])
    wait_for("both schedulers", lambda: all(s.events("schedule.start") for s in (first, second)),
             timeout=60.0, logs=[first, second])
    already = len(sweep_runs(store))
    wait_for("three sweeps with both up", lambda: len(sweep_runs(store)) >= already + 3, timeout=60,
             logs=[first, second])
    assert first.stop() == 0 and second.stop() == 0
    runs = settled(store)
    ran = len(first.events("schedule.run")) + len(second.events("schedule.run"))
    skipped = len(first.events("schedule.skipped")) + len(second.events("schedule.skipped"))
    assert ran == len(runs) == program_listings(sandbox)
    assert skipped >= 3, "the second scheduler tried the same runs and found them claimed"
