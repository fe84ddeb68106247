"""What the schedules read: every program with its projects, and the issues updated lately."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.base import GatewayBase
from connector.convert import dependency_links, epic_key_of, fields_of, key_of, program_key_of
from connector.hierarchy import batches, level_of, quote
from connector.payload import text

# subtask -> item -> epic: at most this many rounds of look-ups above the updated issues.
MAX_ROUNDS = 3


@dataclass(frozen=True)
class Placement:
    """Where an issue sits: its level, its epic (project) and its initiative (program)."""

    key: str
    id: str
    level: str
    project_key: str | None = None
    program_key: str | None = None


@dataclass(frozen=True)
class Portfolio:
    """Every program with its projects, and the projects under no program."""

    programs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lone_projects: tuple[str, ...] = ()


def updated_jql(config_projects: Sequence[str], minutes: int) -> str:
    """Return the JQL for issues updated in the last `minutes`, in the configured Jira projects.

    A relative date (`-20m`) avoids the time zone question: Jira reads an absolute date in
    JQL in the searching user's profile time zone, which pmrollup cannot know.
    https://support.atlassian.com/jira-software-cloud/docs/jql-fields/#Updated
    """
    scope = f" AND project in ({', '.join(quote(p) for p in config_projects)})" if config_projects else ""
    return f'updated >= "-{max(1, int(minutes))}m"{scope} ORDER BY key ASC'


def _place_fields(gateway: GatewayBase) -> list[str]:
    ids = gateway.field_ids()
    hierarchy = [i for i in (ids.epic_link, ids.parent_link) if i]
    return ["issuetype", "project", "parent", "issuelinks", *hierarchy]


def portfolio(gateway: GatewayBase) -> Portfolio:
    """Return every program and every project of the configured Jira projects, in two searches."""
    config = gateway.config
    fields = _place_fields(gateway)
    programs: dict[str, list[str]] = {
        str(raw["key"]): [] for raw in gateway._search(gateway.jql.programs(), fields) if raw.get("key")}
    lone: list[str] = []
    ids = gateway.field_ids()
    for raw in gateway._search(gateway.jql.all_projects(), fields):
        key = text(raw.get("key"))
        if not key:
            continue
        owner = program_key_of(raw, ids, config)
        if owner is None:
            lone.append(key)
        else:
            # A program outside the configured Jira projects still owns its epics here.
            programs.setdefault(owner, []).append(key)
    return Portfolio({k: tuple(v) for k, v in sorted(programs.items())}, tuple(lone))


def recently_updated(gateway: GatewayBase, minutes: int) -> list[Placement]:
    """Place every issue updated in the last `minutes`, and every issue an updated blocker blocks."""
    fields = _place_fields(gateway)
    known: dict[str, dict[str, Any]] = {}
    updated = gateway._search(updated_jql(gateway.config.jira.projects, minutes), fields)
    for raw in updated:
        known[str(raw["key"])] = raw
    link_types = gateway.config.dependency_link_types
    wanted = list(dict.fromkeys(
        [str(raw["key"]) for raw in updated]
        + [link.dependent_key for raw in updated for link in dependency_links(raw, link_types)
           if link.blocker_key == raw.get("key")]))
    _fetch(gateway, [k for k in wanted if k not in known], fields, known)
    frontier = wanted
    for _ in range(MAX_ROUNDS):
        # One search per level: sub-tasks' stories, then items' epics.
        frontier = list(dict.fromkeys(up for key in frontier if key in known
                                      for up in [_above(known[key], gateway)] if up))
        if not frontier:
            break
        _fetch(gateway, [k for k in frontier if k not in known], fields, known)
    return [p for p in (_placement(key, known, gateway) for key in wanted) if p is not None]


def _fetch(gateway: GatewayBase, keys: Sequence[str], fields: Sequence[str],
           known: dict[str, dict[str, Any]]) -> None:
    for batch in batches(keys):
        for raw in gateway._search(gateway.jql.issues_by_key(batch), fields):
            known[str(raw["key"])] = raw


def _above(raw: Mapping[str, Any], gateway: GatewayBase) -> str | None:
    """Return the key of the issue whose fields place this one: a sub-task's parent, an item's epic."""
    fields = fields_of(raw)
    level = level_of(fields.get("issuetype"), gateway.config)
    if level == "subtask":
        return key_of(fields.get("parent"))
    if level == "item":
        return epic_key_of(raw, gateway.field_ids())
    return None


def _placement(key: str, known: Mapping[str, Mapping[str, Any]], gateway: GatewayBase) -> Placement | None:
    raw = known.get(key)
    if raw is None:
        return None
    config, ids = gateway.config, gateway.field_ids()
    level = level_of(fields_of(raw).get("issuetype"), config)
    issue_id = text(raw.get("id")) or ""
    if level == "program":
        return Placement(key, issue_id, level, program_key=key)
    epic_raw: Mapping[str, Any] | None = raw
    if level == "subtask":
        parent = known.get(_above(raw, gateway) or "")
        epic_raw = known.get(_above(parent, gateway) or "") if parent else None
    elif level == "item":
        epic_raw = known.get(_above(raw, gateway) or "")
    elif level != "project":
        return Placement(key, issue_id, level)
    if epic_raw is None or level_of(fields_of(epic_raw).get("issuetype"), config) != "project":
        return Placement(key, issue_id, level)
    epic_key = str(epic_raw["key"])
    return Placement(key, issue_id, level, epic_key, program_key_of(epic_raw, ids, config))
