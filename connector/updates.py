"""What the schedules read: every program with its projects, and the issues updated lately."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.base import GatewayBase
from connector.convert import dependency_links, program_key_of
from connector.hierarchy import batches, quote
from connector.payload import text
from connector.placing import MAX_ROUNDS, Placement, issue_above, placement_fields, placement_of


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


def portfolio(gateway: GatewayBase) -> Portfolio:
    """Return every program and every project of the configured Jira projects, in two searches."""
    config = gateway.config
    fields = placement_fields(gateway)
    programs: dict[str, list[str]] = {
        str(raw["key"]): [] for raw in gateway.search(gateway.jql.programs(), fields) if raw.get("key")}
    lone: list[str] = []
    ids = gateway.field_ids()
    for raw in gateway.search(gateway.jql.all_projects(), fields):
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
    fields = placement_fields(gateway)
    known: dict[str, dict[str, Any]] = {}
    updated = gateway.search(updated_jql(gateway.config.jira.projects, minutes), fields)
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
                                      for up in [issue_above(known[key], gateway)] if up))
        if not frontier:
            break
        _fetch(gateway, [k for k in frontier if k not in known], fields, known)
    return [p for p in (placement_of(key, known, gateway) for key in wanted) if p is not None]


def _fetch(gateway: GatewayBase, keys: Sequence[str], fields: Sequence[str],
           known: dict[str, dict[str, Any]]) -> None:
    for batch in batches(keys):
        for raw in gateway.search(gateway.jql.issues_by_key(batch), fields):
            known[str(raw["key"])] = raw


def place_kinds(gateway: GatewayBase, kinds: Collection[tuple[str, str]]) -> list[Placement]:
    """Place every issue of the (Jira project, issue type) pairs `kinds`, in one search."""
    if not kinds:
        return []
    known = {key: raw for raw in gateway.search(gateway.jql.issues_of_kinds(kinds), placement_fields(gateway))
             if (key := text(raw.get("key")))}
    return [p for key in known if (p := placement_of(key, known, gateway)) is not None]
