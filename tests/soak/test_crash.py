"""Crash: `pmrollup worker` killed with SIGKILL at random points during a burst, restarted each time:
nothing lost, nothing duplicated (no comment posted twice), the final state a clean run's."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from bench.harness import config_for, gateway_for, recomputer_for
from bench.seeds import GeneratedProgram, app_yaml
from bench.service import WebSide, WorkerProcess, log_events, settle
from sandbox.server import start_sandbox
from tests.soak.traffic import (
    Duration,
    Traffic,
    assert_clean_run_changes_nothing,
    assert_no_comment_twice,
    assert_nothing_lost,
    long_duration,
)

SHORT = Duration(seconds=6, kills=3)


def crash_run(program: GeneratedProgram, folder: Path, duration: Duration, seed: int = 11) -> None:
    with start_sandbox(program.seed, "cloud") as sandbox:
        store_path = folder / "inbox.sqlite3"
        config_file = folder / "app.yaml"
        config_file.write_text(app_yaml("cloud", str(store_path), debounce=0.2, max_delay=1.0))
        config = config_for("cloud", store_path, 0.2, 1.0)
        recomputer_for(config, gateway_for(sandbox, config)).program(program.initiative)
        web = WebSide(sandbox, config, store_path)
        log = folder / "worker.log"
        worker = WorkerProcess(sandbox, config_file, log, lease=1.0)
        rng = random.Random(seed)
        kill_at = sorted(rng.uniform(0.15, 0.95) * duration.seconds for _ in range(duration.kills))
        traffic = Traffic(program, seed=seed)
        killed = 0
        started = time.monotonic()
        try:
            while (elapsed := time.monotonic() - started) < duration.seconds:
                traffic.step(sandbox)
                if killed < len(kill_at) and elapsed >= kill_at[killed]:
                    worker.kill()
                    killed += 1
                    worker = WorkerProcess(sandbox, config_file, log, lease=1.0)
                time.sleep(0.02)
            assert settle(web.store, sandbox, timeout=180, quiet=1.5), "the inbox never drained"
        finally:
            worker.stop()
            web.stop()
        assert killed == duration.kills and traffic.done > 0
        assert log_events(log, "recompute.done"), "the worker never recomputed anything"
        assert_nothing_lost(web.store, sandbox)
        assert_no_comment_twice(sandbox)
        assert_clean_run_changes_nothing(sandbox, program)


def test_worker_killed_mid_burst_loses_nothing_and_ends_as_a_clean_run(program: GeneratedProgram,
                                                                      folder: Path) -> None:
    crash_run(program, folder, SHORT)


@pytest.mark.soak
def test_worker_killed_many_times_during_a_long_burst_loses_nothing(program: GeneratedProgram,
                                                                    folder: Path) -> None:
    crash_run(program, folder, long_duration(120, 12))
