"""Comment discipline: silent first run, each transition said once under its number, quiet hours after
a clear for the same subject, mute, status mode."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rules.config import CommentSettings
from rules.engine import Finding
from rules.plan import WritePlan, plan_writes

T0 = datetime(2024, 1, 16, 9, 0, tzinfo=UTC)
METRICS = {"scope_growth_pct": 5.0, "dependencies_overdue": 0}


def creep(comment: bool = True) -> Finding:
    return Finding("scope-creep-warning", "warning", "Scope grew 25.0% since the baseline.",
                   {"scope_growth_pct": 25.0, "scope_added": ["PAY-4"], "scope_removed": []},
                   "PAY-1", (), comment)


class Issue:
    """One issue evaluated over time, its state carried from plan to plan as Jira would store it."""

    def __init__(self, settings: CommentSettings | None = None, labels: Sequence[str] = ()) -> None:
        self.settings = settings or CommentSettings()
        self.labels = list(labels)
        self.state: dict[str, Any] | None = None
        self.status_comment_id: str | None = None
        self.posted: list[str] = []
        self.edits = 0

    def evaluate(self, at: datetime, findings: Sequence[Finding]) -> WritePlan:
        plan = plan_writes("PAY-1", "project", METRICS, findings, previous_state=self.state,
                           current_outputs={}, outputs={}, labels=self.labels, comments=self.settings,
                           now=at, snapshot=None, status_comment_id=self.status_comment_id)
        for action in plan.comments:
            if action.kind == "add":
                self.posted.append(action.body)
                if self.settings.mode == "status":
                    self.status_comment_id = "10001"
            else:
                assert action.comment_id == self.status_comment_id
                self.edits += 1
        self.state = dict(plan.confirmed_state, status_comment_id=self.status_comment_id)
        return plan


def test_first_evaluation_records_state_silently() -> None:
    issue = Issue()
    plan = issue.evaluate(T0, [creep()])
    assert plan.comments == () and "scope-creep-warning" in plan.state["findings"]
    assert issue.evaluate(T0 + timedelta(hours=1), [creep()]).comments == ()


def test_first_evaluation_comments_when_configured() -> None:
    issue = Issue(CommentSettings(on_first_run=True))
    [action] = issue.evaluate(T0, [creep()]).comments
    assert action.marker == "[pmrollup:scope-creep-warning:start:PAY-1:1]"
    assert action.body.endswith(action.marker)


def test_one_comment_on_start_and_one_on_clear() -> None:
    issue = Issue()
    issue.evaluate(T0, [])
    [start] = issue.evaluate(T0 + timedelta(hours=1), [creep()]).comments
    assert start.body.startswith("Warning from pmrollup (scope-creep-warning): Scope grew 25.0%")
    assert "Added since the baseline: PAY-4" in start.body
    assert issue.evaluate(T0 + timedelta(hours=2), [creep()]).comments == ()
    [clear] = issue.evaluate(T0 + timedelta(days=2), []).comments
    assert clear.marker == "[pmrollup:scope-creep-warning:clear:PAY-1:2]"
    assert "scope_growth_pct: 25 then, 5 now." in clear.body
    assert issue.evaluate(T0 + timedelta(days=3), []).comments == ()
    assert len(issue.posted) == 2


def test_flapping_finding_is_said_once_per_quiet_window_and_never_ends_on_cleared_while_it_holds() -> None:
    issue = Issue()
    issue.evaluate(T0, [])
    for hours, active in [(1, True), (2, False), (3, True), (4, False), (5, True), (6, False), (7, True)]:
        issue.evaluate(T0 + timedelta(hours=hours), [creep()] if active else [])
    assert [body.split(":")[0] for body in issue.posted] == [
        "Warning from pmrollup (scope-creep-warning)", "Cleared by pmrollup (scope-creep-warning)"]
    assert "scope_growth_pct: 25 then, 5 now." in issue.posted[1]
    # still active when the window after the announced clear ends: the start is said again
    assert issue.evaluate(T0 + timedelta(hours=25), [creep()]).comments == ()
    [again] = issue.evaluate(T0 + timedelta(hours=26), [creep()]).comments
    assert again.marker == "[pmrollup:scope-creep-warning:start:PAY-1:3]"


def test_finding_back_within_quiet_window_after_its_clear_waits() -> None:
    issue = Issue(CommentSettings(quiet_hours=24))
    issue.evaluate(T0, [])
    issue.evaluate(T0 + timedelta(hours=1), [creep()])
    issue.evaluate(T0 + timedelta(hours=30), [])
    assert issue.evaluate(T0 + timedelta(hours=31), [creep()]).comments == ()
    [again] = issue.evaluate(T0 + timedelta(hours=55), [creep()]).comments
    assert again.marker == "[pmrollup:scope-creep-warning:start:PAY-1:3]"  # a new transition, a new number
    assert len(issue.posted) == 3


def test_mute_label_stops_comments_but_not_fields() -> None:
    issue = Issue(labels=["pmrollup-mute"])
    issue.evaluate(T0, [])
    plan = plan_writes("PAY-1", "project", METRICS, [creep()], previous_state=issue.state,
                       current_outputs={}, outputs={"scope_growth_pct": "Scope growth %"},
                       labels=["pmrollup-mute"], comments=CommentSettings(), now=T0 + timedelta(hours=1),
                       snapshot=None, status_comment_id=None)
    assert plan.comments == () and plan.fields == {"scope_growth_pct": 5.0}
    issue.state = plan.state
    issue.labels = []  # unmuting does not replay what happened while muted
    assert issue.evaluate(T0 + timedelta(hours=2), [creep()]).comments == ()


def test_rule_with_comment_false_never_comments_and_says_why() -> None:
    issue = Issue()
    issue.evaluate(T0, [])
    started = issue.evaluate(T0 + timedelta(hours=1), [creep(comment=False)])
    assert started.comments == ()
    assert [(u.kind, u.reason) for u in started.unsaid] == [("start", "the rule says comment: false")]
    cleared = issue.evaluate(T0 + timedelta(days=2), [])
    assert cleared.comments == ()
    assert [(u.kind, u.reason) for u in cleared.unsaid] == [("clear", "its start was not announced")]


def test_status_mode_keeps_one_comment_edited_in_place() -> None:
    issue = Issue(CommentSettings(mode="status"))
    issue.evaluate(T0, [])
    [added] = issue.evaluate(T0 + timedelta(hours=1), [creep()]).comments
    assert added.kind == "add" and added.marker == "[pmrollup:status:PAY-1]"
    assert "- Warning (scope-creep-warning, since 2024-01-16): Scope grew 25.0%" in added.body
    assert issue.evaluate(T0 + timedelta(hours=2), [creep()]).comments == ()
    [edited] = issue.evaluate(T0 + timedelta(days=2), []).comments
    assert edited.kind == "edit" and edited.comment_id == "10001"
    assert "No active findings: on track." in edited.body
    assert len(issue.posted) == 1 and issue.edits == 1


def test_dependency_comment_lists_blocker_dependent_and_due_date() -> None:
    finding = Finding("overdue-dependency", "warning", "1 of 1 open dependencies are overdue.",
                      {"dependencies_overdue": 1.0, "dependencies": [
                          {"blocker_key": "WEB-10", "dependent_key": "PAY-3", "blocker_due": "2024-01-10",
                           "overdue": True, "known": True}]}, "PAY-1")
    issue = Issue(CommentSettings(on_first_run=True))
    [action] = issue.evaluate(T0, [finding]).comments
    assert "- WEB-10 blocks PAY-3: due 2024-01-10, overdue" in action.body


def blocked_by(*blockers: str) -> Finding:
    return Finding("overdue-dependency", "warning", "An open dependency is overdue.",
                   {"dependencies_overdue": len(blockers), "dependencies": [
                       {"blocker_key": b, "dependent_key": "PAY-3", "blocker_due": "2024-01-10",
                        "overdue": True, "known": True} for b in blockers]}, "PAY-1")


def test_finding_back_within_quiet_hours_for_a_different_blocker_is_said_at_once() -> None:
    issue = Issue()
    issue.evaluate(T0, [])
    issue.evaluate(T0 + timedelta(hours=1), [blocked_by("WEB-8")])
    issue.evaluate(T0 + timedelta(hours=2), [])
    [again] = issue.evaluate(T0 + timedelta(hours=3), [blocked_by("WEB-9")]).comments
    assert again.marker == "[pmrollup:overdue-dependency:start:PAY-1:3]"
    assert "- WEB-9 blocks PAY-3" in again.body
    assert len(issue.posted) == 3


def test_first_evaluation_states_why_it_said_nothing() -> None:
    plan = Issue().evaluate(T0, [creep()])
    assert [(u.rule, u.kind) for u in plan.unsaid] == [("scope-creep-warning", "start")]
    assert "first evaluation" in plan.unsaid[0].reason


def test_start_held_by_quiet_hours_is_recorded_once_with_when_it_will_be_said() -> None:
    issue = Issue()
    issue.evaluate(T0, [])
    issue.evaluate(T0 + timedelta(hours=1), [creep()])
    issue.evaluate(T0 + timedelta(hours=2), [])
    held = issue.evaluate(T0 + timedelta(hours=3), [creep()])
    assert held.comments == () and held.wake_at == T0 + timedelta(hours=26)
    [unsaid] = held.unsaid
    assert unsaid.kind == "start" and "quiet hours" in unsaid.reason
    assert "2024-01-17T11:00:00+00:00" in unsaid.reason
    again = issue.evaluate(T0 + timedelta(hours=4), [creep()])
    assert again.unsaid == () and again.wake_at == T0 + timedelta(hours=26)


def test_a_subject_that_moves_while_active_posts_nothing_in_event_mode() -> None:
    issue = Issue()
    issue.evaluate(T0, [])
    issue.evaluate(T0 + timedelta(hours=1), [blocked_by("WEB-8")])
    moved = issue.evaluate(T0 + timedelta(hours=2), [blocked_by("WEB-8", "WEB-9")])
    assert moved.comments == () and moved.state_changed
    assert len(issue.posted) == 1


def test_a_subject_that_moves_while_active_edits_the_status_comment() -> None:
    issue = Issue(CommentSettings(mode="status"))
    issue.evaluate(T0, [])
    issue.evaluate(T0 + timedelta(hours=1), [blocked_by("WEB-8")])
    [edited] = issue.evaluate(T0 + timedelta(hours=2), [blocked_by("WEB-9")]).comments
    assert edited.kind == "edit" and "- WEB-9 blocks PAY-3" in edited.body


def attempt(findings: Sequence[Finding], state: dict[str, Any] | None, at: datetime,
            landed: Sequence[str] = ()) -> WritePlan:
    """Plan PAY-1's writes as one recompute attempt would, from the state Jira holds then."""
    return plan_writes("PAY-1", "project", METRICS, findings, previous_state=state, current_outputs={},
                       outputs={}, labels=[], comments=CommentSettings(), now=at, snapshot=None,
                       status_comment_id=None, posted_markers=landed)


