"""The production shape: gunicorn serves `webhooks.app:create_app()`, `pmrollup worker` does the work."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SandboxFactory
from tests.e2e.conftest import (
    DEMO_SEED,
    DEMO_TODAY,
    jira_env,
    pending_writes,
    reader,
    register,
    settle,
    write_config,
)
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox

BIN = Path(sys.executable).parent


def wait_for_line(log: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text())
        if found:
            return found.group(1)
        assert process.poll() is None, log.read_text()[-2000:]
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} never appeared: {log.read_text()[-2000:]}")


def test_gunicorn_serves_the_app_factory_and_pmrollup_worker_recomputes(
        sandbox_factory: SandboxFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMROLLUP_TODAY", DEMO_TODAY)
    sandbox = sandbox_factory(DEMO_SEED)
    config_path = write_config(tmp_path / "prod")
    config = load_config(config_path)
    env = {**os.environ, **jira_env(sandbox), "PMROLLUP_CONFIG": str(config_path)}
    web_log, worker_log = tmp_path / "gunicorn.log", tmp_path / "worker.log"
    with web_log.open("ab") as out:
        web = subprocess.Popen([str(BIN / "gunicorn"), "-b", "127.0.0.1:0", "-w", "2",
                                "webhooks.app:create_app()"], env=env, stdout=out, stderr=out, cwd=tmp_path)
    with worker_log.open("ab") as out:
        worker = subprocess.Popen([str(BIN / "pmrollup"), "worker", "--lease", "5"], env=env, stdout=out,
                                  stderr=out, cwd=tmp_path)
    try:
        url = wait_for_line(web_log, r"Listening at: (http://127\.0\.0\.1:\d+)", web)
        wait_for_line(worker_log, r'"event": "(worker\.start)"', worker)
        register(sandbox, config, url)
        sandbox.edit("PAY-12", {"status": "Done"})
        settle(sandbox, SqliteInbox(config.store_path))
        assert reader(sandbox, config).projects(["PAY-2"])[0].outputs["progress_pct"] == 67.5
        assert pending_writes(reader(sandbox, config), config, "PAY-1") == {}
    finally:
        for process in (worker, web):
            process.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        web.wait(timeout=30)
    assert '"event": "recompute.done"' in worker_log.read_text()
    assert '"event": "worker.stop"' in worker_log.read_text()
