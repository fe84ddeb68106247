"""The SQLite inbox: durable deliveries, coalescing targets, leases, audit log and scheduled runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from webhooks.store.inbox import AuditEntry, SiteProblem, SqliteInbox, StoreError, Target

DEBOUNCE, MAX_DELAY = 2.0, 10.0


def test_delivery_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "inbox.sqlite3"
    assert SqliteInbox(path).store_delivery("id:1", "jira:issue_updated", b"{}", now=5.0)
    [delivery] = SqliteInbox(path).next_deliveries(10, now=5.0)
    assert (delivery.identifier, delivery.body, delivery.received_at) == ("id:1", b"{}", 5.0)


def test_store_uses_write_ahead_log(store: SqliteInbox) -> None:
    import sqlite3

    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_same_identifier_is_stored_once(store: SqliteInbox) -> None:
    assert store.store_delivery("id:1", "jira:issue_updated", b"{}") is True
    assert store.store_delivery("id:1", "jira:issue_updated", b"{}") is False
    assert store.counts().deliveries_stored == 1


def test_filing_targets_marks_the_delivery_processed(store: SqliteInbox) -> None:
    store.store_delivery("id:1", "jira:issue_updated", b"{}")
    [delivery] = store.next_deliveries(10, now=0.0)
    store.file_targets(delivery.id, [Target("program", "INIT-1", frozenset({"PAY-1"}))], 0.0,
                       DEBOUNCE, MAX_DELAY)
    assert store.next_deliveries(10, now=0.0) == []
    assert store.counts().targets_pending == 1


def test_target_is_due_debounce_after_its_latest_event(store: SqliteInbox) -> None:
    store.upsert_target(Target("project", "PAY-1"), 100.0, DEBOUNCE, MAX_DELAY)
    store.upsert_target(Target("project", "PAY-1"), 101.0, DEBOUNCE, MAX_DELAY)
    assert store.lease_due_target("w", 102.9, 60) is None
    assert store.lease_due_target("w", 103.0, 60) is not None


def test_target_is_due_no_later_than_max_delay_after_its_first_event(store: SqliteInbox) -> None:
    for t in range(100, 111):
        store.upsert_target(Target("project", "PAY-1"), float(t), DEBOUNCE, MAX_DELAY)
    assert store.lease_due_target("w", 110.0, 60) is not None


def test_news_about_a_target_accumulates_changed_projects_and_issues(store: SqliteInbox) -> None:
    store.upsert_target(Target("program", "INIT-1", frozenset({"PAY-1"}), frozenset({"10"})), 0, 0, 0)
    store.upsert_target(Target("program", "INIT-1", frozenset({"PAY-2"}), frozenset({"11"})), 0, 0, 0)
    leased = store.lease_due_target("w", 0.0, 60)
    assert leased is not None
    assert leased.target == Target("program", "INIT-1", frozenset({"PAY-1", "PAY-2"}),
                                   frozenset({"10", "11"}))


def test_leased_target_is_not_taken_by_another_worker_until_the_lease_expires(store: SqliteInbox) -> None:
    store.upsert_target(Target("project", "PAY-1"), 0.0, 0, 0)
    assert store.lease_due_target("a", 0.0, 30) is not None
    assert store.lease_due_target("b", 29.9, 30) is None
    taken = store.lease_due_target("b", 30.0, 30)
    assert taken is not None and taken.owner == "b"


def test_completed_target_is_gone_unless_news_came_during_the_recompute(store: SqliteInbox) -> None:
    store.upsert_target(Target("project", "PAY-1"), 0.0, 0, 0)
    leased = store.lease_due_target("w", 0.0, 30)
    assert leased is not None
    store.upsert_target(Target("project", "PAY-1"), 1.0, DEBOUNCE, MAX_DELAY)
    store.complete(leased)
    assert store.lease_due_target("w", 2.9, 30) is None
    again = store.lease_due_target("w", 3.0, 30)
    assert again is not None
    store.complete(again)
    assert store.depth() == 0


def test_failed_target_waits_its_backoff_then_dies_after_max_attempts(store: SqliteInbox) -> None:
    store.upsert_target(Target("project", "PAY-1"), 0.0, 0, 0)
    leased = store.lease_due_target("w", 0.0, 30)
    assert leased is not None
    assert store.fail(leased, "JiraUnavailable: 503", 0.0, retry_in=5.0, max_attempts=2) is False
    assert store.lease_due_target("w", 4.9, 30) is None
    leased = store.lease_due_target("w", 5.0, 30)
    assert leased is not None and leased.attempts == 1
    assert store.fail(leased, "JiraUnavailable: 503 again", 5.0, retry_in=15.0, max_attempts=2) is True
    [dead] = store.dead_targets()
    assert (dead.key, dead.attempts, dead.last_error) == ("PAY-1", 2, "JiraUnavailable: 503 again")
    assert store.lease_due_target("w", 1e9, 30) is None
    assert store.retry_dead(now=100.0) == 1
    assert store.dead_targets() == []
    assert store.lease_due_target("w", 100.0, 30) is not None


def test_late_completion_by_an_expired_lease_holder_leaves_the_new_holder_alone(store: SqliteInbox) -> None:
    store.upsert_target(Target("project", "PAY-1"), 0.0, 0, 0)
    slow = store.lease_due_target("slow", 0.0, 10)
    fresh = store.lease_due_target("fresh", 10.0, 10)
    assert slow is not None and fresh is not None
    store.complete(slow)
    assert store.counts(now=11.0).targets_leased == 1
    store.complete(fresh)
    assert store.depth() == 0


def test_audit_log_lists_writes_for_one_issue_or_all(store: SqliteInbox) -> None:
    store.append_audit([
        AuditEntry(1.0, "PAY-1", "Progress %", "10", "40", "progress"),
        AuditEntry(2.0, "INIT-1", "Health", "green", "amber", "late-dependency"),
        AuditEntry(3.0, "PAY-1", "Health", None, "green", None),
    ])
    assert [e.field for e in store.audit("PAY-1")] == ["Progress %", "Health"]
    assert [e.issue_key for e in store.audit()] == ["PAY-1", "INIT-1", "PAY-1"]
    assert [e.at for e in store.audit(limit=2)] == [2.0, 3.0]


def test_scheduled_run_is_claimed_once_even_by_two_schedulers(tmp_path: Path) -> None:
    first, second = SqliteInbox(tmp_path / "s.db"), SqliteInbox(tmp_path / "s.db")
    assert first.claim_run("sweep", "2026-03-02T02:00:00+00:00", now=1.0) is True
    assert second.claim_run("sweep", "2026-03-02T02:00:00+00:00", now=1.5) is False
    assert second.claim_run("sweep", "2026-03-03T02:00:00+00:00", now=2.0) is True
    first.finish_run("sweep", "2026-03-03T02:00:00+00:00", "ok", now=9.0)
    last = first.last_run("sweep")
    assert last is not None and (last.scheduled_at, last.outcome) == ("2026-03-03T02:00:00+00:00", "ok")


def test_processed_deliveries_are_pruned_but_pending_ones_kept(store: SqliteInbox) -> None:
    store.store_delivery("id:old", "jira:issue_updated", b"{}", now=1.0)
    store.store_delivery("id:pending", "jira:issue_updated", b"{}", now=1.0)
    old = store.next_deliveries(1, now=1.0)[0]
    store.mark_processed([old.id], now=2.0)
    assert store.prune_deliveries(older_than=100.0) == 1
    assert [d.identifier for d in store.next_deliveries(10, now=3.0)] == ["id:pending"]


def test_opening_a_missing_store_without_create_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no inbox here yet"):
        SqliteInbox(tmp_path / "absent.sqlite3", create=False)


def test_target_kind_must_be_program_or_project() -> None:
    with pytest.raises(ValueError, match="program, project"):
        Target("sprint", "X")


def test_a_wake_up_a_day_away_is_not_work_waiting_until_it_is_due(store: SqliteInbox) -> None:
    target = Target("program", "PAY-1", frozenset({"PAY-2"}))
    store.wake_later(target, 1000.0 + 86400)
    store.wake_later(target, 1000.0 + 90000)  # a later ask keeps the earlier time
    counts = store.counts(now=1000.0)
    assert counts.targets_pending == 0 and store.depth() == 0
    assert store.wake_due(1000.0, 2.0, 10.0) == []
    assert store.wake_due(1000.0 + 86400, 2.0, 10.0) == [target]
    assert store.wakeups() == [] and store.counts(now=1000.0 + 86400).targets_pending == 1
    leased = store.lease_due_target("w", 1000.0 + 86400 + 2.0, 60.0)
    assert leased is not None and leased.target == target


def test_a_refusal_seen_again_within_the_hour_is_kept_as_it_was_and_after_it_is_refreshed(
        store: SqliteInbox) -> None:
    def seen(at: float, key: str) -> SiteProblem:
        return SiteProblem("Health", "", "PAY", "Epic", key, "no field named 'Health'", at, at)

    assert store.record_site_problems([seen(1000.0, "PAY-2")]) == [seen(1000.0, "PAY-2")]
    assert store.record_site_problems([seen(1500.0, "PAY-3")]) == []
    [kept] = store.site_problems()
    assert (kept.issue_key, kept.last_seen) == ("PAY-2", 1000.0)
    assert store.record_site_problems([seen(1000.0 + 3600, "PAY-4")]) == []
    [refreshed] = store.site_problems()
    assert (refreshed.issue_key, refreshed.last_seen) == ("PAY-4", 4600.0)


def test_a_field_written_after_the_hour_clears_its_refusal_unless_another_issue_was_refused_it_since(
        store: SqliteInbox) -> None:
    def refused(at: float, key: str) -> SiteProblem:
        return SiteProblem("Health", "customfield_2", "PAY", "Epic", key, "no option 'at-risk'", at, at)

    store.record_site_problems([refused(1000.0, "PAY-2")])
    # The hour is over: PAY-3 is refused the field again (the select lacks only some values), and
    # PAY-4's edit, which wrote its value, does not prove the field fixed.
    store.record_site_problems([refused(4700.0, "PAY-3")])
    assert store.clear_written_fields("PAY", "Epic", ["customfield_2"], now=4710.0) == []
    assert [p.issue_key for p in store.site_problems()] == ["PAY-3"]
    # An hour with no refusal, then a write: fixed.
    [cleared] = store.clear_written_fields("PAY", "Epic", ["customfield_2"], now=4700.0 + 3600)
    assert cleared.issue_key == "PAY-3" and store.site_problems() == []
    assert store.clear_written_fields("WEB", "Epic", ["customfield_2"], now=9000.0) == []
