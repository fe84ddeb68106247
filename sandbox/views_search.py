"""Search endpoints: Cloud's enhanced /search/jql, Data Center's /search, and Cloud's removed /search."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from sandbox.context import error, site
from sandbox.paging import as_int
from sandbox.render import issue_json, wanted_fields
from sandbox.search import decode_token, encode_token
from sandbox.store import StoreError
from sandbox.views_meta import API, view

blueprint = Blueprint("search", __name__)
# Jira Cloud's answer since the old search was removed (https://developer.atlassian.com/changelog/#CHANGE-2046).
REMOVED = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
           "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
CLOUD_MAX, SERVER_MAX, MAX_PROPERTIES, MAX_RECONCILE = 100, 1000, 5, 50


def params() -> dict[str, Any]:
    """Return the search parameters from the query string (GET) or JSON body (POST)."""
    if request.method == "POST":
        body = request.get_json(silent=True, force=True)
        if not isinstance(body, dict):
            raise StoreError("Invalid request payload. Refer to the REST API documentation and try again.")
        return {k: v for k, v in body.items() if v is not None}
    out: dict[str, Any] = {}
    for name in request.args:
        values = request.args.getlist(name)
        out[name] = values if name in ("fields", "properties", "reconcileIssues", "expand") else values[-1]
    return out


def as_list(value: Any) -> list[str]:
    """Read a parameter given as a list, a comma-separated string, or repeated."""
    items: Iterable[Any] = value if isinstance(value, list) else [value] if value not in (None, "") else []
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def page_size(requested: int, limit: int) -> int:
    cap = site().faults.faults.page_cap
    size = max(0, min(requested, limit))
    return min(size, cap) if cap else size


@blueprint.route(f"{API}/search/jql", methods=["GET", "POST"])
def enhanced_search(version: str) -> Response:
    here = site()
    if here.flavor != "cloud":
        return error(404, ["null for uri: " + request.url])
    args = params()
    text = str(args.get("jql") or "")
    properties = as_list(args.get("properties"))
    if len(properties) > MAX_PROPERTIES:
        return error(400, [f"You can request up to {MAX_PROPERTIES} issue properties."])
    try:
        reconcile = [int(i) for i in as_list(args.get("reconcileIssues"))]
    except ValueError:
        return error(400, ["reconcileIssues must be a list of issue ids."])
    if len(reconcile) > MAX_RECONCILE:
        return error(400, [f"You can reconcile up to {MAX_RECONCILE} issues."])
    size = page_size(as_int(args.get("maxResults"), "maxResults", 50), CLOUD_MAX)
    offset = decode_token(str(args["nextPageToken"]), text) if args.get("nextPageToken") else 0
    lag = here.faults.faults.search_lag_ms / 1000
    found = here.searcher.search(text, lag, reconcile, require_bounded=True)
    store = here.store
    with store.lock:
        fields = wanted_fields(store, as_list(args.get("fields")), "id")
        expand = as_list(args.get("expand"))
        page = [issue_json(store, view(version), i, fields, expand, properties)
                for i in found[offset:offset + size]]
    body: dict[str, Any] = {"issues": page}
    if offset + size < len(found):
        body["nextPageToken"] = encode_token(offset + size, text)
    body["isLast"] = "nextPageToken" not in body
    return jsonify(body)


@blueprint.route(f"{API}/search", methods=["GET", "POST"])
def search(version: str) -> Response:
    here = site()
    if here.flavor == "cloud":
        return error(410, [REMOVED])
    if version == "3":
        return error(404, ["null for uri: " + request.url])
    args = params()
    text = str(args.get("jql") or "")
    start = max(0, as_int(args.get("startAt"), "startAt", 0))
    size = page_size(as_int(args.get("maxResults"), "maxResults", 50), SERVER_MAX)
    found = here.searcher.search(text)
    store = here.store
    with store.lock:
        fields = wanted_fields(store, as_list(args.get("fields")), "*navigable")
        expand = as_list(args.get("expand"))
        properties = as_list(args.get("properties"))
        page = [issue_json(store, view(version), i, fields or [], expand, properties)
                for i in found[start:start + size]]
    return jsonify({"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(found),
                    "issues": page})
