"""Write plans carry only what differs from Jira, and a versioned pmrollup.state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rules.config import CommentSettings
from rules.engine import Finding
from rules.plan import WritePlan, plan_writes, read_state

NOW = datetime(2024, 1, 16, 9, 0, tzinfo=UTC)
OUTPUTS = {"progress_pct": "Progress %", "scope_growth_pct": "Scope growth %", "health": "Health"}
METRICS = {"progress_pct": 70.0, "scope_growth_pct": 25.0, "health": "at-risk", "points_total": 10.0}


def creep(labels: tuple[str, ...] = ("pmrollup-scope-creep",)) -> Finding:
    return Finding("scope-creep-warning", "warning", "Scope grew 25.0%", {"scope_growth_pct": 25.0},
                   "PAY-1", labels)


def plan(findings: Sequence[Finding] = (), *, state: Mapping[str, Any] | None = None,
         outputs_now: Mapping[str, object] | None = None, labels: Sequence[str] = (),
         snapshot: Mapping[str, Any] | None = None) -> WritePlan:
    return plan_writes("PAY-1", "project", METRICS, findings, previous_state=state,
                       current_outputs=outputs_now or {}, outputs=OUTPUTS, labels=labels,
                       comments=CommentSettings(), now=NOW, snapshot=snapshot, status_comment_id=None)


def test_fields_are_the_configured_outputs_that_differ() -> None:
    p = plan(outputs_now={"progress_pct": 70, "scope_growth_pct": 20.0, "health": None})
    assert p.fields == {"scope_growth_pct": 25.0, "health": "at-risk"}


def test_select_field_value_as_jira_returns_it_counts_as_same() -> None:
    p = plan(outputs_now={"progress_pct": "70.0", "scope_growth_pct": 25.0, "health": {"value": "at-risk"}})
    assert p.fields == {}


def test_state_is_versioned_with_findings_since_and_snapshot() -> None:
    p = plan([creep()], snapshot={"key": "PAY-1", "points_total": 10.0})
    state = p.state
    assert state["version"] == 1 and state["evaluated_at"] == NOW.isoformat()
    assert state["findings"]["scope-creep-warning"]["since"] == NOW.isoformat()
    assert state["findings"]["scope-creep-warning"]["severity"] == "warning"
    assert state["findings"]["scope-creep-warning"]["figures"] == {"scope_growth_pct": 25.0}
    assert state["snapshot"] == {"key": "PAY-1", "points_total": 10.0}
    assert p.state_changed and read_state(state) == state


def test_labels_are_added_while_active_and_removed_when_cleared() -> None:
    started = plan([creep()], labels=["customer"])
    assert started.labels_add == ("pmrollup-scope-creep",) and started.labels_remove == ()
    cleared = plan([], state=started.state, labels=["customer", "pmrollup-scope-creep"])
    assert cleared.labels_add == () and cleared.labels_remove == ("pmrollup-scope-creep",)


def test_labels_pmrollup_never_added_are_left_alone() -> None:
    p = plan([], state=plan([]).state, labels=["pmrollup-scope-creep"])
    assert p.labels_remove == ()


def test_same_state_evaluated_twice_writes_nothing() -> None:
    first = plan([creep()], snapshot={"points_total": 10.0})
    later = plan_writes("PAY-1", "project", METRICS, [creep()], previous_state=first.state,
                        current_outputs={"progress_pct": 70.0, "scope_growth_pct": 25.0, "health": "at-risk"},
                        outputs=OUTPUTS, labels=["pmrollup-scope-creep"], comments=CommentSettings(),
                        now=NOW.replace(hour=12), snapshot={"points_total": 10.0}, status_comment_id=None)
    assert later.is_empty
    assert later.state["findings"]["scope-creep-warning"]["since"] == NOW.isoformat()


def test_unreadable_state_is_treated_as_a_first_run() -> None:
    assert read_state({"version": 7, "findings": {}}) is None
    assert read_state("junk") is None
    p = plan([creep()], state={"version": 1, "findings": "oops"})
    assert p.comments == () and p.state_changed


def test_json_shape_for_the_command_line() -> None:
    shape = plan([creep()]).as_dict()
    assert set(shape) == {"key", "fields", "labels_add", "labels_remove", "comments"}
