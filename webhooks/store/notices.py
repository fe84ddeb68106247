"""Notices: what one process knows is wrong and the others must say, such as a refused rule edit.

Under gunicorn the web side and `pmrollup worker` are separate processes, and only the worker
watches the rule files and app.yaml. When it refuses an edit it leaves a notice here, which
`/readyz` of every process reads; it takes the notice back once a good edit is in force.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from webhooks.store.sqlite import SqliteStore

RULES_NOTICE = "rules"  # a refused edit of app.yaml or a rule file; the last good rules keep running


@dataclass(frozen=True)
class Notice:
    """One thing a process says is wrong, since when."""

    name: str
    text: str
    since: float


class Notices(SqliteStore):
    """The `notices` table: one text per name, the latest said."""

    SCHEMA = """
CREATE TABLE IF NOT EXISTS notices (
    name TEXT PRIMARY KEY, text TEXT NOT NULL, since REAL NOT NULL);
"""

    def set_notice(self, name: str, text: str, now: float | None = None) -> None:
        """Say `text` under `name`, replacing what was said there (its time is kept when unchanged)."""
        with self._tx() as conn:
            conn.execute("INSERT INTO notices (name, text, since) VALUES (?,?,?) "
                         "ON CONFLICT (name) DO UPDATE SET since = CASE WHEN text = excluded.text "
                         "THEN since ELSE excluded.since END, text = excluded.text",
                         (name, text, time.time() if now is None else now))

    def clear_notice(self, name: str) -> None:
        """Take back what was said under `name`; a look that finds nothing costs a read, not a write."""
        if self._read("SELECT 1 FROM notices WHERE name = ?", (name,)):
            with self._tx() as conn:
                conn.execute("DELETE FROM notices WHERE name = ?", (name,))

    def notices(self) -> list[Notice]:
        """Return every notice, by name."""
        return [Notice(r["name"], r["text"], r["since"])
                for r in self._read("SELECT name, text, since FROM notices ORDER BY name")]
