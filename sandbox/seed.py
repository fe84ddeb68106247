"""Load a seed (YAML text, file or mapping), validate it, and build the sandbox's store from it."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import yaml

from sandbox.fields import SEED_KINDS, add_system_fields, coerce, infer_kind, to_string
from sandbox.model import CATEGORIES, DEFAULT_ISSUE_TYPES, ChangeItem, History, Issue, User, level_of
from sandbox.permissions import BY_KEY, unknown_keys
from sandbox.store import Store

KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*-[1-9][0-9]*$")
DEFAULT_USERS = ({"email": "admin@example.com", "token": "token", "admin": True, "name": "Site Admin"},)
SEED_CREATED = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
SEEDS_DIR = Path(__file__).resolve().parent / "seeds"  # the shipped seeds: demo.yaml, small.yaml


class SeedError(ValueError):
    """A seed that cannot be loaded; the message names the issue key and field."""


def read_seed(source: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """Return the seed as a mapping, reading a file path or YAML text."""
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, Path) or ("\n" not in source and Path(source).is_file()):
        text = Path(source).read_text(encoding="utf-8")
    else:
        text = source
    try:
        data = copy.deepcopy(_parsed(text))
    except yaml.YAMLError as exc:
        raise SeedError(f"seed is not valid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SeedError("seed must be a mapping with an `issues:` list")
    return data


@functools.lru_cache(maxsize=32)
def _parsed(text: str) -> Any:
    """Parse seed YAML once per text (libyaml's parser where installed): tests start many sandboxes
    from the same few seeds. Callers copy the result, so no store shares it."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def build_store(seed: Mapping[str, Any], flavor: str) -> Store:
    """Validate a seed and return a store holding it, shaped for `flavor` (cloud or datacenter)."""
    if flavor not in ("cloud", "datacenter"):
        raise SeedError(f"flavor must be cloud or datacenter, not {flavor!r}")
    store = Store(flavor)
    add_system_fields(store)
    _users(store, seed.get("users") or list(DEFAULT_USERS))
    for project in _list(seed, "projects"):
        store.project(str(project["key"]), str(project.get("name") or project["key"]))
    for status in _list(seed, "statuses"):
        category = status.get("category")
        if category not in CATEGORIES:
            raise SeedError(f"status {status.get('name')!r}: category must be To Do, In Progress or Done")
        store.add_status(str(status["name"]), str(category))
    for declared in _list(seed, "fields"):
        kind = declared.get("type", "text")
        if kind not in SEED_KINDS:
            raise SeedError(f"field {declared.get('name')!r}: type must be one of {', '.join(SEED_KINDS)}")
        store.add_custom_field(str(declared["name"]), kind, [str(o) for o in declared.get("options") or []])
    issues = _list(seed, "issues")
    for raw in issues:
        for name, value in (raw.get("fields") or {}).items():
            if store.field_named(str(name)) is None:
                store.add_custom_field(str(name), infer_kind(value))
    if flavor == "datacenter":
        store.add_custom_field("Epic Link", "epiclink")
        store.add_custom_field("Parent Link", "parentlink")
    _screens(store, seed.get("screens") or {})
    for raw in issues:
        _add_issue(store, raw)
    for name in [*(str(raw["type"]) for raw in issues), *DEFAULT_ISSUE_TYPES]:
        store.type_id(name)
    for raw in issues:
        _check_parent(store, raw)
    for raw in issues:
        issue = store.issues[str(raw["key"])]
        for n, entry in enumerate(raw.get("history") or []):
            issue.histories.append(_history(store, issue, entry, n))
        # As in Jira, an issue's `updated` is the time of its latest change.
        issue.updated = max([issue.updated, *(h.created for h in issue.histories)])
        issue.resolved = _resolved(store, issue)
    for n, raw in enumerate(_list(seed, "links")):
        for end in ("from", "to"):
            if str(raw.get(end)) not in store.issues:
                raise SeedError(f"links[{n}]: {end} issue {raw.get(end)!r} is not in the seed")
        store.link(store.link_type(str(raw.get("type", "Blocks"))), str(raw["from"]), str(raw["to"]))
    return store


def _resolved(store: Store, issue: Issue) -> datetime | None:
    """Return when a seeded issue in a Done status was resolved: its last move into Done, else its
    latest change."""
    if store.status(issue.status).category != "Done":
        return None
    entered = [h.created for h in issue.histories for i in h.items if i.field == "status"
               and i.to_string and i.to_string.lower() in store.statuses
               and store.status(i.to_string).category == "Done"]
    return max(entered) if entered else issue.updated


def _list(seed: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    items = seed.get(name) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise SeedError(f"`{name}` must be a list of mappings")
    return items


def _users(store: Store, users: list[dict[str, Any]]) -> None:
    for n, raw in enumerate(users):
        if not raw.get("email") or not raw.get("token"):
            raise SeedError(f"users[{n}]: email and token are required")
        email = str(raw["email"])
        account = str(raw.get("account_id") or f"5b10a2844c20165700ede{n:03d}")
        store.users[email] = User(email, str(raw["token"]), bool(raw.get("admin", False)),
                                  str(raw.get("name") or email.split("@")[0]), account,
                                  _permissions(raw.get("permissions"), f"users[{n}]"))


def _permissions(raw: Any, where: str) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise SeedError(f"{where}.permissions: give a list of permission keys, e.g. [BROWSE_PROJECTS]")
    unknown = unknown_keys([str(k) for k in raw])
    if unknown:
        known = ", ".join(BY_KEY)
        raise SeedError(f"{where}.permissions: unknown permission {unknown[0]!r} (known: {known})")
    return frozenset(str(k) for k in raw)


def _screens(store: Store, screens: Any) -> None:
    """Read `screens:`: {Type: [fields off its screen]} site-wide, {PROJECT: {Type: [...]}} in one project."""
    if not isinstance(screens, dict):
        raise SeedError("`screens` must map an issue type (or a project key) to the fields off its screen")
    for name, entry in screens.items():
        if isinstance(entry, dict):
            for issue_type, names in entry.items():
                where = f"screens.{name}.{issue_type}"
                store.screens.take_off(_field_ids(store, names, where), str(issue_type), str(name))
        else:
            store.screens.take_off(_field_ids(store, entry, f"screens.{name}"), str(name))


def _field_ids(store: Store, names: Any, where: str) -> list[str]:
    if not isinstance(names, list):
        raise SeedError(f"{where}: give a list of field names")
    return [_field_id(store, str(n), where) for n in names]


def _field_id(store: Store, name: str, where: str) -> str:
    definition = store.field_named(name)
    if definition is None:
        raise SeedError(f"{where}: unknown field {name!r}")
    return definition.id


def _add_issue(store: Store, raw: dict[str, Any]) -> None:
    key = str(raw.get("key", ""))
    if not KEY_PATTERN.match(key):
        raise SeedError(f"issue {key!r}: key must look like PAY-12")
    if key in store.issues:
        raise SeedError(f"issue {key}: key appears twice")
    for required in ("type", "summary"):
        if not raw.get(required):
            raise SeedError(f"issue {key}: `{required}` is required")
    status = str(raw.get("status") or "To Do")
    if status.lower() not in store.statuses:
        raise SeedError(f"issue {key}: status {status!r} is not a known status (declare it under statuses:)")
    created = _stamp(raw.get("created"), key, "created") or SEED_CREATED
    issue = Issue(store.next_id("issue"), key, key.rsplit("-", 1)[0], str(raw["type"]), str(raw["summary"]),
                  store.statuses[status.lower()].name, None, created, created,
                  description=raw.get("description"))
    for name, value in (raw.get("fields") or {}).items():
        definition = store.field_named(str(name))
        assert definition is not None
        try:
            issue.values[definition.id] = coerce(definition, value)
        except ValueError as exc:
            raise SeedError(f"issue {key}, field {name!r}: {exc}") from None
    issue.properties.update(raw.get("properties") or {})
    store.insert(issue, fresh=False)


def _check_parent(store: Store, raw: dict[str, Any]) -> None:
    key, parent = str(raw["key"]), raw.get("parent")
    if parent is None:
        return
    if str(parent) not in store.issues:
        raise SeedError(f"issue {key}, field 'parent': {parent!r} is not in the seed")
    issue = store.issues[key]
    if level_of(store.issues[str(parent)].type) <= level_of(issue.type) and level_of(issue.type) >= 0:
        raise SeedError(f"issue {key}, field 'parent': a {issue.type} cannot sit under a "
                        f"{store.issues[str(parent)].type}")
    store.set_parent(issue, str(parent))


def _stamp(value: Any, key: str, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise SeedError(f"issue {key}, field {name!r}: expected a date YYYY-MM-DD, got {value!r}") from None
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def _history(store: Store, issue: Issue, entry: dict[str, Any], n: int) -> History:
    where = f"history[{n}]"
    created = _stamp(entry.get("date"), issue.key, f"{where}.date") or issue.created
    name = str(entry.get("field", ""))
    old, new = entry.get("from"), entry.get("to")
    if name.lower() == "status":
        ids = [store.status(str(v)).id if v is not None else None for v in (old, new)]
        item = ChangeItem("status", "jira", "status", ids[0], _str(old), ids[1], _str(new))
    elif name.lower() in ("parent", "epic link", "parent link"):
        item = parent_change(store, issue, _str(old), _str(new))
    else:
        definition = store.field_named(name)
        if definition is None:
            raise SeedError(f"issue {issue.key}, field {where}.field: unknown field {name!r}")
        try:
            before, after = coerce(definition, old), coerce(definition, new)
        except ValueError as exc:
            raise SeedError(f"issue {issue.key}, field {where}: {exc}") from None
        item = ChangeItem(definition.name if definition.custom else definition.id,
                          "custom" if definition.custom else "jira", definition.id,
                          None, to_string(definition, before), None, to_string(definition, after))
    return History(store.next_id("history"), next(iter(store.users)), created, [item])


def parent_change(store: Store, issue: Issue, old: str | None, new: str | None) -> ChangeItem:
    """Describe a parent change the way the flavor's changelog does."""
    ids = [str(store.issues[k].id) if k in store.issues else None for k in (old, new)]
    if store.flavor == "cloud":
        # Cloud logs re-parenting as IssueParentAssociation with ids in from/to and keys in the strings.
        return ChangeItem("IssueParentAssociation", "jira", None, ids[0], old, ids[1], new)
    if level_of(issue.type) < 0:
        return ChangeItem("Parent", "jira", "parent", ids[0], old, ids[1], new)
    name = "Epic Link" if level_of(issue.type) == 0 else "Parent Link"
    definition = store.field_named(name)
    return ChangeItem(name, "custom", definition.id if definition else None, ids[0], old, ids[1], new)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
