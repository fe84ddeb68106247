"""Recognise pmrollup's own writes coming back as `jira:issue_updated`, so they route to nothing and a
recompute never causes another recompute."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from connector.payload import dig, text

# `issue_event_type_name` of an update that only adds, edits or removes a comment.
COMMENT_UPDATES = frozenset({"issue_commented", "issue_comment_edited", "issue_comment_deleted"})
OWN_LABEL_PREFIX = "pmrollup-"


def changelog_items(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the delivery's changelog items (dicts only)."""
    items = dig(dict(payload), "changelog", "items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def is_own_write(items: Sequence[Mapping[str, Any]], payload: Mapping[str, Any],
                 own_fields: Collection[str], rule_labels: Collection[str] = ()) -> bool:
    """Tell whether an update touches only what pmrollup writes: its output fields, its labels,
    or a comment (pmrollup's properties never reach `jira:issue_updated`)."""
    if not items:
        kind = text(payload.get("issue_event_type_name"))
        return kind in COMMENT_UPDATES or (kind is None and isinstance(payload.get("comment"), dict))
    for item in items:
        name = (text(item.get("field")) or "").casefold()
        field_id = (text(item.get("fieldId")) or "").casefold()
        if name in own_fields or (field_id and field_id in own_fields):
            continue
        if name == "labels" and _only_own_labels(item, rule_labels):
            continue
        return False
    return True


def _only_own_labels(item: Mapping[str, Any], rule_labels: Collection[str]) -> bool:
    before = set((text(item.get("fromString")) or "").split())
    after = set((text(item.get("toString")) or "").split())
    return all(label.startswith(OWN_LABEL_PREFIX) or label in rule_labels for label in before ^ after)
