"""Issue endpoints: get, edit, editmeta, comments, properties and issue links."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.app import actor, error, site
from sandbox.changes import check_parent, update_issue
from sandbox.fields import EDITABLE_SYSTEM, from_rest, schema_of
from sandbox.model import FieldDef, Issue
from sandbox.render import (
    View,
    issue_json,
    parent_field_ids,
    plain,
    wanted_fields,
)
from sandbox.store import Store, StoreError
from sandbox.views_meta import API, view

blueprint = Blueprint("issue", __name__)
PROPERTY_LIMIT = 32768
PROPERTY_KEY_LIMIT = 255
NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
NO_NOTIFY = "To discard the user notification either admin or project admin permissions are required."
OPERATIONS = {"labels": ["add", "set", "remove"]}


def created(body: Any = None, location: str | None = None) -> Response:
    response = jsonify(body) if body is not None else Response(status=201)
    response.status_code = 201
    if location:
        response.headers["Location"] = location
    return response


def editable(store: Store, issue: Issue) -> dict[str, FieldDef]:
    """Return the fields on the issue type's edit screen, by id."""
    hidden = store.screens.get(issue.type.lower(), set())
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


@blueprint.get(f"{API}/issue/<key>")
def get_issue(version: str, key: str) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        fields = wanted_fields(store, request.args.getlist("fields"), "*all")
        expand = ",".join(request.args.getlist("expand")).split(",")
        properties = ",".join(request.args.getlist("properties")).split(",")
        return jsonify(issue_json(store, view(version), issue, fields or [], expand, properties))


@blueprint.get(f"{API}/issue/<key>/editmeta")
def editmeta(version: str, key: str) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        meta: dict[str, Any] = {}
        base = View(request.host_url.rstrip("/"))
        for fid, definition in editable(store, issue).items():
            schema = schema_of(definition) or {"type": "issuelink", "system": fid}
            entry: dict[str, Any] = {"required": fid == "summary", "schema": schema, "name": definition.name,
                                     "key": fid, "operations": OPERATIONS.get(definition.kind, ["set"])}
            if definition.kind == "select":
                entry["allowedValues"] = [
                    {"self": base.api(f"customFieldOption/{definition.option_id(o)}"), "value": o,
                     "id": definition.option_id(o)} for o in definition.options]
            meta[fid] = entry
        return jsonify({"fields": meta})


@blueprint.put(f"{API}/issue/<key>")
def edit_issue(version: str, key: str) -> Response:
    here = site()
    store = here.store
    if request.args.get("notifyUsers", "true").lower() == "false" and not actor().admin:
        return error(403, [NO_NOTIFY])
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return error(400, ["No content to map to Object due to end of input"])
    with store.lock:
        issue = store.get(key)
        changes = requested_changes(store, issue, body, version)
        properties = requested_properties(body)
        check_parent(store, issue.type, changes.get("parent"))
        history = update_issue(store, issue, changes, actor().email)
        if properties:
            # Set with the edit (IssueUpdateDetails.properties); like PUT property, no changelog entry.
            issue.properties.update(properties)
            store.version += 1
        if history is not None:
            here.announcer.issue_event("jira:issue_updated", issue, actor().email, history)
    return Response(status=204)


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


def requested_changes(store: Store, issue: Issue, body: dict[str, Any], version: str) -> dict[str, Any]:
    """Turn a PUT body's `fields` and `update` into stored values, refusing fields off the screen."""
    allowed = editable(store, issue)
    fields, update = body.get("fields") or {}, body.get("update") or {}
    unknown = [f for f in list(fields) + list(update) if f not in allowed]
    if unknown:
        raise StoreError("", 400, {f: NOT_ON_SCREEN.format(f) for f in unknown})
    changes: dict[str, Any] = {}
    for fid, raw in fields.items():
        changes[_target(allowed[fid])] = _value(store, allowed[fid], raw, version)
    for fid, operations in update.items():
        definition = allowed[fid]
        value = changes.get(fid, issue.values.get(fid))
        for operation in operations if isinstance(operations, list) else [operations]:
            if not isinstance(operation, dict):
                operation = {"add": operation}
            for verb, operand in operation.items():
                if definition.kind == "labels":
                    labels = list(value or [])
                    if verb == "add" and operand not in labels:
                        labels.append(str(operand))
                    elif verb == "remove":
                        labels = [x for x in labels if x != operand]
                    elif verb == "set":
                        labels = list(operand or [])
                    value = labels
                elif verb == "set":
                    value = _value(store, definition, operand, version)
                else:
                    raise StoreError("", 400, {fid: f"Operation '{verb}' is not supported for {fid}."})
        changes[_target(definition)] = value
    return changes


def _target(definition: FieldDef) -> str:
    return "parent" if definition.kind in ("epiclink", "parentlink") else definition.id


def _value(store: Store, definition: FieldDef, raw: Any, version: str) -> Any:
    if definition.id == "description":
        return None if raw is None else plain(raw)
    if definition.id == "summary":
        if not raw:
            raise StoreError("", 400, {"summary": "You must specify a summary of the issue."})
        return str(raw)
    return from_rest(store, definition, raw)


@blueprint.get(f"{API}/issue/<key>/properties")
def list_properties(version: str, key: str) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        base = view(version)
        return jsonify({"keys": [{"self": base.api(f"issue/{issue.id}/properties/{name}"), "key": name}
                                 for name in issue.properties]})


@blueprint.get(f"{API}/issue/<key>/properties/<name>")
def get_property(version: str, key: str, name: str) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        if name not in issue.properties:
            return error(404, [f"The property with key '{name}' does not exist."])
        return jsonify({"key": name, "value": issue.properties[name]})


@blueprint.put(f"{API}/issue/<key>/properties/<name>")
def put_property(version: str, key: str, name: str) -> Response:
    store = site().store
    raw = request.get_data(as_text=True)
    if len(raw) > PROPERTY_LIMIT:
        return error(400, [f"The property value is too long. The maximum length is {PROPERTY_LIMIT}."])
    try:
        value = json.loads(raw)
    except ValueError:
        return error(400, ["The property value must be valid JSON."])
    with store.lock:
        issue = store.get(key)
        existed = name in issue.properties
        issue.properties[name] = value
        store.version += 1
    return Response(status=200 if existed else 201)


@blueprint.delete(f"{API}/issue/<key>/properties/<name>")
def delete_property(version: str, key: str, name: str) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        if issue.properties.pop(name, None) is None:
            return error(404, [f"The property with key '{name}' does not exist."])
        store.version += 1
    return Response(status=204)
