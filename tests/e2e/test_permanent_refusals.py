"""A permanent refusal is not a transient error: done at once, never a backoff ladder, never dead."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

from sandbox.server import RunningSandbox
from tests.conftest import SMALL_SEED, LogCapture, SandboxFactory
from tests.e2e.conftest import DEMO_SEED, jira_env, write_config
from tests.schedule.conftest import field_values
from tests.schedule.test_first_sweep import EVERY_PROJECT
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.worker.loop import Worker
from webhooks.worker.recomputing import build_worker


def worker_on(sandbox: RunningSandbox, tmp_path: Path) -> tuple[SqliteInbox, Worker]:
    """Return a store and the worker `pmrollup worker` runs on it, pointed at `sandbox`."""
    config = load_config(write_config(tmp_path / "site"))
    store = SqliteInbox(config.store_path)
    return store, build_worker(config, store, environ=jira_env(sandbox), lease_seconds=30)


def test_targets_whose_issue_is_gone_or_whose_key_cannot_exist_are_done_at_once(
        sandbox_factory: SandboxFactory, tmp_path: Path, logs: LogCapture) -> None:
    sandbox = sandbox_factory(SMALL_SEED)
    store, worker = worker_on(sandbox, tmp_path)
    now = time.time()
    for key in ("PAY-999", "PAY 1 OR 1=1"):
        store.upsert_target(Target("project", key), now, 0.0, 0.0)
    worker.run_once()
    counts = store.counts()
    assert (counts.targets_pending, counts.targets_leased, counts.targets_dead) == (0, 0, 0)
    # Jira's search answers 400 for a key it has no issue for; a key that cannot exist is never sent.
    assert [r["key"] for r in logs.named("recompute.refused")] == ["PAY-999"]
    assert [r["key"] for r in logs.named("recompute.gone")] == ["PAY 1 OR 1=1"]
    assert logs.named("recompute.failed") == []


def held_requests(sandbox: RunningSandbox) -> int:
    answer = requests.get(f"{sandbox.url}/sandbox/faults", timeout=10)
    answer.raise_for_status()
    count: int = answer.json()["held"]
    return count


def test_an_epic_deleted_before_its_edit_is_left_out_and_every_other_issue_is_written(
        sandbox_factory: SandboxFactory, tmp_path: Path, logs: LogCapture) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    store, worker = worker_on(sandbox, tmp_path)
    store.upsert_target(EVERY_PROJECT, time.time(), 0.0, 0.0)
    # PAY-3 is read with the program, then deleted while pmrollup's edit of it is on its way: the edit
    # reaches a Jira that no longer has the issue (404).
    sandbox.faults(hold=r"^PUT .*/issue/PAY-3$")
    run = threading.Thread(target=worker.run_once, name="test-worker")
    run.start()
    deadline = time.monotonic() + 60
    while held_requests(sandbox) == 0:
        assert run.is_alive() and time.monotonic() < deadline, "PAY-3's edit never reached Jira"
        time.sleep(0.02)
    for child in sorted(sandbox.site.store.children.get("PAY-3", ())):  # the sandbox keeps epics with
        sandbox.delete(child)                                            # children, as Jira keeps subtasks
    sandbox.delete("PAY-3")
    sandbox.faults()  # the held edit is dropped unserved; pmrollup tries it again and finds PAY-3 gone
    run.join(60)
    assert not run.is_alive()

    written = field_values(sandbox, ["PAY-1", "PAY-2", "WEB-1", "WEB-2"], ["Progress %", "Health"])
    assert all(None not in values.values() for values in written.values()), written
    counts = store.counts()
    assert (counts.targets_pending, counts.targets_leased, counts.targets_dead) == (0, 0, 0)
    assert logs.named("recompute.failed") == [], "a deleted issue is no reason to retry the program"
    [problem] = logs.named("recompute.problem")
    assert problem["problem"].startswith("PAY-3: not written: not found in Jira"), problem
    assert [r["key"] for r in logs.named("recompute.done")] == ["PAY-1"]
