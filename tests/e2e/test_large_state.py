"""An epic with hundreds of open dependencies: its state still fits Jira's 32 KB property limit, and
its program still counts every dependency."""

from __future__ import annotations

from typing import Any

import pytest

from connector.client import Credentials, JiraGateway
from rules.config import parse_config
from rules.properties import STATE_KEY
from tests.conftest import SandboxFactory
from webhooks.recompute.recomputer import Recomputer
from webhooks.recompute.services import rules_for
from webhooks.settings.clock import clock_from_environ

BLOCKED = 260  # each dependency record takes ~230 bytes: 260 of them alone pass 32 KB
TODAY = "2026-03-16"


def seed(flavor: str) -> dict[str, Any]:
    issues: list[dict[str, Any]] = [
        {"key": "PRG-1", "type": "Initiative", "summary": "Program", "status": "In Progress"},
        {"key": "PRG-2", "type": "Epic", "summary": "Waiting", "status": "In Progress", "parent": "PRG-1"},
        {"key": "PRG-3", "type": "Epic", "summary": "Blocking", "status": "In Progress", "parent": "PRG-1"},
        {"key": "PRG-4", "type": "Story", "summary": "Late", "status": "In Progress", "parent": "PRG-3",
         "fields": {"Due date": "2026-03-01"}},
    ]
    issues += [{"key": f"PRG-{n}", "type": "Story", "summary": f"Blocked story {n}", "status": "To Do",
                "parent": "PRG-2", "fields": {"Story Points": 1}} for n in range(5, 5 + BLOCKED)]
    return {"flavor": flavor,
            "users": [{"email": "admin@example.com", "token": "token", "admin": True, "name": "Admin"}],
            "projects": [{"key": "PRG", "name": "Program"}],
            "fields": [{"name": "Story Points", "type": "number"}, {"name": "Progress %", "type": "number"}],
            "issues": issues,
            "links": [{"type": "Blocks", "from": "PRG-4", "to": f"PRG-{n}"} for n in range(5, 5 + BLOCKED)]}


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_program_counts_every_dependency_of_an_epic_too_large_to_snapshot(
        sandbox_factory: SandboxFactory, flavor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMROLLUP_TODAY", TODAY)
    sandbox = sandbox_factory(seed(flavor), flavor)
    config = parse_config(f"jira: {{flavor: {flavor}}}\noutputs: {{progress_pct: Progress %}}\n")
    email, token = sandbox.admin_auth
    gateway = JiraGateway(config, Credentials(sandbox.url, email, token))
    recomputer = Recomputer(config=config, gateway=gateway, rules=rules_for(config),
                            clock=clock_from_environ(config.timezone))

    first = recomputer.program("PRG-1")
    assert first.top.metrics["dependencies_open"] == BLOCKED
    assert first.top.metrics["dependencies_overdue"] == BLOCKED
    state = gateway.get_property("PRG-2", STATE_KEY)
    assert isinstance(state, dict) and state["snapshot"]["dependencies_omitted"] == BLOCKED

    # A later recompute for a change in the other epic reads the large one again instead of
    # trusting its incomplete snapshot: the program still counts every dependency.
    again = Recomputer(config=config, gateway=gateway, rules=rules_for(config),
                            clock=clock_from_environ(config.timezone))
    later = again.program("PRG-1", changed={"PRG-3"})
    assert later.top.metrics["dependencies_open"] == BLOCKED
    assert [p.key for p in later.projects] == ["PRG-2", "PRG-3"]
