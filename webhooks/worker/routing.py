"""Decide what deliveries make pmrollup recompute: the projects and programs they touch.

A batch of deliveries is routed together: a story's change under an epic the epic map knows costs no
Jira read; everything else the batch needs placed is placed at once (`place_batch`, 100 a page).
pmrollup's own writes come back as `jira:issue_updated` deliveries and turn into nothing
(`webhooks.worker.ownwrites`), so a recompute never causes another recompute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from connector.base import GatewayBase
from connector.convert import dependency_links
from connector.fieldmap import FieldIds
from connector.payload import LINK_EVENTS, WebhookEvent, dig, read_payload, text
from connector.updates import Placement
from rules.config import AppConfig
from webhooks.store.inbox import Target
from webhooks.store.targets import target_of
from webhooks.telemetry.logs import log_event
from webhooks.worker.epicroutes import EpicRouting
from webhooks.worker.loop import SkipDelivery
from webhooks.worker.ownwrites import changelog_items, is_own_write

__all__ = ["Router", "changelog_items", "is_own_write", "target_of"]

ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"})
WORKLOG_EVENTS = frozenset({"worklog_created", "worklog_updated", "worklog_deleted", "jira:worklog_updated"})
# Changelog fields of a blocker that decide its dependents' open and overdue dependencies.
DEPENDENCY_FIELDS = frozenset({"status", "resolution", "duedate", "due date"})


class Router(EpicRouting):
    """Turn delivery bodies into targets, reading Jira as little as the changes allow."""

    def __init__(self, config: AppConfig, gateway: GatewayBase, rule_labels: Iterable[str] = ()) -> None:
        self.config = config
        self.gateway = gateway
        self.rule_labels = frozenset(rule_labels)
        self.handlers: dict[str, Callable[[WebhookEvent, Mapping[str, Any]], list[Target]]] = {
            **dict.fromkeys(ISSUE_EVENTS, self._issue_event),
            **dict.fromkeys(LINK_EVENTS, self._link_event),
            **dict.fromkeys(WORKLOG_EVENTS, self._worklog_event),
        }
        super().__init__()

    def __call__(self, payload: dict[str, Any]) -> list[Target]:
        return self.targets_for(payload)

    def adopt(self, config: AppConfig, rule_labels: Iterable[str]) -> None:
        """Route with reloaded evaluation settings (output fields, link types) and rule labels."""
        self.config = config
        self.rule_labels = frozenset(rule_labels)

    def targets_for(self, payload: Mapping[str, Any]) -> list[Target]:
        """Return the targets a delivery touches; raise SkipDelivery when it names nothing to do."""
        [outcome] = self.route_batch([payload])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _route(self, payload: Mapping[str, Any]) -> list[Target]:
        ids = self.gateway.field_ids()
        body = dict(payload)
        event = read_payload(body, ids.epic_link, ids.parent_link)
        if not isinstance(event, WebhookEvent):
            raise SkipDelivery(event.reason)
        handler = self.handlers.get(event.event)
        if handler is None:
            raise SkipDelivery(f"{event.event} is not an event pmrollup recomputes on")
        return handler(event, body)

    # -- events

    def _issue_event(self, event: WebhookEvent, payload: Mapping[str, Any]) -> list[Target]:
        name = event.issue_key or event.issue_id or "?"
        self._check_scope(event.project_key, name)
        items = changelog_items(payload)
        if event.event == "jira:issue_updated" and is_own_write(
                items, payload, self._own_fields(), self.rule_labels):
            log_event("delivery.own_write", issue=event.issue_key, fields=[i.get("field") for i in items])
            return []
        issue = dig(payload, "issue")
        parents = [r for c in event.parent_changes
                   for r in (c.old_id or c.old_key, c.new_id or c.new_key) if r]
        touches_dependents = (event.event != "jira:issue_updated" or bool(event.parent_changes)
                              or any((text(i.get("field")) or "").casefold() in self._dependency_fields()
                                     for i in items))
        has_links = isinstance(dig(issue, "fields", "issuelinks"), list)
        dependents = self._dependents(issue) if touches_dependents and has_links else []
        if not event.parent_changes and (not touches_dependents or (has_links and not dependents)):
            by_epic = self._by_epic(event, issue)
            if by_epic is not None:
                return by_epic
        if event.event == "jira:issue_deleted":
            # Jira no longer has the issue: its parent and links come from the delivery itself.
            refs = [r for r in (event.current_parent, *parents, *dependents) if r]
            return self._targets(self._place(refs), frozenset(), name)
        subject = event.issue_id or event.issue_key or ""
        follow = [subject] if touches_dependents and not has_links else []
        hints = [event.current_parent] if event.current_parent else []
        placed = self._place([subject, *hints, *parents, *dependents], follow,
                             [event.issue_id] if event.issue_id else [])
        me = _find(placed, event.issue_id, event.issue_key)
        if me is None:
            raise SkipDelivery(f"{name}: Jira does not know this issue (deleted since, or not visible)")
        wanted = set(parents) | set(dependents)
        others = [p for p in placed if p is not me and (p.key in wanted or p.id in wanted)]
        return self._targets([me, *others], frozenset({me.id}), name)

    def _link_event(self, event: WebhookEvent, payload: Mapping[str, Any]) -> list[Target]:
        link = event.link
        assert link is not None and link.source_id and link.destination_id  # read_payload checked both
        wanted = {t.casefold() for t in self.config.dependency_link_types}
        if self.config.hierarchy.program_link != "parent":
            wanted.add(self.config.hierarchy.program_link.casefold())
        if link.link_type and link.link_type.casefold() not in wanted:
            log_event("delivery.irrelevant_link", link_type=link.link_type, link=link.link_id)
            return []
        ends = [link.source_id, link.destination_id]
        placed = self._place(ends, reconcile=ends)
        if not placed:
            raise SkipDelivery(f"link {link.link_id}: Jira knows neither issue {ends[0]} nor {ends[1]}")
        in_scope = [p for p in placed if self._in_scope(_jira_project(p.key))]
        if not in_scope:
            raise SkipDelivery(f"link {link.link_id}: both issues are outside jira.projects")
        return self._targets(in_scope, frozenset(p.id for p in in_scope), f"link {link.link_id}")

    def _worklog_event(self, event: WebhookEvent, payload: Mapping[str, Any]) -> list[Target]:
        subject = event.worklog_issue_id or event.issue_id or event.issue_key
        if subject is None:
            raise SkipDelivery(f"{event.event} names no issue")
        placed = self._place([subject], reconcile=[subject])
        me = _find(placed, subject if subject.isdigit() else None, None if subject.isdigit() else subject)
        if me is None:
            raise SkipDelivery(f"worklog on issue {subject}: Jira does not know this issue")
        self._check_scope(_jira_project(me.key), me.key)
        return self._targets([me], frozenset({me.id}), me.key)

    # -- helpers

    def _targets(self, placed: Iterable[Placement], reconcile: frozenset[str], name: str) -> list[Target]:
        found: dict[tuple[str, str], Target] = {}
        for p in placed:
            target = target_of(p, reconcile)
            if target is None:
                continue
            slot = (target.kind, target.key)
            found[slot] = found[slot].merge(target) if slot in found else target
        if not found:
            log_event("delivery.nothing_to_do", subject=name,
                      reason="no epic or initiative above the issues it names")
        return list(found.values())

    def _dependents(self, issue: object) -> list[str]:
        if not isinstance(issue, dict):
            return []
        key = text(issue.get("key"))
        return [link.dependent_key for link in dependency_links(issue, self.config.dependency_link_types)
                if link.blocker_key == key]

    def _own_fields(self) -> frozenset[str]:
        ids: FieldIds = self.gateway.field_ids()
        names = {n.casefold() for n in self.config.outputs.values()}
        return frozenset(names | {i.casefold() for i in ids.outputs.values()})

    def _dependency_fields(self) -> frozenset[str]:
        ids = self.gateway.field_ids()
        extra = {self.config.fields.due_date.casefold(), (ids.due_date or "duedate").casefold()}
        return DEPENDENCY_FIELDS | extra

    def _in_scope(self, jira_project: str | None) -> bool:
        projects = self.config.jira.projects
        return not projects or (jira_project or "").upper() in projects

    def _check_scope(self, jira_project: str | None, name: str) -> None:
        if not self._in_scope(jira_project):
            raise SkipDelivery(f"{name} is in Jira project {jira_project}, outside jira.projects")


def _find(placed: Sequence[Placement], issue_id: str | None, issue_key: str | None) -> Placement | None:
    """Return the placement of the delivery's issue; a key that differs means another issue."""
    for p in placed:
        if issue_id and p.id == issue_id:
            return p if not issue_key or p.key.upper() == issue_key.upper() else None
    for p in placed:
        if issue_key and not issue_id and p.key.upper() == issue_key.upper():
            return p
    return None


def _jira_project(key: str) -> str:
    return key.rsplit("-", 1)[0]
