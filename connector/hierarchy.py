"""Where an issue sits (program, project, item) and the JQL that walks the levels, per flavor."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.errors import NotAnIssueKey
from connector.payload import dig, text
from rules.config import AppConfig

KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")
# Keys per `key in (...)` / `parent in (...)` clause: keeps a GET's URL well under the 8 KB
# request line that Jira's Tomcat accepts, while a 1,000-item program still needs only a few.
KEY_BATCH = 200

LEVELS = ("program", "project", "item", "subtask", "other")


@dataclass(frozen=True)
class Location:
    """An issue's place in the hierarchy: its level, epic (project) and initiative (program)."""

    key: str
    id: str
    level: str
    issue_type: str
    jira_project: str
    project_key: str | None = None
    program_key: str | None = None
    parent_key: str | None = None


def check_key(key: str) -> str:
    """Return an upper-cased issue key, refusing anything that is not one (no JQL injection)."""
    cleaned = key.strip().upper()
    if not KEY_RE.match(cleaned):
        raise NotAnIssueKey(f"{key!r} is not a Jira issue key such as PAY-12")
    return cleaned


def quote(value: str) -> str:
    """Quote a name for JQL, escaping quotes and backslashes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def key_list(keys: Iterable[str]) -> str:
    """Render checked keys as a JQL list: (PAY-1, PAY-2)."""
    return "(" + ", ".join(check_key(k) for k in keys) + ")"


def batches(keys: Sequence[str], size: int = KEY_BATCH) -> Iterator[list[str]]:
    """Yield the keys, de-duplicated in order, in slices of at most `size`."""
    unique = list(dict.fromkeys(check_key(k) for k in keys))
    for start in range(0, len(unique), size):
        yield unique[start:start + size]


def level_of(issue_type: Mapping[str, Any] | None, config: AppConfig) -> str:
    """Return program, project, item, subtask or other for an issue's `issuetype` object."""
    name = (text(dig(issue_type, "name")) or "").casefold()
    if name in {t.casefold() for t in config.hierarchy.program_types}:
        return "program"
    if name in {t.casefold() for t in config.hierarchy.project_types}:
        return "project"
    if dig(issue_type, "subtask") is True:
        return "subtask"
    level = dig(issue_type, "hierarchyLevel")
    if isinstance(level, int) and not isinstance(level, bool) and level != 0:
        return "subtask" if level < 0 else "other"
    return "item"


class Jql:
    """The searches pmrollup runs, written for the configured flavor and hierarchy."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.datacenter = config.jira.flavor == "datacenter"

    def _types(self, names: Sequence[str]) -> str:
        return "issuetype in (" + ", ".join(quote(n) for n in names) + ")"

    def _scope(self) -> str:
        projects = self.config.jira.projects
        return f" AND project in ({', '.join(quote(p) for p in projects)})" if projects else ""

    def _order(self) -> str:
        return " ORDER BY key ASC"

    def program_link_is_parent(self) -> bool:
        return self.config.hierarchy.program_link == "parent"

    def _under_program(self, keys: Sequence[str]) -> str:
        field = quote(self.config.hierarchy.parent_link_field) if self.datacenter else "parent"
        return f"{field} in {key_list(keys)}"

    def projects_of_programs(self, program_keys: Sequence[str]) -> str:
        """Epics whose parent (Cloud) or Parent Link (Data Center) is one of the programs."""
        types = self._types(self.config.hierarchy.project_types)
        return f"{self._under_program(program_keys)} AND {types}{self._order()}"

    def program_with_projects(self, program_key: str) -> str:
        """The initiative itself and its epics, in one search."""
        types = self._types(self.config.hierarchy.project_types)
        key = check_key(program_key)
        return f"key = {key} OR ({self._under_program([key])} AND {types}){self._order()}"

    def issues_by_key(self, keys: Sequence[str]) -> str:
        """Named issues."""
        return f"key in {key_list(keys)}{self._order()}"

    def projects_without_program(self) -> str:
        """Epics with no initiative above them (parent-joined sites only)."""
        field = quote(self.config.hierarchy.parent_link_field) if self.datacenter else "parent"
        types = self._types(self.config.hierarchy.project_types)
        return f"{types} AND {field} is EMPTY{self._scope()}{self._order()}"

    def all_projects(self) -> str:
        """Every epic in the configured Jira projects."""
        return f"{self._types(self.config.hierarchy.project_types)}{self._scope()}{self._order()}"

    def programs(self) -> str:
        """Every initiative in the configured Jira projects."""
        return f"{self._types(self.config.hierarchy.program_types)}{self._scope()}{self._order()}"

    def issues_of_kinds(self, kinds: Iterable[tuple[str, str]]) -> str:
        """The issues of each (Jira project, issue type) pair."""
        either = " OR ".join(f"(project = {quote(project)} AND issuetype = {quote(kind)})"
                             for project, kind in sorted(set(kinds)))
        return f"{either}{self._order()}"

    def items_of(self, project_keys: Sequence[str]) -> str:
        """Stories, tasks and bugs under the epics: parent on Cloud, Epic Link on Data Center."""
        field = quote(self.config.hierarchy.epic_link_field) if self.datacenter else "parent"
        return f"{field} in {key_list(project_keys)}{self._order()}"

    def items_updated_since(self, jira_projects: Sequence[str], since: str) -> str:
        """Stories, tasks and bugs of the Jira projects changed on or after `since` (YYYY-MM-DD)."""
        skip = [*self.config.hierarchy.project_types, *self.config.hierarchy.program_types]
        projects = ", ".join(quote(p) for p in jira_projects)
        return (f"project in ({projects}) AND issuetype not in ({', '.join(quote(n) for n in skip)})"
                f" AND updated >= {quote(since)}{self._order()}")

    def subtasks_of(self, item_keys: Sequence[str]) -> str:
        """Sub-tasks under the items (their `parent` on both flavors)."""
        return f"parent in {key_list(item_keys)}{self._order()}"
