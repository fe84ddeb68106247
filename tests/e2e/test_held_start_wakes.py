"""A start held by quiet hours is said by the running service when the window ends, with no new edit."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.conftest import SandboxFactory
from tests.e2e.conftest import DEMO_SEED, jira_env, reader, register, settle, write_config
from webhooks.cli.serving import Service
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox

QUIET_HOURS = 0.004  # 14.4 seconds: long enough for the steps below, short enough to wait for
MARKER = re.compile(r"\[pmrollup:overdue-dependency:(start|clear):PAY-3:(\d+)\]")


def test_a_start_held_by_quiet_hours_is_said_by_the_running_service_when_the_window_ends(
        sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    sandbox = sandbox_factory(DEMO_SEED)
    path = write_config(tmp_path / "site", debounce=0.2, max_delay=1.0)
    path.write_text(path.read_text().replace("comments: {on_first_run: true}",
                                             f"comments: {{on_first_run: true, quiet_hours: {QUIET_HOURS}}}"))
    config = load_config(path)
    service = Service(config, port=0, environ=jira_env(sandbox), poll_seconds=0.05, lease_seconds=30).start()
    jira = reader(sandbox, config)
    store = service.store
    assert isinstance(store, SqliteInbox)

    def said() -> list[tuple[str, ...]]:
        return [m.groups() for c in jira.comments("PAY-3") for m in MARKER.finditer(c.body)]

    try:
        register(sandbox, config, service.url)
        sandbox.edit("PAY-9", {"status": "Done"})
        settle(sandbox, store)
        assert said() == [("start", "1")]
        sandbox.edit("WEB-8", {"status": "Done"})
        settle(sandbox, store)
        assert said() == [("start", "1"), ("clear", "2")]
        sandbox.edit("WEB-8", {"status": "In Progress"})  # back, the same subject, inside the window
        deadline = time.monotonic() + 60
        while len(said()) < 3:
            assert time.monotonic() < deadline, f"the held start was never said: {said()}"
            time.sleep(0.2)
        assert said() == [("start", "1"), ("clear", "2"), ("start", "3")]
        held = [e for e in store.audit("PAY-3") if e.field == "comment (not posted)"]
        assert held and "held by quiet hours" in str(held[0].new)
    finally:
        service.stop(timeout=10)
