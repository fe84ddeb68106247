"""Place what a batch of deliveries asks for all at once: one placement answers every delivery.

A delivery's handler reads what it can from the delivery itself; when it needs Jira it returns an
`Ask`: the issues to place, and what it does with their placements. The asks of a batch are placed
together (`place_batch`: one search per page of references, then one per level above), then each
delivery goes on with its answer. An answer may ask again (a story whose delivery names something
that is no epic then places itself): those asks are placed together in the next round, and an ask
that the earlier placements already answer costs no search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from connector.base import GatewayBase
from connector.errors import JiraAuthError, JiraNotFound, JiraUnavailable
from connector.placing import Placed, Placement, checked_ref, place_batch
from webhooks.store.inbox import Target
from webhooks.worker.loop import Routed

# Jira is down or refuses pmrollup: every delivery of the batch waits, none is tried alone.
WHOLE_BATCH_ERRORS = (JiraUnavailable, JiraAuthError)
NOTHING_PLACED = Placed({}, {})


@dataclass(frozen=True)
class Ask:
    """Issues a delivery needs placed (by key or id, with the dependents of `follow`), and what it
    does with their placements."""

    refs: tuple[str, ...]
    then: Callable[[list[Placement]], Step]
    follow: tuple[str, ...] = ()
    reconcile: tuple[str, ...] = ()


# Where a delivery's routing stands: its targets, why it has none, or what it waits to have placed.
Step = list[Target] | Exception | Ask


def ask(refs: Iterable[str], then: Callable[[list[Placement]], Step], follow: Sequence[str] = (),
        reconcile: Iterable[str] = ()) -> Step:
    """Return an ask for placing `refs`; with no reference, go on at once with nothing placed.

    A malformed reference raises NotAnIssueKey here, so it fails its own delivery, not the batch;
    `reconcile` keeps ids only (Cloud's search reconciles issues by id)."""
    unique = [r for r in dict.fromkeys(str(r).strip() for r in refs) if r]
    if not unique:
        return then([])
    for ref in [*unique, *follow]:
        checked_ref(ref)
    return Ask(tuple(unique), then, tuple(follow), tuple(r for r in reconcile if r.isdigit()))


class Placements:
    """What the batch's placements so far answered: an ask they cover is answered without a search."""

    def __init__(self) -> None:
        self.asked: set[str] = set()
        self.followed: set[str] = set()
        self.placed = NOTHING_PLACED
        self._merged: list[Placed] = []

    def covers(self, asked: Ask) -> bool:
        """Tell whether every reference of the ask was asked (and followed) before."""
        return ({checked_ref(r) for r in asked.refs} <= self.asked
                and {checked_ref(r) for r in asked.follow} <= self.followed)

    def learn(self, asked: Ask, placed: Placed) -> None:
        """Keep what a placement answered to an ask."""
        self.asked |= {checked_ref(r) for r in asked.refs}
        self.followed |= {checked_ref(r) for r in asked.follow}
        if not any(placed is merged for merged in self._merged):
            self._merged.append(placed)
            self.placed = Placed({**self.placed.by_ref, **placed.by_ref},
                                 {**self.placed.dependents, **placed.dependents})


def settle(gateway: GatewayBase, steps: Sequence[Step]) -> list[Routed]:
    """Return each delivery's targets, or why it has none now, placing the asks of each round together."""
    done: dict[int, Routed] = {}
    waiting: dict[int, Ask] = {}
    placements = Placements()

    def keep(n: int, step: Step) -> None:
        if isinstance(step, Ask):
            waiting[n] = step
        else:
            done[n] = step

    for n, step in enumerate(steps):
        keep(n, step)
    while waiting:
        asked, waiting = waiting, {}
        answered = {n: placements.placed for n, a in asked.items() if placements.covers(a)}
        fresh = {n: a for n, a in asked.items() if n not in answered}
        placed = place_together(gateway, fresh) if fresh else {}
        for n, answer in placed.items():
            if not isinstance(answer, Exception):
                placements.learn(fresh[n], answer)
        for n, answer in {**answered, **placed}.items():
            keep(n, answer if isinstance(answer, Exception) else go_on(asked[n], answer))
    return [done[n] for n in range(len(steps))]


def go_on(asked: Ask, placed: Placed) -> Step:
    """Go on routing a delivery with the placements of what it asked for."""
    try:
        return asked.then(placed.answer(asked.refs, asked.follow))
    except Exception as exc:  # noqa: BLE001 - each delivery keeps its own error
        return exc


def place_together(gateway: GatewayBase, asked: Mapping[int, Ask]) -> dict[int, Placed | Exception]:
    """Place every ask at once; when that fails for a reason other than Jira's state, each alone."""
    refs = list(dict.fromkeys(r for a in asked.values() for r in a.refs))
    follow = {r for a in asked.values() for r in a.follow}
    reconcile = list(dict.fromkeys(r for a in asked.values() for r in a.reconcile))
    try:
        placed = place_batch(gateway, refs, follow, reconcile)
    except JiraNotFound:
        placed = NOTHING_PLACED
    except WHOLE_BATCH_ERRORS as exc:
        return dict.fromkeys(asked, exc)
    except Exception:  # noqa: BLE001 - one delivery's odd reference: each is placed alone
        return {n: place_alone(gateway, a) for n, a in asked.items()}
    return dict.fromkeys(asked, placed)


def place_alone(gateway: GatewayBase, asked: Ask) -> Placed | Exception:
    """Place one delivery's ask by itself; an issue Jira does not know is simply not placed."""
    try:
        return place_batch(gateway, asked.refs, asked.follow, asked.reconcile)
    except JiraNotFound:
        return NOTHING_PLACED
    except Exception as exc:  # noqa: BLE001 - each delivery keeps its own error
        return exc
