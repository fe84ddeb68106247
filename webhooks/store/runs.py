"""Scheduled runs, recorded per job and scheduled time so a second scheduler never repeats one."""

from __future__ import annotations

import time
from dataclasses import dataclass

from webhooks.store.sqlite import SqliteStore


@dataclass(frozen=True)
class RunRecord:
    job: str
    scheduled_at: str
    started_at: float
    finished_at: float | None
    outcome: str | None


class RunLog(SqliteStore):
    """Claim, finish and read scheduled runs."""

    SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    job TEXT NOT NULL, scheduled_at TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL,
    outcome TEXT, PRIMARY KEY (job, scheduled_at));
"""

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
