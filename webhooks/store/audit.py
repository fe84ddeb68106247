"""The audit log: every write pmrollup made to Jira, in the store."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from webhooks.store.sqlite import SqliteStore


@dataclass(frozen=True)
class AuditEntry:
    """One write pmrollup made to Jira."""

    at: float
    issue_key: str
    field: str
    old: str | None
    new: str | None
    rule: str | None = None


class AuditLog(SqliteStore):
    """Append and read the audit log."""

    SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, issue_key TEXT NOT NULL, field TEXT NOT NULL,
    old TEXT, new TEXT, rule TEXT);
CREATE INDEX IF NOT EXISTS audit_issue ON audit(issue_key, at);
"""

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
