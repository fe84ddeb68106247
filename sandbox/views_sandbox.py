"""The sandbox's own endpoints: edit like a person would, set faults, read the request log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.app import actor, site
from sandbox.changes import check_parent, create_issue, plain_changes, update_issue
from sandbox.faults import parse_faults
from sandbox.model import ChangeItem
from sandbox.render import View, issue_json, wanted_fields
from sandbox.store import StoreError

blueprint = Blueprint("sandbox", __name__, url_prefix="/sandbox")


def body() -> dict[str, Any]:
    data = request.get_json(silent=True, force=True)
    if data is None:
        return {}
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
        items = [ChangeItem("status", "jira", "status", None, None, here.store.status(issue.status).id,
                            issue.status),
                 ChangeItem("summary", "jira", "summary", None, None, None, issue.summary)]
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


@blueprint.post("/faults")
def faults() -> Response:
    here = site()
    here.faults.set(parse_faults(body()))
    return jsonify({k: v for k, v in vars(here.faults.faults).items()})


@blueprint.get("/faults")
def current_faults() -> Response:
    return jsonify(dict(vars(site().faults.faults)))


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
