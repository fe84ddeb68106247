"""Bad days: a throttled, failing Jira and a messy delivery stream end where a clean run ends."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tests.e2e.conftest import Live, LiveFactory, outcome, pending_writes

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


def test_a_throttled_and_failing_jira_ends_equal_to_a_fault_free_run(live: LiveFactory) -> None:
    clean, faulty = live("clean", worker=False), live("faulty", worker=False)
    for site in (clean, faulty):
        apply_edits(site)  # every delivery arrives and is stored before the worker starts
        assert site.sandbox.wait_deliveries_idle(30)
    clean.service.start_workers()
    clean.settle()
    faulty.sandbox.clear_requests()
    faulty.sandbox.faults(rate_429=0.2, retry_after=1, rate_5xx=0.05, random_seed=11)
    faulty.service.start_workers()
    faulty.settle(timeout=150)
    served = faulty.sandbox.requests()
    faulty.sandbox.faults()
    statuses: dict[int, int] = defaultdict(int)
    for r in served:
        statuses[r["status"]] += 1
    assert statuses[429] > 0 and statuses[503] + statuses[500] > 0, statuses  # the faults did happen
    assert outcome(faulty.gateway, "PAY-1").without_times() == outcome(clean.gateway, "PAY-1").without_times()
    assert comments_posted_twice(faulty) == {}
    assert retries_sooner_than(served, 1.0) == []
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
