"""Wake-ups: targets to recompute at a later time, such as when a comment held by quiet hours is due.

They wait apart from the coalescing queue, so a wake-up a day away is not work in the inbox (the
queue depth, a drained inbox); when one is due, the worker files its target like any news."""

from __future__ import annotations

from webhooks.store.sqlite import SqliteStore
from webhooks.store.targets import Target, detail_json, row_target, upsert


class WakeUps(SqliteStore):
    """The `wakeups` table: one time per target, the earliest asked for."""

    SCHEMA = """
CREATE TABLE IF NOT EXISTS wakeups (
    kind TEXT NOT NULL, key TEXT NOT NULL, wake_at REAL NOT NULL, detail TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kind, key));
"""

    def wake_later(self, target: Target, at: float) -> None:
        """Recompute `target` at `at` (epoch seconds); an earlier wake-up of it already asked for stays."""
        with self._tx() as conn:
            conn.execute("INSERT INTO wakeups (kind, key, wake_at, detail) VALUES (?,?,?,?) "
                         "ON CONFLICT (kind, key) DO UPDATE SET wake_at = MIN(wake_at, excluded.wake_at)",
                         (target.kind, target.key, at, detail_json(target)))

    def wake_due(self, now: float, debounce: float, max_delay: float) -> list[Target]:
        """File the targets whose wake-up time has come, as news due after the debounce; return them.

        A look that finds none costs a read, not a write lock."""
        if not self._read("SELECT 1 FROM wakeups WHERE wake_at <= ? LIMIT 1", (now,)):
            return []
        with self._tx() as conn:
            rows = conn.execute("SELECT kind, key, detail FROM wakeups WHERE wake_at <= ?", (now,)).fetchall()
            woken = [row_target(kind, key, detail) for kind, key, detail in rows]
            for target in woken:
                upsert(conn, target, now, debounce, max_delay)
                conn.execute("DELETE FROM wakeups WHERE kind = ? AND key = ?", (target.kind, target.key))
        return woken

    def wakeups(self) -> list[tuple[Target, float]]:
        """Return every wake-up waiting, soonest first."""
        rows = self._read("SELECT kind, key, detail, wake_at FROM wakeups ORDER BY wake_at")
        return [(row_target(r["kind"], r["key"], r["detail"]), r["wake_at"]) for r in rows]
