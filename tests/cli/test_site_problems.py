"""A site whose fields are not as pmrollup expects: what can land lands, and the admin is told the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_SEED, Result, Run, jira_get
from tests.conftest import SandboxFactory
from webhooks.store.inbox import SqliteInbox

FOREIGN = ["On track", "At risk", "Off track"]
NUMBERS = ("Progress %", "Scope growth %", "Budget used %", "Overdue dependencies")


def demo_seed(**health: Any) -> dict[str, Any]:
    seed: dict[str, Any] = yaml.safe_load(DEMO_SEED.read_text())
    for declared in seed["fields"]:
        if declared["name"] == "Health":
            declared.update(health)
    return seed


def sweep(run: Run) -> Result:
    """Run `pmrollup sweep`, as cron or an admin would; in this process, the command building its gateway
    and store afresh, so what one sweep learnt of the site reaches the next only through the store."""
    return run("sweep")


def rolled_up(sandbox: RunningSandbox) -> dict[str, dict[str, Any]]:
    """Return each initiative's and epic's output fields, by display name, as Jira holds them."""
    ids = {f["name"]: f["id"] for f in jira_get(sandbox, "/rest/api/2/field")}
    search = "/rest/api/3/search/jql" if sandbox.flavor == "cloud" else "/rest/api/2/search"
    found = jira_get(sandbox, f"{search}?jql=issuetype%20in%20(Initiative,%20Epic)&fields=*all"
                              "&maxResults=100")["issues"]
    def value(raw: object) -> object:
        return raw.get("value") if isinstance(raw, dict) else raw
    return {issue["key"]: {name: value(issue["fields"].get(ids[name])) for name in (*NUMBERS, "Health")}
            for issue in found}


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_health_field_with_foreign_options_leaves_every_other_field_written_and_check_failing_with_the_fix(
        flavor: str, sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run],
        tmp_path: Path) -> None:
    sandbox = sandbox_factory(demo_seed(options=FOREIGN), flavor)
    run = pmrollup(sandbox)
    swept = sweep(run)
    assert swept.code == 0, swept.err

    issues = rolled_up(sandbox)
    assert len(issues) >= 5
    for key, fields in issues.items():
        assert fields["Progress %"] is not None, key
        assert fields["Health"] is None, key
    assert any(fields["Budget used %"] is not None for fields in issues.values())

    store = SqliteInbox(tmp_path / "pmrollup.sqlite3", create=False)
    problems = store.site_problems()
    assert {(p.field_name, p.issue_type) for p in problems} == {("Health", "Epic"), ("Health", "Initiative")}
    assert all("no option" in p.reason for p in problems)

    checked = run("check")
    assert checked.code == 1
    assert "add the options on-track, at-risk, off-track" in checked.out
    assert "All checks passed." not in checked.out
    assert "site: field 'Health'" in checked.out

    inbox = run("inbox")
    assert inbox.code == 0
    assert "site problems" in inbox.out and "Health" in inbox.out


def test_a_second_recompute_leaves_a_refused_field_out_without_asking_jira_again(
        sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run], tmp_path: Path) -> None:
    seed = demo_seed() | {"screens": {"Epic": ["Progress %"], "Story": ["Budget"]}}
    sandbox = sandbox_factory(seed, "cloud")
    run = pmrollup(sandbox)
    first = sweep(run)
    assert first.code == 0, first.err
    issues = rolled_up(sandbox)
    epics = [k for k, f in issues.items() if f["Progress %"] is None]
    assert epics and all(issues[k]["Health"] is not None for k in epics)
    store = SqliteInbox(tmp_path / "pmrollup.sqlite3", create=False)
    assert {(p.field_name, p.issue_type) for p in store.site_problems()} == {("Progress %", "Epic")}

    sandbox.clear_requests()
    second = sweep(run)
    assert second.code == 0, second.err
    refused = [r for r in sandbox.requests() if r["method"] == "PUT" and r["status"] == 400]
    assert refused == []
