"""A start held by quiet hours is said by the running service when the window ends, with no new edit."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tests.conftest import SandboxFactory
from tests.e2e.conftest import DEMO_SEED, DEMO_TODAY, jira_env, reader, register, settle, write_config
from webhooks.cli.serving import Service
from webhooks.settings.appyaml import load_config
from webhooks.settings.clock import Clock
from webhooks.store.inbox import SqliteInbox
from webhooks.worker.recomputing import TargetRecompute

QUIET_HOURS = 1.0  # the window the test moves the service's clock past, instead of waiting it out
MARKER = re.compile(r"\[pmrollup:overdue-dependency:(start|clear):PAY-3:(\d+)\]")


class MovableClock:
    """The service's time: it runs as the wall clock does, from 09:00 UTC on the demo's day for the
    recompute and from the epoch now for the worker's timers, and jumps forward when the test says."""

    def __init__(self) -> None:
        self.origin = time.time()
        self.demo_origin = datetime.fromisoformat(f"{DEMO_TODAY}T09:00:00+00:00").timestamp()
        self.moved = 0.0

    def epoch(self) -> float:
        """Seconds since the epoch, for the worker (its queue and wake-ups are stamped in wall time)."""
        return time.time() + self.moved

    def demo(self) -> float:
        """Seconds since the epoch on the demo's day, for the recompute's today and now."""
        return self.demo_origin + (time.time() - self.origin) + self.moved

    def advance(self, seconds: float) -> None:
        self.moved += seconds


def on_clock(service: Service, clock: MovableClock) -> None:
    """Run the service's worker and its recompute on `clock`."""
    for worker in service.workers:
        assert isinstance(worker.recompute, TargetRecompute)
        worker.clock = clock.epoch
        worker.recompute.clock = Clock(service.config.timezone, seconds=clock.demo)


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    """Poll until `condition` holds; fail saying `what` when it never does."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_start_held_by_quiet_hours_is_said_by_the_running_service_when_the_window_ends(
        sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    path = write_config(tmp_path / "site", debounce=0.2, max_delay=1.0)
    path.write_text(path.read_text().replace("comments: {on_first_run: true}",
                                             f"comments: {{on_first_run: true, quiet_hours: {QUIET_HOURS}}}"))
    config = load_config(path)
    clock = MovableClock()
    service = Service(config, port=0, environ=jira_env(sandbox), poll_seconds=0.05, lease_seconds=30)
    on_clock(service, clock)
    service.start()
    jira = reader(sandbox, config)
    store = service.store
    assert isinstance(store, SqliteInbox)

    def said() -> list[tuple[str, ...]]:
        return [m.groups() for c in jira.comments("PAY-3") for m in MARKER.finditer(c.body)]

    def held() -> list[str]:
        return [str(e.new) for e in store.audit("PAY-3") if e.field == "comment (not posted)"]

    try:
        register(sandbox, config, service.url)
        sandbox.edit("PAY-9", {"status": "Done"})
        settle(sandbox, store)
        assert said() == [("start", "1")]
        sandbox.edit("WEB-8", {"status": "Done"})
        settle(sandbox, store)
        assert said() == [("start", "1"), ("clear", "2")]
        sandbox.edit("WEB-8", {"status": "In Progress"})  # back, the same subject, inside the window
        # The recompute holds the start back and asks to be woken when the window ends.
        wait_until(lambda: held() and store.wakeups(), f"the start was never held: {said()}")
        settle(sandbox, store)
        assert said() == [("start", "1"), ("clear", "2")]
        assert "held by quiet hours" in held()[0]
        clock.advance(QUIET_HOURS * 3600 + 1)  # the window ends; nobody edits anything
        wait_until(lambda: len(said()) >= 3, f"the held start was never said: {said()}")
        assert said() == [("start", "1"), ("clear", "2"), ("start", "3")]
    finally:
        service.stop(timeout=10)
