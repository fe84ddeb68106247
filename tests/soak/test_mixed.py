"""Mixed traffic compressed into minutes: edits, moves, links, deliveries duplicated and reordered, 429
storms; the worker's memory and the queue depth are sampled and neither grows without bound."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.harness import config_for, gateway_for, recomputer_for
from bench.seeds import GeneratedProgram, app_yaml
from bench.service import WebSide, WorkerProcess, rss_mb, settle
from sandbox.server import RunningSandbox, start_sandbox
from tests.soak.traffic import (
    Duration,
    Traffic,
    assert_clean_run_changes_nothing,
    assert_no_comment_twice,
    assert_nothing_lost,
    long_duration,
    wait_worker_started,
)

SHORT = Duration(seconds=6)  # one 429 storm (from 3 s to 4 s), a dozen samples
STORM_EVERY, STORM_FOR = 4.0, 1.0
MESSY = {"duplicate_rate": 0.2, "reorder": True, "delay_ms": 80, "random_seed": 3}
SAMPLE_EVERY = 0.5


@dataclass
class Samples:
    """Memory of the worker process and depth of the inbox, over time."""

    rss: list[float] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)

    def thirds(self, values: list[float]) -> tuple[list[float], list[float]]:
        third = max(1, len(values) // 3)
        return values[:third], values[-third:]


class Sampler:
    """Sample the worker's memory and the inbox's depth every SAMPLE_EVERY seconds in a thread of its
    own, so that a traffic step waiting out a 429 does not delay the samples."""

    def __init__(self, samples: Samples, worker: WorkerProcess, web: WebSide) -> None:
        self.samples, self.worker, self.web = samples, worker, web
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.rss.append(rss_mb(self.worker.pid))
            self.samples.depth.append(self.web.store.depth())
            self._stop.wait(SAMPLE_EVERY)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def storm(sandbox: RunningSandbox, elapsed: float) -> None:
    """Switch a 429 storm (half the requests refused, Retry-After 1) on and off on a fixed rhythm."""
    on = elapsed % STORM_EVERY >= STORM_EVERY - STORM_FOR
    sandbox.faults(**MESSY, **({"rate_429": 0.5, "retry_after": 1} if on else {}))


def mixed_run(program: GeneratedProgram, folder: Path, duration: Duration) -> Samples:
    samples = Samples()
    with start_sandbox(program.seed, "cloud") as sandbox:
        store_path = folder / "inbox.sqlite3"
        config_file = folder / "app.yaml"
        config_file.write_text(app_yaml("cloud", str(store_path), debounce=0.3, max_delay=2.0))
        config = config_for("cloud", store_path, 0.3, 2.0)
        worker = WorkerProcess(sandbox, config_file, folder / "worker.log", lease=30.0)  # boots meanwhile
        try:
            recomputer_for(config, gateway_for(sandbox, config)).program(program.initiative)
            web = WebSide(sandbox, config, store_path)
            traffic = Traffic(program, seed=3, moves=True, links=True)
            try:
                wait_worker_started(folder / "worker.log")  # the memory sampled is a running worker's
                sampler = Sampler(samples, worker, web)
                started = time.monotonic()
                try:
                    while (elapsed := time.monotonic() - started) < duration.seconds:
                        storm(sandbox, elapsed)
                        for _ in range(5):
                            traffic.step(sandbox)
                        time.sleep(0.05)
                finally:
                    sampler.stop()
                sandbox.faults()
                assert settle(web.store, sandbox, timeout=240, quiet=2.0), "the inbox never drained"
                samples.rss.append(rss_mb(worker.pid))
            finally:
                web.stop()
        finally:
            worker.stop()
        assert traffic.done > 0 and len(samples.depth) >= 6
        assert_nothing_lost(web.store, sandbox)
        assert_no_comment_twice(sandbox)
        assert_clean_run_changes_nothing(sandbox, program)
    return samples


def assert_bounded(samples: Samples, compare_queue: bool = True) -> None:
    """Memory settles (the last third no more than 30 MB above the first) and the queue drains.

    Comparing the queue's late peak with its early one only means something over many storm
    cycles: a short run may end inside a storm. The short run relies on the drain `mixed_run`
    asserts.
    """
    first, last = samples.thirds(samples.rss)
    assert statistics.median(last) - statistics.median(first) < 30, samples.rss
    if compare_queue:
        early, late = samples.thirds([float(d) for d in samples.depth])
        assert max(late) <= 2 * max(early) + 50, samples.depth


def test_mixed_traffic_with_storms_keeps_memory_and_queue_bounded(program: GeneratedProgram,
                                                                  folder: Path) -> None:
    assert_bounded(mixed_run(program, folder, SHORT), compare_queue=False)


@pytest.mark.soak
def test_an_hour_of_mixed_traffic_compressed_keeps_memory_and_queue_bounded(program: GeneratedProgram,
                                                                            folder: Path) -> None:
    assert_bounded(mixed_run(program, folder, long_duration(300)))
