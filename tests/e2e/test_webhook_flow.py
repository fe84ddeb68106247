"""Changes made in the sandbox Jira reach pmrollup's fields by webhook alone, and settle there."""

from __future__ import annotations

from tests.e2e.conftest import LiveFactory, link, pending_writes

# Each change here is one delivery (and its writes' own): there is no burst to coalesce, so the worker
# need not wait for more news before it recomputes.
DEBOUNCE = 0.05


def test_story_status_change_reaches_its_epic_and_initiative_by_webhook_alone(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE)
    site.sandbox.edit("PAY-12", {"status": "Done"})  # 3 points: PAY-2 24 -> 27 of 40, PAY-1 79 -> 82 of 162
    site.settle()
    assert site.outputs("PAY-2")["progress_pct"] == 67.5
    top, _ = site.gateway.program_with_projects("PAY-1")
    assert abs(top.outputs["progress_pct"] - 100 * 82 / 162) < 0.05
    assert pending_writes(site.gateway, site.config, "PAY-1") == {}


def test_pmrollups_own_writes_arriving_as_webhooks_cause_no_further_recompute(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE)
    site.sandbox.edit("PAY-12", {"status": "Done"})
    site.settle()
    [done] = site.recomputes()
    assert (done["key"], done["projects"]) == ("PAY-1", ["PAY-2"])
    assert done["fields_written"] > 0 and done["comments_posted"] > 0  # its writes came back as webhooks
    assert site.logs.named("delivery.own_write")
    site.sandbox.clear_requests()
    # settle() waited for every delivery of those writes and an empty inbox, twice in a row: quiet.
    site.settle()
    assert [r for r in site.sandbox.requests() if r["method"] in ("PUT", "POST")] == []
    assert len(site.recomputes()) == 1


def test_moving_a_story_between_epics_updates_both_epics(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE)
    site.sandbox.edit("PAY-12", {"parent": "PAY-3"})  # 3 open points leave PAY-2 for PAY-3
    site.settle()
    assert site.outputs("PAY-2")["progress_pct"] == round(100 * 24 / 37, 1)
    assert site.outputs("PAY-3")["progress_pct"] == round(100 * 19 / 55, 1)
    assert {p for r in site.recomputes("PAY-1") for p in r["projects"]} >= {"PAY-2", "PAY-3"}
    assert pending_writes(site.gateway, site.config, "PAY-1") == {}


def test_a_link_between_two_epics_updates_both(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE)
    site.sandbox.edit("PAY-12", {"summary": "Ledger audit trail, signed"})  # a first evaluation of PAY-1
    site.settle()
    before = site.outputs("PAY-2")["dependencies_overdue"]
    link(site.sandbox, "WEB-2", "PAY-2")  # WEB-2 was due 2026-03-10 and is still open: overdue
    site.settle()
    assert site.outputs("PAY-2")["dependencies_overdue"] == before + 1
    assert set(site.recomputes("PAY-1")[-1]["projects"]) >= {"PAY-2", "WEB-2"}
    assert pending_writes(site.gateway, site.config, "PAY-1") == {}


def test_on_data_center_moving_a_story_by_epic_link_updates_both_epics(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE, flavor="datacenter")
    site.sandbox.edit("PAY-12", {"fields": {"Epic Link": "PAY-3"}})
    site.settle()
    assert site.outputs("PAY-2")["progress_pct"] == round(100 * 24 / 37, 1)
    assert site.outputs("PAY-3")["progress_pct"] == round(100 * 19 / 55, 1)
    assert pending_writes(site.gateway, site.config, "PAY-1") == {}


def test_changes_outside_the_configured_jira_projects_are_skipped(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE, projects=("OPS",))
    site.sandbox.edit("PAY-12", {"status": "Done"})
    site.sandbox.edit("OPS-4", {"status": "Done"})
    site.settle()
    reasons = [r["reason"] for r in site.logs.named("delivery.skipped")]
    assert any("PAY-12 is in Jira project PAY, outside jira.projects" in r for r in reasons), reasons
    assert [r["key"] for r in site.recomputes()] == ["OPS-1"]


def test_a_blocker_finishing_updates_the_epics_it_blocks_even_in_another_program(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE)
    site.sandbox.edit("PAY-16", {"status": "Done"})  # PAY-16 (in PAY-3) blocks OPS-4 (in OPS-1, no program)
    site.settle()
    assert {r["key"] for r in site.recomputes()} == {"PAY-1", "OPS-1"}
    assert pending_writes(site.gateway, site.config, "PAY-1") == {}
    assert site.outputs("OPS-1")["progress_pct"] is not None


def test_deleting_or_creating_a_story_updates_its_epic(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE)
    site.sandbox.delete("PAY-13")  # 2 open points leave PAY-2: 24 of 38
    site.settle()
    assert site.outputs("PAY-2")["progress_pct"] == round(100 * 24 / 38, 1)
    site.sandbox.create({"key": "PAY-99", "type": "Story", "summary": "Payout fees report", "parent": "PAY-2",
                         "fields": {"Story Points": 10}})
    site.settle()
    assert site.outputs("PAY-2")["progress_pct"] == round(100 * 24 / 48, 1)
    assert pending_writes(site.gateway, site.config, "PAY-1") == {}


def test_one_story_change_reads_its_epics_items_only_and_the_rest_from_snapshots(live: LiveFactory) -> None:
    site = live(debounce=DEBOUNCE)
    site.sandbox.edit("PAY-12", {"status": "In Progress"})  # the first evaluation reads every epic
    site.settle()
    site.sandbox.clear_requests()
    site.sandbox.edit("PAY-12", {"status": "Done"})
    site.settle()
    searches = [r["query"]["jql"] for r in site.sandbox.requests() if r["path"].endswith("/search/jql")]
    item_searches = [jql for jql in searches if jql.startswith("parent in")]
    assert item_searches == ["parent in (PAY-2) ORDER BY key ASC"]
    assert len(searches) <= 4, searches  # place the story; the program and its epics; items; blockers
    assert site.outputs("PAY-2")["progress_pct"] == 67.5
