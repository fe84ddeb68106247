"""The Monday digest: one table comment per initiative, once per date, saying what changed."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.schedule.conftest import Site, SiteFactory
from webhooks.recompute.services import gateway_for
from webhooks.schedules.digest import DIGEST_PROPERTY, changes_between
from webhooks.schedules.schedule import Schedule
from webhooks.settings.appyaml import load_config
from webhooks.store.inbox import SqliteInbox

HEADER = "||Project||Health||Progress||Scope growth||Budget used||Open dependencies||P85 forecast||"


def digests(here: Site, key: str = "PAY-1") -> list[str]:
    return [c for c in here.comments(key) if "[pmrollup:digest:" in c]


def open_story_of(here: Site, epic: str) -> str:
    found = here.get(f"/rest/api/3/search/jql?jql=parent%3D{epic}%20AND%20statusCategory%21%3DDone"
                     "%20ORDER%20BY%20key&fields=status")
    return str(found["issues"][0]["key"])


def test_the_digest_is_a_table_of_every_project_posted_once_per_date(site: SiteFactory) -> None:
    here = site()
    first = here.run("digest")
    assert first.code == 0, first.err
    assert "PAY-1: posted the digest of 2026-03-16" in first.out
    [body] = digests(here)
    assert HEADER in body
    rows = [line for line in body.splitlines() if line.startswith("|") and not line.startswith("||")]
    assert [row.split("|")[1].split()[0] for row in rows] == ["PAY-2", "PAY-3", "WEB-1", "WEB-2", "*PAY-1"]
    assert "|WEB-1 " in body and "|off-track|50.0%|" in body and "|110.0%|" in body
    assert "First digest" in body
    assert body.rstrip().endswith("[pmrollup:digest:PAY-1:2026-03-16]")
    assert digests(here, "OPS-1") == [], "a project with no program gets no digest"

    again = here.run("digest")
    assert again.code == 0, again.err
    assert "already posted" in again.out
    assert len(digests(here)) == 1


def test_the_next_digest_says_what_changed_since_the_last(site: SiteFactory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    here = site()
    assert here.run("digest").code == 0
    here.sandbox.edit(open_story_of(here, "PAY-2"), {"status": "Done"})
    monkeypatch.setenv("PMROLLUP_TODAY", "2026-03-23")
    result = here.run("digest")
    assert result.code == 0, result.err
    latest = digests(here)[-1]
    assert "[pmrollup:digest:PAY-1:2026-03-23]" in latest
    assert "What changed since 2026-03-16" in latest
    [line] = [x for x in latest.splitlines() if x.startswith("* PAY-2:")]
    assert "progress 60.0% → " in line
    # PAY-2's pace counts from its first item's day, 2026-01-12: 6 done in 70 days against 5 in 63 brings
    # its P85 in although the week went by.
    assert line.endswith("p85 forecast 2026-06-15 → 2026-06-14 (1 day earlier)"), \
        "a story done brings the forecast in"
    # Nothing was done on WEB-1 for a week: only its forecast moved, later than the week, as its pace (counted
    # from 2026-01-19) fell from 5 done in 56 days to 5 in 63.
    [idle] = [x for x in latest.splitlines() if x.startswith("* WEB-1:")]
    assert idle == "* WEB-1: p85 forecast 2026-06-05 → 2026-06-22 (17 days later)", idle
    stored = here.get(f"/rest/api/2/issue/PAY-1/properties/{DIGEST_PROPERTY}")["value"]
    assert stored["date"] == "2026-03-23" and stored["previous"]["date"] == "2026-03-16"


def test_a_dry_run_prints_the_digest_and_posts_nothing(site: SiteFactory) -> None:
    here = site()
    result = here.run("digest", "PAY-1", "--dry-run")
    assert result.code == 0, result.err
    assert HEADER in result.out
    assert [r for r in here.sandbox.requests() if r["method"] != "GET"] == []


def test_the_scheduled_digest_posts_once_however_many_runs_fall_on_a_date(site: SiteFactory) -> None:
    here = site()
    config = load_config(here.config_path)
    store = SqliteInbox(config.store_path)
    schedule = Schedule(config, store, lambda: gateway_for(config, here.env()))
    utc = ZoneInfo("UTC")
    assert schedule.run("digest", datetime(2026, 3, 16, 8, tzinfo=utc))
    assert schedule.run("digest", datetime(2026, 3, 16, 9, tzinfo=utc))
    assert len(digests(here)) == 1
    run = store.last_run("digest")
    assert run is not None and run.outcome == "done: posted 0 of 1 digest"


def test_digest_of_an_epic_is_refused_in_one_line(site: SiteFactory) -> None:
    here = site()
    result = here.run("digest", "PAY-2")
    assert result.code == 1
    assert result.err.strip() == "pmrollup: PAY-2 is not an initiative: the digest is posted on initiatives"


def digest_cell(body: str, key: str, title: str) -> str:
    """Return the cell of `key`'s row under the column `title` in a digest's table."""
    titles = HEADER.strip("|").split("||")
    [row] = [line for line in body.splitlines() if line.startswith(f"|{key} ")]
    return row.strip("|").split("|")[titles.index(title)]


def evaluate_cell(out: str, key: str, header: str) -> str:
    """Return the cell of `key`'s row under `header` in `pmrollup evaluate`'s metrics table."""
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("key "))
    headers = re.split(r"\s{2,}", lines[at].strip())
    [row] = [re.split(r"\s{2,}", line.strip()) for line in lines[at + 2:] if line.startswith(f"{key} ")]
    return row[headers.index(header)]


def test_a_half_way_budget_figure_reads_the_same_in_the_digest_the_tables_and_the_comment(
        site: SiteFactory) -> None:
    here = site()
    here.sandbox.edit("WEB-1", {"fields": {"Cost": 11500}})  # 11,500 + 32,000 = 43,500 of a 40,000 budget
    assert here.run("sweep").code == 0
    assert here.field_value("WEB-1", "Budget used %") == 108.8
    [overrun] = [c for c in here.comments("WEB-1") if "(budget-overrun)" in c]
    assert "Over budget: 43,500 spent against a budget of 40,000 (108.8%)" in overrun
    evaluated = here.run("evaluate", "PAY-1", "--dry-run")
    assert evaluated.code == 0, evaluated.err
    assert evaluate_cell(evaluated.out, "WEB-1", "budget %") == "108.8"
    digest = here.run("digest", "PAY-1", "--dry-run")
    assert digest.code == 0, digest.err
    assert digest_cell(digest.out, "WEB-1", "Budget used") == "108.8%"


def test_what_changed_since_the_last_digest_rounds_half_away_from_zero() -> None:
    # A float carries binary noise: 100 x 43,500 / 40,000 is 108.74999999999999, shown as 108.8.
    before = {"PAY-1": {"budget_used_pct": 100.0}, "WEB-1": {"budget_used_pct": 100.0}}
    after = {"PAY-1": {"budget_used_pct": 100.0}, "WEB-1": {"budget_used_pct": 100 * (43_500 / 40_000)}}
    assert changes_between(before, after, "PAY-1") == ["WEB-1: budget used 100.0% → 108.8% (+8.8)"]
