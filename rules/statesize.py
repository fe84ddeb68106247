"""Keep pmrollup's state within what Jira stores in one issue property."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Jira refuses an issue property above 32,768 bytes; the state stays under this, with headroom.
STATE_BUDGET_BYTES = 30_000
MESSAGE_BUDGET_CHARS = 300


def state_size(state: Mapping[str, Any]) -> int:
    """Return the bytes the state takes as the JSON Jira stores."""
    return len(json.dumps(state, default=str).encode("utf-8"))


def fit_state(state: dict[str, Any], budget: int = STATE_BUDGET_BYTES) -> dict[str, Any]:
    """Keep the state under Jira's property limit, leaving out first what can be read again.

    An epic with hundreds of open dependencies would outgrow 32 KB with their list in its
    snapshot: the list is left out (`dependencies_omitted` says how many), and its program then
    reads that epic's items instead of trusting the snapshot. Then long finding messages, which no
    evaluation reads back, are shortened.
    """
    if state_size(state) <= budget:
        return state
    snapshot = state.get("snapshot")
    if isinstance(snapshot, Mapping) and snapshot.get("dependencies"):
        state = {**state, "snapshot": {**snapshot, "dependencies": None,
                                       "dependencies_omitted": len(snapshot["dependencies"])}}
    if state_size(state) > budget:
        findings = state.get("findings") or {}
        state = {**state, "findings": {
            rule: {**entry, "message": _shortened(entry.get("message"))} if isinstance(entry, Mapping)
            else entry for rule, entry in findings.items()}}
    return state


def _shortened(message: object) -> object:
    if isinstance(message, str) and len(message) > MESSAGE_BUDGET_CHARS:
        return message[: MESSAGE_BUDGET_CHARS - 3] + "..."
    return message