def test_a_transition_whose_comment_never_landed_is_said_again_under_the_same_number() -> None:
    issue = Issue()
    issue.evaluate(T0, [])
    first = attempt([creep()], issue.state, T0 + timedelta(hours=1))
    [action] = first.comments
    # the state is stored with the transition pending, then the POST fails: a retry minutes later
    retry = attempt([creep()], first.state, T0 + timedelta(hours=1, minutes=7))
    assert [a.marker for a in retry.comments] == [action.marker]


def test_a_transition_whose_comment_landed_before_a_crash_is_confirmed_not_said_again() -> None:
    issue = Issue()
    issue.evaluate(T0, [])
    first = attempt([creep()], issue.state, T0 + timedelta(hours=1))
    [action] = first.comments
    # the POST landed, the process died before the state was confirmed; restarted later
    after = attempt([creep()], first.state, T0 + timedelta(hours=3), [action.marker])
    assert after.comments == () and after.state_changed
    assert "pending" not in after.state["announced"]["scope-creep-warning"]
    # and when the finding cleared meanwhile, the clear is said, since its start was
    cleared = attempt([], first.state, T0 + timedelta(hours=3), [action.marker])
    assert [a.marker for a in cleared.comments] == ["[pmrollup:scope-creep-warning:clear:PAY-1:2]"]


