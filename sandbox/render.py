"""Render store objects as Jira's REST JSON (v2 plain text, v3 Atlassian Document Format)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.fields import schema_of, to_rest
from sandbox.model import (
    CATEGORIES,
    RESOLUTION_DONE,
    Comment,
    History,
    Issue,
    Link,
    LinkType,
    Project,
    User,
    level_of,
)
from sandbox.store import Store

NOT_NAVIGABLE = ("comment",)  # left out of *navigable, the old search's default field set


@dataclass(frozen=True)
class View:
    """Where and how a response is rendered: the site's base URL and the REST API version."""

    base: str
    version: str = "2"

    def api(self, path: str) -> str:
        return f"{self.base}/rest/api/{self.version}/{path}"


def stamp(moment: datetime) -> str:
    """Format a time as Jira does: 2026-01-05T10:00:00.000+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def adf(text: str | None) -> dict[str, Any] | None:
    """Wrap plain text in a minimal Atlassian Document Format document."""
    if text is None:
        return None
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
                  for line in text.split("\n")]
    return {"type": "doc", "version": 1, "content": paragraphs}


def plain(body: Any) -> str:
    """Flatten an ADF document (or pass a string through) to plain text."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        if body.get("type") == "text":
            return str(body.get("text", ""))
        children = body.get("content")
        parts = [plain(child) for child in children] if isinstance(children, list) else []
        return ("\n" if body.get("type") == "doc" else "").join(parts)
    return "" if body is None else str(body)


def text_for(view: View, text: str | None) -> Any:
    return adf(text) if view.version == "3" else text


def user_json(store: Store, view: View, user: User | None) -> dict[str, Any]:
    """Render a user as Jira's UserDetails for the site's flavor."""
    if user is None:
        return {}
    body: dict[str, Any] = {"self": view.api(f"user?accountId={user.account_id}")}
    if store.flavor == "cloud":
        body.update(accountId=user.account_id, accountType="atlassian")
    else:
        body.update(self=view.api(f"user?username={user.email}"), name=user.email, key=user.email)
    body.update(emailAddress=user.email, avatarUrls=avatars(user.account_id), displayName=user.name,
                active=True, timeZone="UTC")
    return body


def avatars(seed: str) -> dict[str, str]:
    return {size: f"https://avatar.example.invalid/{seed}?s={size.split('x')[0]}"
            for size in ("48x48", "24x24", "16x16", "32x32")}


def issuetype_json(store: Store, view: View, name: str) -> dict[str, Any]:
    type_id = store.type_id(name)
    level = level_of(name)
    return {"self": view.api(f"issuetype/{type_id}"), "id": type_id, "description": "", "iconUrl":
            f"{view.base}/images/icons/issuetypes/{name.lower()}.svg", "name": name, "subtask": level < 0,
            "hierarchyLevel": level}


def status_json(store: Store, view: View, name: str) -> dict[str, Any]:
    status = store.status(name)
    category_id, category_key = CATEGORIES[status.category]
    colour = {"new": "blue-gray", "indeterminate": "yellow", "done": "green"}[category_key]
    return {"self": view.api(f"status/{status.id}"), "description": "",
            "iconUrl": f"{view.base}/images/s.png", "name": status.name, "id": status.id, "statusCategory": {
                "self": view.api(f"statuscategory/{category_id}"), "id": category_id, "key": category_key,
                "colorName": colour, "name": status.category}}


def project_json(view: View, project: Project) -> dict[str, Any]:
    """Render a project as issues nest it (Jira's ProjectDetails)."""
    return {"self": view.api(f"project/{project.id}"), "id": str(project.id), "key": project.key,
            "name": project.name, "projectTypeKey": "software", "simplified": False,
            "avatarUrls": avatars(project.key)}


def brief_json(store: Store, view: View, issue: Issue) -> dict[str, Any]:
    """Render the short form Jira nests for parents and linked issues."""
    return {"id": str(issue.id), "key": issue.key, "self": view.api(f"issue/{issue.id}"), "fields": {
        "summary": issue.summary, "status": status_json(store, view, issue.status),
        "issuetype": issuetype_json(store, view, issue.type)}}


