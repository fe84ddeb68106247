"""Read what an issue's delivery says changed: its changelog, the parents it left or joined, the
issues it blocks, and whether the change is only pmrollup's own write coming back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.convert import dependency_links
from connector.fieldmap import FieldIds
from connector.payload import WebhookEvent, dig, text
from rules.config import AppConfig
from webhooks.worker.ownwrites import changelog_items, is_own_write

# Changelog fields of a blocker that decide its dependents' open and overdue dependencies.
DEPENDENCY_FIELDS = frozenset({"status", "resolution", "duedate", "due date"})


@dataclass(frozen=True)
class IssueChange:
    """What one issue event says, beyond `WebhookEvent`, about where its news must go."""

    issue: object  # the delivery's `issue` object, as sent
    items: tuple[dict[str, Any], ...]  # the changelog's items
    parents: tuple[str, ...]  # the parents the issue left or joined, by id or key
    dependents: tuple[str, ...]  # the issues it blocks, as the delivery lists its links
    touches_dependents: bool  # the change can move its dependents' figures
    has_links: bool  # the delivery lists the issue's links
    own_write: bool  # an update of only what pmrollup writes


def read_change(event: WebhookEvent, payload: Mapping[str, Any], config: AppConfig, ids: FieldIds,
                rule_labels: Iterable[str]) -> IssueChange:
    """Read an issue event's changelog and links; never asks Jira."""
    items = changelog_items(payload)
    issue = dig(dict(payload), "issue")
    parents = tuple(r for c in event.parent_changes
                    for r in (c.old_id or c.old_key, c.new_id or c.new_key) if r)
    watched = dependency_fields(config, ids)
    touches = (event.event != "jira:issue_updated" or bool(event.parent_changes)
               or any((text(i.get("field")) or "").casefold() in watched for i in items))
    has_links = isinstance(dig(issue, "fields", "issuelinks"), list)
    own = event.event == "jira:issue_updated" and is_own_write(
        items, payload, own_fields(config, ids), frozenset(rule_labels))
    return IssueChange(issue, tuple(items), parents,
                       tuple(_dependents(issue, config)) if touches and has_links else (),
                       touches, has_links, own)


def own_fields(config: AppConfig, ids: FieldIds) -> frozenset[str]:
    """Return the names and ids of pmrollup's output fields, case-folded."""
    names = {n.casefold() for n in config.outputs.values()}
    return frozenset(names | {i.casefold() for i in ids.outputs.values()})


def dependency_fields(config: AppConfig, ids: FieldIds) -> frozenset[str]:
    """Return the changelog fields (case-folded) whose change can move a blocked issue's figures."""
    extra = {config.fields.due_date.casefold(), (ids.due_date or "duedate").casefold()}
    return DEPENDENCY_FIELDS | extra


def _dependents(issue: object, config: AppConfig) -> list[str]:
    if not isinstance(issue, dict):
        return []
    key = text(issue.get("key"))
    return [link.dependent_key for link in dependency_links(issue, config.dependency_link_types)
            if link.blocker_key == key]
