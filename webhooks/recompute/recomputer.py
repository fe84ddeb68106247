"""Recompute projects and programs: read from Jira, roll up, judge, and write back what changed."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from connector.errors import JiraBadRequest, JiraNotFound
from rules.announce import pending_markers
from rules.baseline import (
    Baseline,
    parse_baseline,
    should_take_baseline,
    take_baseline,
)
from rules.config import AppConfig
from rules.engine import Finding, ProblemLog, RuleSet, evaluate, health_of
from rules.forecast import Forecast
from rules.metrics import ProjectMetrics, project_metrics
from rules.model import Blocker, Program, Project, WorkItem
from rules.outlook import epic_forecast, forecast_values, program_forecast, program_pace
from rules.plan import announced_of, plan_writes, read_state
from rules.program import Snapshot, program_metrics
from rules.properties import STATE_KEY
from rules.reasons import health_reason
from rules.throughput import FORECAST_KEY
from webhooks.recompute.evaluation import Evaluation, IssueResult
from webhooks.recompute.writeback import BASELINE_KEY, SiteLedger, Write, WriteBack, Writer
from webhooks.settings.clock import Clock
from webhooks.telemetry.logs import log_event

__all__ = ["BASELINE_KEY", "Evaluation", "Gateway", "IssueResult", "Recomputer", "Write"]


class Gateway(Writer, Protocol):
    """The Jira calls a recompute makes (connector.JiraGateway provides them)."""

    def program_with_projects(self, key: str, reconcile: Sequence[str | int] = ()
                              ) -> tuple[Program, list[Project]]: ...
    def projects(self, keys: Sequence[str], reconcile: Sequence[str | int] = ()) -> list[Project]: ...
    def work_items(self, project_keys: Sequence[str], reconcile: Sequence[str | int] = ()
                   ) -> list[WorkItem]: ...
    def blockers(self, keys: Sequence[str]) -> dict[str, Blocker]: ...


@dataclass
class Recomputer:
    """Evaluate targets end to end with one gateway, one rule set and one clock (today and now)."""

    config: AppConfig
    gateway: Gateway
    rules: RuleSet
    clock: Clock
    audit: Callable[[Sequence[Write]], None] | None = None
    site: SiteLedger | None = None
    problems: list[str] = field(default_factory=list)
    rule_problems: ProblemLog = field(default_factory=ProblemLog)  # kept by whoever keeps the rules

    def _today(self) -> date:
        return self.clock.today()

    def now(self) -> datetime:
        """Return the moment this recompute stamps on findings and comments."""
        return self.clock.now()

    def program(self, key: str, changed: Collection[str] | None = None,
                reconcile: Sequence[str | int] = (), dry_run: bool = False) -> Evaluation:
        """Recompute an initiative: `changed` epics from their items (None: every epic), the rest
        from the snapshots their `pmrollup.state` holds."""
        program, projects = self.gateway.program_with_projects(key, reconcile)
        refresh = [p for p in projects
                   if changed is None or p.key in changed or _snapshot_of(p) is None]
        measured = self._measure(refresh, has_program=True, reconcile=reconcile, read=projects)
        stored = {p.key: snap for p in projects if p.key not in {m.project.key for m in measured}
                  if (snap := _snapshot_of(p)) is not None}
        today = self._today()
        pace = program_pace([*(Snapshot.from_metrics(m.metrics) for m in measured), *stored.values()], today,
                            self.config.forecast.window_days)
        results = [self._conclude(m, pace.days, pace.with_open, dry_run, pace.began) for m in measured]
        snapshots: dict[str, Snapshot] = {}
        fresh = {r.key: r for r in results}
        for project in projects:
            if project.key in fresh:
                snapshots[project.key] = Snapshot.from_dict(fresh[project.key].plan.snapshot or {})
            elif project.key in stored:
                snapshots[project.key] = stored[project.key]
        owners = {p.key: program.key for p in projects}
        metrics = program_metrics(program, snapshots, today, owners)
        previous = read_state(program.properties.get(STATE_KEY))
        published = program_forecast(program.key, _open_items(metrics.values), pace.epic_days,
                                     program.due_date, today, self.config.forecast, previous, pace.began)
        values = {**metrics.values, **forecast_values(published)}
        findings = self._judge("program", program.key, program.jira_project, values, metrics.details())
        values["health"] = health_of(findings)
        values["health_reason"] = health_reason(values["health"], findings)
        top = replace(self._finish(program, "program", values, findings, None, None, dry_run, published),
                      traces=metrics.traces)
        return Evaluation(top=top, projects=tuple(sorted(results, key=lambda r: r.key)),
                          problems=tuple(self.problems))

    def project(self, key: str, reconcile: Sequence[str | int] = (), dry_run: bool = False,
                has_program: bool = False) -> Evaluation:
        """Recompute one epic from its items."""
        projects = self.gateway.projects([key], reconcile)
        if not projects:
            raise JiraNotFound(f"not found in Jira: project {key}", 404)
        has = has_program or projects[0].program_key is not None
        [measured] = self._measure(projects, has_program=has, reconcile=reconcile)
        result = self._conclude(measured, None, 0, dry_run)
        return Evaluation(top=result, problems=tuple(self.problems))

    def _measure(self, projects: Sequence[Project], has_program: bool, reconcile: Sequence[str | int],
                 read: Sequence[Project] = ()) -> list[Measured]:
        """Compute the metrics of epics from their items; `read` are other epics already read in this pass."""
        if not projects:
            return []
        items = self.gateway.work_items([p.key for p in projects], reconcile)
        by_epic: dict[str, list[WorkItem]] = defaultdict(list)
        for item in items:
            if item.epic_key:
                by_epic[item.epic_key].append(item)
        blockers = self._blockers(projects, by_epic, _as_blockers([*projects, *read], items))
        today = self._today()
        measured = []
        for project in projects:
            children = by_epic.get(project.key, [])
            baseline, reason = parse_baseline(project.properties.get(BASELINE_KEY))
            if reason and project.properties.get(BASELINE_KEY) is not None:
                self._problem(f"{project.key}: stored baseline ignored: {reason}")
            new_baseline: Baseline | None = None
            if should_take_baseline(project, baseline):
                baseline = new_baseline = take_baseline(children, today)
            metrics = project_metrics(project, children, blockers, baseline, today,
                                      hourly_rate=self.config.hourly_rate,
                                      has_program=has_program or project.program_key is not None,
                                      link_types=self.config.dependency_link_types,
                                      window_days=self.config.forecast.window_days)
            measured.append(Measured(project, metrics, new_baseline))
        return measured

    def _conclude(self, measured: Measured, program_days: Sequence[float] | None, with_open: int,
                  dry_run: bool, program_began: date | None = None) -> IssueResult:
        """Forecast an epic, judge it and write it back; `program_days` are its program's finished items
        per day since `program_began` (None when its program was not read: a program's epic then keeps
        its published forecast)."""
        project, metrics = measured.project, measured.metrics
        previous = read_state(project.properties.get(STATE_KEY))
        kept = Forecast.from_dict((previous or {}).get(FORECAST_KEY) or {})
        if program_days is None and project.program_key is not None and kept is not None:
            published = kept
        else:
            published = epic_forecast(project.key, _open_items(metrics.values),
                                      metrics.done_by_day, program_days, with_open, project.due_date,
                                      self._today(), self.config.forecast, previous, metrics.history_from,
                                      program_began)
        metrics = replace(metrics, values={**metrics.values, **forecast_values(published)})
        findings = self._judge("project", project.key, project.jira_project, metrics.values,
                               metrics.details())
        metrics = metrics.with_health(health_of(findings))
        values = {**metrics.values, "health_reason": health_reason(str(metrics.values["health"]), findings)}
        return replace(self._finish(project, "project", values, findings, metrics.snapshot(),
                                    measured.new_baseline, dry_run, published), traces=metrics.traces)

    def _blockers(self, projects: Sequence[Project], by_epic: Mapping[str, list[WorkItem]],
                  known: Mapping[str, Blocker]) -> dict[str, Blocker]:
        """Return the blockers of the epics' dependencies, searching only for those not yet read."""
        wanted: set[str] = set()
        for project in projects:
            members = {project.key} | {i.key for i in by_epic.get(project.key, [])}
            links = [*project.links, *(link for i in by_epic.get(project.key, []) for link in i.links)]
            wanted |= {link.blocker_key for link in links
                       if link.dependent_key in members and link.blocker_key not in members}
        found = {key: known[key] for key in wanted if key in known}
        missing = sorted(wanted - set(found))
        return {**found, **self.gateway.blockers(missing)} if missing else found

    def _judge(self, level: str, key: str, jira_project: str, values: Mapping[str, Any],
               details: Mapping[str, Any]) -> list[Finding]:
        known = set(self.rule_problems.by_rule)
        findings = evaluate(self.rules, level, key, jira_project, values, self._today(), details,
                            self.rule_problems)
        for rule_id, problem in self.rule_problems.by_rule.items():
            if rule_id not in known:
                self._problem(problem)
        return findings

    def _landed(self, key: str, previous: Mapping[str, Any] | None) -> list[str]:
        """Return which of the state's pending comments landed: a recompute stopped between storing a
        transition and confirming its comment (a failed POST, a kill) lists the issue's comments once."""
        markers = pending_markers(announced_of(previous), key)
        return _landed_markers(self.gateway.comments(key), markers) if markers else []

    def _seconds(self) -> float:
        """Return pmrollup's now in epoch seconds (what PMROLLUP_NOW freezes), for the site problems' hour."""
        return self.now().timestamp()

    def _problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)
            log_event("recompute.problem", logging.WARNING, problem=text)

    def _finish(self, issue: Project | Program, level: str, values: Mapping[str, Any],
                findings: Sequence[Finding], snapshot: Mapping[str, Any] | None,
                new_baseline: Baseline | None, dry_run: bool, published: Forecast) -> IssueResult:
        previous = read_state(issue.properties.get(STATE_KEY))
        plan = plan_writes(
            issue.key, level, values, findings,
            previous_state=previous, current_outputs=issue.outputs, outputs=self.config.outputs,
            labels=issue.labels, comments=self.config.comments, now=self.now(), snapshot=snapshot,
            status_comment_id=(previous or {}).get("status_comment_id"),
            posted_markers=self._landed(issue.key, previous), forecast=published.as_dict(),
        )
        result = IssueResult(key=issue.key, level=level, summary=issue.summary, metrics=values,
                             findings=tuple(findings), plan=plan)
        if dry_run:
            return result
        try:
            writeback = WriteBack(self.config, self.gateway, self.audit, self.site, self._seconds)
            fields, comments = writeback.apply(issue, plan, findings, new_baseline)
        except (JiraBadRequest, JiraNotFound) as exc:
            # Refused for good (gone, or an edit Jira will never take): the other issues still land.
            self._problem(f"{issue.key}: not written: {exc}")
            return result
        return IssueResult(key=issue.key, level=level, summary=issue.summary, metrics=values,
                           findings=tuple(findings), plan=plan, fields_written=fields,
                           comments_posted=comments)


