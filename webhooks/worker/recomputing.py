"""A worker assembled: its routing, and the recompute of one target, which takes edited rules first."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping

from connector.client import JiraGateway
from connector.errors import JiraBadRequest, JiraNotFound
from rules.config import AppConfig
from rules.engine import ProblemLog, RuleSet
from webhooks.recompute.recomputer import Evaluation, Recomputer
from webhooks.recompute.services import audit_into, gateway_for, rules_for
from webhooks.settings.clock import clock_from_environ
from webhooks.store.inbox import Inbox, Target
from webhooks.telemetry.logs import describe, log_event
from webhooks.telemetry.metrics import Metrics
from webhooks.worker.loop import RecomputeResult, Worker
from webhooks.worker.reload import LiveRules, reads_differ, rule_labels
from webhooks.worker.routing import Router

DEFAULT_LEASE_SECONDS = 300.0


class TargetRecompute:
    """Recompute one target for the worker: a program with its changed projects, or a lone project.

    With `live`, each recompute first takes any reloaded rules and evaluation settings, and hands
    them to `router` and the gateway too, in the worker's own thread."""

    def __init__(self, config: AppConfig, gateway: JiraGateway, rules: RuleSet, store: Inbox | None = None,
                 metrics: Metrics | None = None, *, live: LiveRules | None = None,
                 router: Router | None = None) -> None:
        self.config = config
        self.gateway = gateway
        self.rules = rules
        self.store = store
        self.metrics = metrics
        self.live = live
        self.router = router
        self.clock = clock_from_environ(config.timezone)  # the time zone takes a restart to change
        self._generation = live.in_force.generation if live is not None else 0
        self.rule_problems = ProblemLog()  # each rule's problem said once while these rules run
        self._counted: Counter[tuple[str, int]] = Counter()  # the gateway's answers counted so far

    def __call__(self, target: Target) -> RecomputeResult:
        self._take_reloaded()
        recomputer = Recomputer(config=self.config, gateway=self.gateway, rules=self.rules,
                                clock=self.clock, rule_problems=self.rule_problems,
                                audit=audit_into(self.store) if self.store is not None else None,
                                site=self.store)
        reconcile = sorted(target.reconcile)
        try:
            if target.kind == "program":
                evaluation = recomputer.program(target.key, changed=target.projects, reconcile=reconcile)
            else:
                evaluation = recomputer.project(target.key, reconcile=reconcile)
        except JiraNotFound as exc:
            log_event("recompute.gone", kind=target.kind, key=target.key, reason=describe(exc))
            return RecomputeResult()
        except JiraBadRequest as exc:
            # A refusal for good (a search Jira will never take): retrying on a ladder changes nothing.
            log_event("recompute.refused", logging.ERROR, kind=target.kind, key=target.key,
                      reason=describe(exc))
            return RecomputeResult()
        finally:
            self._count_jira_calls()
        return RecomputeResult(
            findings=evaluation.findings_by_severity(),
            fields_written=sum(r.fields_written for r in evaluation.results),
            comments_posted=sum(r.comments_posted for r in evaluation.results),
            wake_in=self._wake_in(recomputer, evaluation),
        )

    @staticmethod
    def _wake_in(recomputer: Recomputer, evaluation: Evaluation) -> float | None:
        """Return in how many seconds a comment held by quiet hours is due (the worker recomputes the
        target then, if it still holds), or None. pmrollup's clock says when it is due; the worker's
        clock, which may be another, times the wake-up."""
        wake = evaluation.wake_at()
        return None if wake is None else max(1.0, (wake - recomputer.now()).total_seconds())

    def _take_reloaded(self) -> None:
        """Use the rules and settings in force now, when a reload made new ones."""
        if self.live is None:
            return
        now = self.live.refresh(settled=True)
        if now.generation == self._generation:
            return
        if reads_differ(self.config, now.config):
            self.gateway.config = now.config
            self.gateway.refresh_fields()  # output and input field names are looked up again
        if self.router is not None:
            self.router.adopt(now.config, rule_labels(now.rules))
        self.config, self.rules, self._generation = now.config, now.rules, now.generation
        self.rule_problems = ProblemLog()

    def _count_jira_calls(self) -> None:
        """Add the gateway's calls since the last recompute (routing's included) to the metrics."""
        if self.metrics is None:
            return
        now = Counter(self.gateway.answers)
        for (method, status), count in (now - self._counted).items():
            self.metrics.jira_call(status, method, count)
        self._counted = now


def build_worker(config: AppConfig, store: Inbox, *, environ: Mapping[str, str] | None = None,
                 gateway: JiraGateway | None = None, rules: RuleSet | None = None,
                 live: LiveRules | None = None, metrics: Metrics | None = None,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS, poll_seconds: float = 0.2) -> Worker:
    """Return a worker that routes deliveries and recomputes targets with its own Jira gateway, taking
    edits of the rule files and app.yaml from `live` (its own, when none is shared), which it looks
    for before each round, idle or not, so a refused edit reaches /readyz without waiting for work."""
    gateway = gateway or gateway_for(config, environ)
    live = live or LiveRules(config, rules or rules_for(config), store=store)
    in_force = live.in_force
    router = Router(in_force.config, gateway, rule_labels(in_force.rules))
    recompute = TargetRecompute(in_force.config, gateway, in_force.rules, store, metrics, live=live,
                                router=router)
    return Worker(store, router, recompute, config, lease_seconds=lease_seconds,
                  poll_seconds=poll_seconds, metrics=metrics, before_round=live.refresh)
