"""Route with the epic map: a story's change under an epic the map knows costs no Jira read.

The map (epic -> initiative) is fed by what the gateway saw in its searches, routing's and the
recomputes' alike, each sighting stamped with its time; newer news wins. It does not go stale
silently: an epic whose delivery says its parent changed is put in doubt for its batch and searched;
a target placed from the map is checked once recomputed (the program's search lists every epic it
has), and an epic not found under it is put in doubt, placed again and routed to where Jira has it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from connector.hierarchy import level_of
from connector.payload import WebhookEvent, dig, read_payload
from rules.config import AppConfig
from webhooks.store.epicmap import EpicMap
from webhooks.store.targets import Target, target_of
from webhooks.telemetry.logs import log_event
from webhooks.worker.batches import BatchRouting


class EpicRouting(BatchRouting):
    """Batches of deliveries routed with the epic map, and the check of what it assumed."""

    config: AppConfig

    def __init__(self) -> None:
        super().__init__()
        self._known: dict[str, str | None] = {}
        self._doubtful: set[str] = set()
        self._drained_at = float("-inf")

    def recheck(self, target: Target, since: float, epics: EpicMap | None = None) -> list[Target]:
        """After a recompute (started at `since`), keep what it saw of the epics, and return where
        Jira has the epics this target placed from the epic map, when that is not its program.

        A program's recompute reads the program with all its epics: an assumed epic it did not see
        there has moved (or gone), so it is put in doubt and placed again.
        """
        seen = self.gateway.sightings
        self._drain(epics)
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
        moved = [t for p in self._place_now(stale, (), ()) for t in [target_of(p, target.reconcile)] if t]
        self._drain(epics)
        return moved

    def _before_batch(self, payloads: Sequence[Mapping[str, Any]], epics: EpicMap | None) -> None:
        """Bring the epic map up to date with what the gateway saw, and doubt the epics that move."""
        ids = self.gateway.field_ids()
        now = time.time()
        events = [e for e in (read_payload(dict(p), ids.epic_link, ids.parent_link) for p in payloads)
                  if isinstance(e, WebhookEvent)]
        self._doubtful = {e.issue_key.upper() for e in events if e.parent_changes and e.issue_key}
        wanted = {e.current_parent.upper() for e in events if e.current_parent}
        seen = self.gateway.sightings
        self._drain(epics)
        if epics is not None:
            epics.forget_epics(self._doubtful, now)
        seen.forget(self._doubtful, now)
        if epics is not None:
            self._known = epics.programs_of(wanted - self._doubtful)
        else:
            self._known = {e: s.program for e in wanted - self._doubtful
                           for s in [seen.get(e)] if s is not None and s.known}

    def _after_batch(self, epics: EpicMap | None) -> None:
        self._drain(epics)

    def _drain(self, epics: EpicMap | None) -> None:
        """Write what the gateway saw of epics since the last time into the durable map."""
        if epics is not None:
            now = time.time()
            epics.learn_epics(self.gateway.sightings.since(self._drained_at))
            self._drained_at = now

    def _by_epic(self, event: WebhookEvent, issue: object) -> list[Target] | None:
        """Return a story's target from the epic its delivery names: from the epic map when it knows
        the epic, else by placing the epic alone; None when only placing the story itself will do."""
        epic = (event.current_parent or "").upper()
        issue_type = dig(issue, "fields", "issuetype")
        if (not epic or not event.issue_id or not isinstance(issue_type, dict)
                or level_of(issue_type, self.config) != "item" or epic in self._doubtful):
            return None
        reconcile = frozenset() if event.event == "jira:issue_deleted" else frozenset({event.issue_id})
        mine = frozenset({epic})
        program = self._known.get(epic)
        if program is not None:
            return [Target("program", program, mine, reconcile, assumed=mine)]
        found = next((p for p in self._place([epic]) if p.key.upper() == epic), None)
        if found is None or found.level != "project":
            return None
        target = target_of(found, reconcile)
        return [target] if target is not None else None
