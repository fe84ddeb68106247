"""Parse and evaluate the subset of JQL pmrollup uses, with Jira's semantics and error wordings.

The tokens are read in `jql_tokens`, parsed into the tree of `jql_tree` by `jql_parser`, and an issue is
matched by `jql_match`; values are compared as `jql_values` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sandbox import jql_values as values
from sandbox.jql_match import evaluate
from sandbox.jql_parser import ALIASES, Parser
from sandbox.jql_tokens import JqlError
from sandbox.jql_tree import Node, SortKey

__all__ = ["ALIASES", "JqlError", "Query", "parse_jql"]


@dataclass(frozen=True)
class Query:
    """A parsed query: what it names, whether an issue matches, and its ORDER BY."""

    where: Node | None
    order: tuple[SortKey, ...]
    fields: frozenset[str]
    keys_named: frozenset[str]
    now: datetime | None = field(default=None, compare=False)

    @property
    def bounded(self) -> bool:
        """Say whether the query restricts anything (Cloud refuses unbounded searches)."""
        return self.where is not None

    def matches(self, issue: Mapping[str, object], now: datetime | None = None) -> bool:
        """Say whether an issue (a dict keyed by lowercased field name) satisfies the query."""
        if self.where is None:
            return True
        return evaluate(self.where, issue, now or self.now or values.utc_now())

    def sort(self, issues: list[Mapping[str, object]]) -> list[Mapping[str, object]]:
        """Order issues by ORDER BY (EMPTY last ascending), ties and default by natural key."""
        ordered = sorted(issues, key=lambda issue: values.sort_value("key", issue.get("key")))
        for sort_key in reversed(self.order):
            ordered.sort(
                key=lambda issue, f=sort_key.field: values.sort_value(f, issue.get(f)),  # type: ignore[misc]
                reverse=sort_key.descending,
            )
        return ordered


def parse_jql(text: str, *, now: datetime | None = None) -> Query:
    """Parse JQL into a Query, raising JqlError with Jira's wording for anything outside the subset."""
    parsed = Parser(text).parse()
    return Query(parsed.where, parsed.order, parsed.fields, parsed.keys_named, now)
