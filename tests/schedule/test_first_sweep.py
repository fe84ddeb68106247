"""The first start on a store that has never swept sweeps once, so every output field is filled
without waiting for a Jira edit or the nightly sweep; a restart or a second scheduler does not repeat it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from connector.client import Credentials, JiraGateway, RetryPolicy
from sandbox.server import RunningSandbox
from tests.conftest import LogCapture
from tests.schedule.conftest import (
    NO_SCHEDULED_RUNS,
    PMROLLUP,
    Site,
    SiteFactory,
    drain_targets,
    field_value,
    field_values,
    searches,
    serve_schedules,
    store_runs,
    wait_for,
)
from webhooks.recompute.services import gateway_for
from webhooks.schedules.schedule import (
    FIRST_SWEEP,
    FIRST_SWEEP_STALE_SECONDS,
    Schedule,
    first_sweep_attempt,
    start_in_background,
)
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import RunRecord, SqliteInbox, Target

OUTPUTS = ("Progress %", "Scope growth %", "Budget used %", "Overdue dependencies", "Health")
PROGRAMS_AND_PROJECTS = ("PAY-1", "PAY-2", "PAY-3", "WEB-1", "WEB-2", "OPS-1")
# The processes each way of running pmrollup starts; the first one is the one that runs the schedules.
SHAPES = {"serve": [["serve", "--port", "0"]], "scheduler and worker": [["scheduler"], ["worker"]]}
EVERY_PROJECT = Target("program", "PAY-1", frozenset({"PAY-2", "PAY-3", "WEB-1", "WEB-2"}))


def empty_outputs(sandbox: RunningSandbox) -> list[tuple[str, str]]:
    """Return the (issue, output field) pairs the sandbox holds no value for."""
    held = field_values(sandbox, PROGRAMS_AND_PROJECTS, OUTPUTS)
    return [(key, name) for key in PROGRAMS_AND_PROJECTS for name in OUTPUTS if held[key][name] is None]


def runs(store: Path, job: str) -> list[tuple[str, str | None]]:
    """Return the store's runs of `job`: scheduled time (or attempt) and outcome (None: under way)."""
    return store_runs(store, (job,))


def schedule_for(here: Site, environ: dict[str, str] | None = None) -> tuple[Schedule, SqliteInbox]:
    config = load_config(here.config_path)
    store = SqliteInbox(config.store_path)
    env = environ or here.env()
    return Schedule(config, store, lambda: JiraGateway(config, Credentials.from_env(env),
                                                       RetryPolicy(attempts=1))), store


@pytest.mark.parametrize("shape", SHAPES)
def test_the_first_start_on_a_fresh_store_fills_every_output_field_without_any_jira_edit(
        site: SiteFactory, logs: LogCapture, shape: str) -> None:
    here = site(schedule=NO_SCHEDULED_RUNS)
    sandbox, store = here.sandbox, here.store_path
    assert len(empty_outputs(sandbox)) == len(OUTPUTS) * len(PROGRAMS_AND_PROJECTS)

    started = [here.start(argv[0], PMROLLUP + argv) for argv in SHAPES[shape]]
    wait_for("every output field filled", lambda: empty_outputs(sandbox) == [], timeout=90, logs=started)
    wait_for("the first sweep recorded",
             lambda: any(outcome is not None for _, outcome in runs(store, FIRST_SWEEP)), logs=started)
    assert field_value(sandbox, "PAY-3", "Scope growth %") == 30.0
    assert field_value(sandbox, "OPS-1", "Health") == "on-track"
    assert [outcome for _, outcome in runs(store, FIRST_SWEEP)] == ["done: enqueued 2 targets"]
    assert runs(store, "sweep") == [], "no scheduled sweep ran: the first start's sweep filled them"
    assert sandbox.deliveries()["attempts"] == 0, "no webhook was delivered"

    schedules = started[0]
    assert schedules.stop() == 0
    listings = len(searches(sandbox))
    # The restart: the schedules start again on the store, in this process (the schedules of serve and
    # of scheduler alike; what they decide comes from the store, which the first processes wrote).
    with serve_schedules(here):
        wait_for("the restart's decision on the first sweep", lambda: bool(logs.named("schedule.skipped")),
                 timeout=60)
    [skipped] = logs.named("schedule.skipped")
    assert (skipped["job"], skipped["reason"]) == (FIRST_SWEEP, "this store has swept before")
    assert len(runs(store, FIRST_SWEEP)) == 1 and len(searches(sandbox)) == listings


