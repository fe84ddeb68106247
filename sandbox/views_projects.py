"""Projects: Cloud's paginated `project/search`, the project list both flavors serve, and one project."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from sandbox.context import site
from sandbox.model import Project
from sandbox.paging import page_bean, query_list
from sandbox.render import View, issuetype_json, project_json
from sandbox.store import Store, StoreError
from sandbox.views_meta import API, view

blueprint = Blueprint("projects", __name__)
ORDERS: dict[str, Callable[[Project], str]] = {
    "key": lambda p: p.key, "name": lambda p: p.name.lower(), "id": lambda p: f"{p.id:012d}"}


def full_json(store: Store, base: View, project: Project) -> dict[str, Any]:
    """Render a project as the project endpoints do, with the issue types its issues use."""
    types = sorted({i.type for i in store.issues.values() if i.project == project.key})
    body = {"expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            **project_json(base, project), "style": "classic", "isPrivate": False, "properties": {}}
    body["issueTypes"] = [issuetype_json(store, base, name) for name in types]
    return body


@blueprint.get(f"{API}/project/search")
def search_projects(version: str) -> Response:
    here = site()
    if here.flavor != "cloud":
        abort(404)  # Data Center lists projects at GET /rest/api/2/project
    store = here.store
    order = request.args.get("orderBy", "key")
    sort = ORDERS.get(order.lstrip("+-"))
    if sort is None:
        raise StoreError(f"The value '{order}' is invalid for the orderBy parameter.")
    text = request.args.get("query", "").lower()
    keys, ids = {k.upper() for k in query_list("keys")}, set(query_list("id"))
    with store.lock:
        found = [p for p in store.projects.values()
                 if (not text or text in p.key.lower() or text in p.name.lower())
                 and (not keys or p.key in keys) and (not ids or str(p.id) in ids)]
        found.sort(key=sort, reverse=order.startswith("-"))
        return jsonify(page_bean([full_json(store, view(version), p) for p in found], 50, 100))


@blueprint.get(f"{API}/project")
def list_projects(version: str) -> Response:
    store = site().store
    with store.lock:
        return jsonify([full_json(store, view(version), p) for p in sorted(store.projects.values(),
                                                                           key=lambda p: p.key)])


@blueprint.get(f"{API}/project/<key_or_id>")
def get_project(version: str, key_or_id: str) -> Response:
    store = site().store
    with store.lock:
        project = store.project_by(key_or_id)
        if project is None:
            raise StoreError(f"No project could be found with key '{key_or_id}'.", 404)
        return jsonify(full_json(store, view(version), project))
