"""Create an issue over REST (`POST /rest/api/{2,3}/issue`), as Jira's create screen allows."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from sandbox.changes import check_parent, creation_items, open_issue
from sandbox.context import actor, json_object, site
from sandbox.edits import NO_SUMMARY, member, reference, requested_changes
from sandbox.model import Issue, level_of, now_utc
from sandbox.store import Store, StoreError
from sandbox.views_meta import API, view

blueprint = Blueprint("create", __name__)
NO_PROJECT = "Specify a valid project ID or key"
NO_TYPE = "Specify an issue type"
BAD_TYPE = "The issue type selected is invalid."
NO_PARENT = "Issue type is a sub-task but parent issue key or id not specified."


def where_and_what(store: Store, fields: dict[str, Any]) -> tuple[str, str]:
    """Return the (project key, issue type name) a create body names, or refuse what is missing."""
    project_ref = reference(fields.get("project"), "key", "id")
    type_ref = reference(fields.get("issuetype"), "id", "name")
    project = store.project_by(project_ref) if project_ref else None
    issue_type = store.issue_type(type_ref) if type_ref else None
    if project is None or issue_type is None:
        errors = {} if fields.get("summary") else {"summary": NO_SUMMARY}
        if project is None:
            errors["project"] = NO_PROJECT
        if issue_type is None:
            errors["issuetype"] = BAD_TYPE if type_ref else NO_TYPE
        raise StoreError("", 400, errors)
    return project.key, issue_type


@blueprint.post(f"{API}/issue")
def create_issue(version: str) -> Response:
    here = site()
    store = here.store
    body = json_object()
    fields = member(body, "fields", dict)
    with store.lock:
        project, issue_type = where_and_what(store, fields)
        key = f"{project}-{store.project(project).last_number + 1}"
        moment = now_utc()
        draft = Issue(0, key, project, issue_type, "", "To Do", None, moment, moment)
        rest = {k: v for k, v in fields.items() if k not in ("project", "issuetype")}
        changes = requested_changes(store, draft, {"fields": rest, "update": body.get("update")}, version,
                                    creating=True)
        parent = changes.get("parent")
        if level_of(issue_type) < 0 and not parent:
            raise StoreError("", 400, {"parent": NO_PARENT})
        check_parent(store, issue_type, parent)
        issue = open_issue(store, key, issue_type, changes.pop("summary"), changes)
        here.announcer.issue_event("jira:issue_created", issue, actor().email,
                                   items=creation_items(store, issue))
        response = jsonify({"id": str(issue.id), "key": issue.key,
                            "self": view(version).api(f"issue/{issue.id}")})
    response.status_code = 201
    return response