def overrun(used_pct: float, actual_cost: float) -> Finding:
    """Return a budget overrun: its details are figures only, and name no issue key."""
    return Finding("budget-overrun", "critical", f"Over budget ({used_pct:.1f}%).",
                   {"budget_used_pct": used_pct, "actual_cost": actual_cost, "budget": 60000.0}, "PAY-1")


def test_a_finding_that_names_no_issue_keys_is_held_after_its_clear_whatever_its_figures() -> None:
    issue = Issue(CommentSettings(quiet_hours=24))
    issue.evaluate(T0, [])
    [start] = issue.evaluate(T0 + timedelta(hours=1), [overrun(110.0, 66000.0)]).comments
    assert start.marker == "[pmrollup:budget-overrun:start:PAY-1:1]"
    # more is spent while it holds: the same subject (the rule and the issue), so nothing is said
    assert issue.evaluate(T0 + timedelta(hours=2), [overrun(115.0, 69000.0)]).comments == ()
    [clear] = issue.evaluate(T0 + timedelta(hours=3), []).comments
    assert clear.marker == "[pmrollup:budget-overrun:clear:PAY-1:2]"
    # over budget again by another amount, inside quiet hours: the same subject, so it is held
    held = issue.evaluate(T0 + timedelta(hours=4), [overrun(101.5, 60900.0)])
    assert held.comments == () and held.wake_at == T0 + timedelta(hours=27)
    [unsaid] = held.unsaid
    assert unsaid.kind == "start" and unsaid.reason.startswith("held by quiet hours: the same subject")
    [again] = issue.evaluate(T0 + timedelta(hours=27), [overrun(103.0, 61800.0)]).comments
    assert again.marker == "[pmrollup:budget-overrun:start:PAY-1:3]"
    assert len(issue.posted) == 3
