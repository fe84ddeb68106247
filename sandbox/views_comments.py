"""Comment endpoints: list, add, read and edit an issue's comments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.changes import add_comment
from sandbox.context import actor, json_object, site
from sandbox.edits import document_text
from sandbox.model import Comment, Issue, now_utc
from sandbox.paging import as_int
from sandbox.render import comment_json
from sandbox.store import StoreError
from sandbox.views_issue import created
from sandbox.views_meta import API, view

blueprint = Blueprint("comments", __name__)
EMPTY = "Comment body can not be empty!"
PAGE_DEFAULT, PAGE_LIMIT = 100, 5000


def comment_text(body: dict[str, Any], version: str) -> str:
    """Read a comment body: text on v2, an Atlassian Document on v3; never empty."""
    text = document_text(body.get("body"), version, "comment")
    if not text or not text.strip():
        raise StoreError("", 400, {"comment": EMPTY})
    return text


@blueprint.get(f"{API}/issue/<key>/comment")
def list_comments(version: str, key: str) -> Response:
    """Page through an issue's comments, oldest first (`orderBy=-created`: newest first)."""
    store = site().store
    order = request.args.get("orderBy", "created")
    if order not in ("created", "+created", "-created"):
        raise StoreError(f"The value '{order}' is invalid for orderBy; use created or -created.")
    start = max(0, as_int(request.args.get("startAt"), "startAt", 0))
    size = max(0, min(as_int(request.args.get("maxResults"), "maxResults", PAGE_DEFAULT), PAGE_LIMIT))
    with store.lock:
        issue = store.get(key)
        ordered = list(reversed(issue.comments)) if order == "-created" else list(issue.comments)
        page = [comment_json(store, view(version), issue, c) for c in ordered[start:start + size]]
        return jsonify({"comments": page, "maxResults": size, "total": len(ordered), "startAt": start})


@blueprint.post(f"{API}/issue/<key>/comment")
def post_comment(version: str, key: str) -> Response:
    here = site()
    text = comment_text(json_object(), version)
    with here.store.lock:
        issue = here.store.get(key)
        comment = add_comment(here.store, issue, text, actor().email)
        here.announcer.comment_event("comment_created", issue, comment)
        return created(comment_json(here.store, view(version), issue, comment))


@blueprint.get(f"{API}/issue/<key>/comment/<int:comment_id>")
def get_comment(version: str, key: str, comment_id: int) -> Response:
    store = site().store
    with store.lock:
        issue = store.get(key)
        return jsonify(comment_json(store, view(version), issue, _comment(issue, comment_id)))


@blueprint.put(f"{API}/issue/<key>/comment/<int:comment_id>")
def edit_comment(version: str, key: str, comment_id: int) -> Response:
    here = site()
    text = comment_text(json_object(), version)
    with here.store.lock:
        issue = here.store.get(key)
        comment = _comment(issue, comment_id)
        comment.body, comment.updated, comment.update_author = text, now_utc(), actor().email
        here.announcer.comment_event("comment_updated", issue, comment)
        return jsonify(comment_json(here.store, view(version), issue, comment))


def _comment(issue: Issue, comment_id: int) -> Comment:
    for comment in issue.comments:
        if comment.id == comment_id:
            return comment
    raise StoreError(f"Can not find a comment for the id: {comment_id}.", 404)
