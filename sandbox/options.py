"""Change a select field's options and a field's type, keeping the issues that hold its values right.

As on Jira, an option removed from a field leaves the issues that held it empty, and a renamed option
shows its new name on them; neither is an edit of those issues, so no changelog entry is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.fields import SEED_KINDS, coerce
from sandbox.model import FieldDef, Option
from sandbox.store import Store, StoreError, wrong_shape

NOT_A_SELECT = "The custom field doesn't support options."


def _entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    entries = body.get("options")
    if not isinstance(entries, list) or not entries:
        raise StoreError("", 400, {"options": "Give a non-empty list of options."})
    for entry in entries:
        if not isinstance(entry, dict):
            raise wrong_shape(entry)
    return entries


def _taken(definition: FieldDef, value: str, ignore: Option | None = None) -> bool:
    return any(o.value.lower() == value.lower() for o in definition.options if o is not ignore)


def _text(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise StoreError("", 400, {name: f"The option {name} must be a non-empty string."})
    return value


def _flag(entry: dict[str, Any], current: bool) -> bool:
    value = entry.get("disabled", current)
    if not isinstance(value, bool):
        raise StoreError("", 400, {"disabled": "disabled must be true or false."})
    return value


def require_select(definition: FieldDef) -> None:
    if definition.kind != "select":
        raise StoreError(NOT_A_SELECT)


def add_options(store: Store, definition: FieldDef, body: dict[str, Any]) -> list[Option]:
    """Add the options of a `POST .../option` body; a value already there (any case) is refused."""
    require_select(definition)
    entries = _entries(body)
    values = [_text(entry, "value") for entry in entries]
    flags = [_flag(entry, False) for entry in entries]
    for n, value in enumerate(values):
        if _taken(definition, value) or value.lower() in (v.lower() for v in values[:n]):
            raise StoreError(f"The option '{value}' already exists for this field context.")
    added = store.add_options(definition, values)
    for option, disabled in zip(added, flags, strict=True):
        option.disabled = disabled
    store.version += 1
    return added


def update_options(store: Store, definition: FieldDef, body: dict[str, Any]) -> list[Option]:
    """Rename or disable the options of a `PUT .../option` body; an unknown id is a 404."""
    require_select(definition)
    planned: list[tuple[Option, str, bool]] = []
    for entry in _entries(body):
        option = definition.option_by_id(str(entry.get("id")))
        if option is None:
            raise StoreError(f"The option with id '{entry.get('id')}' was not found.", 404)
        value = _text(entry, "value") if "value" in entry else option.value
        if _taken(definition, value, ignore=option) or value.lower() in (v.lower() for _, v, _ in planned):
            raise StoreError(f"The option '{value}' already exists for this field context.")
        planned.append((option, value, _flag(entry, option.disabled)))
    for option, value, disabled in planned:
        if value != option.value:
            _rewrite_values(store, definition, {option.value: value})
        option.value, option.disabled = value, disabled
    store.version += 1
    return [option for option, _, _ in planned]


def delete_option(store: Store, definition: FieldDef, option_id: str) -> None:
    """Remove an option; the issues that held it no longer hold a value."""
    require_select(definition)
    option = definition.option_by_id(option_id)
    if option is None:
        raise StoreError(f"The option with id '{option_id}' was not found.", 404)
    definition.options.remove(option)
    _rewrite_values(store, definition, {option.value: None})
    store.version += 1


def replace_options(store: Store, definition: FieldDef, values: Iterable[str]) -> None:
    """Make `values` the field's options, in order; kept values keep their ids, the rest are new."""
    wanted = list(dict.fromkeys(values))
    kept = {o.value: o for o in definition.options}
    gone = {o.value: None for o in definition.options if o.value not in wanted}
    definition.options = [kept[v] for v in wanted if v in kept]
    store.add_options(definition, [v for v in wanted if v not in kept])
    definition.options.sort(key=lambda o: wanted.index(o.value))
    _rewrite_values(store, definition, gone)
    store.version += 1


def change_kind(store: Store, definition: FieldDef, kind: str) -> None:
    """Give a custom field another type; values the new type cannot hold are cleared from issues."""
    if not definition.custom or definition.kind not in SEED_KINDS:
        raise StoreError(f"The type of field '{definition.name}' cannot be changed.")
    if kind not in SEED_KINDS:
        raise StoreError("", 400, {"type": f"type must be one of {', '.join(SEED_KINDS)}, not {kind!r}"})
    definition.kind = kind
    for issue in store.issues.values():
        if definition.id not in issue.values:
            continue
        try:
            issue.values[definition.id] = coerce(definition, _plain(issue.values[definition.id]))
        except ValueError:  # the new type cannot hold it: the issue is left without a value
            del issue.values[definition.id]
    store.version += 1


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, int | float | str) else str(value)


def _rewrite_values(store: Store, definition: FieldDef, renamed: Mapping[str, str | None]) -> None:
    for issue in store.issues.values():
        held = issue.values.get(definition.id)
        if isinstance(held, str) and held in renamed:
            replacement = renamed[held]
            if replacement is None:
                del issue.values[definition.id]
            else:
                issue.values[definition.id] = replacement
