"""Read a Jira webhook body into what pmrollup needs, or say why it cannot be used."""

from __future__ import annotations

import re
from dataclasses import dataclass

from connector.events import ISSUE_EVENTS, LINK_EVENTS, OLD_WORKLOG_EVENT, WORKLOG_EVENTS

KEY_PATTERN = re.compile(r"\b([A-Z][A-Z0-9_]*-[1-9][0-9]*)\b")

# Changelog field names that move an issue in the hierarchy, by their lower-cased name.
# Jira Cloud reports a parent change as "IssueParentAssociation" (and sometimes "Parent");
# Data Center uses the "Epic Link" and Advanced Roadmaps' "Parent Link" custom fields.
PARENT_FIELDS = {
    "parent": "parent",
    "issueparentassociation": "parent",
    "epic link": "Epic Link",
    "parent link": "Parent Link",
}

# Events that are about one issue and useless without it (the older worklog event sends its issue).
NEEDS_ISSUE = frozenset({*ISSUE_EVENTS, OLD_WORKLOG_EVENT})


@dataclass(frozen=True)
class ParentChange:
    """A move in the hierarchy read from the changelog: the old and the new parent."""

    field: str
    old_key: str | None
    old_id: str | None
    new_key: str | None
    new_id: str | None


@dataclass(frozen=True)
class LinkEnds:
    """The two issues of a link event (Jira sends their ids only)."""

    link_id: str | None
    source_id: str | None
    destination_id: str | None
    link_type: str | None


@dataclass(frozen=True)
class WebhookEvent:
    """What one delivery says happened."""

    event: str
    issue_id: str | None = None
    issue_key: str | None = None
    issue_type: str | None = None
    project_key: str | None = None
    parent_changes: tuple[ParentChange, ...] = ()
    changed_fields: tuple[str, ...] = ()
    link: LinkEnds | None = None
    worklog_issue_id: str | None = None
    user: str | None = None
    timestamp: int | None = None
    current_parent: str | None = None
    event_type: str | None = None


@dataclass(frozen=True)
class Unusable:
    """A body pmrollup cannot act on, and why."""

    reason: str


def dig(value: object, *path: str) -> object:
    """Return the value at `path` inside nested dicts, or None when any step is missing."""
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def text(value: object) -> str | None:
    """Return a string or integer as text; anything else (bool, float, dict...) as None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int):
        return str(value)
    return None


def issue_key_in(value: object) -> str | None:
    """Return the first issue key found in a text such as "PAY-12" or "PAY-12 Build ledger"."""
    found = KEY_PATTERN.search(value) if isinstance(value, str) else None
    return found.group(1) if found else None


def read_payload(body: object, epic_link_id: str | None = None,
                 parent_link_id: str | None = None) -> WebhookEvent | Unusable:
    """Read one webhook body; never raises, whatever JSON value it is given."""
    if not isinstance(body, dict):
        return Unusable(f"not a JSON object but {type(body).__name__}")
    event = body.get("webhookEvent")
    if not isinstance(event, str) or not event.strip():
        return Unusable("no webhookEvent: not a Jira webhook delivery")
    issue = body.get("issue") if isinstance(body.get("issue"), dict) else None
    issue_id = text(dig(issue, "id"))
    issue_key = text(dig(issue, "key"))
    if event in NEEDS_ISSUE and issue_id is None and issue_key is None:
        return Unusable(f"{event} without an issue id or key")
    link = _link(body.get("issueLink"))
    if event in LINK_EVENTS and (link is None or link.source_id is None or link.destination_id is None):
        return Unusable(f"{event} without both ends of the link")
    worklog_issue_id = text(dig(body, "worklog", "issueId"))
    if event in WORKLOG_EVENTS and worklog_issue_id is None and issue_id is None:
        return Unusable(f"{event} without the worklog's issue id")
    items = dig(body, "changelog", "items")
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    key_project = issue_key.rsplit("-", 1)[0] if issue_key and "-" in issue_key else None
    return WebhookEvent(
        event=event,
        issue_id=issue_id,
        issue_key=issue_key,
        issue_type=text(dig(issue, "fields", "issuetype", "name")),
        project_key=text(dig(issue, "fields", "project", "key")) or key_project,
        parent_changes=_parent_changes(items),
        changed_fields=tuple(f for f in (text(i.get("field")) for i in items) if f),
        link=link,
        worklog_issue_id=worklog_issue_id,
        user=_user(body),
        timestamp=_timestamp(body.get("timestamp")),
        current_parent=_current_parent(issue, epic_link_id, parent_link_id),
        event_type=text(body.get("issue_event_type_name")),
    )


def _link(value: object) -> LinkEnds | None:
    if not isinstance(value, dict):
        return None
    return LinkEnds(
        link_id=text(value.get("id")),
        source_id=text(value.get("sourceIssueId")),
        destination_id=text(value.get("destinationIssueId")),
        link_type=text(dig(value, "issueLinkType", "name")),
    )


def _parent_changes(items: list[dict[str, object]]) -> tuple[ParentChange, ...]:
    changes: list[ParentChange] = []
    for item in items:
        name = text(item.get("field"))
        field = PARENT_FIELDS.get(name.lower()) if name else None
        if field is None:
            continue
        change = ParentChange(
            field=field,
            old_key=issue_key_in(item.get("fromString")) or issue_key_in(item.get("from")),
            old_id=_numeric(item.get("from")),
            new_key=issue_key_in(item.get("toString")) or issue_key_in(item.get("to")),
            new_id=_numeric(item.get("to")),
        )
        if change not in changes:
            changes.append(change)
    return tuple(changes)


def _numeric(value: object) -> str | None:
    found = text(value)
    return found if found is not None and found.isdigit() else None


def _user(body: dict[str, object]) -> str | None:
    for path in (("user",), ("comment", "updateAuthor"), ("comment", "author"),
                 ("worklog", "updateAuthor"), ("worklog", "author")):
        who = dig(body, *path)
        found = text(dig(who, "accountId")) or text(dig(who, "name")) or text(dig(who, "key"))
        if found:
            return found
    return None


def _timestamp(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _current_parent(issue: dict[str, object] | None, epic_link_id: str | None,
                    parent_link_id: str | None) -> str | None:
    fields = dig(issue, "fields")
    parent = text(dig(fields, "parent", "key"))
    if parent:
        return parent
    for field_id in (epic_link_id, parent_link_id):
        if field_id:
            value = dig(fields, field_id)
            found = issue_key_in(value) or text(dig(value, "key")) or text(dig(value, "data", "key"))
            if found:
                return found
    return None
