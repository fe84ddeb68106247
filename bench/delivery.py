"""Deliveries for benchmarks: captured from the sandbox as Jira sends them, processed by the service's
own routing, recompute and worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from flask import Flask, request
from werkzeug.serving import WSGIRequestHandler, make_server

from connector.client import JiraGateway
from rules.config import AppConfig
from sandbox.server import RunningSandbox
from webhooks.recompute.services import rules_for
from webhooks.store.inbox import Inbox, Target
from webhooks.worker.loop import Recompute, Worker
from webhooks.worker.recomputing import TargetRecompute
from webhooks.worker.routing import Router

ISSUE_EVENTS = ("jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "issuelink_created",
                "issuelink_deleted")


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
        """Unregister the webhook (so the sandbox stops sending here), then stop receiving."""
        requests.delete(f"{self.sandbox.url}/rest/webhooks/1.0/webhook/{self.hook_id}",
                        auth=self.sandbox.admin_auth, timeout=10).raise_for_status()
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


def service_parts(config: AppConfig, gateway: JiraGateway, store: Inbox | None = None
                  ) -> tuple[Router, TargetRecompute]:
    """Return the service's own routing and recompute callable, as `pmrollup serve` builds them."""
    rules = rules_for(config)
    labels = {label for rule in rules.rules for label in rule.labels}
    return Router(config, gateway, labels), TargetRecompute(config, gateway, rules, store)


def process(payload: Mapping[str, Any], router: Router, recompute: Recompute) -> list[Target]:
    """Do what the worker does for one delivery: route it, then recompute each target."""
    targets = router(dict(payload))
    for target in targets:
        recompute(target)
    return targets


def worker_for(store: Inbox, config: AppConfig, gateway: JiraGateway, recompute: Recompute | None = None,
               lease_seconds: float = 30.0) -> Worker:
    """Return the service's worker over a store, optionally with a wrapped recompute callable."""
    router, own = service_parts(config, gateway, store)
    return Worker(store, router, recompute or own, config, lease_seconds=lease_seconds, poll_seconds=0.05)


def drain(store: Inbox, config: AppConfig, gateway: JiraGateway, timeout: float = 300.0) -> dict[str, Any]:
    """Run the service's worker over the store until nothing is left; return what it took."""
    worker = worker_for(store, config, gateway)
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
            "depth": store.depth()}
