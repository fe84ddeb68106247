"""A worker killed with SIGKILL at any moment loses nothing: a restart processes every delivery."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskClient

from rules.config import AppConfig
from tests.webhooks.conftest import WORKER_SCRIPT, completed, issue_event, signed_headers, wait_for
from webhooks.store.inbox import SqliteInbox


def post(client: FlaskClient, key: str) -> None:
    body = issue_event(key)
    assert client.post("/webhooks/jira", data=body, headers=signed_headers(body)).status_code == 202


def test_deliveries_accepted_before_a_kill_are_all_processed_after_restart(
        client: FlaskClient, store: SqliteInbox, config: AppConfig, tmp_path: Path) -> None:
    done = tmp_path / "completions.txt"
    keys = [f"PAY-{n}" for n in range(60)]
    for key in keys[:40]:
        post(client, key)
    command = [sys.executable, str(WORKER_SCRIPT), config.store_path, str(done), "--delay", "0.02"]
    first = subprocess.Popen(command)
    try:
        for key in keys[40:]:  # more news arrives while the worker runs
            post(client, key)
        assert wait_for(lambda: len(completed(done)) >= 5), "the worker never got going"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    before = set(completed(done))
    assert len(before) < len(keys), "the kill came too late to prove anything"

    second = subprocess.run([*command, "--until-empty"], timeout=120)
    assert second.returncode == 0
    assert set(completed(done)) == set(keys)
    counts = store.counts()
    assert (counts.deliveries_stored, counts.deliveries_pending, counts.targets_pending) == (60, 0, 0)
