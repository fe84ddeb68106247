"""Jira down: the sandbox stops answering mid-burst. /readyz stays 200, deliveries keep being accepted,
and everything is processed once Jira is back on the same port with the same data."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from bench.harness import config_for, gateway_for, recomputer_for
from bench.seeds import GeneratedProgram, app_yaml
from bench.service import RestartableSandbox, WebSide, WorkerProcess, settle
from tests.soak.traffic import (
    Duration,
    Traffic,
    assert_clean_run_changes_nothing,
    assert_no_comment_twice,
    assert_nothing_lost,
    long_duration,
)

SHORT = Duration(seconds=1.5)  # dozens of edits made inside Jira while pmrollup cannot reach it


def down_run(program: GeneratedProgram, folder: Path, down: Duration) -> None:
    with RestartableSandbox(program.seed, "cloud") as sandbox:
        store_path = folder / "inbox.sqlite3"
        config_file = folder / "app.yaml"
        config_file.write_text(app_yaml("cloud", str(store_path), debounce=0.2, max_delay=1.0))
        config = config_for("cloud", store_path, 0.2, 1.0)
        recomputer_for(config, gateway_for(sandbox, config)).program(program.initiative)
        web = WebSide(sandbox, config, store_path)
        worker = WorkerProcess(sandbox, config_file, folder / "worker.log", lease=5.0)
        traffic = Traffic(program, seed=5)
        try:
            for _ in range(20):
                traffic.step(sandbox)
                time.sleep(0.02)
            assert requests.get(web.url + "/readyz", timeout=10).status_code == 200

            sandbox.down()
            stored_before = web.store.counts().deliveries_stored
            ready = requests.get(web.url + "/readyz", timeout=30)  # its Jira answer may be cached
            assert ready.status_code == 200 and ready.json()["store"] == "ok"
            started = time.monotonic()
            while time.monotonic() - started < down.seconds:
                traffic.step(sandbox, sandbox.edit_inside)
                time.sleep(0.02)
            assert sandbox.wait_deliveries_idle(30)
            assert web.store.counts().deliveries_stored > stored_before, "no delivery accepted while down"
            assert sandbox.site.deliveries.stats()["failed"] == 0

            sandbox.up()
            assert settle(web.store, sandbox, timeout=240, quiet=1.5), "the inbox never drained"
            assert requests.get(web.url + "/readyz", timeout=10).status_code == 200
        finally:
            worker.stop()
            web.stop()
        assert_nothing_lost(web.store, sandbox)
        assert_no_comment_twice(sandbox)
        assert_clean_run_changes_nothing(sandbox, program)


def test_jira_down_mid_burst_keeps_accepting_and_processes_everything_once_back(
        program: GeneratedProgram, folder: Path) -> None:
    down_run(program, folder, SHORT)


@pytest.mark.soak
def test_jira_down_for_long_keeps_accepting_and_processes_everything_once_back(
        program: GeneratedProgram, folder: Path) -> None:
    down_run(program, folder, long_duration(90))
