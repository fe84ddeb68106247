"""The worker: turn every stored delivery into coalesced targets, then recompute the due ones.

All pending deliveries are routed (a batch at a time) before any target is leased, so a burst
coalesces into one target per program instead of being recomputed while it is still arriving.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from rules.config import AppConfig
from webhooks.store.epicmap import EpicMap
from webhooks.store.inbox import Delivery, Inbox, LeasedTarget, StoreError, Target
from webhooks.telemetry.logs import describe, log_event
from webhooks.telemetry.metrics import Metrics

RETAIN_DELIVERIES_SECONDS = 7 * 24 * 3600  # long past Jira's retries, so dedup still holds
PRUNE_EVERY_SECONDS = 3600.0
ORPHAN_CHECK_SECONDS = 30.0  # how often a worker looks for targets held by dead workers
ERROR_BACKOFF_CAP_SECONDS = 30.0  # the longest wait between tries while the store (or else) keeps failing


class SkipDelivery(Exception):
    """A delivery names nothing pmrollup can recompute (an unknown issue, a project not configured)."""


@dataclass(frozen=True)
class RecomputeResult:
    """What one recompute did, for the log and the metrics."""

    findings: Mapping[str, int] = field(default_factory=dict)
    fields_written: int = 0
    comments_posted: int = 0
    wake_in: float | None = None  # recompute the target again this many seconds from now (a held comment)


TargetsFor = Callable[[dict[str, Any]], list[Target]]
Recompute = Callable[[Target], "RecomputeResult | None"]
Routed = list[Target] | Exception  # a delivery's targets, or why it could not be routed now


@runtime_checkable
class Routing(Protocol):
    """Route deliveries a batch at a time, and check targets placed from the epic map once recomputed."""

    def route_batch(self, payloads: Sequence[dict[str, Any]], epics: EpicMap | None = None
                    ) -> list[Routed]: ...
    def recheck(self, target: Target, since: float, epics: EpicMap | None = None) -> list[Target]: ...


class OneByOne:
    """Routing from a function of one delivery (tests, simple callers): no batching, no epic map."""

    def __init__(self, targets_for: TargetsFor) -> None:
        self.targets_for = targets_for

    def route_batch(self, payloads: Sequence[dict[str, Any]], epics: EpicMap | None = None
                    ) -> list[Routed]:
        """Route each delivery on its own."""
        outcomes: list[Routed] = []
        for payload in payloads:
            try:
                outcomes.append(self.targets_for(payload))
            except Exception as exc:  # noqa: BLE001 - each delivery keeps its own error
                outcomes.append(exc)
        return outcomes

    def recheck(self, target: Target, since: float, epics: EpicMap | None = None) -> list[Target]:
        """Assume nothing, so there is nothing to check."""
        return []


def holder_is_gone(owner: str) -> bool:
    """Tell whether a lease holder (`host:pid:nonce`) was a process on this machine that has ended.

    A holder on another machine, a live process or one we cannot check counts as alive: its lease
    then runs out as usual."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def backoff_seconds(attempt: int, base: float = 5.0, cap: float = 600.0) -> float:
    """Return the wait before retry number `attempt` (1, 2, ...): 5 s, 15 s, 45 s ... at most 10 min."""
    return float(min(cap, base * 3 ** max(0, attempt - 1)))


