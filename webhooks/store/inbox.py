"""The durable inbox: deliveries as Jira sent them, the targets they coalesce into, and (in their
own modules, one SQLite file) the audit log, scheduled runs, the epic map, site problems, wake-ups
and notices."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from connector.sightings import Sighting
from webhooks.store.audit import AuditEntry, AuditLog
from webhooks.store.epicmap import EpicMapTable
from webhooks.store.notices import Notice, Notices
from webhooks.store.runs import RunLog, RunRecord
from webhooks.store.siteproblems import SiteProblem, SiteProblems
from webhooks.store.sqlite import StoreError
from webhooks.store.targets import KINDS, DeadTarget, LeasedTarget, Target, TargetQueue, upsert
from webhooks.store.wakeups import WakeUps

__all__ = ["KINDS", "AuditEntry", "DeadTarget", "Delivery", "Inbox", "InboxCounts", "LeasedTarget",
           "Notice", "RunRecord", "SiteProblem", "SqliteInbox", "StoreError", "Target"]


@dataclass(frozen=True)
class Delivery:
    id: int
    identifier: str
    event: str
    received_at: float
    body: bytes
    attempts: int


@dataclass(frozen=True)
class InboxCounts:
    deliveries_stored: int
    deliveries_pending: int
    deliveries_dead: int
    targets_pending: int
    targets_leased: int
    targets_dead: int


class Inbox(Protocol):
    """What the web side, the worker and the scheduler need from a store."""

    def store_delivery(self, identifier: str, event: str, body: bytes, now: float | None = None) -> bool: ...
    def next_deliveries(self, limit: int, now: float) -> list[Delivery]: ...
    def mark_processed(self, ids: Iterable[int], now: float, status: str = "done") -> None: ...
    def file_targets(self, delivery_id: int, targets: Iterable[Target], now: float,
                     debounce: float, max_delay: float) -> None: ...
    def file_batch(self, filed: Sequence[tuple[int, Sequence[Target]]], skipped: Iterable[int], now: float,
                   debounce: float, max_delay: float) -> None: ...
    def defer_delivery(self, delivery_id: int, error: str, now: float, retry_in: float,
                       max_attempts: int) -> bool: ...
    def upsert_target(self, target: Target, now: float, debounce: float, max_delay: float) -> None: ...
    def lease_due_target(self, owner: str, now: float, lease_seconds: float) -> LeasedTarget | None: ...
    def release_leases(self, holder_is_gone: Callable[[str], bool], now: float) -> list[tuple[str, str]]: ...
    def complete(self, leased: LeasedTarget) -> None: ...
    def fail(self, leased: LeasedTarget, error: str, now: float, retry_in: float,
             max_attempts: int) -> bool: ...
    def dead_targets(self) -> list[DeadTarget]: ...
    def retry_dead(self, now: float | None = None) -> int: ...
    def counts(self, now: float | None = None) -> InboxCounts: ...
    def depth(self) -> int: ...
    def append_audit(self, entries: Iterable[AuditEntry]) -> None: ...
    def audit(self, key: str | None = None, limit: int | None = None) -> list[AuditEntry]: ...
    def claim_run(self, job: str, scheduled_at: str, now: float | None = None) -> bool: ...
    def finish_run(self, job: str, scheduled_at: str, outcome: str, now: float | None = None) -> None: ...
    def last_run(self, job: str) -> RunRecord | None: ...
    def learn_epics(self, seen: Mapping[str, Sighting]) -> None: ...
    def programs_of(self, epics: Iterable[str]) -> dict[str, str | None]: ...
    def forget_epics(self, epics: Iterable[str], at: float) -> None: ...
    def prune_deliveries(self, older_than: float) -> int: ...
    def record_site_problems(self, problems: Iterable[SiteProblem]) -> list[SiteProblem]: ...
    def site_problems(self) -> list[SiteProblem]: ...
    def refused_fields(self, jira_project: str, issue_type: str, now: float) -> set[str]: ...
    def clear_site_problem(self, problem: SiteProblem) -> None: ...
    def clear_written_fields(self, jira_project: str, issue_type: str,
                             field_ids: Collection[str], now: float) -> list[SiteProblem]: ...
    def wake_later(self, target: Target, at: float) -> None: ...
    def wake_due(self, now: float, debounce: float, max_delay: float) -> list[Target]: ...
    def wakeups(self) -> list[tuple[Target, float]]: ...
    def set_notice(self, name: str, text: str, now: float | None = None) -> None: ...
    def clear_notice(self, name: str) -> None: ...
    def notices(self) -> list[Notice]: ...
    def writable(self) -> None: ...


class SqliteInbox(TargetQueue, AuditLog, RunLog, EpicMapTable, SiteProblems, WakeUps, Notices):
    """The inbox in one SQLite file (WAL, fsync before answering), one connection per thread."""

    SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, identifier TEXT NOT NULL UNIQUE, event TEXT NOT NULL,
    received_at REAL NOT NULL, body BLOB NOT NULL, processed_at REAL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0, last_error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(id) WHERE processed_at IS NULL;
"""

    def store_delivery(self, identifier: str, event: str, body: bytes, now: float | None = None) -> bool:
        """Store a delivery durably; return False when its identifier was already stored."""
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO deliveries (identifier, event, received_at, body) VALUES (?,?,?,?)",
                (identifier, event, time.time() if now is None else now, body))
            return cur.rowcount == 1

    def next_deliveries(self, limit: int, now: float) -> list[Delivery]:
        """Return up to `limit` unprocessed deliveries that may be tried now, oldest first."""
        rows = self._read(
            "SELECT id, identifier, event, received_at, body, attempts FROM deliveries "
            "WHERE processed_at IS NULL AND status = 'pending' AND not_before <= ? ORDER BY id LIMIT ?",
            (now, limit))
        return [Delivery(r["id"], r["identifier"], r["event"], r["received_at"], bytes(r["body"]),
                         r["attempts"]) for r in rows]

    def mark_processed(self, ids: Iterable[int], now: float, status: str = "done") -> None:
        """Mark deliveries as handled (`done`, or `skipped` when they named nothing to recompute)."""
        with self._tx() as conn:
            conn.executemany("UPDATE deliveries SET processed_at = ?, status = ? WHERE id = ?",
                             [(now, status, i) for i in ids])

    def file_targets(self, delivery_id: int, targets: Iterable[Target], now: float,
                     debounce: float, max_delay: float) -> None:
        """Upsert a delivery's targets and mark it processed, in one transaction."""
        self.file_batch([(delivery_id, list(targets))], (), now, debounce, max_delay)

    def file_batch(self, filed: Sequence[tuple[int, Sequence[Target]]], skipped: Iterable[int], now: float,
                   debounce: float, max_delay: float) -> None:
        """Upsert each delivery's targets and mark it processed, and mark `skipped` ones, in one
        transaction: a crash files all of them or none."""
        with self._tx() as conn:
            for delivery_id, targets in filed:
                row = conn.execute("SELECT processed_at FROM deliveries WHERE id = ?",
                                   (delivery_id,)).fetchone()
                if row is None or row[0] is not None:
                    continue  # another worker filed it already
                for target in targets:
                    upsert(conn, target, now, debounce, max_delay)
                conn.execute("UPDATE deliveries SET processed_at = ?, status = 'done' WHERE id = ?",
                             (now, delivery_id))
            conn.executemany("UPDATE deliveries SET processed_at = ?, status = 'skipped' "
                             "WHERE id = ? AND processed_at IS NULL", [(now, i) for i in skipped])

    def defer_delivery(self, delivery_id: int, error: str, now: float, retry_in: float,
                       max_attempts: int) -> bool:
        """Put a delivery back for a later try; return True when it is now parked as dead."""
        with self._tx() as conn:
            row = conn.execute("SELECT attempts FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
            if row is None:
                return False
            attempts = row[0] + 1
            dead = bool(attempts >= max_attempts)
            conn.execute(
                "UPDATE deliveries SET attempts = ?, last_error = ?, not_before = ?, status = ? WHERE id = ?",
                (attempts, error, now + retry_in, "dead" if dead else "pending", delivery_id))
            return dead

    def prune_deliveries(self, older_than: float) -> int:
        """Forget processed deliveries received before `older_than`; return how many."""
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM deliveries WHERE processed_at IS NOT NULL AND received_at < ?",
                               (older_than,))
            return cur.rowcount

    def retry_dead(self, now: float | None = None) -> int:
        """Requeue every dead target and dead delivery for an immediate try; return how many."""
        with self._tx() as conn:
            targets = self.retry_dead_targets(conn, now)
            deliveries = conn.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, not_before = 0, last_error = NULL "
                "WHERE status = 'dead'").rowcount
        return targets + deliveries

    def counts(self, now: float | None = None) -> InboxCounts:
        """Count deliveries and targets by state."""
        at = time.time() if now is None else now
        d = self._read("SELECT COUNT(*), COALESCE(SUM(processed_at IS NULL AND status = 'pending'), 0), "
                       "COALESCE(SUM(status = 'dead'), 0) FROM deliveries")[0]
        t = self._read("SELECT COALESCE(SUM(status = 'pending' AND "
                       "(lease_until IS NULL OR lease_until <= ?1)), 0), "
                       "COALESCE(SUM(status = 'pending' AND lease_until > ?1), 0), "
                       "COALESCE(SUM(status = 'dead'), 0) FROM targets", (at,))[0]
        return InboxCounts(d[0], d[1], d[2], t[0], t[1], t[2])

    def depth(self) -> int:
        """Return how much work waits: unprocessed deliveries plus pending targets."""
        row = self._read("SELECT (SELECT COUNT(*) FROM deliveries WHERE processed_at IS NULL "
                         "AND status = 'pending') + (SELECT COUNT(*) FROM targets WHERE status = 'pending')")
        return int(row[0][0])
