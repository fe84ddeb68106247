"""What happened on an issue: its comments and its changelog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.payload import dig, text


@dataclass(frozen=True)
class Comment:
    """One comment on an issue."""

    id: str
    body: str
    author: str | None
    created: datetime | None


@dataclass(frozen=True)
class Change:
    """One field change from an issue's changelog."""

    key: str
    at: datetime
    field: str
    from_value: str | None
    from_string: str | None
    to_value: str | None
    to_string: str | None
    author: str | None = None


def moment(value: object) -> datetime | None:
    """Read a Jira timestamp such as 2026-02-01T10:00:00.000+0000."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def to_comment(raw: Mapping[str, Any]) -> Comment:
    """Build a Comment from one entry of an issue's comments."""
    author = dig(raw, "author")
    body = raw.get("body")
    return Comment(
        id=text(raw.get("id")) or "",
        body=body if isinstance(body, str) else "",
        author=text(dig(author, "accountId")) or text(dig(author, "name")),
        created=moment(raw.get("created")),
    )


def to_changes(raw: Mapping[str, Any]) -> list[Change]:
    """Return an issue's changelog as a flat list of changes, oldest first."""
    key = text(raw.get("key")) or ""
    histories = dig(raw, "changelog", "histories")
    changes: list[Change] = []
    for history in histories if isinstance(histories, list) else ():
        at = moment(dig(history, "created"))
        items = dig(history, "items")
        if at is None or not isinstance(items, list):
            continue
        author = text(dig(history, "author", "accountId")) or text(dig(history, "author", "name"))
        for item in items:
            name = text(dig(item, "field"))
            if name:
                changes.append(Change(key, at, name, text(dig(item, "from")), text(dig(item, "fromString")),
                                      text(dig(item, "to")), text(dig(item, "toString")), author))
    changes.sort(key=lambda c: c.at)
    return changes