def resolution_json(view: View) -> dict[str, Any]:
    """Render the resolution of a resolved issue, as Jira's Resolution object."""
    resolution_id, name, description = RESOLUTION_DONE
    return {"self": view.api(f"resolution/{resolution_id}"), "id": resolution_id,
            "description": description, "name": name}


def link_type_json(view: View, link_type: LinkType) -> dict[str, Any]:
    return {"id": link_type.id, "name": link_type.name, "inward": link_type.inward,
            "outward": link_type.outward, "self": view.api(f"issueLinkType/{link_type.id}")}


def link_json(store: Store, view: View, link: Link) -> dict[str, Any]:
    """Render `GET /issueLink/{id}`: the inward issue is the source ("PAY-12 blocks WEB-3")."""
    return {"id": str(link.id), "self": view.api(f"issueLink/{link.id}"),
            "type": link_type_json(view, link.type),
            "inwardIssue": brief_json(store, view, store.issues[link.source]),
            "outwardIssue": brief_json(store, view, store.issues[link.destination])}


def issue_links(store: Store, view: View, issue: Issue) -> list[dict[str, Any]]:
    """Render `fields.issuelinks`: each link as seen from this issue's end."""
    rendered = []
    for link_id in sorted(store.links_of.get(issue.key, ())):
        link = store.links[link_id]
        entry: dict[str, Any] = {"id": str(link.id), "self": view.api(f"issueLink/{link.id}"),
                                 "type": link_type_json(view, link.type)}
        if link.source == issue.key:
            entry["outwardIssue"] = brief_json(store, view, store.issues[link.destination])
        else:
            entry["inwardIssue"] = brief_json(store, view, store.issues[link.source])
        rendered.append(entry)
    return rendered


def comment_json(store: Store, view: View, issue: Issue, comment: Comment) -> dict[str, Any]:
    return {"self": view.api(f"issue/{issue.id}/comment/{comment.id}"), "id": str(comment.id),
            "author": user_json(store, view, store.users.get(comment.author)),
            "body": text_for(view, comment.body),
            "updateAuthor": user_json(store, view, store.users.get(comment.update_author)),
            "created": stamp(comment.created), "updated": stamp(comment.updated), "jsdPublic": True}


def comments_page(store: Store, view: View, issue: Issue) -> dict[str, Any]:
    comments = [comment_json(store, view, issue, c) for c in issue.comments]
    return {"comments": comments, "self": view.api(f"issue/{issue.id}/comment"),
            "maxResults": len(comments), "total": len(comments), "startAt": 0}


def history_json(store: Store, view: View, history: History) -> dict[str, Any]:
    items = []
    for item in history.items:
        raw = {"field": item.field, "fieldtype": item.fieldtype, "fieldId": item.field_id,
               "from": item.from_id, "fromString": item.from_string, "to": item.to_id,
               "toString": item.to_string}
        # The OpenAPI document types these as plain strings, so absent values are left out.
        items.append({k: v for k, v in raw.items() if v is not None})
    return {"id": str(history.id), "author": user_json(store, view, store.users.get(history.author)),
            "created": stamp(history.created), "items": items}


def changelog_json(store: Store, view: View, issue: Issue) -> dict[str, Any]:
    """Render `changelog` for expand=changelog: most recent first, as the documentation says."""
    histories = [history_json(store, view, h) for h in reversed(issue.histories)]
    return {"startAt": 0, "maxResults": len(histories), "total": len(histories), "histories": histories}


def parent_field_ids(store: Store, issue: Issue) -> dict[str, str | None]:
    """Return which field carries the issue's parent on this flavor, with its value."""
    if store.flavor == "cloud" or level_of(issue.type) < 0:
        return {"parent": issue.parent}
    epic, parent_link = store.field_named("Epic Link"), store.field_named("Parent Link")
    values: dict[str, str | None] = {}
    if epic is not None:
        values[epic.id] = issue.parent if level_of(issue.type) == 0 else None
    if parent_link is not None:
        values[parent_link.id] = issue.parent if level_of(issue.type) == 1 else None
    return values


def all_field_ids(store: Store) -> list[str]:
    ids = ["summary", "issuetype", "status", "project", "parent", "description", "labels", "duedate",
           "timespent", "created", "updated", "resolution", "resolutiondate", "statuscategorychangedate",
           "issuelinks", "comment"]
    return ids + [f.id for f in store.fields.values() if f.custom]


