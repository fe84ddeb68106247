"""The sandbox's own endpoints (listed in the `sandbox` package docstring): edit as a person would, admin."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.changes import check_parent, create_issue, creation_items, plain_changes, update_issue
from sandbox.context import actor, site
from sandbox.faults import parse_faults
from sandbox.fields import field_json
from sandbox.options import change_kind, replace_options
from sandbox.render import View, issue_json, wanted_fields
from sandbox.store import StoreError

blueprint = Blueprint("sandbox", __name__, url_prefix="/sandbox")


def body() -> dict[str, Any]:
    """Return the request's JSON object ({} when there is no body); any other body is a 400."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise StoreError("The body is not valid JSON: send a JSON object.") from None
    if not isinstance(data, dict):
        raise StoreError("Send a JSON object.")
    return data


def rendered(key: str) -> Response:
    store = site().store
    issue = store.get(key)
    base = View(request.host_url.rstrip("/"))
    return jsonify(issue_json(store, base, issue, wanted_fields(store, [], "*all")))


@blueprint.post("/issues/<key>")
def edit(key: str) -> Response:
    """Change an issue the way a person in Jira would: status, parent, fields by display name."""
    here = site()
    with here.store.lock:
        issue = here.store.get(key)
        changes = plain_changes(here.store, body())
        check_parent(here.store, changes.get("issuetype", issue.type), changes.get("parent"))
        history = update_issue(here.store, issue, changes, actor().email)
        if history is not None:
            here.announcer.issue_event("jira:issue_updated", issue, actor().email, history)
        return rendered(issue.key)


@blueprint.post("/issues")
def create() -> Response:
    here = site()
    with here.store.lock:
        issue = create_issue(here.store, body(), actor().email)
        items = creation_items(here.store, issue)
        here.announcer.issue_event("jira:issue_created", issue, actor().email, items=items)
        response = rendered(issue.key)
    response.status_code = 201
    return response


@blueprint.delete("/issues/<key>")
def delete(key: str) -> Response:
    here = site()
    with here.store.lock:
        issue = here.store.get(key)
        if here.store.children.get(issue.key):
            raise StoreError(f"Issue {issue.key} has child issues; delete them first.")
        here.announcer.issue_event("jira:issue_deleted", issue, actor().email)
        here.store.remove(issue)
    return Response(status=204)


@blueprint.get("/screens")
def screens() -> Response:
    """List what is off (and put back on) each edit screen, by field name; project "*" is every project."""
    store = site().store
    with store.lock:
        return jsonify([{"project": project, "issuetype": issue_type,
                         "off": [store.fields[f].name for f in off], "on": [store.fields[f].name for f in on]}
                        for project, issue_type, off, on in store.screens.describe()])


@blueprint.post("/screens")
def edit_screen() -> Response:
    """Take fields off (`off`) an issue type's edit screen or put them back (`on`), in one project or all."""
    store = site().store
    data = body()
    issue_type, project = data.get("issuetype"), data.get("project")
    if not isinstance(issue_type, str) or not issue_type:
        raise StoreError("", 400, {"issuetype": "Name the issue type whose edit screen changes, e.g. Epic."})
    with store.lock:
        if project is not None and (not isinstance(project, str) or project.upper() not in store.projects):
            raise StoreError("", 400, {"project": f"Project {project!r} does not exist; leave it out for "
                                                  "every project."})
        off, on = (_field_ids(data, side) for side in ("off", "on"))
        store.screens.take_off(off, issue_type, project)
        store.screens.put_on(on, issue_type, project)
        store.version += 1
        hidden = store.screens.hidden(project or "*", issue_type)
        return jsonify({"project": project.upper() if project else "*", "issuetype": issue_type,
                        "off": [store.fields[f].name for f in sorted(hidden)]})


def _field_ids(data: dict[str, Any], side: str) -> list[str]:
    names = data.get(side) or []
    if not isinstance(names, list):
        raise StoreError("", 400, {side: "Give a list of field names or ids."})
    store = site().store
    found = {str(n): store.field_named(str(n)) for n in names}
    unknown = [name for name, definition in found.items() if definition is None]
    if unknown:
        raise StoreError("", 400, {side: f"No field named {', '.join(map(repr, unknown))}."})
    return [definition.id for definition in found.values() if definition is not None]


@blueprint.post("/fields/<path:name>")
def edit_field(name: str) -> Response:
    """Replace a field's options (`options`) and/or change its type (`type`), as a site admin would."""
    store = site().store
    data = body()
    with store.lock:
        definition = store.field_named(name)
        if definition is None:
            raise StoreError(f"No field named {name!r}.", 404)
        options, kind = data.get("options"), data.get("type")
        if options is not None and (kind or definition.kind) != "select":
            raise StoreError("", 400, {"options": f"Field '{definition.name}' is not a select; only a select "
                                                  "has options (send \"type\": \"select\" with them)."})
        if options is not None:
            if not isinstance(options, list) or not all(isinstance(o, str) and o.strip() for o in options):
                raise StoreError("", 400, {"options": "Give the options as a list of non-empty strings."})
            replace_options(store, definition, options)
        if kind is not None:
            change_kind(store, definition, str(kind))
        entry = field_json(store, definition)
        entry["options"] = [o.value for o in definition.options]
        return jsonify(entry)


@blueprint.post("/faults")
def faults() -> Response:
    here = site()
    here.faults.set(parse_faults(body()))
    return jsonify({k: v for k, v in vars(here.faults.faults).items()})


@blueprint.get("/faults")
def current_faults() -> Response:
    """Show the faults in force, and how many requests a `hold` fault keeps waiting now."""
    injector = site().faults
    return jsonify({**vars(injector.faults), "held": injector.held})


@blueprint.get("/requests")
def requests_served() -> Response:
    here = site()
    with here.requests_lock:
        return jsonify(list(here.requests))


@blueprint.delete("/requests")
def clear_requests() -> Response:
    here = site()
    with here.requests_lock:
        here.requests.clear()
    return Response(status=204)


@blueprint.get("/deliveries")
def deliveries() -> Response:
    here = site()
    stats: dict[str, Any] = dict(here.deliveries.stats())
    stats["log"] = [vars(a) for a in list(here.deliveries.attempts)]
    return jsonify(stats)
