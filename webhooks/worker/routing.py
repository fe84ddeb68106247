"""Decide what deliveries make pmrollup recompute: the projects and programs they touch.

A batch of deliveries is routed in one pass. Each delivery is read once and handed to the handler
of its event (`Router.handlers`, event name -> handler); the handler decides from the delivery alone
when it can (pmrollup's own writes, a story under an epic the epic map knows) and otherwise asks for
the issues it needs placed. Everything the batch asks for is placed at once (`batches.settle`), and
each handler goes on with its answer. pmrollup's own writes come back as `jira:issue_updated`
deliveries and turn into nothing (`webhooks.worker.ownwrites`), so a recompute never causes another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.base import GatewayBase
from connector.events import ISSUE_EVENTS, LINK_EVENTS, OLD_WORKLOG_EVENT, WORKLOG_EVENTS
from connector.payload import Unusable, WebhookEvent, read_payload
from connector.placing import Placement
from rules.config import AppConfig
from webhooks.store.epicmap import EpicMap
from webhooks.store.inbox import Target
from webhooks.store.targets import targets_of
from webhooks.telemetry.logs import log_event
from webhooks.worker.batches import Step, ask, settle
from webhooks.worker.epicroutes import EpicRoutes, KnownEpics, by_epic
from webhooks.worker.issuechanges import IssueChange, read_change
from webhooks.worker.loop import Routed, SkipDelivery


@dataclass(frozen=True)
class Incoming:
    """One delivery as its handler gets it: what it says, its body, what the batch knows of epics."""

    event: WebhookEvent
    payload: Mapping[str, Any]
    epics: KnownEpics


Handler = Callable[[Incoming], Step]


class Router:
    """Turn delivery bodies into targets, reading Jira as little as the changes allow."""

    def __init__(self, config: AppConfig, gateway: GatewayBase, rule_labels: Iterable[str] = ()) -> None:
        self.config = config
        self.gateway = gateway
        self.rule_labels = frozenset(rule_labels)
        self.epic_routes = EpicRoutes(gateway)
        self.handlers: dict[str, Handler] = {
            **dict.fromkeys(ISSUE_EVENTS, self._issue_event),
            **dict.fromkeys(LINK_EVENTS, self._link_event),
            **dict.fromkeys((*WORKLOG_EVENTS, OLD_WORKLOG_EVENT), self._worklog_event),
        }

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

    def route_batch(self, payloads: Sequence[Mapping[str, Any]], epics: EpicMap | None = None
                    ) -> list[Routed]:
        """Return each delivery's targets, or why it has none now (a SkipDelivery: nothing to do)."""
        ids = self.gateway.field_ids()
        bodies = [dict(p) for p in payloads]
        events = [read_payload(body, ids.epic_link, ids.parent_link) for body in bodies]
        known = self.epic_routes.before_batch([e for e in events if isinstance(e, WebhookEvent)], epics)
        steps = [self._start(event, body, known) for event, body in zip(events, bodies, strict=True)]
        outcomes = settle(self.gateway, steps)
        self.epic_routes.drain(epics)
        return outcomes

    def recheck(self, target: Target, since: float, epics: EpicMap | None = None) -> list[Target]:
        """Return where Jira has the epics a recomputed target assumed from the epic map, if moved."""
        return self.epic_routes.recheck(target, since, epics)

    def _start(self, event: WebhookEvent | Unusable, body: Mapping[str, Any], known: KnownEpics) -> Step:
        if isinstance(event, Unusable):
            return SkipDelivery(event.reason)
        handler = self.handlers.get(event.event)
        if handler is None:
            return SkipDelivery(f"{event.event} is not an event pmrollup recomputes on")
        try:
            return handler(Incoming(event, body, known))
        except Exception as exc:  # noqa: BLE001 - each delivery keeps its own error
            return exc

    # -- the handlers, one per kind of event

    def _issue_event(self, incoming: Incoming) -> Step:
        event = incoming.event
        name = event.issue_key or event.issue_id or "?"
        outside = self._outside_scope(event.project_key, name)
        if outside is not None:
            return outside
        change = read_change(event, incoming.payload, self.config, self.gateway.field_ids(), self.rule_labels)
        if change.own_write:
            log_event("delivery.own_write", issue=event.issue_key,
                      fields=[i.get("field") for i in change.items])
            return []
        if not event.parent_changes and (not change.touches_dependents
                                         or (change.has_links and not change.dependents)):
            routed = by_epic(event, change.issue, incoming.epics, self.config,
                             lambda: self._place_issue(event, change, name))
            if routed is not None:
                return routed
        return self._place_issue(event, change, name)

    def _place_issue(self, event: WebhookEvent, change: IssueChange, name: str) -> Step:
        """Ask for the issue, the parents it left or joined and the issues it blocks; target them."""
        if event.event == "jira:issue_deleted":
            # Jira no longer has the issue: its parent and links come from the delivery itself.
            refs = [r for r in (event.current_parent, *change.parents, *change.dependents) if r]
            return ask(refs, lambda placed: self._targets(placed, frozenset(), name))
        subject = event.issue_id or event.issue_key or ""
        follow = [subject] if change.touches_dependents and not change.has_links else []
        hints = [event.current_parent] if event.current_parent else []
        wanted = {*change.parents, *change.dependents}

        def placed(found: list[Placement]) -> Step:
            me = _find(found, event.issue_id, event.issue_key)
            if me is None:
                return SkipDelivery(f"{name}: Jira does not know this issue (deleted since, or not visible)")
            others = [p for p in found if p is not me and (p.key in wanted or p.id in wanted)]
            return self._targets([me, *others], frozenset({me.id}), name)

        return ask([subject, *hints, *change.parents, *change.dependents], placed, follow,
                   [event.issue_id] if event.issue_id else [])

    def _link_event(self, incoming: Incoming) -> Step:
        link = incoming.event.link
        assert link is not None and link.source_id and link.destination_id  # read_payload checked both
        wanted = {t.casefold() for t in self.config.dependency_link_types}
        if self.config.hierarchy.program_link != "parent":
            wanted.add(self.config.hierarchy.program_link.casefold())
        if link.link_type and link.link_type.casefold() not in wanted:
            log_event("delivery.irrelevant_link", link_type=link.link_type, link=link.link_id)
            return []
        ends = [link.source_id, link.destination_id]

        def placed(found: list[Placement]) -> Step:
            if not found:
                return SkipDelivery(f"link {link.link_id}: Jira knows neither issue {ends[0]} nor {ends[1]}")
            in_scope = [p for p in found if self._in_scope(_jira_project(p.key))]
            if not in_scope:
                return SkipDelivery(f"link {link.link_id}: both issues are outside jira.projects")
            return self._targets(in_scope, frozenset(p.id for p in in_scope), f"link {link.link_id}")

        return ask(ends, placed, reconcile=ends)

    def _worklog_event(self, incoming: Incoming) -> Step:
        event = incoming.event
        subject = event.worklog_issue_id or event.issue_id or event.issue_key
        if subject is None:
            return SkipDelivery(f"{event.event} names no issue")

        def placed(found: list[Placement]) -> Step:
            numeric = subject.isdigit()
            me = _find(found, subject if numeric else None, None if numeric else subject)
            if me is None:
                return SkipDelivery(f"worklog on issue {subject}: Jira does not know this issue")
            outside = self._outside_scope(_jira_project(me.key), me.key)
            if outside is not None:
                return outside
            return self._targets([me], frozenset({me.id}), me.key)

        return ask([subject], placed, reconcile=[subject])

    # -- helpers

    def _targets(self, placed: Iterable[Placement], reconcile: frozenset[str], name: str) -> list[Target]:
        found = targets_of(placed, reconcile)
        if not found:
            log_event("delivery.nothing_to_do", subject=name,
                      reason="no epic or initiative above the issues it names")
        return found

    def _in_scope(self, jira_project: str | None) -> bool:
        projects = self.config.jira.projects
        return not projects or (jira_project or "").upper() in projects

    def _outside_scope(self, jira_project: str | None, name: str) -> SkipDelivery | None:
        if self._in_scope(jira_project):
            return None
        return SkipDelivery(f"{name} is in Jira project {jira_project}, outside jira.projects")


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
