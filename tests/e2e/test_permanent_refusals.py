"""A permanent refusal is not a transient error: done at once, never a backoff ladder, never dead."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import SMALL_SEED, LogCapture, SandboxFactory
from tests.e2e.conftest import jira_env, write_config
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.worker.recomputing import build_worker


def test_targets_whose_issue_is_gone_or_whose_key_cannot_exist_are_done_at_once(
        sandbox_factory: SandboxFactory, tmp_path: Path, logs: LogCapture) -> None:
    sandbox = sandbox_factory(SMALL_SEED)
    config = load_config(write_config(tmp_path / "site"))
    store = SqliteInbox(config.store_path)
    worker = build_worker(config, store, environ=jira_env(sandbox), lease_seconds=30)
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
