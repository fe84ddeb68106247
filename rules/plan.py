"""Turn metrics and findings into the writes one issue needs, and its new `pmrollup.state`.

`pmrollup.state` (issue property), version 1:
    {"version": 1, "evaluated_at": iso,
     "findings": {rule: {"since": iso, "severity", "message", "labels": [...],
                         "figures": {metric: value when it started}, "last_comment_at": iso | null}},
     "announced": {rule: {...the last transition decided, see rules.announce...}},
     "snapshot": {...project sums, see ProjectMetrics.snapshot...} | null,
     "forecast": {...the published delivery forecast, see rules.forecast.Forecast.as_dict...} | null,
     "status_comment_id": str | null}

Only some of it is read back by a later evaluation: each finding's `since`, `figures` and `labels`,
`announced`, `snapshot` (the program's view of a project), `forecast` (kept until it moves enough to
matter, rules.forecast.publish) and `status_comment_id`. A state that
differs in nothing read back (a finding's message or severity text, `evaluated_at`,
`last_comment_at`) is not worth a request on its own: it rides along with the issue's next field
write instead.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rules.announce import Decision, Transition, Unsaid, confirm, decide, resolve_pending
from rules.comments import START, clear_text, parse_time, start_text, status_marker, status_text
from rules.config import CommentSettings
from rules.engine import Finding
from rules.sameness import same_value
from rules.statesize import fit_state
from rules.throughput import FORECAST_KEY

STATE_VERSION = 1
READ_BACK = ("since", "figures", "labels")  # what plan_writes reads from a stored finding
FIRST_RUN_SILENT = "the issue's first evaluation records its state without comments (comments.on_first_run)"


@dataclass(frozen=True)
class CommentAction:
    """Add a comment, or edit pmrollup's status comment; `marker` ends the body."""

    kind: str
    body: str
    comment_id: str | None
    marker: str
    rule: str | None = None  # the rule whose transition it says; None for the status comment


@dataclass(frozen=True)
class WritePlan:
    """Everything to write to one issue; empty when Jira already shows the truth.

    With comments to post, `state` holds their transitions as pending: it is stored before they are
    posted, and `confirmed_state` after they landed (see rules.announce).
    """

    key: str
    fields: Mapping[str, object] = field(default_factory=dict)
    labels_add: tuple[str, ...] = ()
    labels_remove: tuple[str, ...] = ()
    comments: tuple[CommentAction, ...] = ()
    state: dict[str, Any] = field(default_factory=dict)
    state_changed: bool = False  # in what a later evaluation reads back (see the module docstring)
    snapshot: Mapping[str, Any] | None = None  # whole, even when the stored state leaves parts out
    confirmed_state: dict[str, Any] = field(default_factory=dict)
    unsaid: tuple[Unsaid, ...] = ()  # transitions recorded or held without a comment, and why
    label_rules: Mapping[str, str] = field(default_factory=dict)  # label -> the rule that owns it
    wake_at: datetime | None = None  # when a start held by quiet hours is due, if it still holds

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


