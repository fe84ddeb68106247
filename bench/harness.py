"""The plumbing every benchmark shares: a sandbox, a gateway, a recomputer, request logs, store diffs."""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from bench.seeds import TODAY, app_yaml
from connector.client import Credentials, JiraGateway
from connector.retry import RetryPolicy
from rules.config import AppConfig, parse_config
from sandbox.server import RunningSandbox
from webhooks.recompute.recomputer import Recomputer
from webhooks.recompute.services import audit_into, rules_for
from webhooks.settings.clock import Clock
from webhooks.store.inbox import Inbox

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"\[pmrollup:[^\]\s]+\]")
T = TypeVar("T")

IssueState = dict[str, tuple[str, str]]


def config_for(flavor: str, store_path: str | Path = "pmrollup-bench.sqlite3", debounce: float = 0.3,
               max_delay: float = 2.0) -> AppConfig:
    """Return the app config the benchmarks run with, for a flavor (and fix today, unless set)."""
    os.environ.setdefault("PMROLLUP_TODAY", TODAY)
    return parse_config(app_yaml(flavor, str(store_path), debounce, max_delay))


def environ_for(sandbox: RunningSandbox, config_path: str | Path | None = None,
                secret: str | None = None) -> dict[str, str]:
    """Return the environment a pmrollup process needs to reach the sandbox."""
    email, token = sandbox.admin_auth
    env = {**os.environ, "JIRA_URL": sandbox.url, "JIRA_USER": email, "JIRA_TOKEN": token,
           "PMROLLUP_TODAY": TODAY, "PYTHONPATH": str(ROOT)}
    if config_path is not None:
        env["PMROLLUP_CONFIG"] = str(config_path)
    if secret is not None:
        env["PMROLLUP_WEBHOOK_SECRET"] = secret
    return env


def gateway_for(sandbox: RunningSandbox, config: AppConfig, retry: RetryPolicy | None = None) -> JiraGateway:
    """Return a gateway to the sandbox as its admin."""
    email, token = sandbox.admin_auth
    return JiraGateway(config, Credentials(sandbox.url, email, token), retry)


def recomputer_for(config: AppConfig, gateway: JiraGateway, store: Inbox | None = None) -> Recomputer:
    """Return a recomputer with the shipped rules and the benchmark's fixed today."""
    today = date.fromisoformat(TODAY)
    return Recomputer(config=config, gateway=gateway, rules=rules_for(config),
                      clock=Clock(frozen_today=today), audit=audit_into(store) if store is not None else None)


def warm(gateway: JiraGateway) -> None:
    """Fetch what a long-running worker has cached after its first recompute (the field catalog)."""
    gateway.field_ids()
    gateway.output_targets()


def issue_state(sandbox: RunningSandbox) -> IssueState:
    """Return every issue's field values and properties, rendered for comparison."""
    store = sandbox.site.store
    with store.lock:
        return {key: (repr(sorted(issue.values.items(), key=lambda kv: kv[0])),
                      json.dumps(issue.properties, sort_keys=True, default=str))
                for key, issue in store.issues.items()}


def changed_issues(before: IssueState, after: IssueState) -> set[str]:
    """Return the keys whose values or properties differ between two states."""
    return {key for key in after if before.get(key) != after[key]}


def comment_markers(sandbox: RunningSandbox) -> Counter[tuple[str, str]]:
    """Count pmrollup's comments by (issue, marker): any count above 1 is a comment posted twice."""
    store = sandbox.site.store
    found: Counter[tuple[str, str]] = Counter()
    with store.lock:
        for key, issue in store.issues.items():
            for comment in issue.comments:
                for marker in MARKER.findall(json.dumps(comment.body)):
                    found[(key, marker)] += 1
    return found


def kind_of(request: Mapping[str, Any]) -> str:
    """Name a logged sandbox request by what it is for."""
    method, path = request["method"], request["path"]
    if path.endswith(("/search/jql", "/search")):
        return "search page"
    if "/properties/" in path:
        return f"{method} property"
    if "/comment" in path:
        return f"{method} comment"
    if method == "PUT" and "/issue/" in path:
        return "PUT issue"
    if path.endswith("/field"):
        return "GET field"
    if path.endswith("/editmeta"):
        return "GET editmeta"
    if method == "GET" and "/issue/" in path:
        return "GET issue"
    return f"{method} other"


def breakdown(requests: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Count requests by kind, rest API calls only."""
    counts = Counter(kind_of(r) for r in requests if r["path"].startswith("/rest/"))
    return dict(sorted(counts.items()))


def rest_requests(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    """Return the REST requests the sandbox served since its log was last cleared."""
    return [r for r in sandbox.requests() if r["path"].startswith("/rest/")]


@dataclass(frozen=True)
class Timed:
    """A result and the median wall time over the runs that produced it."""

    value: Any
    seconds: float
    runs: tuple[float, ...]


def timed(run: Callable[[], T], repeat: int = 1) -> Timed:
    """Run `run` `repeat` times; return the last result and the median wall time."""
    seconds: list[float] = []
    value: Any = None
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        value = run()
        seconds.append(time.perf_counter() - started)
    return Timed(value, statistics.median(seconds), tuple(seconds))


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
