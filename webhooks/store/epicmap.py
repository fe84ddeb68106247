"""The durable map epic -> initiative: what routing may assume without asking Jira.

Entries come from what Jira answered (the gateway's sightings: routing's placements and recomputes'
reads), each stamped with when it was seen; newer news wins, and an epic put in doubt (its parent
changed, or a recompute did not find it where the map said) is not assumed until seen again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from connector.sightings import Sighting
from webhooks.store.sqlite import SqliteStore

CHUNK = 500  # SQLite's bound-parameter limit is far above this


class EpicMap(Protocol):
    """What routing needs from the durable epic -> initiative map."""

    def learn_epics(self, seen: Mapping[str, Sighting]) -> None: ...
    def programs_of(self, epics: Iterable[str]) -> dict[str, str | None]: ...
    def forget_epics(self, epics: Iterable[str], at: float) -> None: ...


class EpicMapTable(SqliteStore):
    """The map in the store's `epics` table."""

    SCHEMA = """
CREATE TABLE IF NOT EXISTS epics (
    epic TEXT PRIMARY KEY, program TEXT, known INTEGER NOT NULL, seen_at REAL NOT NULL);
"""

    def learn_epics(self, seen: Mapping[str, Sighting]) -> None:
        """Record sightings (a doubt is one too), each unless a newer one is stored."""
        if not seen:
            return
        with self._tx() as conn:
            conn.executemany(
                "INSERT INTO epics (epic, program, known, seen_at) VALUES (?,?,?,?) "
                "ON CONFLICT(epic) DO UPDATE SET program = excluded.program, known = excluded.known, "
                "seen_at = excluded.seen_at WHERE excluded.seen_at >= epics.seen_at",
                [(epic.upper(), s.program, int(s.known), s.seen_at) for epic, s in seen.items()])

    def programs_of(self, epics: Iterable[str]) -> dict[str, str | None]:
        """Return the initiative of each epic the map knows (None: under no initiative)."""
        wanted = list(dict.fromkeys(e.upper() for e in epics))
        found: dict[str, str | None] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            rows = self._read(f"SELECT epic, program FROM epics WHERE known = 1 AND epic IN "
                              f"({', '.join('?' * len(chunk))})", chunk)
            found.update({r["epic"]: r["program"] for r in rows})
        return found

    def forget_epics(self, epics: Iterable[str], at: float) -> None:
        """Put epics in doubt as of `at`: routing searches for them until they are seen again."""
        self.learn_epics({e.upper(): Sighting(None, at, known=False) for e in epics})