@dataclass(frozen=True)
class Measured:
    """An epic's metrics before its forecast and judgement, and the baseline to store if one was taken."""

    project: Project
    metrics: ProjectMetrics
    new_baseline: Baseline | None


def _open_items(values: Mapping[str, Any]) -> int:
    found = values.get("items_open")
    return found if isinstance(found, int) and not isinstance(found, bool) else 0


def _landed_markers(comments: Sequence[Any], markers: Sequence[str]) -> list[str]:
    return [m for m in markers if any(m in str(getattr(c, "body", "")) for c in comments)]


def _as_blockers(projects: Iterable[Project], items: Iterable[WorkItem]) -> dict[str, Blocker]:
    """Return epics and items read in this pass as the blockers a blocker search would return."""
    found = {p.key: Blocker(p.key, p.status_category, p.due_date, p.key, p.jira_project) for p in projects}
    for item in items:  # a sub-task names no epic as a blocker (connector.convert.to_blocker)
        found[item.key] = Blocker(item.key, item.status_category, item.due_date,
                                  None if item.is_subtask else item.epic_key, item.key.rsplit("-", 1)[0])
    return found


def _snapshot_of(project: Project) -> Snapshot | None:
    state = read_state(project.properties.get(STATE_KEY))
    return Snapshot.stored((state or {}).get("snapshot"))

