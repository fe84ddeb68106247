"""Apply changes to issues (edits, creation, comments, links) and record their changelog entries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.fields import coerce, to_string
from sandbox.model import RESOLUTION_DONE, ChangeItem, Comment, History, Issue, Link, level_of, now_utc
from sandbox.seed import KEY_PATTERN, parent_change
from sandbox.store import Store, StoreError


def change_item(store: Store, fid: str, old: Any, new: Any) -> ChangeItem:
    """Describe one field change as Jira's changelog does."""
    if fid == "status":
        was, now = (store.status(v) if v else None for v in (old, new))
        return ChangeItem("status", "jira", "status", was.id if was else None, was.name if was else None,
                          now.id if now else None, now.name if now else None)
    if fid in ("summary", "issuetype", "description"):
        ids = [store.type_id(v) if fid == "issuetype" and v else None for v in (old, new)]
        return ChangeItem(fid, "jira", fid, ids[0], old, ids[1], new)
    definition = store.fields[fid]
    if definition.custom:
        return ChangeItem(definition.name, "custom", fid, None, to_string(definition, old), None,
                          to_string(definition, new))
    before, after = to_string(definition, old), to_string(definition, new)
    plain = fid == "duedate"
    return ChangeItem(fid, "jira", fid, before if plain else None, before, after if plain else None, after)


def update_issue(store: Store, issue: Issue, changes: Mapping[str, Any], actor: str) -> History | None:
    """Set fields (ids, plus "status", "summary", "description", "issuetype", "parent"); log the change."""
    items: list[ChangeItem] = []
    for fid, new in changes.items():
        old = current(issue, fid)
        if old == new:
            continue
        if fid == "parent":
            items.append(parent_change(store, issue, old, new))
        else:
            items.append(change_item(store, fid, old, new))
    if not items:
        return None
    resolution = resolution_change(store, issue.status, changes.get("status", issue.status))
    if resolution is not None:
        items.insert(0, resolution)  # Jira lists the resolution before the status that set it
    store.before_change(issue)
    for fid, new in changes.items():
        if fid == "parent":
            store.set_parent(issue, new)
        elif fid == "status":
            issue.status = store.status(new).name
        elif fid == "summary":
            issue.summary = new
        elif fid == "description":
            issue.description = new
        elif fid == "issuetype":
            issue.type = new
        elif new is None or new == []:
            issue.values.pop(fid, None)
        else:
            issue.values[fid] = new
    issue.updated = now_utc()
    if resolution is not None:
        issue.resolved = issue.updated if resolution.to_id else None
    history = History(store.next_id("history"), actor, issue.updated, items)
    issue.histories.append(history)
    return history


def is_done(store: Store, status: str) -> bool:
    """Say whether a status is in the Done category."""
    return store.status(status).category == "Done"


def resolution_change(store: Store, old_status: str, new_status: str) -> ChangeItem | None:
    """Return the resolution a status change sets (entering Done) or clears (leaving it), if any."""
    was, now = is_done(store, old_status), is_done(store, new_status)
    if was == now:
        return None
    resolution_id, name, _ = RESOLUTION_DONE
    if now:
        return ChangeItem("resolution", "jira", "resolution", None, None, resolution_id, name)
    return ChangeItem("resolution", "jira", "resolution", resolution_id, name, None, None)


def current(issue: Issue, fid: str) -> Any:
    """Return the stored value of a field id or pseudo-field."""
    pseudo = {"parent": issue.parent, "status": issue.status, "summary": issue.summary,
              "issuetype": issue.type, "description": issue.description}
    return pseudo[fid] if fid in pseudo else issue.values.get(fid)


def plain_changes(store: Store, body: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a sandbox edit body ({"status", "parent", "fields": {display name: value}}) into changes."""
    changes: dict[str, Any] = {}
    if "status" in body:
        changes["status"] = store.status(str(body["status"])).name
    if "summary" in body:
        changes["summary"] = str(body["summary"])
    if "type" in body:
        changes["issuetype"] = str(body["type"])
    if "parent" in body:
        parent = body["parent"]
        changes["parent"] = store.get(str(parent)).key if parent else None
    fields = body.get("fields") or {}
    if not isinstance(fields, dict):
        raise StoreError("", 400, {"fields": "Give fields as a mapping of field name to value."})
    for name, value in fields.items():
        definition = store.field_named(str(name))
        if definition is None:
            raise StoreError("", 400, {str(name): f"Field '{name}' does not exist."})
        if definition.kind in ("epiclink", "parentlink"):
            changes["parent"] = store.get(str(value)).key if value else None
            continue
        try:
            changes[definition.id] = coerce(definition, value)
        except ValueError as exc:
            raise StoreError("", 400, {str(name): f"Field '{name}': {exc}"}) from None
    return changes


def check_parent(store: Store, issue_type: str, parent: str | None) -> None:
    """Refuse a parent that sits at the same level or lower, as Jira does."""
    if parent and level_of(store.issues[parent].type) <= level_of(issue_type) and level_of(issue_type) >= 0:
        raise StoreError("", 400, {"parent": f"Issue '{parent}' cannot be the parent of a {issue_type}."})


def create_issue(store: Store, body: Mapping[str, Any], actor: str) -> Issue:
    """Create an issue from a sandbox body with `key`, `type` and `summary`."""
    key = str(body.get("key", "")).upper()
    if not KEY_PATTERN.match(key):
        raise StoreError("", 400, {"key": "Give a key like PAY-12."})
    if key in store.issues:
        raise StoreError("", 400, {"key": f"Issue {key} already exists."})
    if not body.get("type") or not body.get("summary"):
        raise StoreError("", 400, {"summary": "type and summary are required."})
    changes = plain_changes(store, {k: v for k, v in body.items() if k not in ("key", "type", "summary")})
    check_parent(store, str(body["type"]), changes.get("parent"))
    return open_issue(store, key, str(body["type"]), str(body["summary"]), changes)


def open_issue(store: Store, key: str, issue_type: str, summary: str, changes: Mapping[str, Any]) -> Issue:
    """Add a new issue in To Do (or the status `changes` name) holding the values of `changes`."""
    moment = now_utc()
    issue = Issue(store.next_id("issue"), key, key.rsplit("-", 1)[0], issue_type, summary, "To Do", None,
                  moment, moment)
    store.insert(issue)
    for fid, value in changes.items():
        if fid == "parent":
            store.set_parent(issue, value)
        elif fid == "status":
            issue.status = value
            issue.resolved = moment if is_done(store, value) else None
        elif fid == "description":
            issue.description = value
        elif value is not None and value != []:
            issue.values[fid] = value
    return issue


def creation_items(store: Store, issue: Issue) -> list[ChangeItem]:
    """Return the change items Jira's jira:issue_created webhook carries for a new issue."""
    return [ChangeItem("status", "jira", "status", None, None, store.status(issue.status).id, issue.status),
            ChangeItem("summary", "jira", "summary", None, None, None, issue.summary)]


def add_comment(store: Store, issue: Issue, body: str, actor: str) -> Comment:
    moment = now_utc()
    comment = Comment(store.next_id("comment"), body, actor, moment, moment, actor)
    store.before_change(issue)
    issue.comments.append(comment)
    issue.updated = moment
    return comment


def make_link(store: Store, type_name: str, source: str, destination: str) -> Link:
    """Link two issues: `source` <outward> `destination` (source blocks destination)."""
    link_type = store.link_type(type_name)
    for key in (source, destination):
        store.get(key)
    return store.link(link_type, store.get(source).key, store.get(destination).key)
