"""A real `pmrollup serve` killed with SIGKILL loses nothing: restarted, it ends where a clean run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import SandboxFactory
from tests.e2e.conftest import (
    DEMO_SEED,
    LiveFactory,
    jira_env,
    outcome,
    pending_writes,
    reader,
    register,
    settle,
    write_config,
)
from tests.e2e.test_bad_days import EDITS
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox

PMROLLUP = Path(sys.executable).parent / "pmrollup"


def start_serve(config_path: Path, env: dict[str, str], log: Path,
                port: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    """Start `pmrollup serve` as its own process; return it with the URL it listens on."""
    command = [str(PMROLLUP), "--config", str(config_path), "serve", "--port", str(port),
               "--no-schedules", "--lease", "2"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=out,
                                   cwd=config_path.parent)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("{") and json.loads(line).get("event") == "service.listening":
                url = json.loads(line)["url"]
                if port == 0 or url.endswith(f":{port}"):
                    return process, url
        assert process.poll() is None, log.read_text()[-2000:]
        time.sleep(0.05)
    process.kill()
    raise AssertionError("pmrollup serve did not start: " + log.read_text()[-2000:])


def test_deliveries_accepted_before_a_kill_are_processed_after_restart_as_a_clean_run_would(
        sandbox_factory: SandboxFactory, live: LiveFactory, tmp_path: Path) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    config_path = write_config(tmp_path / "killed", debounce=1.0, max_delay=3.0)
    config = load_config(config_path)
    log = tmp_path / "serve.log"
    first, url = start_serve(config_path, jira_env(sandbox), log)
    try:
        register(sandbox, config, url)
        for key, change in EDITS:
            sandbox.edit(key, change)
        assert sandbox.wait_deliveries_idle(30)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    store = SqliteInbox(config.store_path)
    counts = store.counts()
    accepted = [line for line in log.read_text().splitlines() if '"webhook.accepted"' in line]
    assert counts.deliveries_stored == len(accepted) >= 10
    assert counts.deliveries_pending + counts.targets_pending + counts.targets_leased > 0, "killed too late"

    port = int(url.rsplit(":", 1)[1])
    second, _ = start_serve(config_path, jira_env(sandbox), log, port=port)
    try:
        settle(sandbox, store, timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0  # a clean stop on SIGTERM
    counts = store.counts()
    assert (counts.deliveries_pending, counts.targets_pending, counts.targets_dead) == (0, 0, 0)

    clean = live("clean")
    for key, change in EDITS:
        clean.sandbox.edit(key, change)
    clean.settle()
    killed = reader(sandbox, config)
    mine, theirs = outcome(killed, "PAY-1"), outcome(clean.gateway, "PAY-1")
    assert (mine.outputs, mine.labels) == (theirs.outputs, theirs.labels)
    assert pending_writes(killed, config, "PAY-1") == {}
    assert {key: [m for m, n in found.items() if n > 1] for key, found in mine.markers.items()} == {
        key: [] for key in mine.markers}
