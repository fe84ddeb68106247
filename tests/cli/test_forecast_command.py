"""`pmrollup forecast KEY`: the distribution, the dates and the basis a program manager asks for."""

from __future__ import annotations

import os

import requests

from sandbox.server import RunningSandbox
from tests.cli.conftest import Run, jira_get
from webhooks.recompute.services import recomputer_for
from webhooks.settings.appyaml import load_config


def test_forecast_shows_the_dates_the_fields_get_and_the_throughput_they_come_from(run: Run) -> None:
    evaluated = run("evaluate", "PAY-1", "--dry-run", "--json").json()
    metrics = next(p for p in evaluated["projects"] if p["key"] == "PAY-3")["metrics"]
    shown = run("forecast", "PAY-3", "--json")
    assert shown.code == 0, shown.err
    outlook = shown.json()
    assert outlook["forecast"]["p85"] == metrics["forecast_p85_date"]
    assert outlook["forecast"]["p50"] == metrics["forecast_p50_date"]
    assert outlook["basis"] == metrics["forecast_basis"]
    # PAY-3's first items were created on 2026-01-26, inside the 84 days: its pace is counted from then.
    assert outlook["window"] == {"from": "2026-01-26", "to": "2026-03-15", "days": 49, "done": 5.0,
                                 "began": "2026-01-26", "why": "work began on 2026-01-26"}
    assert sum(week["count"] for week in outlook["weeks"]) == outlook["trials"] == 10_000
    text = run("forecast", "PAY-3").out
    for expected in (metrics["forecast_p50_date"], metrics["forecast_p85_date"], "basis: epic",
                     "due date      2026-05-15", "finished in the"):
        assert expected in text, (expected, text)


def test_a_program_forecasts_from_its_epics_combined(run: Run) -> None:
    outlook = run("forecast", "PAY-1", "--json", "--trials", "500").json()
    epics = [run("forecast", key, "--json", "--trials", "500").json() for key in ("PAY-2", "PAY-3", "WEB-1",
                                                                                  "WEB-2")]
    assert outlook["level"] == "program" and outlook["basis"] == "program"
    assert outlook["remaining"] == sum(e["remaining"] for e in epics)
    own = [e for e in epics if e["basis"] == "epic"]
    assert outlook["window"]["done"] >= sum(e["window"]["done"] for e in own)
    assert outlook["trials"] == 500


def test_forecast_says_the_days_its_pace_is_counted_over_from_when_the_work_began(run: Run) -> None:
    text = run("forecast", "PAY-3").out
    assert ("window        from 2026-01-26 to 2026-03-15, 49 days, 5 done: work began on 2026-01-26 "
            "(forecast.window_days is 84)") in text, text
    assert "throughput    0.71 items a week (basis: epic)" in text  # 5 / 49 x 7, not 5 / 84 x 7
    # The program's epics began on 2026-01-12 (PAY-2), 01-19 (WEB-1) and 01-26 (PAY-3, WEB-2).
    program = run("forecast", "PAY-1", "--json", "--trials", "500").json()
    assert (program["window"]["from"], program["window"]["days"], program["window"]["began"]) == \
        ("2026-01-12", 63, "2026-01-12")
    # WEB-2 finished too few of its own: it shares the program's 63 days.
    shared = run("forecast", "WEB-2", "--json", "--trials", "500").json()
    assert (shared["basis"], shared["window"]["from"], shared["window"]["days"]) == \
        ("program", "2026-01-12", 63)


def test_a_lone_epic_with_too_few_items_done_says_why_it_has_no_pace(run: Run) -> None:
    shown = run("forecast", "OPS-1")
    assert shown.code == 0, shown.err
    done = run("forecast", "OPS-1", "--json").json()["window"]["done"]
    assert 0 < done < 5, "the demo's OPS-1 finished a few items, fewer than forecast.min_done"
    assert (f"Only {done:g} items finished in the window, fewer than forecast.min_done (5), and OPS-1 is "
            "under no initiative whose pace it could share: there is no pace to forecast from "
            "(forecast_basis none).") in shown.out


def test_a_story_is_refused_with_its_epic_named(run: Run) -> None:
    refused = run("forecast", "PAY-4")
    assert refused.code != 0
    assert refused.err.strip() == ("pmrollup: PAY-4 is a Story, not an epic or an initiative; "
                                   "its epic is PAY-2")


def test_an_epic_state_stored_before_the_first_day_was_kept_gives_its_program_the_whole_window(
        demo_site: tuple[RunningSandbox, Run]) -> None:
    sandbox, run = demo_site
    assert run("evaluate", "PAY-1").code == 0  # each epic's pmrollup.state now holds its snapshot
    recomputer = recomputer_for(load_config(os.environ["PMROLLUP_CONFIG"]))
    # A story of PAY-2 changed: PAY-2 is read again, the other epics come from their stored snapshots.
    since_jan_12 = recomputer.program("PAY-1", changed={"PAY-2"}, dry_run=True).top.metrics
    assert since_jan_12["throughput_per_week"] == round(19 / 63 * 7, 2)
    url = f"{sandbox.url}/rest/api/2/issue/PAY-3/properties/pmrollup.state"
    state = jira_get(sandbox, "/rest/api/2/issue/PAY-3/properties/pmrollup.state")["value"]
    assert state["snapshot"].pop("history_from") == "2026-01-26"
    requests.put(url, json=state, auth=sandbox.admin_auth, timeout=10).raise_for_status()
    # PAY-3's state as pmrollup kept it before the first day was: its program samples the whole 84 days.
    whole = recomputer.program("PAY-1", changed={"PAY-2"}, dry_run=True).top.metrics
    assert whole["throughput_per_week"] == round(19 / 84 * 7, 2)
