"""Each transition of a finding is said once, whatever kills, retries and clocks do in between."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.e2e.conftest import DEMO_SEED, jira_env, register, settle, write_config
from tests.e2e.test_kill import start_serve
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox

SCOPE_START = "[pmrollup:scope-creep-critical:start:PAY-2:"
ADDED = ({"key": "PAY-27", "type": "Story", "summary": "Payout holds for risky merchants", "parent": "PAY-2",
          "fields": {"Story Points": 8}},
         {"key": "PAY-28", "type": "Story", "summary": "Ledger export for auditors", "parent": "PAY-2",
          "fields": {"Story Points": 5}})


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def comments(sandbox: RunningSandbox, key: str) -> list[str]:
    answer = requests.get(f"{sandbox.url}/rest/api/2/issue/{key}/comment", auth=sandbox.admin_auth,
                          timeout=10)
    answer.raise_for_status()
    return [c["body"] for c in answer.json()["comments"]]


def held(sandbox: RunningSandbox) -> int:
    answer = requests.get(f"{sandbox.url}/sandbox/faults", timeout=10)
    answer.raise_for_status()
    count: int = answer.json()["held"]
    return count


def state_of(sandbox: RunningSandbox, key: str) -> dict[str, Any]:
    answer = requests.get(f"{sandbox.url}/rest/api/2/issue/{key}/properties/pmrollup.state",
                          auth=sandbox.admin_auth, timeout=10)
    answer.raise_for_status()
    value: dict[str, Any] = answer.json()["value"]
    return value


@dataclass(frozen=True)
class Crash:
    """A `pmrollup serve` killed with SIGKILL while the sandbox held one of its requests."""

    sandbox: RunningSandbox
    store: SqliteInbox
    config_path: Path
    env: dict[str, str]
    log: Path
    port: int


def kill_while_held(sandbox_factory: SandboxFactory, tmp_path: Path, hold: str,
                    ready: Callable[[RunningSandbox], bool], what: str) -> Crash:
    """Serve the demo site, take its first evaluation, add scope to PAY-2 with `hold` keeping a
    request of the resulting recompute in flight, and kill the service once `ready` holds."""
    sandbox = sandbox_factory(DEMO_SEED)
    config_path = write_config(tmp_path / "site", debounce=0.2, max_delay=1.0)
    config = load_config(config_path)
    log = tmp_path / "serve.log"
    env = {**jira_env(sandbox), "PMROLLUP_NOW": "2026-03-16T09:00:00+00:00"}
    first, url = start_serve(config_path, env, log)
    store = SqliteInbox(config.store_path)
    try:
        register(sandbox, config, url)
        sandbox.edit("PAY-9", {"status": "Done"})  # the program's first evaluation
        settle(sandbox, store)
        sandbox.faults(hold=hold)
        for body in ADDED:
            sandbox.create(body)
        wait_for(lambda: ready(sandbox) and held(sandbox) > 0, what)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    sandbox.faults()  # the held request is dropped unserved
    return Crash(sandbox, store, config_path, env, log, int(url.rsplit(":", 1)[1]))


def restart(crash: Crash, now: str, until: Callable[[], bool], what: str) -> None:
    """Start `pmrollup serve` again on the same store and port with the clock at `now`; wait until the
    inbox settles and `until` holds, then stop it."""
    second, _ = start_serve(crash.config_path, {**crash.env, "PMROLLUP_NOW": now}, crash.log, port=crash.port)
    try:
        settle(crash.sandbox, crash.store, timeout=60)
        wait_for(until, what)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)


def scope_comments(sandbox: RunningSandbox) -> list[str]:
    return [c for c in comments(sandbox, "PAY-2") if SCOPE_START in c]


def scope_record(sandbox: RunningSandbox) -> dict[str, Any]:
    record: dict[str, Any] = state_of(sandbox, "PAY-2")["announced"]["scope-creep-critical"]
    return record


def test_kill_between_a_comment_and_its_confirmation_restarted_two_minutes_later_posts_no_second_comment(
        sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    # The comment lands, then the PUT that confirms it in pmrollup.state never arrives.
    crash = kill_while_held(sandbox_factory, tmp_path, r"^PUT .*/issue/PAY-2/properties/pmrollup\.state$",
                            lambda sandbox: bool(scope_comments(sandbox)),
                            "the scope-creep comment posted and its confirmation held")
    assert "pending" in scope_record(crash.sandbox)
    crash.sandbox.clear_requests()
    restart(crash, "2026-03-16T09:02:00+00:00", lambda: "pending" not in scope_record(crash.sandbox),
            "the restarted service confirming the comment")
    said = scope_comments(crash.sandbox)
    assert len(said) == 1, said
    posts = [r for r in crash.sandbox.requests()
             if r["method"] == "POST" and r["path"].endswith("PAY-2/comment")]
    assert posts == []


def test_a_restart_while_a_comment_never_reached_jira_says_it_once_under_the_same_number(
        sandbox_factory: SandboxFactory, tmp_path: Path) -> None:
    crash = kill_while_held(sandbox_factory, tmp_path, r"^POST .*/issue/PAY-2/comment$",
                            lambda sandbox: True, "the scope-creep comment on its way")
    assert scope_comments(crash.sandbox) == []
    restart(crash, "2026-03-16T11:30:00+00:00", lambda: bool(scope_comments(crash.sandbox)),
            "the comment said")
    [said] = scope_comments(crash.sandbox)
    marker = said.rsplit("[", 1)[1]
    record = scope_record(crash.sandbox)
    assert "pending" not in record
    assert marker == f"pmrollup:scope-creep-critical:start:PAY-2:{record['seq']}]"