class Worker:
    """Drain the inbox: deliveries become targets; due targets are leased, recomputed, completed."""

    def __init__(self, store: Inbox, targets_for: TargetsFor | Routing, recompute: Recompute,
                 config: AppConfig, *, clock: Callable[[], float] = time.time, owner: str | None = None,
                 lease_seconds: float = 300.0, poll_seconds: float = 0.5, batch: int = 100,
                 metrics: Metrics | None = None, before_round: Callable[[], object] | None = None,
                 error_backoff_cap: float = ERROR_BACKOFF_CAP_SECONDS) -> None:
        self.store = store
        self.routing = targets_for if isinstance(targets_for, Routing) else OneByOne(targets_for)
        self.recompute = recompute
        self.settings = config.worker
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.metrics = metrics if metrics is not None else Metrics()
        self.error_backoff_cap = error_backoff_cap
        self.before_round = before_round  # e.g. look for edited rule files even while idle
        self._last_prune = float("-inf")
        self._last_orphan_check = float("-inf")

    def run_once(self) -> int:
        """Run the due targets, routing every stored delivery before each lease; return how many
        deliveries and targets were handled."""
        if self.before_round is not None:
            self.before_round()
        now = self.clock()
        handled = 0
        settings = self.settings
        for target in self.store.wake_due(now, settings.debounce_seconds, settings.max_delay_seconds):
            log_event("target.woken", kind=target.kind, key=target.key, reason="a held comment is due")
        if now - self._last_orphan_check >= ORPHAN_CHECK_SECONDS:
            self._last_orphan_check = now
            self.release_orphans(now)
        for _ in range(self.batch):
            handled += self.route_pending()  # news that came during a recompute joins its target first
            leased = self.store.lease_due_target(self.owner, self.clock(), self.lease_seconds)
            if leased is None:
                break
            self._run(leased)
            handled += 1
        if now - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = now
            self.store.prune_deliveries(now - RETAIN_DELIVERIES_SECONDS)
        return handled

    def release_orphans(self, now: float) -> None:
        """Free the targets of workers on this machine that died holding them (SIGKILL, OOM)."""
        for kind, key in self.store.release_leases(holder_is_gone, now):
            log_event("target.released", kind=kind, key=key, reason="its worker is gone")

    def route_pending(self) -> int:
        """Route deliveries a batch at a time until none is due (or `max_delay` has passed, so a
        stream that never pauses still lets due targets run); return how many were routed."""
        started = self.clock()
        tried: set[int] = set()
        handled = 0
        while True:
            now = self.clock()
            batch = [d for d in self.store.next_deliveries(self.batch, now) if d.id not in tried]
            if not batch:
                return handled
            tried.update(d.id for d in batch)
            self._route(batch, now)
            handled += len(batch)
            if self.clock() - started >= self.settings.max_delay_seconds:
                return handled

    def run_forever(self, stop_event: threading.Event) -> None:
        """Run until `stop_event` is set, waiting `poll_seconds` whenever there is nothing to do.

        Any error (a full disk, a locked or damaged store, a bug) is logged and retried after a backoff
        of at most `error_backoff_cap` seconds: the thread outlives it and carries on once it clears."""
        failures = 0
        while not stop_event.is_set():
            try:
                if failures:
                    self.release_own_leases()
                handled = self.run_once()
            except Exception as exc:  # noqa: BLE001 - the worker must outlive what it cannot fix
                failures += 1
                retry_in = backoff_seconds(failures, base=self.poll_seconds, cap=self.error_backoff_cap)
                log_event("service.error", logging.ERROR, reason=describe(exc), owner=self.owner,
                          store_error=isinstance(exc, StoreError), attempt=failures, retry_in=retry_in)
                stop_event.wait(retry_in)
                continue
            failures = 0
            if handled == 0:
                stop_event.wait(self.poll_seconds)

    def release_own_leases(self) -> None:
        """Free the targets this worker leased before an error cut its round short, so they are
        retried now instead of when their lease runs out."""
        for kind, key in self.store.release_leases(lambda holder: holder == self.owner, self.clock()):
            log_event("target.released", kind=kind, key=key, reason="its worker failed before finishing it")

    def _route(self, batch: Sequence[Delivery], now: float) -> None:
        outcomes: dict[int, Routed] = {}
        readable: list[tuple[Delivery, dict[str, Any]]] = []
        for delivery in batch:
            try:
                readable.append((delivery, _payload(delivery.body)))
            except SkipDelivery as exc:
                outcomes[delivery.id] = exc
        try:
            routed = self.routing.route_batch([p for _, p in readable], self.store)
        except Exception as exc:  # noqa: BLE001 - a bug in routing: every delivery waits and is retried
            routed = [exc] * len(readable)
        outcomes.update((d.id, outcome) for (d, _), outcome in zip(readable, routed, strict=True))
        filed: list[tuple[int, list[Target]]] = []
        skipped: list[int] = []
        for delivery in batch:
            outcome = outcomes[delivery.id]
            if isinstance(outcome, SkipDelivery):
                skipped.append(delivery.id)
                log_event("delivery.skipped", delivery=delivery.identifier, webhook_event=delivery.event,
                          reason=describe(outcome))
            elif isinstance(outcome, Exception):
                self._defer(delivery, outcome, now)
            else:
                filed.append((delivery.id, outcome))
        self.store.file_batch(filed, skipped, now, self.settings.debounce_seconds,
                              self.settings.max_delay_seconds)
        log_event("deliveries.routed", deliveries=len(batch), filed=len(filed), skipped=len(skipped),
                  targets=len({(t.kind, t.key) for _, targets in filed for t in targets}))

    def _defer(self, delivery: Delivery, exc: Exception, now: float) -> None:
        """Keep a delivery that could not be routed (e.g. Jira unavailable) for a later try."""
        attempt = delivery.attempts + 1
        retry_in = backoff_seconds(attempt)
        dead = self.store.defer_delivery(delivery.id, describe(exc), now, retry_in,
                                         self.settings.max_attempts)
        log_event("delivery.dead" if dead else "delivery.failed",
                  logging.ERROR if dead else logging.WARNING, delivery=delivery.identifier,
                  webhook_event=delivery.event, attempt=attempt,
                  retry_in=None if dead else retry_in, error=describe(exc))

    def _run(self, leased: LeasedTarget) -> None:
        target = leased.target
        started = time.perf_counter()
        since = time.time()  # wall clock, as the gateway stamps what it sees of epics
        try:
            result = self.recompute(target) or RecomputeResult()
            moved = self.routing.recheck(target, since, self.store)
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
        for news in moved:  # epics the map had under this program, which Jira has elsewhere
            self.store.upsert_target(news, self.clock(), self.settings.debounce_seconds,
                                     self.settings.max_delay_seconds)
        if result.wake_in is not None:  # on this worker's clock, as every timer of its queue
            self.store.wake_later(target, self.clock() + result.wake_in)
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
