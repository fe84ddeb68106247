"""A site whose fields are not as pmrollup expects: what can land lands, and the admin is told the fix."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.metrics import HEALTH_VALUES
from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_SEED, DEMO_TODAY, Result, Run, jira_get
from tests.conftest import LogCapture, SandboxFactory
from tests.schedule.conftest import PMROLLUP
from webhooks.cli.trialconfig import trial_app_yaml
from webhooks.settings.appyaml import load_config
from webhooks.settings.clock import NOW_ENV
from webhooks.store.inbox import SqliteInbox
from webhooks.store.siteproblems import RETRY_SECONDS
from webhooks.worker.recomputing import build_worker

FOREIGN = ["On track", "At risk", "Off track"]
NUMBERS = ("Progress %", "Scope growth %", "Budget used %", "Overdue dependencies")
# A worker that takes a queued target at once (no debounce), as `pmrollup worker` would after its wait.
NO_DEBOUNCE_APP_YAML = trial_app_yaml("FLAVOR", comments={"on_first_run": True}, allow_unsigned=True,
                                      worker={"debounce_seconds": 0, "max_delay_seconds": 0})


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


def health_refused_then_fixed(sandbox: RunningSandbox, run: Run, store_path: Path) -> SqliteInbox:
    """Sweep a site whose Health select lacks pmrollup's options (the refusals are recorded), then give the
    select those options, as the site's admin would; return the store."""
    swept = sweep(run)
    assert swept.code == 0, swept.err
    store = SqliteInbox(store_path, create=False)
    assert {(p.field_name, p.issue_type) for p in store.site_problems()} == {("Health", "Epic"),
                                                                             ("Health", "Initiative")}
    sandbox.edit_field("Health", options=HEALTH_VALUES)
    return store


def clock_at(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Set pmrollup's clock (PMROLLUP_NOW) for the commands run next: `seconds` after 09:00 on the
    demo's day."""
    moment = datetime.fromisoformat(f"{DEMO_TODAY}T09:00:00+00:00") + timedelta(seconds=seconds)
    monkeypatch.setenv(NOW_ENV, moment.isoformat())


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

    # `pmrollup check` as the admin runs it: a process of its own, reading the store the sweep left.
    checked = subprocess.run([*PMROLLUP, "check"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120, env=dict(os.environ))
    assert checked.returncode == 1, checked.stderr
    assert "add the options on-track, at-risk, off-track" in checked.stdout
    assert "All checks passed." not in checked.stdout
    assert "site: field 'Health'" in checked.stdout

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


def test_check_finds_a_fixed_health_field_clears_it_and_queues_every_program_it_kept_from_the_field(
        sandbox_factory: SandboxFactory, pmrollup: Callable[..., Run], tmp_path: Path) -> None:
    seed = demo_seed(options=FOREIGN)
    # A second initiative with an epic in PAY: the refusals in PAY were last seen on its issues.
    seed["issues"] += [
        {"key": "PAY-90", "type": "Initiative", "summary": "Payout reporting", "status": "To Do",
         "created": "2026-02-02", "fields": {"Budget": 20000}},
        {"key": "PAY-91", "type": "Epic", "summary": "Payout statements", "status": "To Do",
         "parent": "PAY-90", "created": "2026-02-02", "fields": {"Budget": 20000}},
        {"key": "PAY-92", "type": "Story", "summary": "Monthly statement", "status": "To Do",
         "parent": "PAY-91", "created": "2026-02-02", "fields": {"Story Points": 3}}]
    sandbox = sandbox_factory(seed, "cloud")
    run = pmrollup(sandbox, NO_DEBOUNCE_APP_YAML)
    store_path = tmp_path / "pmrollup.sqlite3"
    store = health_refused_then_fixed(sandbox, run, store_path)

    checked = run("check")
    assert checked.code == 0, checked.out
    fixed = [line for line in checked.out.splitlines() if line.startswith("site: ")]
    assert fixed == [  # one line for every fixed problem; each program and lone epic queued once
        "site: fixed: 'Health' on OPS Epic issues, 'Health' on PAY Epic issues, 'Health' on PAY Initiative "
        "issues, 'Health' on WEB Epic issues; queued OPS-1, PAY-1, PAY-90 for recompute; a running worker "
        "updates their fields within 1 s"]
    assert store.site_problems() == []
    inbox = run("inbox")
    assert inbox.code == 0 and "site problems" not in inbox.out
    assert [line.split() for line in inbox.out.splitlines() if line.startswith("targets")] == [
        ["targets", "-", "3", "0", "0"]]

    assert all(fields["Health"] is None for fields in rolled_up(sandbox).values())
    config = load_config(tmp_path / "app.yaml")
    worker = build_worker(config, SqliteInbox(config.store_path))  # what `pmrollup worker` runs
    assert worker.run_once() == 3
    health = {key: fields["Health"] for key, fields in rolled_up(sandbox).items()}
    assert len(health) == 8 and set(health.values()) <= set(HEALTH_VALUES), health


def test_a_field_fixed_on_the_site_is_written_after_the_hour_and_no_longer_reported(
        sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run], tmp_path: Path,
        logs: LogCapture, monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = sandbox_factory(demo_seed(options=FOREIGN), "cloud")
    run = pmrollup(sandbox)
    store_path = tmp_path / "pmrollup.sqlite3"
    clock_at(monkeypatch, 0)
    store = health_refused_then_fixed(sandbox, run, store_path)

    clock_at(monkeypatch, 30 * 60)
    sandbox.clear_requests()
    within = sweep(run)
    assert within.code == 0, within.err
    assert all(fields["Health"] is None for fields in rolled_up(sandbox).values()), "left out for the hour"
    assert [r for r in sandbox.requests() if r["method"] == "PUT" and r["status"] == 400] == []
    assert len(store.site_problems()) == 4
    assert logs.named("site.fixed") == []

    clock_at(monkeypatch, RETRY_SECONDS + 60)
    after = sweep(run)
    assert after.code == 0, after.err
    health = {key: fields["Health"] for key, fields in rolled_up(sandbox).items()}
    assert set(health.values()) <= set(HEALTH_VALUES), health
    assert store.site_problems() == []
    assert sorted((e["field"], e["project"], e["issue_type"]) for e in logs.named("site.fixed")) == [
        ("Health", "OPS", "Epic"), ("Health", "PAY", "Epic"), ("Health", "PAY", "Initiative"),
        ("Health", "WEB", "Epic")], "each cleared once, by the first edit that wrote it"
    inbox = run("inbox")
    assert inbox.code == 0 and "site problems" not in inbox.out
