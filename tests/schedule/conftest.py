"""Run pmrollup's schedules and admin commands against a sandbox Jira over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from webhooks.cli.main import main
from webhooks.cli.trialconfig import trial_app_yaml
from webhooks.recompute.services import gateway_for
from webhooks.schedules.schedule import start_in_background
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.worker.recomputing import build_worker

ROOT = Path(__file__).resolve().parents[2]
# `pmrollup` as its console script runs it, in a child process.
PMROLLUP = [sys.executable, "-c", "import sys; from webhooks.cli.main import main; sys.exit(main())"]
DEMO_SEED = ROOT / "sandbox" / "seeds" / "demo.yaml"
DEMO_TODAY = "2026-03-16"

# What every app.yaml here holds unless a test says otherwise, as the builder's arguments. A worker
# process answers no /metrics port: two of them at once (or another test's) would want the same one.
SETTINGS: dict[str, Any] = {"timezone": "UTC", "comments": {"on_first_run": True}, "allow_unsigned": True,
                            "worker": {"debounce_seconds": 0, "max_delay_seconds": 0, "metrics_port": 0}}
NEVER = "0 0 1 1 *"
# No scheduled job falls due while a test runs: whatever sweeps is the first start's sweep.
NO_SCHEDULED_RUNS = {"sweep": NEVER, "digest": NEVER, "catchup": NEVER}


def app_yaml(flavor: str = "cloud", **changes: Any) -> str:
    """Return the app.yaml of a test site on `flavor`: SETTINGS, changed by trial_app_yaml's `changes`."""
    return trial_app_yaml(flavor, **{**SETTINGS, **changes})


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Site:
    """A sandbox Jira, the app.yaml pointing at it, a runner of `pmrollup` commands in this process and a
    starter of child processes (each with the site's environment, stopped at teardown)."""

    sandbox: RunningSandbox
    config_path: Path
    run: Callable[..., Result]
    start: Callable[[str, list[str]], Process]

    @property
    def store_path(self) -> Path:
        return self.config_path.parent / "pmrollup.sqlite3"

    def env(self) -> dict[str, str]:
        email, token = self.sandbox.admin_auth
        return {"PMROLLUP_CONFIG": str(self.config_path), "JIRA_URL": self.sandbox.url,
                "JIRA_USER": email, "JIRA_TOKEN": token, "PMROLLUP_TODAY": DEMO_TODAY}

    def get(self, path: str) -> Any:
        response = requests.get(self.sandbox.url + path, auth=self.sandbox.admin_auth, timeout=10)
        response.raise_for_status()
        return response.json()

    def field_value(self, key: str, name: str) -> Any:
        return field_value(self.sandbox, key, name)

    def comments(self, key: str) -> list[str]:
        return [c["body"] for c in self.get(f"/rest/api/2/issue/{key}/comment")["comments"]]


SiteFactory = Callable[..., Site]


def field_values(sandbox: RunningSandbox, keys: Sequence[str], names: Sequence[str]
                 ) -> dict[str, dict[str, Any]]:
    """Read fields of issues from the sandbox over HTTP, by the fields' display names."""
    response = requests.get(sandbox.url + "/rest/api/2/field", auth=sandbox.admin_auth, timeout=10)
    response.raise_for_status()
    ids = {f["name"]: f["id"] for f in response.json()}
    found: dict[str, dict[str, Any]] = {}
    for key in keys:
        held = sandbox.issue_json(key)["fields"]
        values = {name: held.get(ids[name]) for name in names}
        found[key] = {n: v.get("value") if isinstance(v, dict) else v for n, v in values.items()}
    return found


