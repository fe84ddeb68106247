"""Place the issues a webhook names: one search for them, then one per level above, never per issue."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.base import GatewayBase
from connector.convert import dependency_links, epic_key_of, fields_of, key_of, program_key_of
from connector.errors import JiraBadRequest
from connector.hierarchy import KEY_BATCH, check_key, level_of
from connector.payload import text

# subtask -> item -> epic: at most this many rounds of look-ups above the issues placed.
MAX_ROUNDS = 3

# Jira names each issue a `key in (...)` clause cannot find, quoted, in a 400's messages.
QUOTED = re.compile(r"'([A-Za-z0-9_-]+)'")


@dataclass(frozen=True)
class Placement:
    """Where an issue sits: its level, its epic (project) and its initiative (program)."""

    key: str
    id: str
    level: str
    project_key: str | None = None
    program_key: str | None = None


def checked_ref(ref: str) -> str:
    """Return an issue id as it is, or a checked, upper-cased key (nothing else reaches JQL)."""
    cleaned = str(ref).strip()
    return cleaned if cleaned.isdigit() else check_key(cleaned)


@dataclass(frozen=True)
class Placed:
    """Placements of one batch of references: by key and by id, and the dependents of followed issues."""

    by_ref: Mapping[str, Placement]
    dependents: Mapping[str, tuple[str, ...]]

    def answer(self, refs: Sequence[str], follow: Collection[str] = ()) -> list[Placement]:
        """Return what `place_issues(refs, follow)` alone would: the refs found, then the dependents."""
        found = [self.by_ref[r] for r in (checked_ref(ref) for ref in refs) if r in self.by_ref]
        followed = {self.by_ref[r].key for r in (checked_ref(ref) for ref in follow) if r in self.by_ref}
        extra = [self.by_ref[d] for p in found if p.key in followed
                 for d in self.dependents.get(p.key, ()) if d in self.by_ref]
        return list({p.key: p for p in [*found, *extra]}.values())


def place_issues(gateway: GatewayBase, refs: Sequence[str], follow: Collection[str] = (),
                 reconcile: Sequence[str] = ()) -> list[Placement]:
    """Place issues named by key or id, plus the issues that those named in `follow` block."""
    return place_batch(gateway, refs, follow, reconcile).answer(refs, follow)


def place_batch(gateway: GatewayBase, refs: Sequence[str], follow: Collection[str] = (),
                reconcile: Sequence[str] = ()) -> Placed:
    """Place issues named by key or id, plus the issues that those named in `follow` block.

    Ids and keys go into one `key in (...)` search per 100 (Jira reads an id there as the issue with
    that id); references Jira does not know are dropped. `reconcile` ids make a change made a moment
    ago visible to Cloud's enhanced search. Then one search per level above, never per issue.
    """
    fields = placement_fields(gateway)
    known: dict[str, dict[str, Any]] = {}
    key_of_ref: dict[str, str] = {}
    wanted = list(dict.fromkeys(checked_ref(r) for r in refs))
    _fetch(gateway, wanted, fields, known, key_of_ref, reconcile)
    found = [key_of_ref[r] for r in wanted if r in key_of_ref]
    followed = {key_of_ref.get(checked_ref(r)) for r in follow} - {None}
    link_types = gateway.config.dependency_link_types
    dependents = {key: tuple(link.dependent_key for link in dependency_links(known[key], link_types)
                             if link.blocker_key == key) for key in found if key in followed}
    every_dependent = [d for ds in dependents.values() for d in ds]
    _fetch(gateway, [d for d in dict.fromkeys(every_dependent) if d not in known], fields, known,
           key_of_ref, ())
    placed = list(dict.fromkeys(found + [d for d in every_dependent if d in known]))
    frontier = placed
    for _ in range(MAX_ROUNDS):  # sub-task -> item -> epic -> initiative, one search per level
        above = [up for key in frontier for up in [issue_above(known[key], gateway)]
                 if up and up not in known]
        if not above:
            break
        frontier = list(dict.fromkeys(above))
        _fetch(gateway, frontier, fields, known, key_of_ref, ())
        frontier = [key for key in frontier if key in known]
    by_key = {p.key: p for p in (placement_of(key, known, gateway) for key in placed) if p is not None}
    by_ref = {ref: by_key[key] for ref, key in key_of_ref.items() if key in by_key}
    return Placed(by_ref, dependents)


def _fetch(gateway: GatewayBase, refs: Sequence[str], fields: Sequence[str], known: dict[str, dict[str, Any]],
           key_of_ref: dict[str, str], reconcile: Sequence[str]) -> None:
    for start in range(0, len(refs), KEY_BATCH):
        batch = list(refs[start:start + KEY_BATCH])
        for raw in _search_refs(gateway, batch, fields, reconcile):
            key, issue_id = text(raw.get("key")), text(raw.get("id"))
            if key is None:
                continue
            known[key] = raw
            key_of_ref[key] = key
            if issue_id:
                key_of_ref[issue_id] = key


def _search_refs(gateway: GatewayBase, refs: list[str], fields: Sequence[str],
                 reconcile: Sequence[str]) -> list[dict[str, Any]]:
    """Search the references; when Jira refuses some as unknown (400), search the rest once more."""
    if not refs:
        return []
    try:
        return gateway.search(_by_ref(refs), fields, reconcile=reconcile)
    except JiraBadRequest as exc:
        gone = {m.upper() for message in exc.messages for m in QUOTED.findall(message)}
        remaining = [r for r in refs if r.upper() not in gone]
        if not gone or len(remaining) == len(refs):
            raise
        if not remaining:
            return []
        return gateway.search(_by_ref(remaining), fields, reconcile=reconcile)


def _by_ref(refs: Sequence[str]) -> str:
    """Return the JQL for checked keys and ids (Jira reads an id in `key in (...)` as that issue)."""
    return f"key in ({', '.join(refs)}) ORDER BY key ASC"


def placement_fields(gateway: GatewayBase) -> list[str]:
    """Return the fields a search must ask for to place its issues (and to see each epic's initiative)."""
    ids = gateway.field_ids()
    hierarchy = [i for i in (ids.epic_link, ids.parent_link) if i]
    return ["issuetype", "project", "parent", "issuelinks", *hierarchy]


def issue_above(raw: Mapping[str, Any], gateway: GatewayBase) -> str | None:
    """Return the key of the issue whose fields place this one: a sub-task's parent, an item's epic."""
    fields = fields_of(raw)
    level = level_of(fields.get("issuetype"), gateway.config)
    if level == "subtask":
        return key_of(fields.get("parent"))
    if level == "item":
        return epic_key_of(raw, gateway.field_ids())
    return None


def placement_of(key: str, known: Mapping[str, Mapping[str, Any]], gateway: GatewayBase) -> Placement | None:
    """Return where the issue `key` sits, from the issues searched so far (None: not among them)."""
    raw = known.get(key)
    if raw is None:
        return None
    config, ids = gateway.config, gateway.field_ids()
    level = level_of(fields_of(raw).get("issuetype"), config)
    issue_id = text(raw.get("id")) or ""
    if level == "program":
        return Placement(key, issue_id, level, program_key=key)
    epic_raw: Mapping[str, Any] | None = raw
    if level == "subtask":
        parent = known.get(issue_above(raw, gateway) or "")
        epic_raw = known.get(issue_above(parent, gateway) or "") if parent else None
    elif level == "item":
        epic_raw = known.get(issue_above(raw, gateway) or "")
    elif level != "project":
        return Placement(key, issue_id, level)
    if epic_raw is None or level_of(fields_of(epic_raw).get("issuetype"), config) != "project":
        return Placement(key, issue_id, level)
    epic_key = str(epic_raw["key"])
    return Placement(key, issue_id, level, epic_key, program_key_of(epic_raw, ids, config))
