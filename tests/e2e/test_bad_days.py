"""Bad days: a throttled, failing Jira and a messy delivery stream end where a clean run ends."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import LogCapture, SandboxFactory
from tests.e2e.conftest import (
    DEMO_SEED,
    Live,
    LiveFactory,
    jira_env,
    outcome,
    pending_writes,
    register,
    write_config,
)
from webhooks.cli.serving import Service
from webhooks.settings.appyaml import load_config

# Jira's throttle says how long to wait; the backoff pmrollup adds of its own (a 5xx's, and the
# least wait after a 429) starts at a tenth of that, so a retry that ignored Retry-After shows.
RETRY_AFTER = 0.5
QUICK_RETRIES = {"retry_base_seconds": 0.05}

# The same edits for every site: statuses, points and a move, across PAY-1's four epics.
EDITS: list[tuple[str, dict[str, Any]]] = [
    ("PAY-12", {"status": "In Progress"}), ("PAY-13", {"fields": {"Story Points": 5}}),
    ("PAY-9", {"status": "Done"}), ("PAY-15", {"status": "Done"}),
    ("PAY-16", {"fields": {"Story Points": 13}}),
    ("PAY-12", {"status": "Done"}), ("PAY-13", {"parent": "PAY-3"}), ("WEB-8", {"status": "Done"}),
    ("PAY-10", {"status": "Done"}), ("PAY-11", {"fields": {"Due date": "2026-03-02"}}),
    ("PAY-17", {"status": "In Progress"}), ("PAY-13", {"status": "In Progress"}),
] * 2


def apply_edits(site: Live) -> None:
    for key, change in EDITS:
        site.sandbox.edit(key, change)


def retries_sooner_than(requests: list[dict[str, Any]], seconds: float) -> list[tuple[str, float]]:
    """Return each request that repeated a 429'd request less than `seconds` after the 429."""
    waiting: dict[tuple[str, str, str], float] = {}
    early: list[tuple[str, float]] = []
    for r in sorted(requests, key=lambda r: r["time"]):
        slot = (r["method"], r["path"], repr(sorted(r["query"].items())))
        if slot in waiting:
            gap = r["time"] - waiting.pop(slot)
            if gap < seconds:
                early.append((r["path"], gap))
        if r["status"] == 429:
            waiting[slot] = r["time"]
    return early


def comments_posted_twice(site: Live) -> dict[str, list[str]]:
    found = outcome(site.gateway, "PAY-1").markers
    return {key: [m for m, n in counts.items() if n > 1] for key, counts in found.items()
            if any(n > 1 for n in counts.values())}


@pytest.fixture
def quick_retrying(live: LiveFactory, sandbox_factory: SandboxFactory, tmp_path: Path,
                   logs: LogCapture) -> Iterator[Live]:
    """A site like `live(name, worker=False)` gives, whose app.yaml sets jira.retry_base_seconds."""
    sandbox = sandbox_factory(DEMO_SEED)
    path = write_config(tmp_path / "quick-retrying")
    app = yaml.safe_load(path.read_text())
    app["jira"].update(QUICK_RETRIES)
    path.write_text(yaml.safe_dump(app, sort_keys=False))
    config = load_config(path)
    service = Service(config, port=0, environ=jira_env(sandbox), poll_seconds=0.05, lease_seconds=30)
    service.start_web()
    try:
        register(sandbox, config, service.url)
        yield Live(sandbox, config, service, logs)
    finally:
        service.stop(timeout=10)


def test_a_throttled_and_failing_jira_ends_equal_to_a_fault_free_run(live: LiveFactory,
                                                                     quick_retrying: Live) -> None:
    clean, faulty = live("clean", worker=False), quick_retrying
    for site in (clean, faulty):
        apply_edits(site)  # every delivery arrives and is stored before the worker starts
        assert site.sandbox.wait_deliveries_idle(30)
    faulty.sandbox.clear_requests()
    faulty.sandbox.faults(rate_429=0.2, retry_after=RETRY_AFTER, rate_5xx=0.05, random_seed=11)
    for site in (clean, faulty):  # the two sites work side by side
        site.service.start_workers()
    clean.settle()
    faulty.settle(timeout=150)
    served = faulty.sandbox.requests()
    faulty.sandbox.faults()
    statuses: dict[int, int] = defaultdict(int)
    for r in served:
        statuses[r["status"]] += 1
    assert statuses[429] > 0 and statuses[503] + statuses[500] > 0, statuses  # the faults did happen
    assert outcome(faulty.gateway, "PAY-1").without_times() == outcome(clean.gateway, "PAY-1").without_times()
    assert comments_posted_twice(faulty) == {}
    assert retries_sooner_than(served, RETRY_AFTER) == []
    assert pending_writes(faulty.gateway, faulty.config, "PAY-1") == {}


def test_duplicated_delayed_and_reordered_deliveries_end_in_the_state_of_clean_ones(
        live: LiveFactory) -> None:
    clean, messy = live("clean"), live("messy")
    messy.sandbox.faults(duplicate_rate=0.5, delay_ms=150, reorder=True, random_seed=5)
    for site in (clean, messy):
        apply_edits(site)
    clean.settle()
    messy.settle()
    assert any(r.get("event") == "webhook.duplicate" for r in messy.logs.records())
    mine, theirs = outcome(messy.gateway, "PAY-1"), outcome(clean.gateway, "PAY-1")
    assert (mine.outputs, mine.labels) == (theirs.outputs, theirs.labels)
    assert comments_posted_twice(messy) == {}
    assert pending_writes(messy.gateway, messy.config, "PAY-1") == {}
