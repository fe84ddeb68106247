"""Site-level endpoints: serverInfo, myself, fields, link types and admin webhook registration."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request

from sandbox.context import actor, error, json_object, site
from sandbox.deliveries import Webhook
from sandbox.edits import member
from sandbox.fields import KIND_OF_CUSTOM_TYPE, field_json
from sandbox.model import now_utc
from sandbox.paging import query_list
from sandbox.permissions import BY_KEY, PERMISSIONS, holds, unknown_keys
from sandbox.render import View, link_type_json, stamp, user_json
from sandbox.search import parse_checked
from sandbox.store import StoreError

blueprint = Blueprint("meta", __name__)
API = '/rest/api/<any("2", "3", "latest"):version>'
ADMIN_ONLY = "You are not authorised to perform this action. Administrator privileges are required."


def view(version: str) -> View:
    """Return how to render for this request's REST version."""
    return View(request.host_url.rstrip("/"), "3" if version == "3" else "2")


def require_admin() -> None:
    if not actor().admin:
        raise StoreError(ADMIN_ONLY, 403)


@blueprint.get(f"{API}/serverInfo")
def server_info(version: str) -> Response:
    cloud = site().flavor == "cloud"
    numbers = [1001, 0, 0] if cloud else [9, 12, 2]
    return jsonify({
        "baseUrl": request.host_url.rstrip("/"), "displayUrl": request.host_url.rstrip("/"),
        "version": "1001.0.0-SNAPSHOT" if cloud else "9.12.2", "versionNumbers": numbers,
        "deploymentType": "Cloud" if cloud else "Server", "buildNumber": 100273 if cloud else 9120002,
        "buildDate": "2026-01-01T00:00:00.000+0000", "serverTime": stamp(now_utc()),
        "scmInfo": "pmrollup-sandbox", "serverTitle": "pmrollup sandbox Jira",
    })


@blueprint.get(f"{API}/myself")
def myself(version: str) -> Response:
    here = site()
    body = user_json(here.store, view(version), actor())
    body["locale"] = "en_US"
    return jsonify(body)


@blueprint.get(f"{API}/mypermissions")
def my_permissions(version: str) -> Response:
    """Say which of the asked permissions the caller holds; Cloud insists on being asked for some."""
    here = site()
    wanted = query_list("permissions")
    if not wanted and here.flavor == "cloud":
        return error(400, ["The 'permissions' query parameter is required."])
    unknown = unknown_keys(wanted)
    if unknown:
        return error(400, [f"Permission key '{unknown[0]}' is not valid."])
    with here.store.lock:
        for name in ("issueKey", "issueId"):
            if request.args.get(name):
                here.store.get(request.args[name])
        for name in ("projectKey", "projectId"):
            if request.args.get(name) and here.store.project_by(request.args[name]) is None:
                return error(404, [f"No project could be found with {name} '{request.args[name]}'."])
    chosen = [BY_KEY[k] for k in wanted] if wanted else list(PERMISSIONS)
    user = actor()
    return jsonify({"permissions": {
        p.key: {"id": p.id, "key": p.key, "name": p.name, "type": p.type, "description": p.description,
                "havePermission": holds(user, p.key)} for p in chosen}})


@blueprint.get(f"{API}/field")
def list_fields(version: str) -> Response:
    store = site().store
    return jsonify([field_json(store, d) for d in store.fields.values()])


@blueprint.post(f"{API}/field")
def create_field(version: str) -> Response:
    require_admin()
    body = json_object()
    name, custom_type = body.get("name"), body.get("type")
    kind = KIND_OF_CUSTOM_TYPE.get(custom_type) if isinstance(custom_type, str) else None
    if not isinstance(name, str) or not name.strip():
        return error(400, [], {"name": "You must specify a name for the custom field."})
    if kind is None or kind in ("epiclink", "parentlink"):
        return error(400, [], {"type": f"Custom field type '{custom_type}' is not supported here."})
    store = site().store
    with store.lock:
        # Options are added to the new field's context afterwards, as on Jira (see views_options).
        definition = store.add_field(f"customfield_{store.next_id('field')}", str(name), kind, True)
        store.version += 1
    response = jsonify(field_json(store, definition))
    response.status_code = 201
    return response


@blueprint.get(f"{API}/issueLinkType")
def link_types(version: str) -> Response:
    store = site().store
    return jsonify({"issueLinkTypes": [link_type_json(view(version), t) for t in store.link_types.values()]})


@blueprint.get(f"{API}/issueLinkType/<type_id>")
def link_type(version: str, type_id: str) -> Response:
    return jsonify(link_type_json(view(version), site().store.link_type(type_id)))


def webhook_json(hook: Webhook) -> dict[str, Any]:
    base = request.host_url.rstrip("/")
    body: dict[str, Any] = {
        "name": hook.name, "url": hook.url, "excludeBody": False,
        "filters": {"issue-related-events-section": hook.jql or ""}, "events": hook.events,
        "enabled": hook.enabled, "self": f"{base}/rest/webhooks/1.0/webhook/{hook.id}",
        "lastUpdatedUser": actor().account_id, "lastUpdatedDisplayName": actor().name,
        "lastUpdated": 0,
    }
    return body


@blueprint.post("/rest/webhooks/1.0/webhook")
def register_webhook() -> Response:
    require_admin()
    body = json_object()
    name, url = body.get("name"), body.get("url")
    problems = {field: "This field is required." for field, value in (("name", name), ("url", url))
                if not isinstance(value, str) or not value.strip()}
    if not problems and not _absolute(str(url)):
        problems["url"] = "The URL must be an absolute http or https URL."
    filters, events, secret = member(body, "filters", dict), member(body, "events", list), body.get("secret")
    jql = filters.get("issue-related-events-section") or None
    if jql is not None and not isinstance(jql, str):
        problems["filters"] = "The JQL filter must be a string."
    if not all(isinstance(e, str) for e in events):
        problems["events"] = "Events must be a list of event names."
    if secret is not None and not isinstance(secret, str):
        problems["secret"] = "The secret must be a string."
    if problems:
        return error(400, [], problems)
    if jql:
        parse_checked(site().store, jql, False)
    hook = site().deliveries.register(str(name), str(url), list(events), jql, secret or None)
    response = jsonify(webhook_json(hook))
    response.status_code = 201
    return response


def _absolute(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@blueprint.get("/rest/webhooks/1.0/webhook")
def list_webhooks() -> Response:
    require_admin()
    return jsonify([webhook_json(h) for h in site().deliveries.hooks.values()])


@blueprint.get("/rest/webhooks/1.0/webhook/<int:hook_id>")
def get_webhook(hook_id: int) -> Response:
    require_admin()
    hook = site().deliveries.hooks.get(hook_id)
    if hook is None:
        return error(404, ["Webhook not found."])
    return jsonify(webhook_json(hook))


@blueprint.delete("/rest/webhooks/1.0/webhook/<int:hook_id>")
def delete_webhook(hook_id: int) -> Response:
    require_admin()
    if not site().deliveries.unregister(hook_id):
        return error(404, ["Webhook not found."])
    return Response(status=204)
