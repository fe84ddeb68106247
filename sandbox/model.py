"""The sandbox's data: issues, fields, statuses, links, comments, changelog entries and users."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

LEVELS = {"initiative": 2, "epic": 1, "sub-task": -1, "subtask": -1}
CATEGORIES = {"To Do": (2, "new"), "In Progress": (4, "indeterminate"), "Done": (3, "done")}
DEFAULT_STATUSES = (("To Do", "To Do"), ("In Progress", "In Progress"), ("Done", "Done"))
# Jira's default issue link types, plus the one some sites use to join epics to initiatives.
DEFAULT_LINK_TYPES = (
    ("Blocks", "is blocked by", "blocks"),
    ("Cloners", "is cloned by", "clones"),
    ("Duplicate", "is duplicated by", "duplicates"),
    ("Relates", "relates to", "relates to"),
    ("Implements", "is implemented by", "implements"),
)
# The issue types every site has (Jira Software's, plus the level above epics), beside a seed's own.
DEFAULT_ISSUE_TYPES = ("Initiative", "Epic", "Story", "Task", "Bug", "Sub-task")
SNAPSHOTS_KEPT = 8
# The resolution Jira Software's workflows set on entering a Done status: (id, name, description).
RESOLUTION_DONE = ("10000", "Done", "Work has been completed on this issue.")


def level_of(issue_type: str) -> int:
    """Return Jira Cloud's hierarchy level for an issue type name."""
    return LEVELS.get(issue_type.lower(), 0)


def now_utc() -> datetime:
    """Return the current time, UTC, to the millisecond."""
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


@dataclass
class User:
    email: str
    token: str
    admin: bool
    name: str
    account_id: str
    permissions: frozenset[str] | None = None  # None: the default role's (see sandbox.permissions)


@dataclass
class Option:
    """One option of a select field, with the id Jira gives it; a disabled one cannot be chosen."""

    id: str
    value: str
    disabled: bool = False


@dataclass
class FieldDef:
    """A field as `GET /field` lists it; `kind` is how values are stored and rendered."""

    id: str
    name: str
    kind: str  # number|text|date|select|labels|epiclink|parentlink|system
    custom: bool
    options: list[Option] = field(default_factory=list)
    context_id: str | None = None  # the one global context a custom field has on Cloud

    @property
    def number(self) -> int:
        return int(self.id.rsplit("_", 1)[1]) if self.custom else 0

    def choices(self) -> list[str]:
        """Return the values an edit may choose: the enabled options, in order."""
        return [o.value for o in self.options if not o.disabled]

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def option_by_id(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass
class Status:
    id: str
    name: str
    category: str  # To Do | In Progress | Done


@dataclass
class LinkType:
    id: str
    name: str
    inward: str
    outward: str


@dataclass
class Link:
    """An issue link read as "source <outward description> destination" (PAY-12 blocks WEB-3)."""

    id: int
    type: LinkType
    source: str
    destination: str


@dataclass
class Comment:
    id: int
    body: Any
    author: str  # email
    created: datetime
    updated: datetime
    update_author: str


@dataclass
class ChangeItem:
    field: str
    fieldtype: str
    field_id: str | None
    from_id: str | None
    from_string: str | None
    to_id: str | None
    to_string: str | None


@dataclass
class History:
    id: int
    author: str
    created: datetime
    items: list[ChangeItem]


@dataclass
class Issue:
    id: int
    key: str
    project: str
    type: str
    summary: str
    status: str
    parent: str | None
    created: datetime
    updated: datetime
    values: dict[str, Any] = field(default_factory=dict)  # field id -> value (custom and system)
    properties: dict[str, Any] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)
    description: str | None = None
    resolved: datetime | None = None  # set when the issue enters a Done status, cleared when it leaves
    # (monotonic time of a change, state just before it), newest last, for Cloud's search lag.
    snapshots: list[tuple[float, Issue | None]] = field(default_factory=list, repr=False)

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])

    def snapshot(self) -> Issue:
        """Return a copy of the searchable state, sharing nothing mutable."""
        return replace(
            self, values={k: list(v) if isinstance(v, list) else v for k, v in self.values.items()},
            properties=dict(self.properties), comments=list(self.comments),
            histories=list(self.histories), snapshots=[],
        )


@dataclass
class Project:
    id: int
    key: str
    name: str
    last_number: int = 0  # the highest issue number the project has given; Jira never gives one twice


def as_date(value: Any) -> date | None:
    """Parse a seed or REST date value."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
