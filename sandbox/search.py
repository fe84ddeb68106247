"""Run JQL over the store: field checks, search lag, reconciliation, ordering, cached result lists."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.fields import clause_names
from sandbox.jql import JqlError, Query, parse_jql
from sandbox.model import Issue, level_of
from sandbox.render import parent_field_ids
from sandbox.store import Store, StoreError

BUILTIN_CLAUSES = frozenset({"key", "id", "project", "issuetype", "status", "statuscategory", "duedate",
                             "created", "updated", "labels", "summary", "parent"})
CACHE_SIZE = 32
# Cloud refuses queries without a restriction on the enhanced search.
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."


def jql_record(store: Store, issue: Issue) -> dict[str, Any]:
    """Build the plain dict the JQL evaluator reads, keyed by lowercased clause name."""
    status = store.status(issue.status)
    parents = parent_field_ids(store, issue)
    record: dict[str, Any] = {
        "key": issue.key, "id": issue.id, "project": issue.project, "issuetype": issue.type,
        "status": status.name, "statuscategory": status.category, "duedate": issue.values.get("duedate"),
        "created": issue.created, "updated": issue.updated, "labels": issue.values.get("labels") or [],
        "summary": issue.summary, "parent": parents.get("parent"),
    }
    if store.flavor == "datacenter":
        record["epic link"] = issue.parent if level_of(issue.type) == 0 else None
        record["parent link"] = issue.parent if level_of(issue.type) == 1 else None
    for definition in store.fields.values():
        if definition.custom and definition.kind not in ("epiclink", "parentlink"):
            value = issue.values.get(definition.id)
            record[definition.name.lower()] = value
            record[f"cf[{definition.number}]"] = value
        elif definition.kind in ("epiclink", "parentlink"):
            record[f"cf[{definition.number}]"] = record[definition.name.lower()]
    return record


def known_clauses(store: Store) -> frozenset[str]:
    names = {n.lower() for d in store.fields.values() for n in clause_names(store, d)}
    return frozenset(names | BUILTIN_CLAUSES)


def parse_checked(store: Store, text: str, require_bounded: bool) -> Query:
    """Parse JQL and check its fields and named keys against the site, as Jira's 400s do."""
    query = parse_jql(text)
    known = known_clauses(store)
    for name in sorted(query.fields):
        if name not in known:
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
    for key in sorted(query.keys_named):
        if key.upper() not in store.issues:
            raise JqlError(f"An issue with key '{key.upper()}' does not exist for field 'key'.")
    if require_bounded and not getattr(query, "bounded", True):
        raise JqlError(UNBOUNDED)
    return query


class Searcher:
    """Evaluate queries against one store, caching records and result lists per store version."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._records: dict[str, dict[str, Any]] = {}
        self._records_version = -1
        self._results: dict[str, tuple[int, list[str]]] = {}

    def search(self, text: str, lag_seconds: float = 0.0, reconcile: Iterable[int] = (),
               require_bounded: bool = False) -> list[Issue]:
        """Return the issues matching `text`, in order, as a lagging index would see them."""
        store = self.store
        with store.lock:
            query = parse_checked(store, text, require_bounded)
            reconcile_ids = set(reconcile)
            if lag_seconds <= 0:
                cached = self._results.get(text)
                if cached is None or cached[0] != store.version:
                    cached = (store.version, self._match(query, self._current_records()))
                    self._results[text] = cached
                    while len(self._results) > CACHE_SIZE:
                        del self._results[next(iter(self._results))]
                return [store.issues[k] for k in cached[1] if k in store.issues]
            seen: dict[str, Issue] = {}
            for issue in store.issues.values():
                view = issue if issue.id in reconcile_ids else store.as_seen(issue, lag_seconds)
                if view is not None:
                    seen[issue.key] = view
            records = {k: jql_record(store, v) for k, v in seen.items()}
            return [seen[k] for k in self._match(query, records)]

    def _current_records(self) -> dict[str, dict[str, Any]]:
        if self._records_version != self.store.version:
            self._records = {k: jql_record(self.store, i) for k, i in self.store.issues.items()}
            self._records_version = self.store.version
        return self._records

    @staticmethod
    def _match(query: Query, records: dict[str, dict[str, Any]]) -> list[str]:
        matched: list[Mapping[str, object]] = [r for r in records.values() if query.matches(r)]
        return [str(r["key"]) for r in query.sort(matched)]


def encode_token(offset: int, text: str) -> str:
    """Make an opaque nextPageToken for a position in a query's results."""
    raw = json.dumps({"o": offset, "q": text}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, text: str) -> int:
    """Read a nextPageToken back, refusing one from another query."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(raw["o"])
    except (ValueError, KeyError, TypeError):
        raise StoreError("The provided next page token is invalid.") from None
    if raw.get("q") != text:
        raise StoreError("The provided next page token is invalid.")
    return offset