def announced_of(state: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return a stored state's `announced` record ({} when it has none)."""
    announced = (state or {}).get("announced")
    return {rule: dict(r) for rule, r in announced.items() if isinstance(r, Mapping)} \
        if isinstance(announced, Mapping) else {}


def json_scalar(value: object) -> object:
    """Make a metric value JSON-ready: dates as ISO text, non-finite numbers as null."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def changed_fields(metrics: Mapping[str, Any], current: Mapping[str, object],
                   outputs: Mapping[str, str]) -> dict[str, object]:
    """Return {metric: new value} for the configured outputs whose Jira value differs."""
    return {name: json_scalar(metrics[name]) for name in outputs
            if name in metrics and not same_value(json_scalar(metrics[name]), current.get(name))}


def _read_back(state: Mapping[str, Any] | None, announced: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return what a later evaluation reads from a state."""
    if state is None:
        return None
    findings = state.get("findings")
    return {
        "findings": {rule: {k: entry.get(k) for k in READ_BACK}
                     for rule, entry in (findings if isinstance(findings, Mapping) else {}).items()
                     if isinstance(entry, Mapping)},
        "announced": dict(announced),
        "snapshot": state.get("snapshot"),
        FORECAST_KEY: state.get(FORECAST_KEY),
        "status_comment_id": state.get("status_comment_id"),
    }


def plan_writes(key: str, level: str, metrics: Mapping[str, Any], findings: Sequence[Finding], *,
                previous_state: Mapping[str, Any] | None, current_outputs: Mapping[str, object],
                outputs: Mapping[str, str], labels: Sequence[str], comments: CommentSettings,
                now: datetime, snapshot: Mapping[str, Any] | None,
                status_comment_id: str | None, posted_markers: Collection[str] = (),
                forecast: Mapping[str, Any] | None = None) -> WritePlan:
    """Plan the field, label, comment and state writes for one project or program issue.

    `posted_markers` are the markers of the stored state's pending transitions that the issue's
    comments show (see rules.announce.pending_markers): those landed, the others are decided again.
    `forecast` is the published forecast, kept in the state for the next evaluation to compare with.
    """
    previous = read_state(previous_state)
    before: Mapping[str, Any] = (previous or {}).get("findings") or {}
    announced_before = resolve_pending(announced_of(previous), key, posted_markers)
    stamp = now.isoformat()

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

    muted = comments.mute_label in labels
    silent = (f"the issue carries the mute label {comments.mute_label}" if muted
              else FIRST_RUN_SILENT if previous is None and not comments.on_first_run else None)
    decision = decide(findings, announced_before,
                      since={rule: entry["since"] for rule, entry in current.items()},
                      figures={rule: entry["figures"] for rule, entry in current.items()},
                      now=now, quiet=timedelta(hours=comments.quiet_hours), silent=silent)
    status_id = status_comment_id or (previous or {}).get("status_comment_id")
    actions = [] if silent else _comment_actions(key, decision, current, metrics, comments.mode,
                                                 status_id, now, outputs)
    announced = decision.announced

    for rule, entry in current.items():
        entry["last_comment_at"] = announced.get(rule, {}).get("at")
        entry.pop("details")
    wanted = {label for f in findings for label in f.labels}
    owned = {label: rule for rule, entry in before.items() if isinstance(entry, Mapping)
             for label in entry.get("labels") or ()}
    state = fit_state({
        "version": STATE_VERSION, "evaluated_at": stamp, "findings": current, "announced": announced,
        "snapshot": dict(snapshot) if snapshot is not None else None,
        FORECAST_KEY: dict(forecast) if forecast is not None else None, "status_comment_id": status_id,
    })
    return WritePlan(
        key=key,
        fields=changed_fields(metrics, current_outputs, outputs),
        labels_add=tuple(sorted(wanted - set(labels))),
        labels_remove=tuple(sorted((set(owned) - wanted) & set(labels))),
        comments=tuple(actions),
        state=state,
        state_changed=_read_back(state, announced) != _read_back(previous, announced_before)
        or announced_before != announced_of(previous),
        snapshot=dict(snapshot) if snapshot is not None else None,
        confirmed_state={**state, "announced": confirm(announced)} if actions else state,
        unsaid=decision.unsaid,
        label_rules={**owned, **{label: f.rule for f in findings for label in f.labels}},
        wake_at=decision.wake_at,
    )



def _comment_actions(key: str, decision: Decision, current: Mapping[str, dict[str, Any]],
                     metrics: Mapping[str, Any], mode: str, status_id: str | None,
                     now: datetime, names: Mapping[str, str]) -> list[CommentAction]:
    """Write the comments for due transitions: one per transition, or one status comment; a figure
    is called by the name of the Jira field it is written to (`names`), where there is one."""
    if mode == "status":
        if not decision.due and not decision.subject_moved:
            return []
        listed = [{"rule": rule, **entry} for rule, entry in current.items()]
        body = status_text(key, listed, now)
        return [CommentAction("edit" if status_id else "add", body, status_id, status_marker(key))]
    return [_transition_comment(key, t, current, decision.announced[t.rule], metrics, names)
            for t in decision.due]


def _transition_comment(key: str, transition: Transition, current: Mapping[str, dict[str, Any]],
                        record: Mapping[str, Any], metrics: Mapping[str, Any],
                        names: Mapping[str, str]) -> CommentAction:
    mark = transition.marker(key)
    if transition.kind == START:
        entry = current[transition.rule]
        body = start_text(transition.rule, entry["severity"], entry["message"],
                          {**entry["figures"], **entry["details"]}, mark)
    else:
        body = clear_text(transition.rule, record, metrics, mark, names)
    return CommentAction("add", body, None, mark, transition.rule)