def test_a_store_that_has_swept_on_schedule_gets_no_first_sweep(site: SiteFactory) -> None:
    here = site()
    schedule, store = schedule_for(here)
    assert schedule.run("sweep")
    drain_targets(store)
    here.sandbox.clear_requests()
    assert schedule.first_sweep()
    assert drain_targets(store) == [] and here.sandbox.requests() == []
    assert store.last_run(FIRST_SWEEP) is None


def test_two_schedulers_starting_together_sweep_once(site: SiteFactory) -> None:
    here = site()
    pair = [schedule_for(here)[0], schedule_for(here)[0]]
    together = threading.Barrier(len(pair))

    def start(schedule: Schedule) -> None:
        together.wait()
        schedule.first_sweep()

    threads = [threading.Thread(target=start, args=(s,)) for s in pair]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    store = pair[0].store
    assert isinstance(store, SqliteInbox)
    assert [outcome for _, outcome in runs(Path(store.path), FIRST_SWEEP)] == ["done: enqueued 2 targets"]
    assert drain_targets(store) == [EVERY_PROJECT, Target("project", "OPS-1")]
    assert len(searches(here.sandbox)) == 2, "one portfolio read: programs, then lone projects"


def test_a_first_sweep_under_way_in_another_process_is_left_to_it(site: SiteFactory) -> None:
    here = site()
    schedule, store = schedule_for(here)
    assert store.claim_run(FIRST_SWEEP, "attempt 001", schedule.clock())  # another scheduler, sweeping
    assert not schedule.first_sweep(), "not swept yet: the scheduler looks again later"
    assert drain_targets(store) == [] and here.sandbox.requests() == []


def test_a_first_sweep_that_failed_is_tried_again_until_it_is_done(site: SiteFactory,
                                                                   closed_port: int) -> None:
    here = site()
    down, store = schedule_for(here, {**here.env(), "JIRA_URL": f"http://127.0.0.1:{closed_port}"})
    assert not down.first_sweep()
    [(stamp, outcome)] = runs(Path(store.path), FIRST_SWEEP)
    assert stamp == "attempt 001" and (outcome or "").startswith("failed: JiraUnavailable")

    up, _ = schedule_for(here)
    assert up.first_sweep()
    assert runs(Path(store.path), FIRST_SWEEP)[1] == ("attempt 002", "done: enqueued 2 targets")
    assert drain_targets(store) == [EVERY_PROJECT, Target("project", "OPS-1")]


def test_an_attempt_whose_process_died_is_taken_over_after_an_hour() -> None:
    started = RunRecord(FIRST_SWEEP, "attempt 001", 1000.0, None, None)
    assert first_sweep_attempt(None, started, 1000.0 + FIRST_SWEEP_STALE_SECONDS - 1) is None
    assert first_sweep_attempt(None, started, 1000.0 + FIRST_SWEEP_STALE_SECONDS) == 2
    assert first_sweep_attempt(None, None, 0.0) == 1


def test_the_in_process_schedules_of_pmrollup_serve_sweep_a_fresh_store_at_start(
        site: SiteFactory) -> None:
    here = site(schedule=NO_SCHEDULED_RUNS)
    with serve_schedules(here) as store:
        wait_for("the first sweep to finish", lambda: all(
            outcome is not None for _, outcome in runs(Path(store.path), FIRST_SWEEP) or [("", None)]))
    assert drain_targets(store) == [EVERY_PROJECT, Target("project", "OPS-1")]


def test_a_stop_during_the_first_sweep_returns_once_the_sweep_is_done(site: SiteFactory) -> None:
    here = site(schedule=NO_SCHEDULED_RUNS)
    here.sandbox.faults(latency_ms=150)  # the first sweep's reads take a while
    config = load_config(here.config_path)
    store = SqliteInbox(config.store_path)
    stop = start_in_background(config, store, lambda: gateway_for(config, here.env()))
    wait_for("the first sweep to ask Jira", lambda: bool(here.sandbox.requests()))
    stopping = threading.Thread(target=stop, name="stop-during-first-sweep")
    stopping.start()  # SIGTERM to `pmrollup serve` while its first sweep runs
    stopping.join(120)
    assert not stopping.is_alive(), "the schedules never stopped: the first sweep's job held them"
    assert drain_targets(store) == [EVERY_PROJECT, Target("project", "OPS-1")], "the sweep ran to its end"
