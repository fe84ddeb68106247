"""Site problems: output fields the Jira site refuses, per field, Jira project and issue type.

A field refused on an issue (a select without pmrollup's option, a field of another type, one off
the edit screen, one that does not exist) is recorded here and left out of that project and issue
type's edits for an hour, so the other fields still land and no edit is tried only to be refused
again. After the hour it is tried again: recorded again if still refused, cleared once an edit
carrying it lands; `pmrollup check` re-tests each one live and clears those that are fixed. The
problems are shown by `check`, `pmrollup inbox`, `/readyz` and the `pmrollup_site_problems` metric.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from webhooks.store.sqlite import SqliteStore

RETRY_SECONDS = 3600.0  # a refused field is tried again after this


@dataclass(frozen=True)
class SiteProblem:
    """One output field that Jira refuses on one project's issue type."""

    field_name: str
    field_id: str  # "" when the site has no such field
    jira_project: str
    issue_type: str
    issue_key: str  # the last issue it was refused on
    reason: str
    first_seen: float
    last_seen: float

    def describe(self) -> str:
        """Return one line saying what is refused, where, and why."""
        ident = f" ({self.field_id})" if self.field_id else ""
        return (f"field '{self.field_name}'{ident} is not written on {self.jira_project} "
                f"{self.issue_type} issues (last {self.issue_key}): {self.reason}")


class SiteProblems(SqliteStore):
    """The `site_problems` table: record, look up and clear refused fields."""

    SCHEMA = """
CREATE TABLE IF NOT EXISTS site_problems (
    field_name TEXT NOT NULL, field_id TEXT NOT NULL, jira_project TEXT NOT NULL,
    issue_type TEXT NOT NULL, issue_key TEXT NOT NULL, reason TEXT NOT NULL,
    first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    PRIMARY KEY (field_name, jira_project, issue_type));
"""

    def record_site_problems(self, problems: Iterable[SiteProblem]) -> list[SiteProblem]:
        """Record refusals (seen now: the hour before the next try starts again); return the new ones.

        A refusal already recorded within the hour, for the same field and reason, is not written again:
        a field the site lacks is refused on every recompute, and that costs a read, not a write."""
        wanted = list(problems)
        if not wanted:
            return []
        rows = {(r["field_name"], r["jira_project"], r["issue_type"]): r
                for r in self._read("SELECT * FROM site_problems")}
        new = [p for p in wanted if (p.field_name, p.jira_project, p.issue_type) not in rows]

        def stale(p: SiteProblem) -> bool:
            row = rows.get((p.field_name, p.jira_project, p.issue_type))
            return (row is None or row["last_seen"] <= p.last_seen - RETRY_SECONDS
                    or (row["field_id"], row["reason"]) != (p.field_id, p.reason))

        changed = [p for p in wanted if stale(p)]
        if not changed:
            return []
        with self._tx() as conn:
            conn.executemany(
                "INSERT INTO site_problems VALUES (?,?,?,?,?,?,?,?) "
                "ON CONFLICT (field_name, jira_project, issue_type) DO UPDATE SET "
                "field_id = excluded.field_id, issue_key = excluded.issue_key, "
                "reason = excluded.reason, last_seen = excluded.last_seen",
                [(p.field_name, p.field_id, p.jira_project, p.issue_type, p.issue_key, p.reason,
                  p.first_seen, p.last_seen) for p in changed])
        return new

    def site_problems(self) -> list[SiteProblem]:
        """Return every recorded site problem, by field, project and issue type."""
        rows = self._read("SELECT * FROM site_problems ORDER BY field_name, jira_project, issue_type")
        return [_problem(r) for r in rows]

    def refused_fields(self, jira_project: str, issue_type: str, now: float) -> set[str]:
        """Return the ids of fields refused on this project's issue type within the last hour."""
        rows = self._read("SELECT field_id FROM site_problems WHERE jira_project = ? AND issue_type = ? "
                          "AND last_seen > ? AND field_id != ''",
                          (jira_project, issue_type, now - RETRY_SECONDS))
        return {r["field_id"] for r in rows}

    def clear_site_problem(self, problem: SiteProblem) -> None:
        """Forget a site problem that is fixed."""
        with self._tx() as conn:
            conn.execute("DELETE FROM site_problems WHERE field_name = ? AND jira_project = ? "
                         "AND issue_type = ?", (problem.field_name, problem.jira_project, problem.issue_type))

    def clear_written_fields(self, jira_project: str, issue_type: str, field_ids: Collection[str],
                             now: float) -> list[SiteProblem]:
        """Forget the problems of fields (by id) an edit of this project's issue type just wrote; return them.

        A read, and a write only when one of them was recorded: most edits write fields that never
        were refused. A refusal seen within the hour before `now` is kept: another issue of the same
        round was refused the field, so one that took it does not prove it fixed. (A select lacking
        some of pmrollup's values never reaches here: the connector leaves it out of `field_ids`.)"""
        if not field_ids:
            return []
        marks = ", ".join("?" for _ in field_ids)
        rows = self._read(f"SELECT * FROM site_problems WHERE jira_project = ? AND issue_type = ? "
                          f"AND field_id IN ({marks}) AND last_seen <= ?",
                          (jira_project, issue_type, *field_ids, now - RETRY_SECONDS))
        if not rows:
            return []
        cleared = []
        with self._tx() as conn:
            for row in rows:
                gone = conn.execute("DELETE FROM site_problems WHERE field_name = ? AND jira_project = ? "
                                    "AND issue_type = ? AND last_seen = ?",
                                    (row["field_name"], jira_project, issue_type, row["last_seen"]))
                if gone.rowcount:
                    cleared.append(_problem(row))
        return cleared


def _problem(row: sqlite3.Row) -> SiteProblem:
    return SiteProblem(row["field_name"], row["field_id"], row["jira_project"], row["issue_type"],
                       row["issue_key"], row["reason"], row["first_seen"], row["last_seen"])
