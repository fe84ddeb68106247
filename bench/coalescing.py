"""Coalescing: 1,000 deliveries about one program within 5 seconds, through the real web side, inbox
and worker; the recomputes performed and the Jira requests they cost.

The deliveries are the sandbox's own, captured while the edits are made, then posted signed from a load
process to gunicorn (2 workers) serving the web side, with `pmrollup worker` in its own process: the
production topology, so the sandbox's edit rate does not stretch the window."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from bench import floor
from bench.delivery import capture_edits
from bench.figure import Figure
from bench.harness import (
    breakdown,
    changed_issues,
    config_for,
    environ_for,
    gateway_for,
    issue_state,
    kind_of,
    recomputer_for,
    rest_requests,
)
from bench.seeds import GeneratedProgram, app_yaml
from bench.service import SECRET, Gunicorn, WorkerProcess, load_in_process, log_events, settle
from sandbox.server import start_sandbox
from webhooks.store.inbox import SqliteInbox

DELIVERIES = 1000
WINDOW_SECONDS = 5.0
EPICS_TOUCHED = 10
CLIENTS = 4


Edit = tuple[str, dict[str, Any]]
# The fields routing's placement searches ask for (with the hierarchy's custom fields on Data Center).
PLACE_FIELDS = frozenset({"issuetype", "project", "parent", "issuelinks"})


def is_routing_search(request: dict[str, Any]) -> bool:
    """Tell a routing placement search from a recompute's by the fields it asks for."""
    fields = request.get("query", {}).get("fields") or []
    fields = fields if isinstance(fields, list) else str(fields).split(",")
    return {f for f in fields if not f.startswith("customfield_")} == PLACE_FIELDS


def edits_for(program: GeneratedProgram, count: int, epics: int) -> list[Edit]:
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
    """Post a burst of captured deliveries to gunicorn; count what `pmrollup worker` does until settled."""
    epics = min(EPICS_TOUCHED, len(program.epics))
    edits = edits_for(program, deliveries, epics)
    with start_sandbox(program.seed, flavor) as sandbox, \
            tempfile.TemporaryDirectory(prefix="pmrollup-coalesce-") as folder:
        config_file = Path(folder) / "app.yaml"
        store_path = Path(folder) / "inbox.sqlite3"
        config_file.write_text(app_yaml(flavor, str(store_path), debounce, max_delay), encoding="utf-8")
        config = config_for(flavor, store_path, debounce, max_delay)
        recomputer_for(config, gateway_for(sandbox, config)).program(program.initiative)  # snapshots exist
        bodies = capture_edits(sandbox, edits)
        bodies_file = Path(folder) / "bodies.json"
        bodies_file.write_text(json.dumps([b.decode("utf-8") for b in bodies]), encoding="utf-8")
        env = environ_for(sandbox, config_file, SECRET)
        web = Gunicorn("webhooks.app:create_app()", env, Path(folder) / "web.log")
        worker_log = Path(folder) / "worker.log"
        worker = WorkerProcess(sandbox, config_file, worker_log, lease=60.0)
        store = SqliteInbox(str(store_path))
        try:
            sandbox.clear_requests()
            before = issue_state(sandbox)
            posted = load_in_process(web.url, bodies_file, len(bodies), CLIENTS, "burst")
            settled = settle(store, sandbox, timeout=max_delay + 300, quiet=max(1.0, debounce))
            served = rest_requests(sandbox)
            changed = changed_issues(before, issue_state(sandbox))
            counts = store.counts()
        finally:
            worker.stop()
            web.stop()
        done = log_events(worker_log, "recompute.done")
        batches = log_events(worker_log, "deliveries.routed")
        stale = log_events(worker_log, "epicmap.stale")

    touched = program.epics[:epics]
    children = sum(len(program.stories_of[e]) for e in touched)
    blockers = set().union(*(program.blockers_of(e) for e in touched)) - {
        s for e in touched for s in program.stories_of[e]}
    written = changed - {key for key, _ in edits}
    unavoidable = floor.one_change(children, len(program.epics), len(blockers), len(written))
    recomputes = len(done)
    searches = breakdown(served).get("search page", 0)
    routing = sum(1 for r in served if kind_of(r) == "search page" and is_routing_search(r))
    apart = ("GET comment", "POST comment", "GET field", "GET editmeta")
    # Each comment's transition is confirmed in pmrollup.state by one PUT property after its POST.
    confirmations = min(breakdown(served).get("PUT property", 0), breakdown(served).get("POST comment", 0))
    work = [r for r in served if kind_of(r) not in apart]
    work = [r for r in work if kind_of(r) != "PUT property"] + \
        [r for r in work if kind_of(r) == "PUT property"][confirmations:]
    figures = [
        Figure(f"coalescing: recomputes for a burst of {len(bodies):,} ({flavor})", recomputes, "", "target",
               3, "<= 3", recomputes <= 3 and settled,
               note=f"posted in {posted['seconds']:.1f} s (window {WINDOW_SECONDS:g} s) over {epics} epics; "
                    f"debounce {debounce:g} s, max delay {max_delay:g} s; gunicorn (2 workers) + "
                    f"`pmrollup worker`; stored {counts.deliveries_stored}"),
        Figure(f"coalescing: Jira requests ({flavor})", len(served), "req", "floor (one recompute)",
               unavoidable.total, "= floor", len(served) == unavoidable.total,
               note=f"floor {unavoidable.describe()}; measured {breakdown(served)} "
                    f"({searches} search pages, {routing} of them routing's, for {len(batches)} batches "
                    f"routed; comments and their marker checks are outside the floor)"),
        Figure(f"coalescing: Jira requests of the recompute and routing ({flavor})", len(work), "req",
               "floor (one recompute)", unavoidable.total, "= floor", len(work) == unavoidable.total,
               note=f"the requests above less {len(served) - len(work)} for comments (each POST, and the PUT "
                    f"that confirms it in pmrollup.state so that no retry says it twice) and the new "
                    f"worker process's "
                    f"one-time field discovery; measured {breakdown(work)}; a search beyond the floor is "
                    f"routing's, while the fresh worker's epic map is still empty"),
    ]
    details = {"posted": posted, "settled": settled, "recomputes": recomputes,
               "routed_batches": [{k: e.get(k) for k in ("deliveries", "filed", "skipped", "targets")}
                                  for e in batches],
               "epic_map_stale": len(stale), "routing_search_pages": routing,
               "recompute_log": [{k: e.get(k) for k in ("key", "projects", "seconds", "fields_written")}
                                 for e in done],
               "counts": vars(counts), "requests": breakdown(served), "floor": unavoidable.describe()}
    return figures, details


def quick_measure(program: GeneratedProgram, flavor: str) -> tuple[list[Figure], dict[str, Any]]:
    """A short burst with a short debounce, for smoke tests."""
    return measure(program, flavor, deliveries=100, debounce=0.3, max_delay=2.0)
