"""The real service for benchmarks and soak runs: the web side on loopback, the worker in a thread or as
`pmrollup worker` in its own process, a webhook registered on the sandbox so deliveries are Jira's own."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import BaseWSGIServer, make_server

from bench.delivery import ISSUE_EVENTS, QuietHandler, service_parts, worker_for
from bench.harness import ROOT, environ_for, gateway_for, wait_until
from bench.loadgen import SECRET
from connector.client import JiraGateway
from rules.config import AppConfig
from sandbox.server import POLL_SECONDS, RunningSandbox
from webhooks.cli.serving import jira_check_for
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.telemetry.metrics import Metrics
from webhooks.web.app import SECRET_ENV, create_app
from webhooks.worker.loop import Recompute, RecomputeResult

# The `pmrollup` command as the console script runs it.
PMROLLUP = (sys.executable, "-m", "webhooks.cli.main")


class WebSide:
    """`create_app` on a real SQLite inbox, served threaded on loopback, registered on the sandbox."""

    def __init__(self, sandbox: RunningSandbox, config: AppConfig, store_path: str | Path,
                 port: int = 0, register: bool = True) -> None:
        self.store = SqliteInbox(str(store_path))
        self.metrics = Metrics()
        app = create_app(config, store=self.store, environ={SECRET_ENV: SECRET}, metrics=self.metrics,
                         jira_check=jira_check_for(config, environ_for(sandbox)))
        self._server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True,
                                                   request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True)
        self._thread.start()
        if register:
            self.register(sandbox)

    def register(self, sandbox: RunningSandbox) -> None:
        """Register this web side as a webhook on the sandbox, signed with the shared secret."""
        response = requests.post(f"{sandbox.url}/rest/webhooks/1.0/webhook", auth=sandbox.admin_auth,
                                 json={"name": "pmrollup", "url": self.url + "/webhooks/jira",
                                       "events": list(ISSUE_EVENTS), "secret": SECRET}, timeout=10)
        response.raise_for_status()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class CountingRecompute:
    """Wrap the worker's recompute callable, keeping the targets it recomputed."""

    def __init__(self, recompute: Recompute) -> None:
        self._recompute = recompute
        self.targets: list[Target] = []
        self._lock = threading.Lock()

    def __call__(self, target: Target) -> RecomputeResult | None:
        result = self._recompute(target)
        with self._lock:
            self.targets.append(target)
        return result

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.targets)


class WorkerThread:
    """The service's worker over the same store, in a daemon thread, counting its recomputes."""

    def __init__(self, sandbox: RunningSandbox, config: AppConfig, store_path: str | Path) -> None:
        self.store = SqliteInbox(str(store_path))
        self.gateway: JiraGateway = gateway_for(sandbox, config)
        _, own = service_parts(config, self.gateway, self.store)
        self.recompute = CountingRecompute(own)
        self.worker = worker_for(self.store, config, self.gateway, self.recompute)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.worker.run_forever, args=(self._stop,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


class WorkerProcess:
    """`pmrollup worker` in its own process, against the sandbox, on a config file's store."""

    def __init__(self, sandbox: RunningSandbox, config_file: Path, log: Path, lease: float = 1.0) -> None:
        command = [*PMROLLUP, "worker", "--lease", f"{lease:g}"]
        with log.open("ab") as sink:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environ_for(sandbox, config_file),
                                            stdout=sink, stderr=sink)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """Kill the worker with SIGKILL, as an out-of-memory killer or a lost host would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Gunicorn:
    """A gunicorn with 2 sync workers serving an app factory on a loopback port."""

    def __init__(self, app: str, env: Mapping[str, str], log: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                   f"127.0.0.1:{self.port}", "--log-level", "warning", app]
        with log.open("ab") as sink:  # the service logs a JSON line per delivery: never a pipe left unread
            self.process = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=sink, stderr=sink)
        if not wait_until(self._ready, 30, 0.1):
            self.stop()
            raise RuntimeError(f"gunicorn {app} did not start")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            return False
        try:
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def load_in_process(url: str, bodies_file: Path, total: int, concurrency: int, run: str,
                    warm_up: int = 0) -> dict[str, Any]:
    """Run the load generator in its own process (after `warm_up` deliveries it does not measure) and
    return what it measured."""
    command = [sys.executable, "-m", "bench.loadgen", url, str(bodies_file), "--total", str(total),
               "--concurrency", str(concurrency), "--run", run, "--warm-up", str(warm_up)]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def log_events(log: Path, name: str) -> list[dict[str, Any]]:
    """Return the JSON log lines of one event name from a pmrollup process's log file."""
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{") and f'"{name}"' in line:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == name:
                found.append(entry)
    return found


class RestartableSandbox(RunningSandbox):
    """A sandbox Jira whose HTTP side can go down and come back on the same port with the same store,
    while its webhook sender keeps running (Jira unreachable from pmrollup, still sending deliveries)."""

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def is_down(self) -> bool:
        return self._down

    _down = False

    def __enter__(self) -> RestartableSandbox:
        return self

    def down(self) -> None:
        """Stop answering HTTP: connections to the sandbox are refused from now on."""
        self._server.shutdown()
        self._server.server_close()
        self._down = True

    def up(self) -> None:
        """Serve the same app, store and request log again on the same port."""
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                   request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True)
        self._thread.start()
        self._down = False

    def edit_inside(self, key: str, body: Mapping[str, Any]) -> None:
        """Change an issue from inside Jira (no HTTP): its users still can while pmrollup cannot reach it."""
        answer = self.app.test_client().post(f"/sandbox/issues/{key}", json=dict(body))
        if answer.status_code >= 400:
            text = answer.get_data(as_text=True)
            raise RuntimeError(f"sandbox edit of {key} failed: {answer.status_code} {text}")

    def stop(self) -> None:
        if self._down:
            self.up()
        super().stop()


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for process {pid}")
