"""How a benchmark turns one Jira change into the recompute the worker would run for its delivery."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from flask import Flask, request
from werkzeug.serving import WSGIRequestHandler, make_server

from connector.client import JiraGateway
from rules.config import AppConfig
from sandbox.server import RunningSandbox
from webhooks.inbox import Inbox, Target
from webhooks.recompute import Recomputer
from webhooks.worker import RecomputeResult, SkipDelivery, Worker

ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "issuelink_created",
                "issuelink_deleted")


@dataclass(frozen=True)
class Change:
    """A change made in the sandbox: the issue, its epic and program, and its delivery when captured."""

    key: str
    issue_id: str
    epic: str | None
    program: str | None
    payload: Mapping[str, Any] | None = None


class Route(Protocol):
    name: str

    def change(self, key: str, body: Mapping[str, Any]) -> Change: ...
    def process(self, change: Change) -> None: ...
    def close(self) -> None: ...


class DirectRoute:
    """Recompute the changed story's epic from Jira and its program from snapshots, as routing decides."""

    name = "Recomputer.program(changed={epic}, reconcile=[story])"

    def __init__(self, sandbox: RunningSandbox, recomputer: Recomputer) -> None:
        self.sandbox = sandbox
        self.recomputer = recomputer

    def change(self, key: str, body: Mapping[str, Any]) -> Change:
        self.sandbox.edit(key, body)
        store = self.sandbox.site.store
        with store.lock:
            issue = store.issues[key]
            epic = issue.parent
            program = store.issues[epic].parent if epic else None
            return Change(key, str(issue.id), epic, program)

    def process(self, change: Change) -> None:
        if change.program is not None and change.epic is not None:
            self.recomputer.program(change.program, changed={change.epic}, reconcile=[change.issue_id])
        elif change.epic is not None:
            self.recomputer.project(change.epic, reconcile=[change.issue_id])

    def close(self) -> None:
        return None


def route_for(sandbox: RunningSandbox, config: AppConfig, gateway: JiraGateway,
              recomputer: Recomputer) -> Route:
    """Return the way one change reaches a recompute."""
    return DirectRoute(sandbox, recomputer)


class QuietHandler(WSGIRequestHandler):
    """Serve without a log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class Capture:
    """A loopback receiver registered as a webhook on the sandbox: keeps every delivery's body."""

    def __init__(self, sandbox: RunningSandbox, events: Sequence[str] = ISSUE_EVENTS) -> None:
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()
        app = Flask("pmrollup-bench-capture")

        @app.post("/hook")
        def hook() -> tuple[str, int]:
            with self._lock:
                self.bodies.append(request.get_data())
            return "", 204

        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.sandbox = sandbox
        url = f"http://127.0.0.1:{self._server.server_port}/hook"
        response = requests.post(f"{sandbox.url}/rest/webhooks/1.0/webhook", auth=sandbox.admin_auth,
                                 json={"name": "bench capture", "url": url, "events": list(events)},
                                 timeout=10)
        response.raise_for_status()
        self.hook_id = response.json().get("self", "").rstrip("/").rsplit("/", 1)[-1]

    def taken(self) -> list[bytes]:
        """Wait until the sandbox has sent everything; return the bodies received so far."""
        self.sandbox.wait_deliveries_idle(30)
        with self._lock:
            return list(self.bodies)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def capture_edits(sandbox: RunningSandbox, edits: Sequence[tuple[str, Mapping[str, Any]]]) -> list[bytes]:
    """Make edits in the sandbox and return the webhook deliveries they caused, as Jira sent them."""
    capture = Capture(sandbox)
    try:
        for key, body in edits:
            sandbox.edit(key, body)
        return capture.taken()
    finally:
        capture.close()


def recompute_with(recomputer: Recomputer) -> Callable[[Target], RecomputeResult]:
    """Return the worker's recompute callable: a target to its program or project recompute."""

    def recompute(target: Target) -> RecomputeResult:
        reconcile = sorted(target.reconcile)
        if target.kind == "program":
            evaluation = recomputer.program(target.key, changed=set(target.projects), reconcile=reconcile)
        else:
            evaluation = recomputer.project(target.key, reconcile=reconcile)
        return RecomputeResult(findings=evaluation.findings_by_severity(),
                               fields_written=sum(r.fields_written for r in evaluation.results),
                               comments_posted=sum(r.comments_posted for r in evaluation.results))

    return recompute


class InterimRouting:
    """Route issue deliveries by the payload's parent, until `webhooks.routing` provides targets_for."""

    name = "bench interim routing (payload parent, one locate per epic)"

    def __init__(self, gateway: JiraGateway) -> None:
        self.gateway = gateway
        self.program_of: dict[str, str | None] = {}

    def __call__(self, payload: dict[str, Any]) -> list[Target]:
        issue = payload.get("issue") or {}
        fields = issue.get("fields") or {}
        kind = (fields.get("issuetype") or {}).get("name")
        hierarchy = self.gateway.config.hierarchy
        if kind in (*hierarchy.project_types, *hierarchy.program_types):
            raise SkipDelivery(f"{issue.get('key')} is a {kind}: pmrollup's own writes land there")
        parent = (fields.get("parent") or {}).get("key")
        if not parent:
            raise SkipDelivery(f"{issue.get('key')} has no parent")
        if parent not in self.program_of:
            self.program_of[parent] = self.gateway.locate(parent).program_key
        program = self.program_of[parent]
        reconcile = frozenset({str(issue["id"])}) if issue.get("id") else frozenset()
        if program is None:
            return [Target("project", parent, reconcile=reconcile)]
        return [Target("program", program, frozenset({parent}), reconcile)]


def targets_for_service(gateway: JiraGateway) -> tuple[Callable[[dict[str, Any]], list[Target]], str]:
    """Return the routing the service uses (and its name)."""
    return InterimRouting(gateway), InterimRouting.name


def drain(store: Inbox, config: AppConfig, gateway: JiraGateway, recomputer: Recomputer,
          timeout: float = 300.0) -> dict[str, Any]:
    """Run a worker over the store until nothing is left; return what it took."""
    targets_for, routing = targets_for_service(gateway)
    worker = Worker(store, targets_for, recompute_with(recomputer), config, poll_seconds=0.05)
    before = gateway.request_count
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        handled = worker.run_once()
        if store.depth() == 0:
            break
        if handled == 0:
            time.sleep(0.05)
    return {"seconds": round(time.perf_counter() - started, 2), "requests": gateway.request_count - before,
            "routing": routing, "depth": store.depth()}
