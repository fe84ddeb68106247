"""The durable inbox: deliveries, coalesced targets, the audit log and scheduled runs."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

KINDS = ("program", "project")


class StoreError(Exception):
    """The inbox cannot read or write now (disk, lock or file trouble)."""


@dataclass(frozen=True)
class Target:
    """Something to recompute: a program (with its changed projects) or a project with no program."""

    kind: str
    key: str
    projects: frozenset[str] = frozenset()
    reconcile: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"target kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    def merge(self, other: Target) -> Target:
        """Return this target with the changed projects and issues of `other` added."""
        return Target(self.kind, self.key, self.projects | other.projects,
                      self.reconcile | other.reconcile)


@dataclass(frozen=True)
class LeasedTarget:
    """A target one worker holds until `lease_until`; `version` tells whether news came meanwhile."""

    target: Target
    owner: str
    version: int
    attempts: int
    lease_until: float


@dataclass(frozen=True)
class Delivery:
    id: int
    identifier: str
    event: str
    received_at: float
    body: bytes
    attempts: int


@dataclass(frozen=True)
class DeadTarget:
    kind: str
    key: str
    attempts: int
    last_error: str
    last_seen: float


@dataclass(frozen=True)
class InboxCounts:
    deliveries_stored: int
    deliveries_pending: int
    deliveries_dead: int
    targets_pending: int
    targets_leased: int
    targets_dead: int


@dataclass(frozen=True)
class AuditEntry:
    """One write pmrollup made to Jira."""

    at: float
    issue_key: str
    field: str
    old: str | None
    new: str | None
    rule: str | None = None


@dataclass(frozen=True)
class RunRecord:
    job: str
    scheduled_at: str
    started_at: float
    finished_at: float | None
    outcome: str | None


class Inbox(Protocol):
    """What the web side, the worker and the scheduler need from a store."""

    def store_delivery(self, identifier: str, event: str, body: bytes, now: float | None = None) -> bool: ...
    def next_deliveries(self, limit: int, now: float) -> list[Delivery]: ...
    def mark_processed(self, ids: Iterable[int], now: float, status: str = "done") -> None: ...
    def file_targets(self, delivery_id: int, targets: Iterable[Target], now: float,
                     debounce: float, max_delay: float) -> None: ...
    def defer_delivery(self, delivery_id: int, error: str, now: float, retry_in: float,
                       max_attempts: int) -> bool: ...
    def upsert_target(self, target: Target, now: float, debounce: float, max_delay: float) -> None: ...
    def lease_due_target(self, owner: str, now: float, lease_seconds: float) -> LeasedTarget | None: ...
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
    def prune_deliveries(self, older_than: float) -> int: ...
    def writable(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, identifier TEXT NOT NULL UNIQUE, event TEXT NOT NULL,
    received_at REAL NOT NULL, body BLOB NOT NULL, processed_at REAL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0, last_error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(id) WHERE processed_at IS NULL;
CREATE TABLE IF NOT EXISTS targets (
    kind TEXT NOT NULL, key TEXT NOT NULL, first_seen REAL, last_seen REAL NOT NULL,
    due_at REAL NOT NULL, not_before REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1, lease_owner TEXT, lease_until REAL, last_error TEXT,
    status TEXT NOT NULL DEFAULT 'pending', detail TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kind, key));
CREATE INDEX IF NOT EXISTS targets_due ON targets(status, due_at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, issue_key TEXT NOT NULL, field TEXT NOT NULL,
    old TEXT, new TEXT, rule TEXT);
CREATE INDEX IF NOT EXISTS audit_issue ON audit(issue_key, at);
CREATE TABLE IF NOT EXISTS runs (
    job TEXT NOT NULL, scheduled_at TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL,
    outcome TEXT, PRIMARY KEY (job, scheduled_at));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class SqliteInbox:
    """The inbox in one SQLite file (WAL, fsync before answering), one connection per thread."""

    def __init__(self, path: str | Path, *, create: bool = True, busy_timeout: float = 10.0) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        if not create and not Path(self.path).exists():
            raise StoreError(f"{self.path}: no inbox here yet (`pmrollup serve` or `pmrollup worker` "
                             "creates it)")
        try:
            with closing(self._connect()) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the inbox: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        return conn

    def _conn(self) -> sqlite3.Connection:
        # A forked process (gunicorn) must not share its parent's connection.
        if getattr(self._local, "pid", None) != os.getpid():
            self._local.conn = self._connect()
            self._local.pid = os.getpid()
        conn: sqlite3.Connection = self._local.conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write: {exc}") from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"{self.path}: cannot write: {exc}") from exc
            raise

    def _read(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        try:
            conn = self._conn()
            conn.row_factory = sqlite3.Row
            return list(conn.execute(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read: {exc}") from exc

    # Deliveries

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
        with self._tx() as conn:
            row = conn.execute("SELECT processed_at FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
            if row is None or row[0] is not None:
                return  # another worker filed it already
            for target in targets:
                _upsert(conn, target, now, debounce, max_delay)
            conn.execute("UPDATE deliveries SET processed_at = ?, status = 'done' WHERE id = ?",
                         (now, delivery_id))

    def defer_delivery(self, delivery_id: int, error: str, now: float, retry_in: float,
                       max_attempts: int) -> bool:
        """Put a delivery back for a later try; return True when it is now parked as dead."""
        with self._tx() as conn:
            row = conn.execute("SELECT attempts FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
            if row is None:
                return False
            attempts = row[0] + 1
            dead = attempts >= max_attempts
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

    # Targets

    def upsert_target(self, target: Target, now: float, debounce: float, max_delay: float) -> None:
        """Add news about a target: due `debounce` after this news, at most `max_delay` after the first."""
        with self._tx() as conn:
            _upsert(conn, target, now, debounce, max_delay)

    def lease_due_target(self, owner: str, now: float, lease_seconds: float) -> LeasedTarget | None:
        """Take the most overdue target nobody holds, for `lease_seconds`; None when none is due."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT kind, key, version, attempts, detail FROM targets WHERE status = 'pending' "
                "AND due_at <= ?1 AND not_before <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) "
                "ORDER BY due_at LIMIT 1", (now,)).fetchone()
            if row is None:
                return None
            kind, key, version, attempts, detail = row
            until = now + lease_seconds
            # News arriving during the recompute opens a new coalescing window.
            conn.execute("UPDATE targets SET lease_owner = ?, lease_until = ?, first_seen = NULL "
                         "WHERE kind = ? AND key = ?", (owner, until, kind, key))
        return LeasedTarget(_target(kind, key, detail), owner, version, attempts, until)

    def complete(self, leased: LeasedTarget) -> None:
        """Finish a recompute: drop the target, or keep it due when news came during the recompute."""
        with self._tx() as conn:
            row = conn.execute("SELECT version, lease_owner FROM targets WHERE kind = ? AND key = ?",
                               (leased.target.kind, leased.target.key)).fetchone()
            if row is None or row[1] != leased.owner:
                return  # the lease expired and another worker holds the target now
            if row[0] == leased.version:
                conn.execute("DELETE FROM targets WHERE kind = ? AND key = ?",
                             (leased.target.kind, leased.target.key))
            else:
                conn.execute("UPDATE targets SET lease_owner = NULL, lease_until = NULL, attempts = 0, "
                             "not_before = 0, last_error = NULL WHERE kind = ? AND key = ?",
                             (leased.target.kind, leased.target.key))

    def fail(self, leased: LeasedTarget, error: str, now: float, retry_in: float,
             max_attempts: int) -> bool:
        """Record a failed recompute: retry after `retry_in`, or park it as dead; True when dead."""
        with self._tx() as conn:
            row = conn.execute("SELECT attempts, lease_owner FROM targets WHERE kind = ? AND key = ?",
                               (leased.target.kind, leased.target.key)).fetchone()
            if row is None or row[1] != leased.owner:
                return False
            attempts = row[0] + 1
            dead = attempts >= max_attempts
            conn.execute(
                "UPDATE targets SET attempts = ?, last_error = ?, not_before = ?, status = ?, "
                "lease_owner = NULL, lease_until = NULL, first_seen = COALESCE(first_seen, ?) "
                "WHERE kind = ? AND key = ?",
                (attempts, error, now + retry_in, "dead" if dead else "pending", now,
                 leased.target.kind, leased.target.key))
            return dead

    def dead_targets(self) -> list[DeadTarget]:
        """Return the targets parked after too many failures, with their last error."""
        rows = self._read("SELECT kind, key, attempts, last_error, last_seen FROM targets "
                          "WHERE status = 'dead' ORDER BY last_seen")
        return [DeadTarget(r["kind"], r["key"], r["attempts"], r["last_error"] or "", r["last_seen"])
                for r in rows]

    def retry_dead(self, now: float | None = None) -> int:
        """Requeue every dead target and dead delivery for an immediate try; return how many."""
        at = time.time() if now is None else now
        with self._tx() as conn:
            targets = conn.execute(
                "UPDATE targets SET status = 'pending', attempts = 0, not_before = 0, due_at = ?, "
                "last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE status = 'dead'",
                (at,)).rowcount
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

    # Audit log and scheduled runs

    def append_audit(self, entries: Iterable[AuditEntry]) -> None:
        """Append writes made to Jira to the audit log."""
        with self._tx() as conn:
            conn.executemany("INSERT INTO audit (at, issue_key, field, old, new, rule) VALUES (?,?,?,?,?,?)",
                             [(e.at, e.issue_key, e.field, e.old, e.new, e.rule) for e in entries])

    def audit(self, key: str | None = None, limit: int | None = None) -> list[AuditEntry]:
        """Return the audit log, oldest first, for one issue or all; the latest `limit` entries."""
        where, params = ("WHERE issue_key = ?", [key]) if key else ("", [])
        rows = self._read("SELECT * FROM (SELECT at, issue_key, field, old, new, rule, id FROM audit "
                          f"{where} ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id",
                          [*params, -1 if limit is None else limit])
        return [AuditEntry(r["at"], r["issue_key"], r["field"], r["old"], r["new"], r["rule"]) for r in rows]

    def claim_run(self, job: str, scheduled_at: str, now: float | None = None) -> bool:
        """Record that `job` runs for `scheduled_at`; False when some scheduler already claimed it."""
        with self._tx() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO runs (job, scheduled_at, started_at) VALUES (?,?,?)",
                               (job, scheduled_at, time.time() if now is None else now))
            return cur.rowcount == 1

    def finish_run(self, job: str, scheduled_at: str, outcome: str, now: float | None = None) -> None:
        """Record how a claimed run ended."""
        with self._tx() as conn:
            conn.execute("UPDATE runs SET finished_at = ?, outcome = ? WHERE job = ? AND scheduled_at = ?",
                         (time.time() if now is None else now, outcome, job, scheduled_at))

    def last_run(self, job: str) -> RunRecord | None:
        """Return the latest claimed run of `job`."""
        rows = self._read("SELECT job, scheduled_at, started_at, finished_at, outcome FROM runs "
                          "WHERE job = ? ORDER BY scheduled_at DESC LIMIT 1", (job,))
        return RunRecord(*rows[0]) if rows else None

    def writable(self) -> None:
        """Raise StoreError unless a write to the store succeeds now."""
        with self._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('ready_check', ?)",
                         (str(time.time()),))