def wanted_fields(store: Store, tokens: Iterable[str], default: str) -> list[str] | None:
    """Resolve a `fields` parameter to field ids; None means "id only"."""
    parts = [p.strip() for token in tokens for p in str(token).split(",") if p.strip()] or [default]
    if parts == ["id"]:
        return None
    chosen: list[str] = []
    excluded = {p[1:] for p in parts if p.startswith("-")}
    for part in parts:
        if part in ("*all", "*navigable"):
            chosen += [f for f in all_field_ids(store) if part == "*all" or f not in NOT_NAVIGABLE]
        elif not part.startswith("-") and part != "id":
            definition = store.field_named(part)
            chosen.append(definition.id if definition else part)
    if any(p.startswith("-") for p in parts) and not any(p.startswith("*") for p in parts):
        chosen = [f for f in all_field_ids(store) if f not in NOT_NAVIGABLE] + chosen
    return [f for f in dict.fromkeys(chosen) if f not in excluded]


def issue_json(store: Store, view: View, issue: Issue, fields: list[str] | None, expand: Iterable[str] = (),
               properties: Iterable[str] = ()) -> dict[str, Any]:
    """Render an issue in Jira's shape with the chosen fields (None: id only, as search's default)."""
    if fields is None:
        return {"id": str(issue.id)}
    expand = set(expand)
    body: dict[str, Any] = {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": str(issue.id), "self": view.api(f"issue/{issue.id}"), "key": issue.key,
        "fields": render_fields(store, view, issue, fields)}
    wanted_properties = [p for p in properties if p in issue.properties]
    if wanted_properties:
        body["properties"] = {p: issue.properties[p] for p in wanted_properties}
    if "changelog" in expand:
        body["changelog"] = changelog_json(store, view, issue)
    if "names" in expand:
        body["names"] = {f: store.fields[f].name for f in fields if f in store.fields}
    if "schema" in expand:
        body["schema"] = {f: s for f in fields if f in store.fields and (s := schema_of(store.fields[f]))}
    return body


def render_fields(store: Store, view: View, issue: Issue, fields: list[str]) -> dict[str, Any]:
    parents = parent_field_ids(store, issue)
    out: dict[str, Any] = {}
    for fid in fields:
        if fid in parents:
            parent = store.issues.get(parents[fid] or "")
            if fid == "parent":
                if parent is not None:
                    out["parent"] = brief_json(store, view, parent)
            else:
                out[fid] = parent.key if parent else None
        elif fid == "summary":
            out[fid] = issue.summary
        elif fid == "issuetype":
            out[fid] = issuetype_json(store, view, issue.type)
        elif fid == "status":
            out[fid] = status_json(store, view, issue.status)
        elif fid == "project":
            out[fid] = project_json(view, store.project(issue.project))
        elif fid == "description":
            out[fid] = text_for(view, issue.description)
        elif fid in ("created", "updated"):
            out[fid] = stamp(issue.created if fid == "created" else issue.updated)
        elif fid == "resolution":
            out[fid] = resolution_json(view) if issue.resolved else None
        elif fid == "resolutiondate":
            out[fid] = stamp(issue.resolved) if issue.resolved else None
        elif fid == "statuscategorychangedate":
            out[fid] = stamp(category_changed(store, issue))
        elif fid == "issuelinks":
            out[fid] = issue_links(store, view, issue)
        elif fid == "comment":
            out[fid] = comments_page(store, view, issue)
        elif fid in store.fields and fid != "parent":
            out[fid] = to_rest(store, store.fields[fid], issue.values.get(fid), view.base)
    return out


def category_changed(store: Store, issue: Issue) -> datetime:
    """Return when the issue's status category last changed, else when it was created (as Jira's
    `statuscategorychangedate`)."""
    def category(name: str | None) -> str | None:
        return store.status(name).category if name and name.lower() in store.statuses else None

    moves = [h.created for h in issue.histories for i in h.items if i.field == "status"
             and category(i.from_string) != category(i.to_string)]
    return max(moves, default=issue.created)
