"""The syntax tree of a parsed JQL query: clauses, their operands, NOT, AND/OR and ORDER BY keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Func:
    """A function operand such as now() or startOfDay(-1d)."""

    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Value:
    """A literal operand: a bare word, number or quoted string, unescaped."""

    text: str


class Empty:
    """The EMPTY / NULL operand."""


EMPTY = Empty()
Item = Value | Func | Empty


@dataclass(frozen=True)
class Clause:
    """One `field op operand` comparison."""

    field: str  # canonical lowercased name
    op: str  # = != < <= > >= in "not in" is "is not"
    operand: tuple[Item, ...]  # one item, or a list's items


@dataclass(frozen=True)
class Not:
    """NOT applied to a clause or a parenthesised query."""

    node: Node


@dataclass(frozen=True)
class Bool:
    """Operands joined by AND or by OR."""

    op: str  # and | or
    nodes: tuple[Node, ...]


Node = Clause | Not | Bool


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY field and its direction."""

    field: str
    descending: bool
