"""Route with the epic map: a story's change under an epic the map knows costs no Jira read.

The map (epic -> initiative) is fed by what the gateway saw in its searches, routing's and the
recomputes' alike, each sighting stamped with its time; newer news wins. It does not go stale
silently: an epic whose delivery says its parent changed is put in doubt for its batch and searched;
a target placed from the map is checked once recomputed (the program's search lists every epic it
has), and an epic not found under it is put in doubt, placed again and routed to where Jira has it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from connector.base import GatewayBase
from connector.errors import JiraNotFound
from connector.hierarchy import level_of
from connector.payload import WebhookEvent, dig
from connector.placing import Placement, place_issues
from rules.config import AppConfig
from webhooks.store.epicmap import EpicMap
from webhooks.store.targets import Target, target_of, targets_of
from webhooks.telemetry.logs import log_event
from webhooks.worker.batches import Step, ask


@dataclass(frozen=True)
class KnownEpics:
    """What one batch may assume about the epics its deliveries name."""

    programs: Mapping[str, str | None]  # epic -> its initiative (None: under none), as the map has it
    doubtful: frozenset[str] = frozenset()  # epics a delivery says moved: placed, never assumed


class EpicRoutes:
    """The epic map as routing sees it: what a batch may assume, and the check of what it assumed."""

    def __init__(self, gateway: GatewayBase) -> None:
        self.gateway = gateway
        self._drained_at = float("-inf")

    def before_batch(self, events: Sequence[WebhookEvent], epics: EpicMap | None) -> KnownEpics:
        """Bring the epic map up to date with what the gateway saw, doubt the epics that move, and
        return what the map knows of the epics the batch names."""
        now = time.time()
        doubtful = frozenset(e.issue_key.upper() for e in events if e.parent_changes and e.issue_key)
        wanted = {e.current_parent.upper() for e in events if e.current_parent} - doubtful
        seen = self.gateway.sightings
        self.drain(epics)
        if epics is not None:
            epics.forget_epics(doubtful, now)
        seen.forget(doubtful, now)
        if epics is not None:
            return KnownEpics(epics.programs_of(wanted), doubtful)
        return KnownEpics({e: s.program for e in wanted for s in [seen.get(e)] if s is not None and s.known},
                          doubtful)

    def drain(self, epics: EpicMap | None) -> None:
        """Write what the gateway saw of epics since the last time into the durable map."""
        if epics is not None:
            now = time.time()
            epics.learn_epics(self.gateway.sightings.since(self._drained_at))
            self._drained_at = now

    def recheck(self, target: Target, since: float, epics: EpicMap | None = None) -> list[Target]:
        """After a recompute (started at `since`), keep what it saw of the epics, and return where
        Jira has the epics this target placed from the epic map, when that is not its program.

        A program's recompute reads the program with all its epics: an assumed epic it did not see
        there has moved (or gone), so it is put in doubt and placed again.
        """
        seen = self.gateway.sightings
        self.drain(epics)
        stale = [epic for epic in sorted(target.assumed)
                 for sighting in [seen.get(epic)]
                 if sighting is None or not sighting.known or sighting.seen_at < since
                 or target.kind != "program" or sighting.program != target.key]
        if not stale:
            return []
        now = time.time()
        seen.forget(stale, now)
        if epics is not None:
            epics.forget_epics(stale, now)
        log_event("epicmap.stale", kind=target.kind, key=target.key, epics=stale)
        try:
            placed = place_issues(self.gateway, stale)
        except JiraNotFound:
            placed = []
        self.drain(epics)
        return targets_of(placed, target.reconcile)


def by_epic(event: WebhookEvent, issue: object, known: KnownEpics, config: AppConfig,
            otherwise: Callable[[], Step]) -> Step | None:
    """Return a story's routing from the epic its delivery names: its program from the epic map when
    the map knows the epic, else an ask for the epic alone, going on `otherwise` when Jira has no
    such epic; None when the delivery names no epic to route by."""
    epic = (event.current_parent or "").upper()
    issue_type = dig(issue, "fields", "issuetype")
    if (not epic or not event.issue_id or not isinstance(issue_type, dict)
            or level_of(issue_type, config) != "item" or epic in known.doubtful):
        return None
    reconcile = frozenset() if event.event == "jira:issue_deleted" else frozenset({event.issue_id})
    mine = frozenset({epic})
    program = known.programs.get(epic)
    if program is not None:
        return [Target("program", program, mine, reconcile, assumed=mine)]

    def placed(found: list[Placement]) -> Step:
        place = next((p for p in found if p.key.upper() == epic), None)
        target = target_of(place, reconcile) if place is not None and place.level == "project" else None
        return [target] if target is not None else otherwise()

    return ask([epic], placed)
