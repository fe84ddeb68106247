"""The worker: turn stored deliveries into coalesced targets, then recompute the due ones."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.config import AppConfig
from webhooks.inbox import Delivery, Inbox, LeasedTarget, StoreError, Target
from webhooks.logs import log_event
from webhooks.telemetry import Metrics

RETAIN_DELIVERIES_SECONDS = 7 * 24 * 3600  # long past Jira's retries, so dedup still holds
PRUNE_EVERY_SECONDS = 3600.0


class SkipDelivery(Exception):
    """A delivery names nothing pmrollup can recompute (an unknown issue, a project not configured)."""


@dataclass(frozen=True)
class RecomputeResult:
    """What one recompute did, for the log and the metrics."""

    findings: Mapping[str, int] = field(default_factory=dict)
    fields_written: int = 0
    comments_posted: int = 0


TargetsFor = Callable[[dict[str, Any]], list[Target]]
Recompute = Callable[[Target], "RecomputeResult | None"]


def backoff_seconds(attempt: int, base: float = 5.0, cap: float = 600.0) -> float:
    """Return the wait before retry number `attempt` (1, 2, ...): 5 s, 15 s, 45 s ... at most 10 min."""
    return float(min(cap, base * 3 ** max(0, attempt - 1)))


def describe(exc: BaseException) -> str:
    """Return a short, one-line description of an error for the store and the log."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


class Worker:
    """Drain the inbox: deliveries become targets; due targets are leased, recomputed, completed."""

    def __init__(self, store: Inbox, targets_for: TargetsFor, recompute: Recompute, config: AppConfig,
                 *, clock: Callable[[], float] = time.time, owner: str | None = None,
                 lease_seconds: float = 300.0, poll_seconds: float = 0.5, batch: int = 100,
                 metrics: Metrics | None = None) -> None:
        self.store = store
        self.targets_for = targets_for
        self.recompute = recompute
        self.settings = config.worker
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.metrics = metrics if metrics is not None else Metrics()
        self._last_prune = float("-inf")

    def run_once(self) -> int:
        """Route stored deliveries, then run every due target; return how many of both were handled."""
        handled = 0
        now = self.clock()
        for delivery in self.store.next_deliveries(self.batch, now):
            self._route(delivery, now)
            handled += 1
        for _ in range(self.batch):
            leased = self.store.lease_due_target(self.owner, self.clock(), self.lease_seconds)
            if leased is None:
                break
            self._run(leased)
            handled += 1
        if now - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = now
            self.store.prune_deliveries(now - RETAIN_DELIVERIES_SECONDS)
        return handled

    def run_forever(self, stop_event: threading.Event) -> None:
        """Run until `stop_event` is set, waiting `poll_seconds` whenever there is nothing to do."""
        while not stop_event.is_set():
            try:
                handled = self.run_once()
            except StoreError as exc:
                log_event("service.error", logging.ERROR, reason=describe(exc), owner=self.owner)
                handled = 0
            if handled == 0:
                stop_event.wait(self.poll_seconds)

    def _route(self, delivery: Delivery, now: float) -> None:
        try:
            targets = self.targets_for(_payload(delivery.body))
        except SkipDelivery as exc:
            self.store.mark_processed([delivery.id], now, status="skipped")
            log_event("delivery.skipped", delivery=delivery.identifier, webhook_event=delivery.event,
                      reason=describe(exc))
            return
        except Exception as exc:  # noqa: BLE001 - e.g. Jira unavailable: keep the delivery, retry later
            attempt = delivery.attempts + 1
            retry_in = backoff_seconds(attempt)
            dead = self.store.defer_delivery(delivery.id, describe(exc), now, retry_in,
                                             self.settings.max_attempts)
            log_event("delivery.dead" if dead else "delivery.failed",
                      logging.ERROR if dead else logging.WARNING, delivery=delivery.identifier,
                      webhook_event=delivery.event, attempt=attempt,
                      retry_in=None if dead else retry_in, error=describe(exc))
            return
        self.store.file_targets(delivery.id, targets, now, self.settings.debounce_seconds,
                                self.settings.max_delay_seconds)

    def _run(self, leased: LeasedTarget) -> None:
        target = leased.target
        started = time.perf_counter()
        try:
            result = self.recompute(target) or RecomputeResult()
        except Exception as exc:  # noqa: BLE001 - any failure is retried with backoff, then parked
            seconds = time.perf_counter() - started
            attempt = leased.attempts + 1
            retry_in = backoff_seconds(attempt)
            dead = self.store.fail(leased, describe(exc), self.clock(), retry_in, self.settings.max_attempts)
            self.metrics.recompute(seconds, "failed")
            log_event("recompute.failed", logging.WARNING, kind=target.kind, key=target.key,
                      attempt=attempt, retry_in=None if dead else retry_in, error=describe(exc))
            if dead:
                log_event("target.dead", logging.ERROR, kind=target.kind, key=target.key,
                          attempts=attempt, error=describe(exc))
            return
        seconds = time.perf_counter() - started
        self.store.complete(leased)
        self.metrics.recompute(seconds, "done")
        self.metrics.findings(result.findings)
        log_event("recompute.done", kind=target.kind, key=target.key, projects=sorted(target.projects),
                  seconds=round(seconds, 3), fields_written=result.fields_written,
                  comments_posted=result.comments_posted, findings=dict(result.findings))


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # the web side checked it; a store edited by hand
        raise SkipDelivery("the body is not JSON") from exc
    if not isinstance(payload, dict):
        raise SkipDelivery("the body is not a JSON object")
    return payload
