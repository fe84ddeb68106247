"""Route deliveries a batch at a time: one placement (`place_batch`, 100 a page) for all of them.

Routing a delivery is written as for one delivery alone, asking `_place` for what it needs. A first
pass stops each delivery at its first ask and notes it; one placement answers every ask; a second
pass routes those deliveries again with the answers. An ask the first pass did not foresee is
placed on its own, so the answer is always what placing alone would give.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from connector.base import GatewayBase
from connector.errors import JiraAuthError, JiraNotFound, JiraUnavailable
from connector.placing import Placed, checked_ref, place_batch, place_issues
from connector.updates import Placement
from webhooks.store.epicmap import EpicMap
from webhooks.store.inbox import Target
from webhooks.worker.loop import Routed

# Jira is down or refuses pmrollup: every delivery of the batch waits, none is tried alone.
WHOLE_BATCH_ERRORS = (JiraUnavailable, JiraAuthError)

Placer = Callable[[Sequence[str], Collection[str], Sequence[str]], list[Placement]]


class _Pending(Exception):
    """The first pass stopped a delivery at what it asked to place."""


class _Ask:
    """A placer for the first pass: note what is asked, then stop the delivery there."""

    def __init__(self) -> None:
        self.refs: list[str] = []
        self.follow: list[str] = []
        self.reconcile: list[str] = []

    def __call__(self, refs: Sequence[str], follow: Collection[str], reconcile: Sequence[str]
                 ) -> list[Placement]:
        for ref in [*refs, *follow]:
            checked_ref(ref)  # a malformed reference fails its own delivery, not the batch
        self.refs += refs
        self.follow += follow
        self.reconcile += reconcile
        raise _Pending


class BatchRouting:
    """The two passes; subclasses route one delivery (`_route`) and may learn before a batch."""

    gateway: GatewayBase

    def __init__(self) -> None:
        self._placer: Placer = self._place_now

    def route_batch(self, payloads: Sequence[Mapping[str, Any]], epics: EpicMap | None = None
                    ) -> list[Routed]:
        """Return each delivery's targets, or the error that kept it from being routed now."""
        self._before_batch(payloads, epics)
        outcomes: list[Routed] = []
        asked: dict[int, _Ask] = {}
        for n, payload in enumerate(payloads):
            ask = _Ask()
            outcomes.append(self._route_with(ask, payload))
            if isinstance(outcomes[-1], _Pending):
                asked[n] = ask
        if asked:
            self._answer(payloads, asked, outcomes)
        self._after_batch(epics)
        return outcomes

    def _before_batch(self, payloads: Sequence[Mapping[str, Any]], epics: EpicMap | None) -> None:
        """Prepare for a batch (nothing here)."""

    def _after_batch(self, epics: EpicMap | None) -> None:
        """Keep what the batch learnt (nothing here)."""

    def _route(self, payload: Mapping[str, Any]) -> list[Target]:
        raise NotImplementedError

    def _place(self, refs: Sequence[str], follow: Collection[str] = (),
               reconcile: Sequence[str] = ()) -> list[Placement]:
        """Place issues by key or id (and the dependents of `follow`), through the current pass."""
        unique = [r for r in dict.fromkeys(str(r).strip() for r in refs) if r]
        if not unique:
            return []
        return self._placer(unique, follow, [r for r in reconcile if r.isdigit()])

    def _place_now(self, refs: Sequence[str], follow: Collection[str], reconcile: Sequence[str]
                   ) -> list[Placement]:
        try:
            return place_issues(self.gateway, refs, follow, reconcile)
        except JiraNotFound:
            return []

    def _route_with(self, placer: Placer, payload: Mapping[str, Any]) -> Routed:
        self._placer = placer
        try:
            return self._route(payload)
        except Exception as exc:  # noqa: BLE001 - each delivery keeps its own error
            return exc
        finally:
            self._placer = self._place_now

    def _answer(self, payloads: Sequence[Mapping[str, Any]], asked: Mapping[int, _Ask],
                outcomes: list[Routed]) -> None:
        """Place everything the batch asked for at once, then route those deliveries again."""
        refs = list(dict.fromkeys(r for a in asked.values() for r in a.refs))
        follow = {r for a in asked.values() for r in a.follow}
        reconcile = list(dict.fromkeys(r for a in asked.values() for r in a.reconcile))
        try:
            placed = place_batch(self.gateway, refs, follow, reconcile)
        except JiraNotFound:
            placed = Placed({}, {})
        except WHOLE_BATCH_ERRORS as exc:
            for n in asked:
                outcomes[n] = exc
            return
        except Exception:  # noqa: BLE001 - one delivery's odd reference: each is placed alone
            for n in asked:
                outcomes[n] = self._route_with(self._place_now, payloads[n])
            return
        covered = {checked_ref(r) for r in refs}
        followed = {checked_ref(r) for r in follow}

        def answer(refs: Sequence[str], follow: Collection[str], reconcile: Sequence[str]) -> list[Placement]:
            if {checked_ref(r) for r in refs} <= covered and {checked_ref(r) for r in follow} <= followed:
                return placed.answer(refs, follow)
            return self._place_now(refs, follow, reconcile)

        for n in asked:
            outcomes[n] = self._route_with(answer, payloads[n])
