"""Seeds and gateways for the connector's tests against the sandbox Jira."""

from __future__ import annotations

from typing import Any

from connector.client import Credentials, JiraGateway
from connector.retry import RetryPolicy
from rules.config import parse_config
from sandbox.server import RunningSandbox

OUTPUTS = "outputs: {progress_pct: Progress %, health: Health, items_total: Items}\n"


class Waits(list[float]):
    """Record the waits a retry policy asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def gateway(sandbox: RunningSandbox, extra_config: str = OUTPUTS, user: str = "admin@example.com",
            token: str = "token", retry: RetryPolicy | None = None,
            projects: tuple[str, ...] = ()) -> JiraGateway:
    """Return a gateway to the sandbox, configured for its flavor."""
    scope = f", projects: [{', '.join(projects)}]" if projects else ""
    config = parse_config(f"jira: {{flavor: {sandbox.flavor}{scope}}}\n{extra_config}")
    return JiraGateway(config, Credentials(sandbox.url, user, token),
                       retry or RetryPolicy(sleep=Waits(), jitter=lambda: 0.0))


def program_seed() -> dict[str, Any]:
    """One initiative with two epics in two Jira projects, stories, a sub-task and blocking links."""
    story = {"type": "Story", "status": "To Do"}
    return {
        "users": [
            {"email": "admin@example.com", "token": "token", "admin": True, "name": "Site Admin"},
            {"email": "dev@example.com", "token": "devtoken", "admin": False, "name": "Dana Dev"},
        ],
        "fields": [
            {"name": "Story Points", "type": "number"}, {"name": "Budget", "type": "number"},
            {"name": "Cost", "type": "number"}, {"name": "Start date", "type": "date"},
            {"name": "Progress %", "type": "number"}, {"name": "Items", "type": "number"},
            {"name": "Health", "type": "select", "options": ["on-track", "at-risk", "off-track"]},
            {"name": "Health note", "type": "text"},
        ],
        "issues": [
            {"key": "PAY-1", "type": "Initiative", "summary": "Instant payouts", "status": "In Progress",
             "fields": {"Budget": 100000, "Due date": "2026-06-30"}},
            {"key": "PAY-2", "type": "Epic", "summary": "Ledger", "status": "In Progress", "parent": "PAY-1",
             "fields": {"Budget": 40000, "Cost": 2000, "Start date": "2026-01-10", "Labels": ["payments"]},
             "properties": {"pmrollup.baseline": {"points": 8, "items": 2, "keys": ["PAY-3"],
                                                  "date": "2026-02-01"}}},
            {**story, "key": "PAY-3", "summary": "Schema", "status": "Done", "parent": "PAY-2",
             "fields": {"Story Points": 5, "Cost": 1500, "Due date": "2026-02-20", "Time Spent": 7200},
             "history": [{"date": "2026-02-01", "field": "status", "from": "To Do", "to": "In Progress"},
                         {"date": "2026-02-15", "field": "status", "from": "In Progress", "to": "Done"}]},
            {**story, "key": "PAY-4", "summary": "API", "parent": "PAY-2", "fields": {"Story Points": 3}},
            {"key": "PAY-5", "type": "Sub-task", "summary": "Index", "status": "To Do", "parent": "PAY-3"},
            {"key": "WEB-1", "type": "Epic", "summary": "Screens", "status": "To Do", "parent": "PAY-1"},
            {**story, "key": "WEB-2", "summary": "History page", "parent": "WEB-1",
             "fields": {"Story Points": 8, "Due date": "2026-03-06"}},
            {"key": "OPS-1", "type": "Epic", "summary": "Lonely epic", "status": "To Do"},
            {**story, "key": "OPS-2", "summary": "Runbook", "parent": "OPS-1",
             "fields": {"Due date": "2026-01-31"}},
        ],
        "links": [{"type": "Blocks", "from": "WEB-2", "to": "PAY-4"},
                  {"type": "Blocks", "from": "OPS-2", "to": "PAY-2"},
                  {"type": "Relates", "from": "PAY-4", "to": "OPS-2"}],
    }


def big_program_seed(epics: int = 10, stories: int = 100) -> dict[str, Any]:
    """One initiative, `epics` epics of `stories` stories each, with blocking links across epics."""
    issues: list[dict[str, Any]] = [
        {"key": "BIG-1", "type": "Initiative", "summary": "Big bet", "status": "In Progress"}]
    number = 2
    epic_keys = []
    for e in range(epics):
        epic = f"BIG-{number}"
        epic_keys.append(epic)
        issues.append({"key": epic, "type": "Epic", "summary": f"Epic {e}", "status": "In Progress",
                       "parent": "BIG-1"})
        number += 1
        for s in range(stories):
            issues.append({"key": f"BIG-{number}", "type": "Story", "summary": f"Story {e}.{s}",
                           "status": "Done" if s % 3 == 0 else "To Do", "parent": epic,
                           "fields": {"Story Points": s % 5 + 1}})
            number += 1
    first_story = [3 + e * (stories + 1) for e in range(epics)]
    links = [{"type": "Blocks", "from": f"BIG-{first_story[e]}",
              "to": f"BIG-{first_story[(e + 1) % epics] + 1}"} for e in range(epics)]
    return {"fields": [{"name": "Story Points", "type": "number"}], "issues": issues, "links": links}
