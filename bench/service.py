"""The real service for benchmarks and soak runs: the web side on loopback, the worker in a thread or in
its own process, webhooks registered on the sandbox so deliveries are Jira's own."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, make_server

from bench.delivery import ISSUE_EVENTS, QuietHandler, recompute_with, targets_for_service
from bench.harness import config_for, gateway_for, recomputer_for
from connector.client import Credentials, JiraGateway
from rules.config import AppConfig
from sandbox.server import RunningSandbox
from webhooks.app import SECRET_ENV, create_app
from webhooks.inbox import SqliteInbox, Target
from webhooks.recompute import Recomputer
from webhooks.telemetry import Metrics
from webhooks.worker import RecomputeResult, Worker

SECRET = "bench-webhook-secret"


class WebSide:
    """`create_app` on a real SQLite inbox, served threaded on loopback, registered on the sandbox."""

    def __init__(self, sandbox: RunningSandbox, config: AppConfig, store_path: str | Path,
                 jira_check: Callable[[], str | None] | None = None, port: int = 0) -> None:
        self.store = SqliteInbox(str(store_path))
        self.metrics = Metrics()
        app = create_app(config, store=self.store, environ={SECRET_ENV: SECRET}, jira_check=jira_check,
                         metrics=self.metrics)
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True,
                                                   request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        response = requests.post(f"{sandbox.url}/rest/webhooks/1.0/webhook", auth=sandbox.admin_auth,
                                 json={"name": "pmrollup", "url": self.url + "/webhooks/jira",
                                       "events": list(ISSUE_EVENTS), "secret": SECRET}, timeout=10)
        response.raise_for_status()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class CountingRecompute:
    """The worker's recompute callable, counting the recomputes it performs (and the targets)."""

    def __init__(self, recomputer: Recomputer) -> None:
        self._recompute = recompute_with(recomputer)
        self.targets: list[Target] = []
        self._lock = threading.Lock()

    def __call__(self, target: Target) -> RecomputeResult:
        result = self._recompute(target)
        with self._lock:
            self.targets.append(target)
        return result

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.targets)


class WorkerThread:
    """A real Worker over the same store, running in a daemon thread until stopped."""

    def __init__(self, sandbox: RunningSandbox, config: AppConfig, store_path: str | Path) -> None:
        self.store = SqliteInbox(str(store_path))
        self.gateway: JiraGateway = gateway_for(sandbox, config)
        self.recompute = CountingRecompute(recomputer_for(config, self.gateway, self.store))
        targets_for, self.routing = targets_for_service(self.gateway)
        self.worker = Worker(self.store, targets_for, self.recompute, config, poll_seconds=0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.worker.run_forever, args=(self._stop,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def worker_main(argv: list[str] | None = None) -> int:
    """Run a worker process over a store against JIRA_URL until killed (or idle with --until-empty)."""
    parser = argparse.ArgumentParser(description="A pmrollup worker process for soak runs.")
    parser.add_argument("store")
    parser.add_argument("flavor")
    parser.add_argument("--debounce", type=float, default=0.3)
    parser.add_argument("--max-delay", type=float, default=2.0)
    parser.add_argument("--lease", type=float, default=5.0)
    parser.add_argument("--until-empty", action="store_true")
    args = parser.parse_args(argv)
    config = config_for(args.flavor, args.store, args.debounce, args.max_delay)
    store = SqliteInbox(args.store)
    gateway = JiraGateway(config, Credentials.from_env(os.environ))
    targets_for, _ = targets_for_service(gateway)
    worker = Worker(store, targets_for, recompute_with(recomputer_for(config, gateway, store)), config,
                    lease_seconds=args.lease, poll_seconds=0.05)
    while True:
        handled = worker.run_once()
        if args.until_empty and store.depth() == 0:
            return 0
        if handled == 0:
            time.sleep(0.05)


def settle(store: SqliteInbox, sandbox: RunningSandbox, timeout: float = 120.0,
           quiet: float = 1.0) -> bool:
    """Wait until the sandbox has sent every delivery and the inbox has stayed empty for `quiet` s."""
    deadline = time.monotonic() + timeout
    empty_since: float | None = None
    while time.monotonic() < deadline:
        idle = sandbox.wait_deliveries_idle(0.5) and store.depth() == 0 and store.counts().targets_leased == 0
        now = time.monotonic()
        if idle:
            empty_since = empty_since if empty_since is not None else now
            if now - empty_since >= quiet:
                return True
        else:
            empty_since = None
        time.sleep(0.05)
    return False


def details_of(store: SqliteInbox) -> dict[str, Any]:
    return dict(vars(store.counts()))


if __name__ == "__main__":
    sys.exit(worker_main())
