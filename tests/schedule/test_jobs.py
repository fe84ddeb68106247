"""Scheduled jobs enqueue targets into the inbox the webhooks use, each (job, time) run only once."""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connector.client import Credentials, JiraGateway, RetryPolicy
from tests.conftest import SMALL_SEED
from tests.schedule.conftest import NEVER, Site, SiteFactory, drain_targets, searches, serve_schedules
from webhooks.recompute.services import gateway_for
from webhooks.schedules.schedule import (
    CATCHUP_FALLBACK,
    CATCHUP_MARGIN_MINUTES,
    Schedule,
    catchup_minutes,
)
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import RunRecord, SqliteInbox, Target

AT = datetime(2026, 3, 16, 2, 0, tzinfo=ZoneInfo("UTC"))


def schedule_for(site: Site) -> tuple[Schedule, SqliteInbox]:
    config = load_config(site.config_path)
    store = SqliteInbox(config.store_path)
    return Schedule(config, store, lambda: gateway_for(config, site.env())), store


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_sweep_enqueues_every_program_with_all_its_projects_and_every_lone_project(
        site: SiteFactory, flavor: str) -> None:
    here = site(flavor=flavor)
    schedule, store = schedule_for(here)
    assert schedule.run("sweep", AT)
    assert drain_targets(store) == [
        Target("program", "PAY-1", frozenset({"PAY-2", "PAY-3", "WEB-1", "WEB-2"})),
        Target("project", "OPS-1"),
    ]
    assert len(searches(here.sandbox)) == 2
    assert [r["method"] for r in here.sandbox.requests() if r["method"] != "GET"] == []


def test_a_scheduled_run_claimed_once_is_never_done_again(site: SiteFactory) -> None:
    here = site()
    schedule, store = schedule_for(here)
    other, _ = schedule_for(here)  # a second scheduler started by mistake, on the same store
    assert schedule.run("sweep", AT)
    drain_targets(store)
    here.sandbox.clear_requests()
    assert not other.run("sweep", AT)
    assert not schedule.run("sweep", AT)
    assert drain_targets(store) == []
    assert here.sandbox.requests() == []
    run = store.last_run("sweep")
    assert run is not None and run.scheduled_at == AT.isoformat()
    assert (run.outcome or "").startswith("done: enqueued 2 targets")
    assert other.run("sweep", AT + timedelta(days=1))


def test_a_failed_run_is_recorded_with_its_error(site: SiteFactory, closed_port: int) -> None:
    here = site()
    config = load_config(here.config_path)
    store = SqliteInbox(config.store_path)
    env = {**here.env(), "JIRA_URL": f"http://127.0.0.1:{closed_port}"}
    credentials = Credentials.from_env(env)
    fast = Schedule(config, store, lambda: JiraGateway(config, credentials, RetryPolicy(attempts=1)))
    assert fast.run("catchup", AT)
    run = store.last_run("catchup")
    assert run is not None and (run.outcome or "").startswith("failed: JiraUnavailable: cannot connect")


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_catchup_turns_issues_updated_since_the_last_run_into_targets(site: SiteFactory, flavor: str) -> None:
    here = site(flavor=flavor)
    schedule, store = schedule_for(here)
    story = here.sandbox.issue_json("PAY-10")
    here.sandbox.edit("PAY-10", {"summary": "Renamed while Jira's webhook was lost"})
    here.sandbox.edit("OPS-2", {"summary": "A story under the lone epic"})
    now = datetime.now(ZoneInfo("UTC"))
    assert schedule.run("catchup", now)
    assert drain_targets(store) == [
        Target("program", "PAY-1", frozenset({"PAY-2"}), frozenset({story["id"]})),
        Target("project", "OPS-1", reconcile=frozenset({here.sandbox.issue_json("OPS-2")["id"]})),
    ]
    jql = [r["query"].get("jql", "") for r in searches(here.sandbox)]
    assert any('updated >= "-' in q for q in jql)


def test_catchup_places_an_updated_subtask_under_its_story_s_epic(site: SiteFactory) -> None:
    here = site(SMALL_SEED)
    schedule, store = schedule_for(here)
    here.sandbox.edit("PAY-6", {"status": "Done"})  # a sub-task of PAY-3, a story in PAY-2
    assert schedule.run("catchup", datetime.now(ZoneInfo("UTC")))
    [target] = drain_targets(store)
    assert (target.kind, target.key, target.projects) == ("program", "PAY-1", {"PAY-2"})


def test_catchup_reaches_the_epics_an_updated_blocker_blocks(site: SiteFactory) -> None:
    here = site()
    schedule, store = schedule_for(here)
    # WEB-8 (in WEB-1) blocks PAY-15 (in PAY-3): its slipping due date is PAY-3's news too.
    here.sandbox.edit("WEB-8", {"fields": {"Due date": "2026-03-30"}})
    assert schedule.run("catchup", datetime.now(ZoneInfo("UTC")))
    [target] = drain_targets(store)
    assert (target.kind, target.key) == ("program", "PAY-1")
    assert target.projects == {"WEB-1", "PAY-3"}


def test_catchup_looks_back_to_the_last_clean_run_else_a_day() -> None:
    now = datetime(2026, 3, 16, 10, 30, 20, tzinfo=ZoneInfo("UTC"))
    clean = RunRecord("catchup", "2026-03-16T10:15:00+00:00", 0.0, 1.0, "done: 0 issue(s)")
    failed = RunRecord("catchup", "2026-03-16T10:15:00+00:00", 0.0, 1.0, "failed: JiraUnavailable")
    assert catchup_minutes(now, clean, now) == 16 + CATCHUP_MARGIN_MINUTES
    day = math.ceil(CATCHUP_FALLBACK.total_seconds() / 60)
    assert catchup_minutes(now, failed, now) == day + CATCHUP_MARGIN_MINUTES
    assert catchup_minutes(now, None, now) == day + CATCHUP_MARGIN_MINUTES


def test_scheduled_targets_coalesce_with_what_webhooks_already_queued(site: SiteFactory) -> None:
    here = site()
    schedule, store = schedule_for(here)
    store.upsert_target(Target("program", "PAY-1", frozenset({"PAY-2"}), frozenset({"10001"})), 0.0, 0, 0)
    schedule.run("sweep", AT)
    program = next(t for t in drain_targets(store) if t.kind == "program")
    assert program.projects == {"PAY-2", "PAY-3", "WEB-1", "WEB-2"}
    assert program.reconcile == {"10001"}


def test_the_in_process_scheduler_of_pmrollup_serve_runs_until_stopped(
        site: SiteFactory) -> None:
    here = site(schedule={"sweep": "* * * * * *", "digest": NEVER, "catchup": NEVER})
    before = set(threading.enumerate())
    with serve_schedules(here) as store:
        deadline = time.monotonic() + 10
        while not _finished(store.last_run("sweep")) and time.monotonic() < deadline:
            time.sleep(0.05)
    last = store.last_run("sweep")
    assert last is not None and (last.outcome or "").startswith("done: enqueued 2 targets")
    # stop() returned: every thread the scheduler started has ended, so no run can come after it.
    assert [t.name for t in set(threading.enumerate()) - before if t.is_alive()] == []
    assert store.last_run("sweep") == last, "no run after stop"


def _finished(run: RunRecord | None) -> bool:
    return run is not None and run.outcome is not None
