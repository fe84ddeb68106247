"""Registered webhooks and their deliveries: signed, retried, and (under faults) mishandled."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from sandbox.faults import FaultInjector

RETRY_WAITS = (0.05, 0.2, 0.5)  # seconds before each retry of a failed delivery
SEND_TIMEOUT = 5.0


@dataclass
class Webhook:
    """An admin-registered webhook: which events go where, filtered by JQL, optionally signed."""

    id: int
    name: str
    url: str
    events: list[str]
    jql: str | None
    secret: str | None
    enabled: bool = True


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    hook: Webhook = field(compare=False)
    body: bytes = field(compare=False)
    identifier: str = field(compare=False)
    attempt: int = field(compare=False, default=0)


@dataclass
class Attempt:
    """One delivery attempt, kept so tests and the demo can see what went out."""

    hook_id: int
    event: str
    identifier: str
    attempt: int
    status: int | None


class Deliveries:
    """Send webhook payloads from one background thread, retrying failures with growing waits."""

    def __init__(self, injector: FaultInjector) -> None:
        self.injector = injector
        self.hooks: dict[int, Webhook] = {}
        self.attempts: list[Attempt] = []
        self.delivered = 0
        self.failed = 0
        self._heap: list[_Job] = []
        self._in_flight = 0
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._stopped = False
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="sandbox-deliveries", daemon=True)
        self._thread.start()

    def register(self, name: str, url: str, events: list[str], jql: str | None,
                 secret: str | None) -> Webhook:
        with self._cond:
            hook = Webhook(next(self._ids), name, url, events, jql, secret)
            self.hooks[hook.id] = hook
            return hook

    def unregister(self, hook_id: int) -> bool:
        with self._cond:
            return self.hooks.pop(hook_id, None) is not None

    def enqueue(self, hook: Webhook, payload: dict[str, Any]) -> None:
        """Schedule a payload for a webhook, applying delay, reorder and duplicate faults."""
        faults = self.injector.faults
        body = json.dumps(payload).encode()
        identifier = str(uuid.uuid4())
        copies = 2 if self.injector.roll(faults.duplicate_rate) else 1
        with self._cond:
            for _ in range(copies):
                delay = faults.delay_ms / 1000
                if faults.reorder:
                    delay += self.injector.uniform(0, max(faults.delay_ms, 50) / 1000)
                job = _Job(time.monotonic() + delay, next(self._seq), hook, body, identifier)
                heapq.heappush(self._heap, job)
            self._cond.notify_all()

    def stats(self) -> dict[str, int]:
        with self._cond:
            return {"pending": len(self._heap) + self._in_flight, "delivered": self.delivered,
                    "failed": self.failed, "attempts": len(self.attempts)}

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or in flight; return False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
            return True

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=2)
        self._session.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0].due > time.monotonic()):
                    wait = self._heap[0].due - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                job = heapq.heappop(self._heap)
                self._in_flight += 1
            status = self._send(job)
            with self._cond:
                self._in_flight -= 1
                event = _event_of(job.body)
                self.attempts.append(Attempt(job.hook.id, event, job.identifier, job.attempt, status))
                if status is not None and 200 <= status < 300:
                    self.delivered += 1
                elif job.attempt < len(RETRY_WAITS):
                    job.due = time.monotonic() + RETRY_WAITS[job.attempt]
                    job.attempt += 1
                    job.seq = next(self._seq)
                    heapq.heappush(self._heap, job)
                else:
                    self.failed += 1
                self._cond.notify_all()

    def _send(self, job: _Job) -> int | None:
        headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": job.identifier,
                   "X-Atlassian-Webhook-Flow": "Retry" if job.attempt else "Primary",
                   "User-Agent": "Atlassian Webhook HTTP Client"}
        if job.attempt:
            headers["X-Atlassian-Webhook-Retry"] = str(job.attempt)
        if job.hook.secret:
            digest = hmac.new(job.hook.secret.encode(), job.body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={digest}"
        try:
            sent = self._session.post(job.hook.url, data=job.body, headers=headers, timeout=SEND_TIMEOUT)
            return sent.status_code
        except requests.RequestException:
            return None


def _event_of(body: bytes) -> str:
    try:
        return str(json.loads(body).get("webhookEvent", ""))
    except ValueError:
        return ""
