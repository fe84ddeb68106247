"""A worker killed while it holds a target does not hold it until the lease runs out: the next
worker on the machine frees it and recomputes it at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.webhooks.conftest import WORKER_SCRIPT, completed, wait_for
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.worker.loop import holder_is_gone

LONG_LEASE = "3600"  # far longer than the test waits: only freeing the lease can let it pass


def test_a_target_held_by_a_killed_worker_is_recomputed_by_the_next_one(tmp_path: Path) -> None:
    store = SqliteInbox(tmp_path / "inbox.sqlite3")
    store.upsert_target(Target("project", "PAY-2"), time.time(), 0, 0)
    done = tmp_path / "completions.txt"
    slow = subprocess.Popen([sys.executable, str(WORKER_SCRIPT), str(store.path), str(done), "--delay", "600",
                             "--lease", LONG_LEASE])
    try:
        assert wait_for(lambda: store.counts().targets_leased == 1), "the first worker never took the target"
        slow.send_signal(signal.SIGKILL)
        slow.wait(30)
    finally:
        if slow.poll() is None:
            slow.kill()
    assert completed(done) == []
    subprocess.run([sys.executable, str(WORKER_SCRIPT), str(store.path), str(done), "--delay", "0.01",
                    "--lease", LONG_LEASE, "--until-empty"], timeout=60, check=True)
    assert completed(done) == ["PAY-2"]
    assert store.counts().targets_pending == 0


def test_only_a_holder_on_this_machine_whose_process_ended_counts_as_gone() -> None:
    import socket

    host = socket.gethostname()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    assert holder_is_gone(f"{host}:{ended.stdout.strip()}:abcd1234")
    assert not holder_is_gone(f"{host}:{os.getpid()}:abcd1234")  # this very process
    assert not holder_is_gone(f"{host}:{os.getppid()}:abcd1234")  # alive
    assert not holder_is_gone(f"another-host:{ended.stdout.strip()}:abcd1234")
    assert not holder_is_gone("not an owner id")
