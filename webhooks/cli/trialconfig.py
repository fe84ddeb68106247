"""The app.yaml of a trial site: the demo's, and the one the tests and the bench write for a sandbox Jira."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

# The output fields of the sandbox's seeds (the demo's and the bench's), by the metric they hold.
OUTPUTS: Mapping[str, str] = {
    "progress_pct": "Progress %",
    "scope_growth_pct": "Scope growth %",
    "budget_used_pct": "Budget used %",
    "dependencies_overdue": "Overdue dependencies",
    "health": "Health",
}


def trial_app_yaml(flavor: str, store: str = "pmrollup.sqlite3", *, outputs: Mapping[str, str] = OUTPUTS,
                   timezone: str | None = None, projects: Sequence[str] | None = None,
                   comments: Mapping[str, Any] | None = None, allow_unsigned: bool | None = None,
                   worker: Mapping[str, Any] | None = None, schedule: Mapping[str, str] | None = None,
                   extra: Mapping[str, Any] | None = None) -> str:
    """Return app.yaml text for a site on `flavor` with its store at `store`; a section left as None is
    left out, so pmrollup's own default holds for it, and `extra` adds top-level keys at the end."""
    jira: dict[str, Any] = {"flavor": flavor}
    if projects is not None:
        jira["projects"] = list(projects)
    sections: dict[str, Any] = {
        "timezone": timezone,
        "jira": jira,
        "outputs": dict(outputs),
        "comments": None if comments is None else dict(comments),
        "webhooks": None if allow_unsigned is None else {"allow_unsigned": allow_unsigned},
        "store": {"path": store},
        "worker": None if worker is None else dict(worker),
        "schedule": None if schedule is None else dict(schedule),
        **(extra or {}),
    }
    return "".join(_section(key, value) for key, value in sections.items() if value is not None)


def _section(key: str, value: Any) -> str:
    """Write one top-level key: the outputs one field a line, as app.yaml lists them; others on one line."""
    if key == "outputs" or not isinstance(value, Mapping | list):
        return yaml.safe_dump({key: value}, default_flow_style=False, sort_keys=False, allow_unicode=True)
    return f"{key}: " + yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True,
                                       width=1_000_000)
