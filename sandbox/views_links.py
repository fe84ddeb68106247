"""Issue link endpoints: create, read and delete links between two issues."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from sandbox.changes import make_link
from sandbox.context import error, json_object, site
from sandbox.edits import reference
from sandbox.render import link_json
from sandbox.views_issue import created
from sandbox.views_meta import API, view

blueprint = Blueprint("links", __name__)


@blueprint.post(f"{API}/issueLink")
def create_link(version: str) -> Response:
    here = site()
    body = json_object()
    kind = reference(body.get("type"), "name", "id")
    ends = [reference(body.get(end), "key", "id") for end in ("inwardIssue", "outwardIssue")]
    if kind is None or None in ends:
        return error(400, [], {"issueLinkType": "Link type and both issues are required."})
    with here.store.lock:
        # Jira reads {"inwardIssue": A, "outwardIssue": B} as "A <outward> B", e.g. A blocks B.
        link = make_link(here.store, kind, str(ends[0]), str(ends[1]))
        here.announcer.link_event("issuelink_created", link)
        return created(None, view(version).api(f"issueLink/{link.id}"))


@blueprint.get(f"{API}/issueLink/<int:link_id>")
def get_link(version: str, link_id: int) -> Response:
    store = site().store
    with store.lock:
        link = store.links.get(link_id)
        if link is None:
            return error(404, [f"No issue link with id '{link_id}' exists."])
        return jsonify(link_json(store, view(version), link))


@blueprint.delete(f"{API}/issueLink/<int:link_id>")
def delete_link(version: str, link_id: int) -> Response:
    here = site()
    with here.store.lock:
        link = here.store.unlink(link_id)
        here.announcer.link_event("issuelink_deleted", link)
    return Response(status=204)
