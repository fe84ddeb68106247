"""Workflow transitions: every status is reachable from any other, as in Jira's simplified workflow.

Each transition is named after the status it leads to and has no screen, so a transition body may add
a comment but sets no fields. Its id is stable per target status (11, 21, 31, ... in status order).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.changes import add_comment, update_issue
from sandbox.context import actor, json_object, site
from sandbox.edits import NOT_ON_SCREEN, member
from sandbox.model import Issue, Status
from sandbox.render import View, plain, status_json
from sandbox.store import Store, StoreError
from sandbox.views_meta import API, view

blueprint = Blueprint("transitions", __name__)
MISSING = "Missing 'transition' identifier"
INVALID = "Transition id '{}' is not valid for this issue."


def available(store: Store, issue: Issue) -> list[tuple[str, Status]]:
    """Return (transition id, target status) for every status the issue can move to."""
    return [(str(11 + 10 * n), status) for n, status in enumerate(store.statuses.values())
            if status.name != issue.status]


def transition_json(store: Store, base: View, transition_id: str, status: Status,
                    with_fields: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": transition_id, "name": status.name,
                            "to": status_json(store, base, status.name), "hasScreen": False,
                            "isGlobal": True, "isInitial": False, "isAvailable": True,
                            "isConditional": False, "isLooped": False}
    if with_fields:
        body["fields"] = {}
    return body


@blueprint.get(f"{API}/issue/<key>/transitions")
def list_transitions(version: str, key: str) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        wanted = request.args.get("transitionId")
        with_fields = "transitions.fields" in ",".join(request.args.getlist("expand")).split(",")
        found = [transition_json(store, view(version), tid, status, with_fields)
                 for tid, status in available(store, issue) if wanted in (None, "", tid)]
        return jsonify({"expand": "transitions", "transitions": found})


@blueprint.post(f"{API}/issue/<key>/transitions")
def do_transition(version: str, key: str) -> Response:
    here = site()
    store = here.store
    body = json_object()
    transition = body.get("transition")
    transition_id = transition.get("id") if isinstance(transition, dict) else None
    if transition_id is None or isinstance(transition_id, bool) or not isinstance(transition_id, str | int):
        raise StoreError(MISSING)
    with store.lock:
        issue = store.get(key)
        target = dict(available(store, issue)).get(str(transition_id))
        if target is None:
            raise StoreError(INVALID.format(transition_id))
        comments = _comments(body)
        history = update_issue(store, issue, {"status": target.name}, actor().email)
        if history is not None:
            here.announcer.issue_event("jira:issue_updated", issue, actor().email, history)
        for text in comments:
            comment = add_comment(store, issue, text, actor().email)
            here.announcer.comment_event("comment_created", issue, comment)
    return Response(status=204)


def _comments(body: dict[str, Any]) -> list[str]:
    """Read `update.comment: [{"add": {"body": ...}}]`; a transition without a screen takes nothing else."""
    fields, update = member(body, "fields", dict), member(body, "update", dict)
    refused = {name: NOT_ON_SCREEN.format(name) for name in [*fields, *update] if name != "comment"}
    if refused:
        raise StoreError("", 400, refused)
    operations = update.get("comment") or []
    if not isinstance(operations, list):
        raise StoreError("", 400, {"comment": 'Give comments as [{"add": {"body": ...}}].'})
    texts = []
    for operation in operations:
        added = operation.get("add") if isinstance(operation, dict) else None
        text = plain(added.get("body")) if isinstance(added, dict) else ""
        if not text:
            raise StoreError("", 400, {"comment": "Comment body can not be empty!"})
        texts.append(text)
    return texts
