"""Turn metrics and findings into the writes one issue needs, and its new `pmrollup.state`.

`pmrollup.state` (issue property), version 1:
    {"version": 1, "evaluated_at": iso,
     "findings": {rule: {"since": iso, "severity", "message", "labels": [...],
                         "figures": {metric: value when it started}, "last_comment_at": iso | null}},
     "announced": {rule: {"kind": "start" | "clear", "at": iso | null, "since": iso}},
     "snapshot": {...project sums, see ProjectMetrics.snapshot...} | null,
     "status_comment_id": str | null}

Only some of it is read back by a later evaluation: each finding's `since`, `figures` and `labels`,
`announced` (pruned as of now), `snapshot` (the program's view of a project) and
`status_comment_id`. A state that differs in nothing read back (a finding's message or severity
text, `evaluated_at`, `last_comment_at`, an expired clear that pruning forgets) is not worth a
request on its own: it rides along with the issue's next field write instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rules.comments import (
    START,
    Announcement,
    clear_text,
    due_announcements,
    marker,
    parse_time,
    start_text,
    status_marker,
    status_text,
)
from rules.config import CommentSettings
from rules.engine import Finding
from rules.statesize import fit_state

STATE_KEY = "pmrollup.state"
STATE_VERSION = 1
READ_BACK = ("since", "figures", "labels")  # what plan_writes reads from a stored finding


@dataclass(frozen=True)
class CommentAction:
    """Add a comment, or edit pmrollup's status comment; `marker` ends the body."""

    kind: str
    body: str
    comment_id: str | None
    marker: str


@dataclass(frozen=True)
class WritePlan:
    """Everything to write to one issue; empty when Jira already shows the truth."""

    key: str
    fields: Mapping[str, object] = field(default_factory=dict)
    labels_add: tuple[str, ...] = ()
    labels_remove: tuple[str, ...] = ()
    comments: tuple[CommentAction, ...] = ()
    state: dict[str, Any] = field(default_factory=dict)
    state_changed: bool = False  # in what a later evaluation reads back (see the module docstring)
    snapshot: Mapping[str, Any] | None = None  # whole, even when the stored state leaves parts out

    @property
    def is_empty(self) -> bool:
        """Say whether nothing at all needs writing."""
        return not (self.fields or self.labels_add or self.labels_remove or self.comments
                    or self.state_changed)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape `pmrollup evaluate --json` prints under "writes"."""
        return {"key": self.key, "fields": dict(self.fields), "labels_add": list(self.labels_add),
                "labels_remove": list(self.labels_remove),
                "comments": [{"kind": c.kind, "body": c.body, "comment_id": c.comment_id,
                              "marker": c.marker} for c in self.comments]}


def read_state(value: object) -> dict[str, Any] | None:
    """Return a stored state when it is one pmrollup can use, else None (treated as a first run)."""
    if not isinstance(value, Mapping) or value.get("version") != STATE_VERSION:
        return None
    if not isinstance(value.get("findings"), Mapping):
        return None
    return dict(value)


def json_scalar(value: object) -> object:
    """Make a metric value JSON-ready: dates as ISO text, non-finite numbers as null."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _same(new: object, current: object) -> bool:
    if isinstance(current, Mapping):  # a select field as Jira returns it: {"value": "at-risk"}
        current = current.get("value")
    if new is None or current is None:
        return new is None and current in (None, "")
    if isinstance(new, int | float) and not isinstance(new, bool):
        try:
            return math.isclose(float(new), float(current), abs_tol=0.005)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return str(new) == str(current)


def changed_fields(metrics: Mapping[str, Any], current: Mapping[str, object],
                   outputs: Mapping[str, str]) -> dict[str, object]:
    """Return {metric: new value} for the configured outputs whose Jira value differs."""
    return {name: json_scalar(metrics[name]) for name in outputs
            if name in metrics and not _same(json_scalar(metrics[name]), current.get(name))}


