"""pmrollup's state fits the 32 KB Jira allows one issue property, however many dependencies an epic has."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rules.config import CommentSettings
from rules.engine import Finding
from rules.plan import plan_writes
from rules.program import Snapshot
from rules.statesize import STATE_BUDGET_BYTES, state_size

NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
JIRA_PROPERTY_LIMIT = 32 * 1024


def dependency(n: int) -> dict[str, Any]:
    return {"blocker_key": f"WEB-{n}", "dependent_key": f"PAY-{n}", "link_type": "Blocks",
            "blocker_due": "2026-03-01", "blocker_epic": "WEB-1", "blocker_jira_project": "WEB",
            "known": True, "open": True, "overdue": True, "late": False}


def snapshot(dependencies: int) -> dict[str, Any]:
    return {"key": "PAY-2", "is_done": False, "items_total": 400, "items_done": 10, "points_total": 900.0,
            "points_done": 20.0, "baseline_points": None, "budget": None, "actual_cost": 0.0,
            "earned_value": None, "planned_value": None, "health": "at-risk",
            "dependencies": [dependency(n) for n in range(dependencies)]}


def plan_for(snap: dict[str, Any], message: str = "1 open dependency is overdue") -> Any:
    finding = Finding("overdue-dependency", "warning", message, {"dependencies_overdue": 1}, "PAY-2")
    return plan_writes("PAY-2", "project", {"progress_pct": 2.2}, [finding], previous_state=None,
                       current_outputs={}, outputs={"progress_pct": "Progress %"}, labels=[],
                       comments=CommentSettings(on_first_run=True), now=NOW, snapshot=snap,
                       status_comment_id=None)


def test_a_small_state_is_stored_whole() -> None:
    plan = plan_for(snapshot(3))
    assert len(plan.state["snapshot"]["dependencies"]) == 3
    assert Snapshot.stored(plan.state["snapshot"]) is not None


def test_an_epic_with_hundreds_of_open_dependencies_still_fits_one_property() -> None:
    plan = plan_for(snapshot(600))
    assert state_size(plan.state) <= STATE_BUDGET_BYTES < JIRA_PROPERTY_LIMIT
    stored = plan.state["snapshot"]
    assert stored["dependencies"] is None and stored["dependencies_omitted"] == 600
    assert stored["points_total"] == 900.0  # the sums the program reads are all kept
    # The program must re-read such an epic rather than trust a snapshot without its dependencies,
    assert Snapshot.stored(stored) is None
    # while this evaluation still has every dependency for its own program.
    assert plan.snapshot is not None and len(plan.snapshot["dependencies"]) == 600


def test_an_overlong_message_is_shortened_when_the_state_would_not_fit() -> None:
    plan = plan_for(snapshot(0), message="x" * 40_000)
    assert state_size(plan.state) <= STATE_BUDGET_BYTES
    assert plan.state["findings"]["overdue-dependency"]["message"].endswith("...")
