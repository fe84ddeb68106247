"""Edit screens: which fields are off the edit screen of an issue type, site-wide or in one project."""

from __future__ import annotations

from collections.abc import Iterable

ANY_PROJECT = "*"


class Screens:
    """Fields off each edit screen, keyed by (project key or "*", issue type lowercased).

    A site-wide entry applies to every project; a project's own entries add to it (`off`) or put a
    field back (`on`), as a project's screen scheme does. The last instruction at a scope wins, and a
    site-wide instruction overrides what projects said before it.
    """

    def __init__(self) -> None:
        self._off: dict[tuple[str, str], set[str]] = {}
        self._on: dict[tuple[str, str], set[str]] = {}

    def hidden(self, project: str, issue_type: str) -> set[str]:
        """Return the ids of the fields off the edit screen of `issue_type` issues in `project`."""
        kind = issue_type.lower()
        site_wide = self._off.get((ANY_PROJECT, kind), set())
        local = (project.upper(), kind)
        return (site_wide | self._off.get(local, set())) - self._on.get(local, set())

    def take_off(self, field_ids: Iterable[str], issue_type: str, project: str | None = None) -> None:
        """Take fields off the edit screen of an issue type, in one project or (None) in all."""
        self._apply(set(field_ids), issue_type, project, self._off, self._on)

    def put_on(self, field_ids: Iterable[str], issue_type: str, project: str | None = None) -> None:
        """Put fields back on the edit screen of an issue type, in one project or (None) in all."""
        self._apply(set(field_ids), issue_type, project, self._on, self._off)

    def _apply(self, ids: set[str], issue_type: str, project: str | None,
               adding: dict[tuple[str, str], set[str]], removing: dict[tuple[str, str], set[str]]) -> None:
        kind = issue_type.lower()
        if project is None:
            for (_, entry_kind), entries in [*self._off.items(), *self._on.items()]:
                if entry_kind == kind:
                    entries -= ids
            if adding is self._off:
                self._off.setdefault((ANY_PROJECT, kind), set()).update(ids)
            return
        key = (project.upper(), kind)
        removing.get(key, set()).difference_update(ids)
        adding.setdefault(key, set()).update(ids)

    def describe(self) -> list[tuple[str, str, list[str], list[str]]]:
        """Return every entry as (project or "*", issue type lowercased, ids off, ids put back on)."""
        keys = sorted(set(self._off) | set(self._on))
        entries = [(p, t, sorted(self._off.get((p, t), set())), sorted(self._on.get((p, t), set())))
                   for p, t in keys]
        return [entry for entry in entries if entry[2] or entry[3]]
