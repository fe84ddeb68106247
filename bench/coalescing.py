"""Coalescing: 1,000 deliveries about one program within 5 seconds, through the real web side, inbox
and worker; the recomputes performed and the Jira requests they cost."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import floor
from bench.figure import Figure
from bench.harness import (
    breakdown,
    changed_issues,
    config_for,
    gateway_for,
    issue_state,
    recomputer_for,
    rest_requests,
)
from bench.seeds import GeneratedProgram
from bench.service import WebSide, WorkerThread, settle
from sandbox.server import RunningSandbox, start_sandbox

DELIVERIES = 1000
WINDOW_SECONDS = 5.0
EPICS_TOUCHED = 10
CLIENTS = 4


Edit = tuple[str, dict[str, Any]]


def burst(sandbox: RunningSandbox, edits: Sequence[Edit], clients: int = CLIENTS) -> float:
    """Make the edits from several threads as fast as the sandbox takes them; return the seconds taken."""
    chunks = [list(edits[n::clients]) for n in range(clients)]

    def run(chunk: list[tuple[str, dict[str, Any]]]) -> None:
        for key, body in chunk:
            sandbox.edit(key, body)

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def edits_for(program: GeneratedProgram, count: int, epics: int) -> list[tuple[str, dict[str, Any]]]:
    """Return `count` story-point edits spread over the first `epics` epics."""
    chosen = program.epics[:epics]
    edits = []
    for n in range(count):
        epic = chosen[n % len(chosen)]
        stories = program.stories_of[epic]
        round_, index = divmod(n // len(chosen), len(stories))
        story = stories[index]
        edits.append((story, {"fields": {"Story Points": program.next_points(story, 1 + round_)}}))
    return edits


def measure(program: GeneratedProgram, flavor: str, deliveries: int = DELIVERIES,
            debounce: float = 2.0, max_delay: float = 10.0) -> tuple[list[Figure], dict[str, Any]]:
    """Burst edits across one program; count deliveries, recomputes and Jira requests until settled."""
    epics = min(EPICS_TOUCHED, len(program.epics))
    with start_sandbox(program.seed, flavor) as sandbox, \
            tempfile.TemporaryDirectory(prefix="pmrollup-coalesce-") as folder:
        config = config_for(flavor, Path(folder) / "inbox.sqlite3", debounce, max_delay)
        setup = gateway_for(sandbox, config)
        recomputer_for(config, setup).program(program.initiative)  # computed before: snapshots exist
        web = WebSide(sandbox, config, config.store_path)
        worker = WorkerThread(sandbox, config, config.store_path)
        try:
            sandbox.clear_requests()
            before = issue_state(sandbox)
            seconds = burst(sandbox, edits_for(program, deliveries, epics))
            settled = settle(web.store, sandbox, timeout=max_delay + 120)
            served = rest_requests(sandbox)
            changed = changed_issues(before, issue_state(sandbox))
            counts = web.store.counts()
            sent = sandbox.deliveries()
        finally:
            worker.stop()
            web.stop()

    touched = program.epics[:epics]
    children = sum(len(program.stories_of[e]) for e in touched)
    blockers = set().union(*(program.blockers_of(e) for e in touched)) - {
        s for e in touched for s in program.stories_of[e]}
    stories_changed = {key for key, _ in edits_for(program, deliveries, epics)}
    written = changed - stories_changed
    unavoidable = floor.one_change(children, len(program.epics), len(blockers), len(written))
    recomputes = worker.recompute.count
    figures = [
        Figure(f"coalescing: recomputes for a burst of {deliveries:,} ({flavor})", recomputes, "", "target",
               3, "<= 3", recomputes <= 3 and settled,
               note=f"burst took {seconds:.1f} s (target window {WINDOW_SECONDS:g} s) over {epics} epics; "
                    f"debounce {debounce:g} s, max delay {max_delay:g} s; stored {counts.deliveries_stored}; "
                    f"routing: {worker.routing}"),
        Figure(f"coalescing: Jira requests ({flavor})", len(served), "req", "floor (one recompute)",
               unavoidable.total, "= floor", len(served) == unavoidable.total,
               note=f"floor {unavoidable.describe()}; measured {breakdown(served)}"),
    ]
    details = {"burst_seconds": round(seconds, 2), "settled": settled, "recomputes": recomputes,
               "targets": [{"kind": t.kind, "key": t.key, "projects": sorted(t.projects)}
                           for t in worker.recompute.targets],
               "counts": vars(counts), "sandbox_deliveries": {k: v for k, v in sent.items() if k != "log"},
               "requests": breakdown(served), "floor": unavoidable.describe()}
    return figures, details


def quick_measure(program: GeneratedProgram, flavor: str) -> tuple[list[Figure], dict[str, Any]]:
    """A short burst with a short debounce, for smoke tests."""
    return measure(program, flavor, deliveries=100, debounce=0.3, max_delay=2.0)
