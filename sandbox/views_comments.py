"""Comment endpoints: list, add, read and edit an issue's comments."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from sandbox.app import actor, error, site
from sandbox.changes import add_comment
from sandbox.model import Comment, Issue, now_utc
from sandbox.render import comment_json, comments_page, plain
from sandbox.store import StoreError
from sandbox.views_issue import created
from sandbox.views_meta import API, view

blueprint = Blueprint("comments", __name__)


@blueprint.get(f"{API}/issue/<key>/comment")
def list_comments(version: str, key: str) -> Response:
    store = site().store
    with store.lock:
        page = comments_page(store, view(version), store.get(key))
        page.pop("self")
        return jsonify(page)


@blueprint.post(f"{API}/issue/<key>/comment")
def post_comment(version: str, key: str) -> Response:
    here = site()
    body = request.get_json(silent=True, force=True) or {}
    if not body.get("body"):
        return error(400, [], {"comment": "Comment body can not be empty!"})
    with here.store.lock:
        issue = here.store.get(key)
        comment = add_comment(here.store, issue, plain(body["body"]), actor().email)
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
    body = request.get_json(silent=True, force=True) or {}
    if not body.get("body"):
        return error(400, [], {"comment": "Comment body can not be empty!"})
    with here.store.lock:
        issue = here.store.get(key)
        comment = _comment(issue, comment_id)
        comment.body, comment.updated, comment.update_author = plain(body["body"]), now_utc(), actor().email
        here.announcer.comment_event("comment_updated", issue, comment)
        return jsonify(comment_json(here.store, view(version), issue, comment))


def _comment(issue: Issue, comment_id: int) -> Comment:
    for comment in issue.comments:
        if comment.id == comment_id:
            return comment
    raise StoreError(f"Can not find a comment for the id: {comment_id}.", 404)