def _read_back(state: Mapping[str, Any] | None, announced: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return what a later evaluation reads from a state, with `announced` as it would be kept."""
    if state is None:
        return None
    findings = state.get("findings")
    return {
        "findings": {rule: {k: entry.get(k) for k in READ_BACK}
                     for rule, entry in (findings if isinstance(findings, Mapping) else {}).items()
                     if isinstance(entry, Mapping)},
        "announced": dict(announced),
        "snapshot": state.get("snapshot"),
        "status_comment_id": state.get("status_comment_id"),
    }


def _prune(announced: dict[str, dict[str, Any]], active: set[str], now: datetime,
           quiet: timedelta) -> dict[str, dict[str, Any]]:
    """Forget clears that are announced and past the quiet window; they have nothing left to guard."""
    def keep(rule: str, record: Mapping[str, Any]) -> bool:
        at = parse_time(record.get("at"))
        return rule in active or record.get("kind") == START or (at is not None and now - at < quiet)
    return {rule: record for rule, record in announced.items() if keep(rule, record)}


def plan_writes(key: str, level: str, metrics: Mapping[str, Any], findings: Sequence[Finding], *,
                previous_state: Mapping[str, Any] | None, current_outputs: Mapping[str, object],
                outputs: Mapping[str, str], labels: Sequence[str], comments: CommentSettings,
                now: datetime, snapshot: Mapping[str, Any] | None,
                status_comment_id: str | None) -> WritePlan:
    """Plan the field, label, comment and state writes for one project or program issue."""
    previous = read_state(previous_state)
    before: Mapping[str, Any] = (previous or {}).get("findings") or {}
    announced_before = (previous or {}).get("announced")
    announced: dict[str, dict[str, Any]] = {
        rule: dict(record) for rule, record in (announced_before or {}).items()
        if isinstance(record, Mapping)} if isinstance(announced_before, Mapping) else {}
    stamp = now.isoformat()
    quiet = timedelta(hours=comments.quiet_hours)

    current: dict[str, dict[str, Any]] = {}
    for finding in findings:
        old = before.get(finding.rule) if isinstance(before.get(finding.rule), Mapping) else None
        since = old.get("since") if old and parse_time(old.get("since")) else stamp
        figures = {k: json_scalar(v) for k, v in finding.details.items() if not isinstance(v, list | dict)}
        current.setdefault(finding.rule, {
            "since": since, "severity": finding.severity, "message": finding.message,
            "labels": list(finding.labels),
            "figures": old.get("figures", figures) if old else figures,
            "details": {k: v for k, v in finding.details.items() if isinstance(v, list)},
        })
    commentable = {f.rule for f in findings if f.comment}
    active = {rule: parse_time(current[rule]["since"]) or now for rule in commentable}
    kept_before = _prune(announced, set(active), now, quiet)
    due, _held = due_announcements(active, announced, {f.rule for f in findings} - commentable,
                                   now, quiet)

    muted = comments.mute_label in labels
    silent = muted or (previous is None and not comments.on_first_run)
    status_id = status_comment_id or (previous or {}).get("status_comment_id")
    actions: list[CommentAction] = []
    if due and not silent:
        earlier = {**announced, **{r: e for r, e in before.items() if isinstance(e, Mapping)}}
        actions = _comment_actions(key, due, current, earlier, metrics, comments.mode, status_id, now)
    for a in due:
        announced[a.rule] = {"kind": a.kind, "at": None if silent else stamp, "since": a.since.isoformat()}
        if a.kind == START:
            announced[a.rule]["figures"] = current[a.rule]["figures"]
    announced = _prune(announced, set(active), now, quiet)

    for rule, entry in current.items():
        entry["last_comment_at"] = announced.get(rule, {}).get("at")
        entry.pop("details")
    wanted = {label for f in findings for label in f.labels}
    owned = {label for entry in before.values() if isinstance(entry, Mapping)
             for label in entry.get("labels") or ()}
    state = fit_state({
        "version": STATE_VERSION, "evaluated_at": stamp, "findings": current, "announced": announced,
        "snapshot": dict(snapshot) if snapshot is not None else None, "status_comment_id": status_id,
    })
    return WritePlan(
        key=key,
        fields=changed_fields(metrics, current_outputs, outputs),
        labels_add=tuple(sorted(wanted - set(labels))),
        labels_remove=tuple(sorted((owned - wanted) & set(labels))),
        comments=tuple(actions),
        state=state,
        state_changed=_read_back(state, announced) != _read_back(previous, kept_before),
        snapshot=dict(snapshot) if snapshot is not None else None,
    )


def _comment_actions(key: str, due: Sequence[Announcement], current: Mapping[str, dict[str, Any]],
                     earlier: Mapping[str, Mapping[str, Any]], metrics: Mapping[str, Any], mode: str,
                     status_id: str | None, now: datetime) -> list[CommentAction]:
    """Write the comments for due transitions: one per transition, or one status comment."""
    if mode == "status":
        listed = [{"rule": rule, **entry} for rule, entry in current.items()]
        body = status_text(key, listed, now)
        return [CommentAction("edit" if status_id else "add", body, status_id, status_marker(key))]
    actions = []
    for a in due:
        mark = marker(a.rule, a.kind, key, a.since)
        if a.kind == START:
            entry = current[a.rule]
            body = start_text(a.rule, entry["severity"], entry["message"],
                              {**entry["figures"], **entry["details"]}, mark)
        else:
            record = earlier.get(a.rule) or {}
            body = clear_text(a.rule, {**record, "since": a.since.isoformat()}, metrics, mark)
        actions.append(CommentAction("add", body, None, mark))
    return actions