def _upsert(conn: sqlite3.Connection, target: Target, now: float, debounce: float, max_delay: float) -> None:
    row = conn.execute("SELECT first_seen, detail FROM targets WHERE kind = ? AND key = ?",
                       (target.kind, target.key)).fetchone()
    if row is None:
        conn.execute("INSERT INTO targets (kind, key, first_seen, last_seen, due_at, detail) "
                     "VALUES (?,?,?,?,?,?)",
                     (target.kind, target.key, now, now, now + min(debounce, max_delay), _detail(target)))
        return
    first = now if row[0] is None else row[0]
    merged = _target(target.kind, target.key, row[1]).merge(target)
    conn.execute("UPDATE targets SET first_seen = ?, last_seen = ?, due_at = ?, detail = ?, "
                 "version = version + 1 WHERE kind = ? AND key = ?",
                 (first, now, min(now + debounce, first + max_delay), _detail(merged),
                  target.kind, target.key))


def _detail(target: Target) -> str:
    return json.dumps({"projects": sorted(target.projects), "reconcile": sorted(target.reconcile)})


def _target(kind: str, key: str, detail: str) -> Target:
    data = json.loads(detail or "{}")
    return Target(kind, key, frozenset(data.get("projects", ())), frozenset(data.get("reconcile", ())))
