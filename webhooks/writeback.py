"""Write back what a recompute planned: comments first, then fields, labels, state and baseline in
one edit per issue, each write recorded in the audit log."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rules.baseline import Baseline, baseline_to_property
from rules.config import AppConfig
from rules.engine import Finding
from rules.model import Program, Project
from rules.plan import STATE_KEY, WritePlan

BASELINE_KEY = "pmrollup.baseline"
STATUS_MARKER = "[pmrollup:status:"


class Writer(Protocol):
    """The Jira writes a recompute makes (connector.JiraGateway provides them)."""

    def write_fields(self, key: str, values: Mapping[str, object], current: Mapping[str, object],
                     labels_add: Sequence[str] = (), labels_remove: Sequence[str] = (),
                     current_labels: Sequence[str] | None = None,
                     properties: Mapping[str, object] | None = None,
                     spare_properties: Mapping[str, object] | None = None
                     ) -> dict[str, tuple[object, object]]: ...
    def comments(self, key: str) -> list[Any]: ...
    def add_comment(self, key: str, body: str, marker: str, listed: list[Any] | None = None) -> Any: ...
    def edit_comment(self, key: str, comment_id: str, body: str) -> None: ...


@dataclass(frozen=True)
class Write:
    """One change pmrollup made to Jira, for the audit log."""

    issue_key: str
    field: str
    old: object
    new: object
    rule: str | None = None


@dataclass(frozen=True)
class WriteBack:
    """Apply one issue's write plan through the gateway and record what changed."""

    config: AppConfig
    gateway: Writer
    audit: Callable[[Sequence[Write]], None] | None = None

    def apply(self, issue: Project | Program, plan: WritePlan, findings: Sequence[Finding],
              new_baseline: Baseline | None) -> tuple[int, int]:
        """Post the comments, then write fields, labels, state and baseline in one PUT; return
        (fields written, comments posted).

        Comments go first so that the state recording them is written after they landed: a failure
        in between leaves them due, and their markers keep a retry from posting them twice.
        """
        state, posted = self._post_comments(issue, plan)
        properties: dict[str, object] = {}
        if plan.state_changed or state != plan.state:
            properties[STATE_KEY] = state
        if new_baseline is not None:
            properties[BASELINE_KEY] = baseline_to_property(new_baseline)
        # A state that changed only in what nothing reads back costs no request of its own.
        spare = {} if STATE_KEY in properties else {STATE_KEY: state}
        rule_of = {label: f.rule for f in findings for label in f.labels}
        written = self.gateway.write_fields(issue.key, plan.fields, issue.outputs, plan.labels_add,
                                            plan.labels_remove, current_labels=issue.labels,
                                            properties=properties, spare_properties=spare)
        self._audit(Write(issue.key, self.config.outputs.get(m, m), old, new)
                    for m, (old, new) in written.items())
        self._audit([Write(issue.key, "labels", None, label, rule_of.get(label))
                     for label in plan.labels_add]
                    + [Write(issue.key, "labels", label, None, rule_of.get(label))
                       for label in plan.labels_remove])
        if new_baseline is not None:
            self._audit([Write(issue.key, BASELINE_KEY, None,
                               f"{new_baseline.points:g} points, {new_baseline.items} items")])
        return len(written), posted

    def _post_comments(self, issue: Project | Program, plan: WritePlan) -> tuple[dict[str, Any], int]:
        """Post or edit the plan's comments; return the state to store and how many were said."""
        state = dict(plan.state)
        posted = 0
        adds = [a for a in plan.comments if not (a.kind == "edit" and a.comment_id)]
        # Several comments on one issue: list its comments once, not before every POST.
        listed = self.gateway.comments(issue.key) if len(adds) > 1 else None
        for action in plan.comments:
            if action.kind == "edit" and action.comment_id:
                self.gateway.edit_comment(issue.key, action.comment_id, action.body)
                self._audit([Write(issue.key, "comment", action.comment_id, action.marker)])
                posted += 1
                continue
            comment = self.gateway.add_comment(issue.key, action.body, action.marker, listed)
            if comment is not None:
                posted += 1
                self._audit([Write(issue.key, "comment", None, action.marker)])
                if action.marker.startswith(STATUS_MARKER):
                    state["status_comment_id"] = str(comment.id)
        return state, posted

    def _audit(self, writes: Iterable[Write]) -> None:
        batch = list(writes)
        if batch and self.audit is not None:
            self.audit(batch)
