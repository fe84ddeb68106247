"""A state is worth a write on its own only when it changed in what a later evaluation reads back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rules.config import CommentSettings
from rules.engine import Finding
from rules.plan import WritePlan, plan_writes

NOW = datetime(2024, 1, 16, 9, 0, tzinfo=UTC)
OUTPUTS = {"progress_pct": "Progress %"}
SHOWN = {"progress_pct": 70.0}
SETTINGS = CommentSettings(on_first_run=True, quiet_hours=24)


def overrun(message: str = "Budget used 52.4%", figure: float = 52.4) -> Finding:
    return Finding("budget-overrun", "warning", message, {"budget_used_pct": figure}, "PAY-1")


def plan(findings: Sequence[Finding], state: Mapping[str, Any] | None, now: datetime = NOW,
         snapshot: Mapping[str, Any] | None = None) -> WritePlan:
    return plan_writes("PAY-1", "project", {"progress_pct": 70.0}, findings, previous_state=state,
                       current_outputs=SHOWN, outputs=OUTPUTS, labels=[], comments=SETTINGS, now=now,
                       snapshot=snapshot, status_comment_id=None)


def test_a_finding_whose_message_text_moved_needs_no_write_of_its_own() -> None:
    first = plan([overrun()], None, snapshot={"points_total": 10.0})
    later = plan([overrun("Budget used 52.5%", 52.5)], first.confirmed_state, NOW + timedelta(hours=1),
                 snapshot={"points_total": 10.0})
    assert later.state["findings"]["budget-overrun"]["message"] == "Budget used 52.5%"
    assert not later.state_changed and later.is_empty
    # What a clear comment will quote is the figure from when the finding started, kept as it was.
    assert later.state["findings"]["budget-overrun"]["figures"] == {"budget_used_pct": 52.4}


def test_a_changed_snapshot_is_written_because_the_program_reads_it() -> None:
    first = plan([], None, snapshot={"points_total": 10.0})
    later = plan([], first.state, NOW + timedelta(hours=1), snapshot={"points_total": 13.0})
    assert later.state_changed and not later.is_empty


def test_a_finding_that_starts_or_clears_is_written() -> None:
    first = plan([], None)
    started = plan([overrun()], first.state, NOW + timedelta(hours=1))
    assert started.state_changed and started.comments
    cleared = plan([], started.confirmed_state, NOW + timedelta(hours=30))
    assert cleared.state_changed and cleared.comments


def test_an_announced_clear_costs_no_write_later_and_keeps_its_number() -> None:
    started = plan([overrun()], None)
    cleared = plan([], started.confirmed_state, NOW + timedelta(hours=30))
    assert cleared.state["announced"]["budget-overrun"]["kind"] == "clear"
    much_later = plan([], cleared.confirmed_state, NOW + timedelta(hours=80))
    assert not much_later.state_changed and much_later.is_empty
    # The record stays: the next start is a new transition with the next number.
    again = plan([overrun()], much_later.confirmed_state, NOW + timedelta(hours=90))
    assert [c.marker for c in again.comments] == ["[pmrollup:budget-overrun:start:PAY-1:3]"]
