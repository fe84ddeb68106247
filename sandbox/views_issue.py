"""Issue endpoints: get, edit, editmeta, comments, properties and issue links."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from sandbox.changes import check_parent, update_issue
from sandbox.context import actor, error, json_object, site
from sandbox.edits import OPERATIONS, PROPERTY_LIMIT, editable, requested_changes, requested_properties
from sandbox.fields import option_json, schema_of
from sandbox.paging import page_bean
from sandbox.render import history_json, issue_json, wanted_fields
from sandbox.views_meta import API, view

blueprint = Blueprint("issue", __name__)
NO_NOTIFY = "To discard the user notification either admin or project admin permissions are required."


def created(body: Any = None, location: str | None = None) -> Response:
    response = jsonify(body) if body is not None else Response(status=201)
    response.status_code = 201
    if location:
        response.headers["Location"] = location
    return response


@blueprint.get(f"{API}/issue/<key>")
def get_issue(version: str, key: str) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        fields = wanted_fields(store, request.args.getlist("fields"), "*all")
        expand = ",".join(request.args.getlist("expand")).split(",")
        properties = ",".join(request.args.getlist("properties")).split(",")
        return jsonify(issue_json(store, view(version), issue, fields or [], expand, properties))


@blueprint.get(f"{API}/issue/<key>/changelog")
def changelog(version: str, key: str) -> Response:
    """Page through an issue's changelog, oldest first (Cloud only: Data Center has no such endpoint)."""
    here = site()
    if here.flavor != "cloud":
        abort(404)
    with here.store.lock:
        issue = here.store.get(key)
        oldest_first = sorted(issue.histories, key=lambda h: (h.created, h.id))
        entries = [history_json(here.store, view(version), h) for h in oldest_first]
        return jsonify(page_bean(entries, 100, 100))


@blueprint.get(f"{API}/issue/<key>/editmeta")
def editmeta(version: str, key: str) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        meta: dict[str, Any] = {}
        base = request.host_url.rstrip("/")
        for fid, definition in editable(store, issue).items():
            schema = schema_of(definition) or {"type": "issuelink", "system": fid}
            entry: dict[str, Any] = {"required": fid == "summary", "schema": schema, "name": definition.name,
                                     "key": fid, "operations": OPERATIONS.get(definition.kind, ["set"])}
            if definition.kind == "select":
                entry["allowedValues"] = [option_json(o, base) for o in definition.options if not o.disabled]
            meta[fid] = entry
        return jsonify({"fields": meta})


@blueprint.put(f"{API}/issue/<key>")
def edit_issue(version: str, key: str) -> Response:
    here = site()
    store = here.store
    if request.args.get("notifyUsers", "true").lower() == "false" and not actor().admin:
        return error(403, [NO_NOTIFY])
    body = json_object()
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
        if name not in issue.properties:  # its value may be null, which Jira stores like any other
            return error(404, [f"The property with key '{name}' does not exist."])
        del issue.properties[name]
        store.version += 1
    return Response(status=204)