def field_value(sandbox: RunningSandbox, key: str, name: str) -> Any:
    """Read one field of an issue from the sandbox over HTTP, by the field's display name."""
    return field_values(sandbox, [key], [name])[key][name]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         sandbox_factory: SandboxFactory) -> Iterator[SiteFactory]:
    """Start a sandbox (demo seed by default) and point `pmrollup` at it with a temp app.yaml, built by
    `app_yaml(flavor, **changes)`; its environment is this process's too."""
    started: list[Process] = []

    def start_process(name: str, argv: list[str]) -> Process:
        process = Process(argv, {**os.environ, "PYTHONPATH": str(ROOT)}, tmp_path / f"{name}.log")
        started.append(process)
        return process

    def make(seed: Any = DEMO_SEED, flavor: str = "cloud", **changes: Any) -> Site:
        sandbox = sandbox_factory(seed, flavor)
        config = tmp_path / "app.yaml"
        config.write_text(app_yaml(flavor, **changes))
        made = Site(sandbox, config, lambda *argv: _run(capsys, argv), start_process)
        for name, value in made.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("PMROLLUP_WEBHOOK_SECRET", raising=False)
        return made

    yield make
    for process in started:
        process.stop()


def _run(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> Result:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


@contextmanager
def running_worker(here: Site) -> Iterator[None]:
    """Run the worker `pmrollup worker` runs (build_worker on the site's store and environment) in a
    thread of this process until the block ends; its log is this process's (the `logs` fixture)."""
    config = load_config(here.config_path)
    worker = build_worker(config, SqliteInbox(config.store_path))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="test-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(60)


@contextmanager
def serve_schedules(here: Site) -> Iterator[SqliteInbox]:
    """Run the schedules `pmrollup serve` runs (start_in_background) on the site's store in this process,
    until the block ends; then stop them."""
    config = load_config(here.config_path)
    store = SqliteInbox(config.store_path)
    stop = start_in_background(config, store, lambda: gateway_for(config, here.env()))
    try:
        yield store
    finally:
        stop()


def drain_targets(store: SqliteInbox) -> list[Target]:
    """Take every target waiting in the inbox, as a worker would, and return them by kind and key."""
    taken = []
    while (leased := store.lease_due_target("test", float("inf"), 60.0)) is not None:
        taken.append(leased.target)
        store.complete(leased)
    return sorted(taken, key=lambda t: (t.kind, t.key))


def searches(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """Return the search requests the sandbox served."""
    return [r for r in sandbox.requests() if "/search" in r["path"]]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """Return a loopback port nothing listens on: bound for the test's length, so that nothing else takes
    it meanwhile, and never listening, so that a connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


class Process:
    """A child process whose stderr is collected to a file, stopped with SIGTERM."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out: IO[bytes] = log.open("wb")
        self.popen = subprocess.Popen(argv, env=env, cwd=log.parent, stdout=self._out,
                                      stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def events(self, name: str) -> list[dict[str, Any]]:
        found = []
        for line in self.text().splitlines():
            if line.startswith("{") and f'"{name}"' in line:
                event = json.loads(line)
                if event.get("event") == name:
                    found.append(event)
        return found

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._out.close()
        return self.popen.returncode


def wait_for(what: str, check: Callable[[], bool], timeout: float = 20.0,
             logs: Sequence[Process] = ()) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            said = "".join(f"\n--- {p.log.name} ---\n{p.text()[-2000:]}" for p in logs)
            raise AssertionError(f"timed out waiting for {what}{said}")
        time.sleep(0.05)


def store_runs(store: Path, jobs: Sequence[str]) -> list[tuple[str, str | None]]:
    """Return the runs of `jobs` a store holds (scheduled time or attempt, outcome), oldest first; none
    while the file does not exist or its process has not yet created the tables."""
    if not store.exists():
        return []
    with sqlite3.connect(store) as conn:
        made = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").fetchone()
        if made is None:
            return []
        marks = ", ".join("?" for _ in jobs)
        return list(conn.execute(f"SELECT scheduled_at, outcome FROM runs WHERE job IN ({marks}) "
                                 "ORDER BY scheduled_at", tuple(jobs)))
