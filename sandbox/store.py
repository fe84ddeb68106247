"""In-memory Jira data for one site, indexed by key, id, parent and link end for fast lookups."""

from __future__ import annotations

import threading
import time

from sandbox.model import (
    DEFAULT_LINK_TYPES,
    DEFAULT_STATUSES,
    SNAPSHOTS_KEPT,
    FieldDef,
    Issue,
    Link,
    LinkType,
    Option,
    Project,
    Status,
    User,
)
from sandbox.screens import Screens


class StoreError(Exception):
    """A request the data cannot satisfy; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or {}


def wrong_shape(value: object, expected: str = "java.util.LinkedHashMap") -> StoreError:
    """Return the 400 Jira answers for JSON of the wrong shape (its JSON reader's own words)."""
    token = ("START_ARRAY" if isinstance(value, list) else "START_OBJECT" if isinstance(value, dict)
             else "VALUE_STRING" if isinstance(value, str) else "VALUE_NULL" if value is None
             else "VALUE_TRUE" if value is True else "VALUE_FALSE" if value is False else "VALUE_NUMBER_INT")
    return StoreError(f"Can not deserialize instance of {expected} out of {token} token")


class Store:
    """All issues and metadata of one sandbox site; every mutation takes `lock`."""

    def __init__(self, flavor: str) -> None:
        self.flavor = flavor
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.projects: dict[str, Project] = {}
        self.statuses: dict[str, Status] = {}
        self.fields: dict[str, FieldDef] = {}  # by id
        self.field_by_name: dict[str, FieldDef] = {}  # by lowercased display name
        self.screens = Screens()
        self.issues: dict[str, Issue] = {}  # by key
        self.by_id: dict[int, Issue] = {}
        self.children: dict[str, set[str]] = {}  # parent key -> child keys
        self.link_types: dict[str, LinkType] = {}
        self.links: dict[int, Link] = {}
        self.links_of: dict[str, set[int]] = {}
        self.version = 0  # bumped on every change; search caches key on it
        self.type_ids: dict[str, str] = {}  # issue type (lower) -> id
        self.type_names: dict[str, str] = {}  # issue type (lower) -> name as first given
        self._next_id = {"issue": 10000, "link": 10000, "comment": 10000, "history": 10000, "field": 10000,
                         "option": 10000, "context": 10100}
        for name, category in DEFAULT_STATUSES:
            self.add_status(name, category)
        for i, (name, inward, outward) in enumerate(DEFAULT_LINK_TYPES):
            self.link_types[name.lower()] = LinkType(str(10000 + i), name, inward, outward)

    def next_id(self, kind: str) -> int:
        value = self._next_id[kind]
        self._next_id[kind] = value + 1
        return value

    # -- metadata ---------------------------------------------------------------------------------
    def add_status(self, name: str, category: str) -> Status:
        status = Status(str(10000 + len(self.statuses)), name, category)
        self.statuses[name.lower()] = status
        return status

    def status(self, name: str) -> Status:
        try:
            return self.statuses[name.lower()]
        except KeyError:
            raise StoreError(f"Status '{name}' does not exist.") from None

    def add_field(self, fid: str, name: str, kind: str, custom: bool,
                  options: list[str] | None = None) -> FieldDef:
        context = str(self.next_id("context")) if custom else None
        definition = FieldDef(fid, name, kind, custom, [], context)
        self.add_options(definition, options or [])
        self.fields[fid] = definition
        self.field_by_name.setdefault(name.lower(), definition)
        return definition

    def add_custom_field(self, name: str, kind: str, options: list[str] | None = None) -> FieldDef:
        """Declare a custom field with the next stable `customfield_1xxxx` id."""
        existing = self.field_by_name.get(name.lower())
        if existing is not None:
            return existing
        return self.add_field(f"customfield_{self.next_id('field')}", name, kind, True, options)

    def add_options(self, definition: FieldDef, values: list[str]) -> list[Option]:
        """Append options with fresh ids to a field and return them."""
        added = [Option(str(self.next_id("option")), value) for value in values]
        definition.options.extend(added)
        return added

    def field_named(self, name_or_id: str) -> FieldDef | None:
        return self.fields.get(name_or_id) or self.field_by_name.get(name_or_id.lower())

    def project(self, key: str, name: str | None = None) -> Project:
        if key not in self.projects:
            self.projects[key] = Project(10000 + len(self.projects), key, name or key)
        elif name:
            self.projects[key].name = name
        return self.projects[key]

    def type_id(self, name: str) -> str:
        """Return a stable id for an issue type name, registering the type when it is new."""
        self.type_names.setdefault(name.lower(), name)
        return self.type_ids.setdefault(name.lower(), str(10000 + len(self.type_ids)))

    def issue_type(self, name_or_id: str) -> str | None:
        """Return the name of a known issue type given by name (any case) or id, or None."""
        for lowered, type_id in self.type_ids.items():
            if name_or_id == type_id or name_or_id.lower() == lowered:
                return self.type_names[lowered]
        return None

    def project_by(self, key_or_id: str) -> Project | None:
        """Return a project by key (any case) or numeric id, or None."""
        for project in self.projects.values():
            if key_or_id.upper() == project.key or key_or_id == str(project.id):
                return project
        return None

    def user_by_token(self, email: str | None, token: str) -> User | None:
        for user in self.users.values():
            if user.token == token and (email is None or user.email == email):
                return user
        return None

    # -- issues ---------------------------------------------------------------------------------
    def find(self, key_or_id: str) -> Issue | None:
        """Return an issue by key or numeric id, or None."""
        if key_or_id.isascii() and key_or_id.isdigit():
            return self.by_id.get(int(key_or_id))
        return self.issues.get(key_or_id.upper())

    def get(self, key_or_id: str) -> Issue:
        """Return an issue by key or numeric id, or raise Jira's 404."""
        issue = self.find(key_or_id)
        if issue is None:
            raise StoreError("Issue does not exist or you do not have permission to see it.", 404)
        return issue

    def insert(self, issue: Issue, fresh: bool = True) -> None:
        """Add an issue; a `fresh` one stays invisible to lagging searches for a while."""
        self.issues[issue.key] = issue
        self.by_id[issue.id] = issue
        project = self.project(issue.project)
        project.last_number = max(project.last_number, issue.number)
        if issue.parent:
            self.children.setdefault(issue.parent, set()).add(issue.key)
        if fresh:
            issue.snapshots.append((time.monotonic(), None))
        self.version += 1

    def remove(self, issue: Issue) -> None:
        del self.issues[issue.key]
        del self.by_id[issue.id]
        if issue.parent:
            self.children.get(issue.parent, set()).discard(issue.key)
        for link_id in list(self.links_of.get(issue.key, ())):
            self.unlink(link_id)
        self.version += 1

    def set_parent(self, issue: Issue, parent: str | None) -> None:
        if issue.parent:
            self.children.get(issue.parent, set()).discard(issue.key)
        issue.parent = parent
        if parent:
            self.children.setdefault(parent, set()).add(issue.key)

    def before_change(self, issue: Issue) -> None:
        """Remember the state before a change, for searches that lag behind writes."""
        issue.snapshots.append((time.monotonic(), issue.snapshot()))
        del issue.snapshots[:-SNAPSHOTS_KEPT]
        self.version += 1

    def as_seen(self, issue: Issue, lag_seconds: float) -> Issue | None:
        """Return the issue as a search that lags `lag_seconds` behind sees it (None: not yet)."""
        if lag_seconds <= 0 or not issue.snapshots:
            return issue
        horizon = time.monotonic() - lag_seconds
        for stamp, before in issue.snapshots:
            if stamp > horizon:
                return before
        return issue

    # -- links ----------------------------------------------------------------------------------
    def link_type(self, name_or_id: str) -> LinkType:
        for link_type in self.link_types.values():
            if name_or_id in (link_type.id, link_type.name) or name_or_id.lower() == link_type.name.lower():
                return link_type
        raise StoreError(f"No issue link type with name '{name_or_id}' found.", 404)

    def link(self, link_type: LinkType, source: str, destination: str) -> Link:
        link = Link(self.next_id("link"), link_type, source, destination)
        self.links[link.id] = link
        for key in (source, destination):
            self.links_of.setdefault(key, set()).add(link.id)
        self.version += 1
        return link

    def unlink(self, link_id: int) -> Link:
        link = self.links.pop(link_id, None)
        if link is None:
            raise StoreError(f"No issue link with id '{link_id}' exists.", 404)
        for key in (link.source, link.destination):
            self.links_of.get(key, set()).discard(link_id)
        self.version += 1
        return link
