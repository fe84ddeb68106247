"""`pmrollup baseline` queues the epic's program (or the lone epic) for recompute, so a running worker
brings the scope fields up to date without waiting for an edit or the nightly sweep."""

from __future__ import annotations

from tests.schedule.conftest import (
    APP_YAML,
    DEMO_SEED,
    PMROLLUP,
    Process,
    SiteFactory,
    SpawnSite,
    drain_targets,
    field_value,
    wait_for,
)
from tests.schedule.test_first_sweep import NO_SCHEDULED_RUNS
from webhooks.store.inbox import SqliteInbox, Target


def finished(process: Process, timeout: float = 60.0) -> tuple[int, str]:
    """Wait for a one-shot command to exit; return its exit code and what it printed."""
    code = process.popen.wait(timeout)
    process.stop()
    return code, process.text()


def test_a_baseline_reset_is_queued_and_a_running_worker_updates_the_scope_fields(
        spawn_site: SpawnSite) -> None:
    sandbox, _, start = spawn_site(DEMO_SEED, APP_YAML.replace("FLAVOR", "cloud") + NO_SCHEDULED_RUNS)
    code, out = finished(start("sweep", PMROLLUP + ["sweep"]))
    assert code == 0, out
    assert field_value(sandbox, "PAY-3", "Scope growth %") == 30.0  # 52 points against 40
    worker = start("worker", PMROLLUP + ["worker"])
    wait_for("the worker", lambda: bool(worker.events("worker.start")), timeout=60, logs=[worker])

    code, out = finished(start("baseline", PMROLLUP + ["baseline", "PAY-3", "--reset"]))
    assert code == 0, out
    assert "Replaced the baseline of PAY-3 as of 2026-03-16: 52 points" in out
    assert "queued PAY-1 for recompute; a running worker updates its fields within 1 s" in out
    wait_for("the worker to write the new scope growth",
             lambda: field_value(sandbox, "PAY-3", "Scope growth %") == 0.0, timeout=60, logs=[worker])
    wait_for("the recompute to end", lambda: bool(worker.events("recompute.done")), logs=[worker])
    [done] = worker.events("recompute.done")
    assert done["key"] == "PAY-1"
    assert done["projects"] == ["PAY-3"], "only the re-baselined epic is read from its items"


def test_a_baseline_kept_as_it_is_queues_nothing(site: SiteFactory) -> None:
    here = site()
    store = SqliteInbox(here.store_path)
    kept = here.run("baseline", "PAY-3")
    assert kept.code == 0 and "Left as it is" in kept.out and "queued" not in kept.out
    assert drain_targets(store) == []


def test_a_new_baseline_of_a_lone_epic_queues_that_epic(site: SiteFactory) -> None:
    here = site()
    store = SqliteInbox(here.store_path)
    taken = here.run("baseline", "OPS-1", "--reset")
    assert taken.code == 0, taken.err
    assert "queued OPS-1 for recompute; a running worker updates its fields within 1 s" in taken.out
    assert drain_targets(store) == [Target("project", "OPS-1")]


def test_a_baseline_taken_before_any_service_ran_says_nothing_was_queued(site: SiteFactory) -> None:
    here = site()
    taken = here.run("baseline", "PAY-3", "--reset")
    assert taken.code == 0, taken.err
    assert f"nothing queued: there is no inbox at {here.store_path} yet" in taken.out
    assert "the first start of `pmrollup serve` (or `pmrollup scheduler`) sweeps" in taken.out
    assert not here.store_path.exists(), "a one-shot command creates no inbox"
