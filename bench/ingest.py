"""Ingest: signed deliveries per second and answer times under gunicorn (2 workers) on loopback,
beside the same gunicorn answering a bare 204 from an empty Flask view (the ceiling), same run."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.delivery import capture_edits, drain
from bench.figure import Figure
from bench.harness import config_for, environ_for, gateway_for
from bench.loadgen import CONCURRENCY, SECRET
from bench.seeds import GeneratedProgram, app_yaml
from bench.service import Gunicorn, load_in_process
from sandbox.server import RunningSandbox, start_sandbox
from webhooks.store.inbox import SqliteInbox

CEILING = "ceiling (bare 204)"
WARM_UP = 100


def deliveries_for(sandbox: RunningSandbox, program: GeneratedProgram, count: int = 40) -> list[bytes]:
    """Capture real deliveries from edits across the program's epics."""
    edits: list[tuple[str, Mapping[str, Any]]] = []
    for n in range(count):
        epic = program.epics[n % len(program.epics)]
        story = program.stories_of[epic][(n // len(program.epics)) % len(program.stories_of[epic])]
        edits.append((story, {"fields": {"Story Points": program.next_points(story)}}))
    return capture_edits(sandbox, edits)


def measure(program: GeneratedProgram, flavor: str, total: int = 1000,
            concurrency: int = CONCURRENCY) -> tuple[list[Figure], dict[str, Any]]:
    """Load the ceiling and the real service alike, then process everything the service accepted."""
    with start_sandbox(program.seed, flavor) as sandbox, \
            tempfile.TemporaryDirectory(prefix="pmrollup-ingest-") as folder:
        bodies = deliveries_for(sandbox, program)
        bodies_file = Path(folder) / "bodies.json"
        bodies_file.write_text(json.dumps([b.decode("utf-8") for b in bodies]), encoding="utf-8")
        store_path = Path(folder) / "inbox.sqlite3"
        config_file = Path(folder) / "app.yaml"
        config_file.write_text(app_yaml(flavor, str(store_path), 0.3, 2.0), encoding="utf-8")
        env = environ_for(sandbox, config_file, SECRET)

        figures_in: dict[str, dict[str, Any]] = {}
        for name, app in (("ceiling", "bench.loadgen:bare_app()"), ("pmrollup", "webhooks.app:create_app()")):
            server = Gunicorn(app, env, Path(folder) / f"{name}.log")
            try:
                figures_in[name] = load_in_process(server.url, bodies_file, total, concurrency, name,
                                                   warm_up=WARM_UP)
            finally:
                server.stop()

        store = SqliteInbox(str(store_path))
        config = config_for(flavor, store_path)
        drained = drain(store, config, gateway_for(sandbox, config))
        counts = store.counts()

    ours, ceiling = figures_in["pmrollup"], figures_in["ceiling"]
    accepted = ours["statuses"].get("202", 0)
    stored = counts.deliveries_stored
    processed = stored - counts.deliveries_pending - counts.deliveries_dead
    all_done = accepted + WARM_UP == stored and processed == stored and counts.targets_pending == 0
    load_note = f"{total} signed deliveries, {concurrency} client threads in another process"
    figures = [
        Figure(f"ingest: deliveries/s, gunicorn 2 workers ({flavor})", ours["rate"], "/s", CEILING,
               ceiling["rate"], ">= 0.5x", ours["rate"] >= 0.5 * ceiling["rate"], note=load_note),
        Figure(f"ingest: p50 answer ({flavor})", ours["p50_ms"], "ms", CEILING, ceiling["p50_ms"], "-", None),
        Figure(f"ingest: p99 answer ({flavor})", ours["p99_ms"], "ms", CEILING, ceiling["p99_ms"],
               "< 50 ms", ours["p99_ms"] < 50),
        Figure(f"ingest: accepted deliveries processed ({flavor})", processed, "", "stored", stored,
               "= stored", all_done,
               note=f"{accepted} accepted in the timed run (+{WARM_UP} warm-up); "
                    f"statuses {ours['statuses']}; drained by the worker in {drained['seconds']} s"),
        Figure(f"ingest: Jira requests per delivery processed ({flavor})",
               drained["requests"] / max(1, stored), "req", "-", None, "-", None,
               note=f"{drained['requests']} requests (routing and recomputes) for {stored} deliveries "
                    f"about {len(bodies)} distinct edits"),
    ]
    return figures, {"pmrollup": ours, "ceiling": ceiling, "drain": drained, "counts": vars(counts)}


def quick_measure(program: GeneratedProgram, flavor: str) -> tuple[list[Figure], dict[str, Any]]:
    """A short ingest run for smoke tests."""
    return measure(program, flavor, total=200, concurrency=2)
