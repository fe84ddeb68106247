"""The real service (app factory, SQLite inbox, worker) against a sandbox Jira, deliveries over HTTP."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.client import Credentials, JiraGateway
from rules.config import AppConfig
from rules.model import Program, Project
from sandbox.server import RunningSandbox
from tests.conftest import LogCapture, SandboxFactory
from webhooks.cli.admin import WEBHOOK_EVENTS, WEBHOOK_NAME, WEBHOOK_PATH
from webhooks.cli.serving import Service
from webhooks.cli.trialconfig import trial_app_yaml
from webhooks.recompute.recomputer import Recomputer
from webhooks.recompute.services import rules_for
from webhooks.settings.appyaml import load_config
from webhooks.settings.clock import clock_from_environ
from webhooks.store.inbox import SqliteInbox

ROOT = Path(__file__).resolve().parents[2]
DEMO_SEED = ROOT / "sandbox" / "seeds" / "demo.yaml"
DEMO_TODAY = "2026-03-16"
SECRET = "e2e-webhook-secret"
MARKER = re.compile(r"\[pmrollup:([^\]]*)\]")


def write_config(folder: Path, flavor: str = "cloud", debounce: float = 0.3, max_delay: float = 2.0,
                 projects: tuple[str, ...] = ()) -> Path:
    """Write an app.yaml for the demo seed into `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "app.yaml"
    path.write_text(trial_app_yaml(flavor, timezone="UTC", projects=projects, comments={"on_first_run": True},
                                   worker={"debounce_seconds": debounce, "max_delay_seconds": max_delay,
                                           "max_attempts": 8, "metrics_port": 0}))
    return path


def jira_env(sandbox: RunningSandbox) -> dict[str, str]:
    """Return the environment that points pmrollup at the sandbox, with the webhook secret."""
    email, token = sandbox.admin_auth
    return {"JIRA_URL": sandbox.url, "JIRA_USER": email, "JIRA_TOKEN": token,
            "PMROLLUP_WEBHOOK_SECRET": SECRET, "PMROLLUP_TODAY": DEMO_TODAY}


def reader(sandbox: RunningSandbox, config: AppConfig) -> JiraGateway:
    """Return a gateway of the test's own, to read what the service wrote."""
    email, token = sandbox.admin_auth
    return JiraGateway(config, Credentials(sandbox.url, email, token))


def register(sandbox: RunningSandbox, config: AppConfig, base_url: str) -> None:
    """Register pmrollup's webhook on the sandbox, signed with the secret."""
    reader(sandbox, config).register_webhook(WEBHOOK_NAME, base_url + WEBHOOK_PATH, list(WEBHOOK_EVENTS),
                                             secret=SECRET)


def link(sandbox: RunningSandbox, blocker: str, dependent: str) -> None:
    """Link two issues in the sandbox through its REST API: `blocker` blocks `dependent`."""
    answer = requests.post(f"{sandbox.url}/rest/api/2/issueLink", auth=sandbox.admin_auth, timeout=10,
                           json={"type": {"name": "Blocks"}, "inwardIssue": {"key": blocker},
                                 "outwardIssue": {"key": dependent}})
    answer.raise_for_status()


@dataclass(frozen=True)
class Outcome:
    """What pmrollup left in Jira for some issues: output values, its labels, its comment markers."""

    outputs: dict[str, dict[str, Any]]
    labels: dict[str, tuple[str, ...]]
    markers: dict[str, Counter[str]]

    def without_times(self) -> dict[str, Any]:
        """Return the outcome with comment markers stripped of their timestamps, for comparison."""
        markers = {k: sorted(m.rsplit(":", 1)[0] for m in c.elements()) for k, c in self.markers.items()}
        return {"outputs": self.outputs, "labels": self.labels, "markers": markers}


def outcome(gateway: JiraGateway, program: str) -> Outcome:
    """Read a program's and its projects' outputs, pmrollup labels and comment markers."""
    top, projects = gateway.program_with_projects(program)
    issues: list[Program | Project] = [top, *projects]
    return Outcome(
        outputs={i.key: dict(i.outputs) for i in issues},
        labels={i.key: tuple(sorted(x for x in i.labels if x.startswith("pmrollup-"))) for i in issues},
        markers={i.key: Counter(m for c in gateway.comments(i.key) for m in MARKER.findall(c.body))
                 for i in issues},
    )


def pending_writes(gateway: JiraGateway, config: AppConfig, program: str) -> dict[str, Any]:
    """Return what a full, fault-free recompute of the program would still write (empty: up to date)."""
    recomputer = Recomputer(config=config, gateway=gateway, rules=rules_for(config),
                            clock=clock_from_environ(config.timezone))
    evaluation = recomputer.program(program, dry_run=True)
    return {r.key: {"fields": dict(r.plan.fields), "add": r.plan.labels_add, "remove": r.plan.labels_remove}
            for r in evaluation.results
            if r.plan.fields or r.plan.labels_add or r.plan.labels_remove}


@dataclass
class Live:
    """A running service (web + worker threads) wired to a sandbox by a registered webhook."""

    sandbox: RunningSandbox
    config: AppConfig
    service: Service
    logs: LogCapture
    gateway: JiraGateway = field(init=False)

    def __post_init__(self) -> None:
        self.gateway = reader(self.sandbox, self.config)

    @property
    def store(self) -> SqliteInbox:
        assert isinstance(self.service.store, SqliteInbox)
        return self.service.store

    @property
    def url(self) -> str:
        return self.service.url

    def recomputes(self, key: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.logs.named("recompute.done") if key is None or r.get("key") == key]

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until the sandbox has delivered everything and the inbox is empty, twice in a row."""
        settle(self.sandbox, self.store, timeout)

    def outputs(self, key: str) -> dict[str, Any]:
        return dict(self.gateway.projects([key])[0].outputs)


def settle(sandbox: RunningSandbox, store: SqliteInbox, timeout: float = 60.0) -> None:
    """Wait until no delivery is in flight and no work waits in the store, twice in a row."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        assert time.monotonic() < deadline, f"did not settle: {store.counts()}"
        idle = sandbox.wait_deliveries_idle(max(0.1, deadline - time.monotonic()))
        counts = store.counts()
        busy = counts.deliveries_pending or counts.targets_pending or counts.targets_leased
        quiet = quiet + 1 if idle and not busy else 0
        time.sleep(0.02)


LiveFactory = Callable[..., Live]


@pytest.fixture
def live(sandbox_factory: SandboxFactory, tmp_path: Path, logs: LogCapture,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveFactory]:
    """Start services against fresh demo sandboxes; each is stopped at teardown."""
    monkeypatch.setenv("PMROLLUP_TODAY", DEMO_TODAY)
    started: list[Service] = []

    def start(name: str = "site", debounce: float = 0.3, max_delay: float = 2.0, worker: bool = True,
              register_hook: bool = True, flavor: str = "cloud", projects: tuple[str, ...] = ()) -> Live:
        sandbox = sandbox_factory(DEMO_SEED, flavor)
        config = load_config(write_config(tmp_path / name, flavor, debounce, max_delay, projects))
        service = Service(config, port=0, environ=jira_env(sandbox), poll_seconds=0.05, lease_seconds=30)
        if worker:
            service.start()
        else:  # the web side only: deliveries are stored, the test starts the worker later
            service.start_web()
        started.append(service)
        running = Live(sandbox, config, service, logs)
        if register_hook:
            register(sandbox, config, service.url)
        return running

    yield start
    for service in started:
        service.stop(timeout=10)
