"""Write back what a recompute planned: fields, labels, state and baseline in one edit per issue, then
the comments it says, each write recorded in the audit log.

A comment's transition is stored as pending (in that edit) before it is posted, and confirmed
(PUT property) after, so that a retry or a restart at any point finds out whether it landed
instead of saying it again (rules.announce)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from connector.writes import Refusal, Written
from rules.baseline import Baseline, baseline_to_property
from rules.config import AppConfig
from rules.engine import Finding, deciding_rules
from rules.model import Program, Project
from rules.plan import WritePlan
from rules.properties import BASELINE_KEY as BASELINE_KEY  # named here too for the recompute's callers
from rules.properties import STATE_KEY
from webhooks.store.siteproblems import SiteProblem
from webhooks.telemetry.logs import log_event

STATUS_MARKER = "[pmrollup:status:"


class Writer(Protocol):
    """The Jira writes a recompute makes (connector.JiraGateway provides them)."""

    def write_fields(self, key: str, values: Mapping[str, object], current: Mapping[str, object],
                     labels_add: Sequence[str] = (), labels_remove: Sequence[str] = (),
                     current_labels: Sequence[str] | None = None,
                     properties: Mapping[str, object] | None = None,
                     spare_properties: Mapping[str, object] | None = None,
                     leave_out: Collection[str] = ()) -> Written: ...
    def comments(self, key: str) -> list[Any]: ...
    def add_comment(self, key: str, body: str, marker: str, listed: list[Any] | None = None) -> Any: ...
    def edit_comment(self, key: str, comment_id: str, body: str) -> None: ...
    def set_property(self, key: str, name: str, value: object) -> None: ...


class SiteLedger(Protocol):
    """Where refused fields are kept (webhooks.siteproblems.SiteProblems provides it)."""

    def record_site_problems(self, problems: Iterable[SiteProblem]) -> list[SiteProblem]: ...
    def refused_fields(self, jira_project: str, issue_type: str, now: float) -> set[str]: ...
    def clear_written_fields(self, jira_project: str, issue_type: str,
                             field_ids: Collection[str], now: float) -> list[SiteProblem]: ...


# The audit's field for a transition that was not announced; its new value says why.
UNSAID_FIELD = "comment (not posted)"

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
    site: SiteLedger | None = None
    clock: Callable[[], float] = time.time

    def apply(self, issue: Project | Program, plan: WritePlan, findings: Sequence[Finding],
              new_baseline: Baseline | None) -> tuple[int, int]:
        """Write fields, labels, state and baseline in one PUT, then say the plan's comments and
        confirm them in the state; return (fields written, comments posted)."""
        properties: dict[str, object] = {}
        if plan.state_changed or plan.comments:
            properties[STATE_KEY] = plan.state
        if new_baseline is not None:
            properties[BASELINE_KEY] = baseline_to_property(new_baseline)
        # A state that changed only in what nothing reads back costs no request of its own.
        spare = {} if STATE_KEY in properties else {STATE_KEY: plan.state}
        now = self.clock()
        leave_out = self.site.refused_fields(issue.jira_project, issue.issue_type, now) if self.site else ()
        result = self.gateway.write_fields(issue.key, plan.fields, issue.outputs, plan.labels_add,
                                           plan.labels_remove, current_labels=issue.labels,
                                           properties=properties, spare_properties=spare,
                                           leave_out=leave_out)
        self._record_refusals(issue, result.refused, now)
        written = result.changed
        self._clear_fixed(issue, result.field_ids, now)
        health_rules = deciding_rules(findings)
        self._audit(Write(issue.key, self.config.outputs.get(m, m), old, new,
                          health_rules if m == "health" else None)
                    for m, (old, new) in written.items())
        self._audit([Write(issue.key, "labels", None, label, plan.label_rules.get(label))
                     for label in plan.labels_add]
                    + [Write(issue.key, "labels", label, None, plan.label_rules.get(label))
                       for label in plan.labels_remove])
        if new_baseline is not None:
            self._audit([Write(issue.key, BASELINE_KEY, None,
                               f"{new_baseline.points:g} points, {new_baseline.items} items")])
        posted = 0
        if plan.comments:
            confirmed, posted = self._say(issue, plan)
            self.gateway.set_property(issue.key, STATE_KEY, confirmed)
        self._audit([Write(issue.key, UNSAID_FIELD, None, f"{u.kind}: {u.reason}", u.rule)
                     for u in plan.unsaid])
        return len(written), posted

    def _record_refusals(self, issue: Project | Program, refused: Sequence[Refusal], now: float) -> None:
        """Keep each refused field as a site problem of its project and issue type; log the new ones."""
        if not refused or self.site is None:
            return
        problems = [SiteProblem(r.field_name, r.field_id, issue.jira_project, issue.issue_type, issue.key,
                                r.reason, now, now) for r in refused]
        for problem in self.site.record_site_problems(problems):
            log_event("site.problem", logging.WARNING, field=problem.field_name, field_id=problem.field_id,
                      project=problem.jira_project, issue_type=problem.issue_type, key=problem.issue_key,
                      reason=problem.reason, hint="pmrollup check says how to fix it and re-tests it")

    def _clear_fixed(self, issue: Project | Program, field_ids: Collection[str], now: float) -> None:
        """Forget the site problems of the fields this edit wrote (tried again after the hour, and taken
        now), by field id, however app.yaml names them; log each."""
        if not field_ids or self.site is None:
            return
        for problem in self.site.clear_written_fields(issue.jira_project, issue.issue_type, field_ids, now):
            log_event("site.fixed", logging.INFO, field=problem.field_name, field_id=problem.field_id,
                      project=problem.jira_project, issue_type=problem.issue_type, key=issue.key,
                      refused_since=problem.first_seen)

    def _say(self, issue: Project | Program, plan: WritePlan) -> tuple[dict[str, Any], int]:
        """Post or edit the plan's comments; return the state that confirms them and how many were said."""
        state = dict(plan.confirmed_state)
        posted = 0
        # A transition's comment needs no listing first: its number was stored as pending before any
        # POST of it, and a pending one left by a failed or killed attempt was looked for by the
        # recompute that planned this (Recomputer._landed). The listing only guards a retried POST.
        fresh: list[Any] = []
        for action in plan.comments:
            if action.kind == "edit" and action.comment_id:
                self.gateway.edit_comment(issue.key, action.comment_id, action.body)
                self._audit([Write(issue.key, "comment", action.comment_id, action.marker, action.rule)])
                posted += 1
                continue
            comment = self.gateway.add_comment(issue.key, action.body, action.marker,
                                               fresh if action.rule is not None else None)
            if comment is not None:
                posted += 1
                self._audit([Write(issue.key, "comment", None, action.marker, action.rule)])
            if action.marker.startswith(STATUS_MARKER):
                comment = comment or next((c for c in self.gateway.comments(issue.key)
                                           if action.marker in c.body), None)
                if comment is not None:
                    state["status_comment_id"] = str(comment.id)
        return state, posted

    def _audit(self, writes: Iterable[Write]) -> None:
        batch = list(writes)
        if batch and self.audit is not None:
            self.audit(batch)
