"""Build Jira-shaped webhook payloads and hand them to the webhooks whose events and JQL match."""

from __future__ import annotations

import time
from typing import Any

from sandbox.deliveries import Deliveries
from sandbox.jql import JqlError
from sandbox.model import ChangeItem, Comment, History, Issue, Link
from sandbox.render import View, brief_json, comment_json, issue_json, status_json, user_json, wanted_fields
from sandbox.search import jql_record, parse_checked
from sandbox.store import Store

ISSUE_EVENT_TYPES = {"jira:issue_created": "issue_created", "jira:issue_updated": "issue_updated",
                     "jira:issue_deleted": "issue_deleted"}


class Announcer:
    """Turn store changes into webhook deliveries for one site."""

    def __init__(self, store: Store, deliveries: Deliveries) -> None:
        self.store = store
        self.deliveries = deliveries
        self.base = "http://127.0.0.1"  # replaced by the first request's host URL

    def _send(self, event: str, issue: Issue | None, payload: dict[str, Any]) -> None:
        record = jql_record(self.store, issue) if issue is not None else None
        for hook in list(self.deliveries.hooks.values()):
            if not hook.enabled or (hook.events and event not in hook.events):
                continue
            if record is not None and hook.jql:
                try:
                    if not parse_checked(self.store, hook.jql, False).matches(record):
                        continue
                except JqlError:  # a filter that no longer parses (a field was removed) matches nothing
                    continue
            self.deliveries.enqueue(hook, payload)

    def _envelope(self, event: str) -> dict[str, Any]:
        return {"timestamp": int(time.time() * 1000), "webhookEvent": event}

    def issue_event(self, event: str, issue: Issue, actor: str, history: History | None = None,
                    items: list[ChangeItem] | None = None) -> None:
        """Announce jira:issue_created|updated|deleted with the issue as it now is."""
        view = View(self.base)
        payload = self._envelope(event)
        payload["issue_event_type_name"] = ISSUE_EVENT_TYPES[event]
        payload["user"] = user_json(self.store, view, self.store.users.get(actor))
        payload["issue"] = issue_json(self.store, view, issue, wanted_fields(self.store, ["*all"], "*all"))
        payload["issue"].pop("expand")  # webhook bodies carry the issue without REST's expand list
        if event != "jira:issue_deleted":
            change_items = history.items if history else (items or [])
            history_id = history.id if history else self.store.next_id("history")
            payload["changelog"] = {"id": str(history_id), "items": [_item(i) for i in change_items]}
        self._send(event, issue, payload)

    def comment_event(self, event: str, issue: Issue, comment: Comment) -> None:
        """Announce comment_created|updated with the comment and a short form of its issue."""
        view = View(self.base)
        payload = self._envelope(event)
        payload["comment"] = comment_json(self.store, view, issue, comment)
        short = brief_json(self.store, view, issue)
        short["fields"].update(project={"id": str(self.store.project(issue.project).id), "key": issue.project,
                                        "name": self.store.project(issue.project).name},
                               assignee=None, status=status_json(self.store, view, issue.status))
        payload["issue"] = short
        self._send(event, issue, payload)

    def link_event(self, event: str, link: Link) -> None:
        """Announce issuelink_created|deleted in Jira's issueLink shape."""
        payload = self._envelope(event)
        source, destination = self.store.issues.get(link.source), self.store.issues.get(link.destination)
        payload["issueLink"] = {
            "id": link.id, "sourceIssueId": source.id if source else None,
            "destinationIssueId": destination.id if destination else None,
            "issueLinkType": {"id": int(link.type.id), "name": link.type.name,
                              "outwardName": link.type.outward, "inwardName": link.type.inward,
                              "isSubTaskLinkType": False, "isSystemLinkType": False},
            "systemLink": False,
        }
        self._send(event, None, payload)


def _item(item: ChangeItem) -> dict[str, Any]:
    body = {"field": item.field, "fieldtype": item.fieldtype, "fieldId": item.field_id, "from": item.from_id,
            "fromString": item.from_string, "to": item.to_id, "toString": item.to_string}
    if item.field_id is None:
        del body["fieldId"]
    return body
