"""Coalesced targets: what to recompute, due after a debounce, leased by one worker at a time."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from connector.placing import Placement
from webhooks.store.sqlite import SqliteStore

KINDS = ("program", "project")


@dataclass(frozen=True)
class Target:
    """Something to recompute: a program (with its changed projects) or a project with no program.

    `assumed` names the projects placed under the program from the epic map rather than by asking
    Jira; the worker checks after the recompute that Jira still has them there.
    """

    kind: str
    key: str
    projects: frozenset[str] = frozenset()
    reconcile: frozenset[str] = frozenset()
    assumed: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"target kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    def merge(self, other: Target) -> Target:
        """Return this target with the changed projects and issues of `other` added."""
        verified = (self.projects - self.assumed) | (other.projects - other.assumed)
        return Target(self.kind, self.key, self.projects | other.projects,
                      self.reconcile | other.reconcile, (self.assumed | other.assumed) - verified)


@dataclass(frozen=True)
class LeasedTarget:
    """A target one worker holds until `lease_until`; `version` tells whether news came meanwhile."""

    target: Target
    owner: str
    version: int
    attempts: int
    lease_until: float


@dataclass(frozen=True)
class DeadTarget:
    kind: str
    key: str
    attempts: int
    last_error: str
    last_seen: float


class TargetQueue(SqliteStore):
    """The `targets` table: upsert with debounce, lease the due ones, complete or fail them."""

    SCHEMA = """
CREATE TABLE IF NOT EXISTS targets (
    kind TEXT NOT NULL, key TEXT NOT NULL, first_seen REAL, last_seen REAL NOT NULL,
    due_at REAL NOT NULL, not_before REAL NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1, lease_owner TEXT, lease_until REAL, last_error TEXT,
    status TEXT NOT NULL DEFAULT 'pending', detail TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kind, key));
CREATE INDEX IF NOT EXISTS targets_due ON targets(status, due_at);
"""

    def upsert_target(self, target: Target, now: float, debounce: float, max_delay: float) -> None:
        """Add news about a target: due `debounce` after this news, at most `max_delay` after the first."""
        self.upsert_targets([target], now, debounce, max_delay)

    def upsert_targets(self, targets: Iterable[Target], now: float, debounce: float,
                       max_delay: float) -> None:
        """Add news about several targets, all or none, each as `upsert_target` does."""
        with self._tx() as conn:
            for target in targets:
                upsert(conn, target, now, debounce, max_delay)

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
        return LeasedTarget(row_target(kind, key, detail), owner, version, attempts, until)

    def release_leases(self, holder_is_gone: Callable[[str], bool], now: float) -> list[tuple[str, str]]:
        """Free the targets held by workers that are gone (killed mid-recompute), so they need not
        wait for the lease to run out; return the (kind, key) freed."""
        with self._tx() as conn:
            rows = conn.execute("SELECT kind, key, lease_owner FROM targets WHERE lease_owner IS NOT NULL "
                                "AND lease_until > ?", (now,)).fetchall()
            freed = [(kind, key, owner) for kind, key, owner in rows if holder_is_gone(owner)]
            for kind, key, owner in freed:
                conn.execute("UPDATE targets SET lease_owner = NULL, lease_until = NULL "
                             "WHERE kind = ? AND key = ? AND lease_owner = ?", (kind, key, owner))
        return [(kind, key) for kind, key, _ in freed]

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
            attempts = int(row[0]) + 1
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

    def retry_dead_targets(self, conn: sqlite3.Connection, now: float | None = None) -> int:
        """Requeue every dead target for an immediate try, inside `conn`'s transaction."""
        at = time.time() if now is None else now
        return conn.execute(
            "UPDATE targets SET status = 'pending', attempts = 0, not_before = 0, due_at = ?, "
            "last_error = NULL, lease_owner = NULL, lease_until = NULL WHERE status = 'dead'",
            (at,)).rowcount


def upsert(conn: sqlite3.Connection, target: Target, now: float, debounce: float, max_delay: float) -> None:
    """Insert a target due `debounce` from now, or merge news into it, due at most `max_delay` after
    its first news."""
    row = conn.execute("SELECT first_seen, detail FROM targets WHERE kind = ? AND key = ?",
                       (target.kind, target.key)).fetchone()
    if row is None:
        conn.execute("INSERT INTO targets (kind, key, first_seen, last_seen, due_at, detail) "
                     "VALUES (?,?,?,?,?,?)",
                     (target.kind, target.key, now, now, now + min(debounce, max_delay), detail_json(target)))
        return
    first = now if row[0] is None else row[0]
    merged = row_target(target.kind, target.key, row[1]).merge(target)
    conn.execute("UPDATE targets SET first_seen = ?, last_seen = ?, due_at = ?, detail = ?, "
                 "version = version + 1 WHERE kind = ? AND key = ?",
                 (first, now, min(now + debounce, first + max_delay), detail_json(merged),
                  target.kind, target.key))


def detail_json(target: Target) -> str:
    """Return a target's projects, issues to reconcile and assumed projects as the JSON a row keeps."""
    detail = {"projects": sorted(target.projects), "reconcile": sorted(target.reconcile)}
    if target.assumed:
        detail["assumed"] = sorted(target.assumed)
    return json.dumps(detail)


def row_target(kind: str, key: str, detail: str) -> Target:
    """Return the target a row's kind, key and JSON detail describe."""
    data = json.loads(detail or "{}")
    return Target(kind, key, frozenset(data.get("projects", ())), frozenset(data.get("reconcile", ())),
                  frozenset(data.get("assumed", ())))


def target_of(placed: Placement, reconcile: frozenset[str] = frozenset()) -> Target | None:
    """Return what to recompute for a placed issue: its program (with its epic), or its lone epic."""
    if placed.level == "program":
        return Target("program", placed.key, reconcile=reconcile)
    if placed.project_key and placed.program_key:
        return Target("program", placed.program_key, frozenset({placed.project_key}), reconcile)
    if placed.project_key:
        return Target("project", placed.project_key, reconcile=reconcile)
    return None


def targets_of(placed: Iterable[Placement], reconcile: frozenset[str] | None = None) -> list[Target]:
    """Return what to recompute for placed issues, one target per program or lone project, each
    reconciling `reconcile`, or when None the ids of its own issues."""
    found: dict[tuple[str, str], Target] = {}
    for p in placed:
        target = target_of(p, frozenset({p.id}) if reconcile is None else reconcile)
        if target is None:
            continue
        slot = (target.kind, target.key)
        found[slot] = found[slot].merge(target) if slot in found else target
    return list(found.values())
