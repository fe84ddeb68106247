"""Read a REST edit body (`fields`, `update`, `properties`) into changes, refusing fields as Jira does.

Jira checks every field of an edit and answers all refusals at once in its `errors` map; when any
field is refused, nothing changes.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.fields import EDITABLE_SYSTEM, from_rest
from sandbox.model import FieldDef, Issue
from sandbox.render import parent_field_ids, plain
from sandbox.store import Store, StoreError, wrong_shape

PROPERTY_LIMIT = 32768
PROPERTY_KEY_LIMIT = 255
NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
NO_SUMMARY = "You must specify a summary of the issue."
OPERATIONS = {"labels": ["add", "set", "remove"]}


def editable(store: Store, issue: Issue) -> dict[str, FieldDef]:
    """Return the fields on the edit screen of the issue's project and type, by id."""
    hidden = store.screens.hidden(issue.project, issue.type)
    parents = parent_field_ids(store, issue)
    result = {}
    for definition in store.fields.values():
        if definition.id in hidden:
            continue
        if definition.custom and definition.kind not in ("epiclink", "parentlink"):
            result[definition.id] = definition
        elif definition.id in EDITABLE_SYSTEM and definition.id != "parent" or definition.id in parents:
            result[definition.id] = definition
    return result


def member(body: dict[str, Any], name: str, kind: type) -> Any:
    """Return `body[name]` when it has Jira's expected JSON type (absent or null: an empty one)."""
    value = body.get(name)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise wrong_shape(value, "java.util.LinkedHashMap" if kind is dict else "java.util.ArrayList")
    return value


def reference(raw: Any, *names: str) -> str | None:
    """Read a reference such as {"key": ...}, {"id": ...} or {"name": ...} (the first of `names` given)."""
    if not isinstance(raw, dict):
        return None
    for name in names:
        value = raw.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def requested_changes(store: Store, issue: Issue, body: dict[str, Any], version: str,
                      creating: bool = False) -> dict[str, Any]:
    """Turn a body's `fields` and `update` into stored values, refusing every bad field at once.

    The fields allowed are those on the issue's screen; `creating` also requires a summary.
    """
    allowed = editable(store, issue)
    fields, update = member(body, "fields", dict), member(body, "update", dict)
    errors: dict[str, str] = {"summary": NO_SUMMARY} if creating and not fields.get("summary") else {}
    changes: dict[str, Any] = {}
    for fid in [*fields, *update]:
        if fid not in allowed:
            errors[fid] = NOT_ON_SCREEN.format(fid)
    for fid, raw in fields.items():
        if fid in allowed:
            try:
                changes[_target(allowed[fid])] = _value(store, allowed[fid], raw, version)
            except StoreError as exc:  # gather each refusal into one map, as Jira answers them
                errors.update(exc.errors or {fid: str(exc)})
    for fid, operations in update.items():
        if fid in allowed:
            definition = allowed[fid]
            start = changes.get(_target(definition), _current(issue, definition))
            try:
                changes[_target(definition)] = _operate(store, definition, start, operations, version)
            except StoreError as exc:
                errors.update(exc.errors or {fid: str(exc)})
    if errors:
        raise StoreError("", 400, errors)
    return changes


def _current(issue: Issue, definition: FieldDef) -> Any:
    if _target(definition) == "parent":
        return issue.parent
    return issue.values.get(definition.id)


def _operate(store: Store, definition: FieldDef, value: Any, operations: Any, version: str) -> Any:
    for operation in operations if isinstance(operations, list) else [operations]:
        if not isinstance(operation, dict):
            raise StoreError("", 400, {definition.id: 'Each operation must be an object like {"set": ...}.'})
        for verb, operand in operation.items():
            if verb not in OPERATIONS.get(definition.kind, ["set"]):
                raise StoreError("", 400, {definition.id: f"Operation '{verb}' is not supported for "
                                                          f"{definition.id}."})
            if definition.kind != "labels":
                value = _value(store, definition, operand, version)
            elif verb == "set":
                value = from_rest(store, definition, operand) or []
            else:
                label = from_rest(store, definition, [operand])[0]
                labels = [x for x in value or [] if x != label]
                value = labels + [label] if verb == "add" else labels
    return value


def _target(definition: FieldDef) -> str:
    return "parent" if definition.kind in ("epiclink", "parentlink") else definition.id


def _value(store: Store, definition: FieldDef, raw: Any, version: str) -> Any:
    if definition.id == "description":
        return document_text(raw, version)
    if definition.id == "summary":
        if not raw:
            raise StoreError("", 400, {"summary": NO_SUMMARY})
        if not isinstance(raw, str):
            raise StoreError("", 400, {"summary": "Operation value must be a string"})
        return raw
    return from_rest(store, definition, raw)


def document_text(raw: Any, version: str, name: str = "description") -> str | None:
    """Read rich text (a description, a comment): plain text on v2, an Atlassian Document on v3."""
    if raw is None:
        return None
    if version == "3" and not (isinstance(raw, dict) and raw.get("type") == "doc"):
        raise StoreError("", 400, {name: "Operation value must be an Atlassian Document (see the Atlassian "
                                         "Document Format)"})
    if version != "3" and not isinstance(raw, str):
        raise StoreError("", 400, {name: "Operation value must be a string"})
    return plain(raw)


def requested_properties(body: dict[str, Any]) -> dict[str, Any]:
    """Read an edit body's `properties` ([{key, value}]), refusing what PUT property refuses."""
    raw = body.get("properties")
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise StoreError("", 400, {"properties": "Properties must be a list of {key, value}."})
    found: dict[str, Any] = {}
    for entry in raw:
        if not isinstance(entry, dict) or not entry.get("key") or "value" not in entry:
            raise StoreError("", 400, {"properties": "Each property needs a key and a value."})
        name = str(entry["key"])
        if len(name) > PROPERTY_KEY_LIMIT:
            raise StoreError(f"The property key is too long. The maximum length is {PROPERTY_KEY_LIMIT}.")
        if len(json.dumps(entry["value"])) > PROPERTY_LIMIT:
            raise StoreError(f"The property value is too long. The maximum length is {PROPERTY_LIMIT}.")
        found[name] = entry["value"]
    return found
