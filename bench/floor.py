"""The floor, defined once: the Jira requests no correct implementation can avoid.

Pages to read the issues a piece of work must read, at 100 a page (ceil(n/100) per search); one
search per other set it must read; one PUT per issue whose values changed (its fields and the
properties pmrollup keeps on it go in the same edit). A cold process's one-time field discovery
(`GET field`, and `GET editmeta` for a select output's options) is not part of any piece of work:
the benchmarks count it apart and say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

PAGE = 100


def pages(issues: int) -> int:
    """Return the pages one search needs to read `issues` issues (an empty result is still one)."""
    return max(1, math.ceil(issues / PAGE))


@dataclass(frozen=True)
class Floor:
    """The unavoidable requests of one piece of work, part by part."""

    reads: tuple[tuple[str, int], ...]
    writes: int

    @property
    def total(self) -> int:
        return sum(n for _, n in self.reads) + self.writes

    def describe(self) -> str:
        """Return the parts as text: `children 2 + epics 1 + writes 2`."""
        parts = [f"{name} {n}" for name, n in self.reads] + [f"writes {self.writes}"]
        return " + ".join(parts)


def one_change(children: int, epics: int, blockers: int, changed: int) -> Floor:
    """Floor for one story's change: its epic's children, the program's epics with their snapshots,
    the blockers of its dependencies when it has any, and the issues whose values changed."""
    reads: list[tuple[str, int]] = [("children", pages(children)), ("epics", pages(epics + 1))]
    if blockers:
        reads.append(("blockers", pages(blockers)))
    return Floor(tuple(reads), changed)


def full(stories: int, epics: int, outside_blockers: int, changed: int) -> Floor:
    """Floor for a full recompute: the program and its epics, every story, the blockers outside the
    program (those inside were read with the stories), and the issues whose values changed."""
    reads: list[tuple[str, int]] = [("epics", pages(epics + 1)), ("stories", pages(stories))]
    if outside_blockers:
        reads.append(("outside blockers", pages(outside_blockers)))
    return Floor(tuple(reads), changed)


def searches(sets: Sequence[int]) -> int:
    """Return the pages needed to read several sets, one search each."""
    return sum(pages(n) for n in sets)
