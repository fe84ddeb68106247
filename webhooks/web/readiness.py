"""Readiness for `/readyz`: 503 only when deliveries cannot be stored; Jira or site trouble is
"degraded" (still 200), since a load balancer that dropped this process would drop Jira's deliveries."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from connector.client import Credentials, JiraGateway, RetryPolicy
from connector.errors import ConnectorError
from rules.config import AppConfig
from webhooks.store.inbox import Inbox, StoreError
from webhooks.telemetry.logs import describe

JIRA_PROBE_SECONDS = 30.0  # /readyz asks Jira at most this often, however often it is polled
JIRA_PROBE_TIMEOUT_SECONDS = 5.0  # a hung Jira makes /readyz wait this long at most, once per probe

JiraCheck = Callable[[], "str | None"]  # None when Jira answers, else what is wrong
SiteProblems = Callable[[], list[str]]  # what is wrong with the Jira site (e.g. fields it refuses)


def jira_probe(config: AppConfig, environ: Mapping[str, str]) -> JiraCheck:
    """Return the check of the Jira that JIRA_URL, JIRA_USER and JIRA_TOKEN name: one serverInfo call,
    not retried, with a short timeout; unset credentials are the answer itself."""
    try:
        credentials = Credentials.from_env(environ)
    except ConnectorError as exc:
        reason = str(exc)
        return lambda: reason
    timeout = min(config.jira.timeout_seconds, JIRA_PROBE_TIMEOUT_SECONDS)
    gateway = JiraGateway(replace(config, jira=replace(config.jira, timeout_seconds=timeout)), credentials,
                          RetryPolicy(attempts=1))

    def check() -> str | None:
        gateway.server_info()
        return None

    return check


@dataclass(frozen=True)
class ProbeAnswer:
    """A check's last result (None: fine) and how many seconds ago it was taken."""

    problem: str | None
    age: float


class CachedProbe:
    """Run a check at most once every `max_age` seconds and answer its last result in between.

    One caller runs a due check; callers meanwhile get the previous result, except before the first
    result exists, when they wait for it."""

    def __init__(self, check: JiraCheck, max_age: float = JIRA_PROBE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.check = check
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._last: tuple[float, str | None] | None = None

    def __call__(self) -> ProbeAnswer:
        last = self._last
        if self._due(last) and self._lock.acquire(blocking=last is None):
            try:
                last = self._last  # another caller may have checked while this one waited
                if self._due(last):
                    problem = self._run()
                    last = self._last = (self.clock(), problem)
            finally:
                self._lock.release()
        assert last is not None  # the first caller waits for the first result
        return ProbeAnswer(last[1], max(0.0, self.clock() - last[0]))

    def _due(self, last: tuple[float, str | None] | None) -> bool:
        return last is None or self.clock() - last[0] >= self.max_age

    def _run(self) -> str | None:
        try:
            return self.check()
        except Exception as exc:  # noqa: BLE001 - any failure is the answer, with its reason
            return describe(exc)


class Readiness:
    """Say whether this process can take deliveries now and what else is wrong."""

    def __init__(self, store: Inbox, jira: CachedProbe, site_problems: SiteProblems | None = None) -> None:
        self.store = store
        self.jira = jira
        self.site_problems = site_problems

    def answer(self) -> tuple[int, dict[str, object]]:
        """Return the HTTP status and the detail: `status` is ready, degraded (Jira or the site has a
        problem, deliveries are still stored) or not ready (the store cannot write: 503)."""
        detail: dict[str, object] = {}
        try:
            self.store.writable()
            detail["store"] = "ok"
        except StoreError as exc:
            detail["store"] = str(exc)
        jira = self.jira()
        detail["jira"] = "ok" if jira.problem is None else jira.problem
        detail["jira_checked_seconds_ago"] = round(jira.age, 1)
        degraded = jira.problem is not None
        if self.site_problems is not None:
            site = self._site()
            detail["site"] = site
            degraded = degraded or bool(site)
        if detail["store"] != "ok":
            return 503, {"status": "not ready", **detail}
        return 200, {"status": "degraded" if degraded else "ready", **detail}

    def _site(self) -> list[str]:
        assert self.site_problems is not None
        try:
            return [str(problem) for problem in self.site_problems()]
        except Exception as exc:  # noqa: BLE001 - a failing check is itself a site problem
            return [f"the site could not be checked: {describe(exc)}"]
