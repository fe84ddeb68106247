"""The gateway walks initiative -> epics -> items on both flavors, in few requests."""

from __future__ import annotations

import math

import pytest

from tests.conftest import SandboxFactory
from tests.connector.seeds import big_program_seed, gateway, program_seed

FLAVORS = ["cloud", "datacenter"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_locate_finds_epic_and_initiative_of_any_issue(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = gateway(sandbox_factory(program_seed(), flavor))
    expected = {
        "PAY-1": ("program", None, "PAY-1"),
        "PAY-2": ("project", "PAY-2", "PAY-1"),
        "PAY-4": ("item", "PAY-2", "PAY-1"),
        "PAY-5": ("subtask", "PAY-2", "PAY-1"),
        "WEB-2": ("item", "WEB-1", "PAY-1"),
        "OPS-2": ("item", "OPS-1", None),
        "OPS-1": ("project", "OPS-1", None),
    }
    for key, (level, project, program) in expected.items():
        where = jira.locate(key)
        assert (where.level, where.project_key, where.program_key) == (level, project, program), key
        assert where.jira_project == key.split("-")[0]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_locate_accepts_an_issue_id(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    issue_id = sandbox.issue_json("WEB-2")["id"]
    where = gateway(sandbox).locate(issue_id)
    assert (where.key, where.project_key, where.program_key) == ("WEB-2", "WEB-1", "PAY-1")


@pytest.mark.parametrize("flavor", FLAVORS)
def test_program_brings_its_projects_with_outputs_and_properties_in_one_search(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    jira.field_catalog()
    sandbox.clear_requests()
    program, projects = jira.program_with_projects("PAY-1")
    assert len(sandbox.requests()) == 1
    assert program.key == "PAY-1" and program.budget == 100000
    assert sorted(p.key for p in projects) == ["PAY-2", "WEB-1"]
    ledger = next(p for p in projects if p.key == "PAY-2")
    assert ledger.program_key == "PAY-1" and ledger.budget == 40000 and ledger.labels == ("payments",)
    assert ledger.properties["pmrollup.baseline"]["keys"] == ["PAY-3"]
    assert set(ledger.outputs) == {"progress_pct", "health", "items_total"}
    assert [p.key for p in jira.projects_of_program("PAY-1")] == ["PAY-2", "WEB-1"]
    assert jira.program("PAY-1").due_date is not None


@pytest.mark.parametrize("flavor", FLAVORS)
def test_work_items_come_from_one_search_over_all_epics(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    jira.field_catalog()
    sandbox.clear_requests()
    items = {i.key: i for i in jira.work_items(["PAY-2", "WEB-1"])}
    assert len(sandbox.requests()) == 1
    assert sorted(items) == ["PAY-3", "PAY-4", "WEB-2"]
    assert items["PAY-3"].points == 5 and items["PAY-3"].is_done and items["PAY-3"].cost == 1500
    assert items["PAY-3"].time_spent_seconds == 7200
    assert items["WEB-2"].epic_key == "WEB-1"
    links = items["PAY-4"].links
    assert [(x.blocker_key, x.dependent_key, x.link_type) for x in links] == [("WEB-2", "PAY-4", "Blocks")]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_sub_tasks_are_one_more_batched_level_when_counted(sandbox_factory: SandboxFactory,
                                                           flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox, "hierarchy: {count_subtasks: true}\n")
    jira.field_catalog()
    sandbox.clear_requests()
    items = {i.key: i for i in jira.work_items(["PAY-2", "WEB-1"])}
    assert len(sandbox.requests()) == 2
    assert items["PAY-5"].is_subtask and items["PAY-5"].epic_key == "PAY-2"
    assert items["PAY-5"].parent_key == "PAY-3"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_blockers_come_from_one_search_and_vanished_keys_are_dropped(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    found = jira.blockers(["WEB-2", "OPS-2"])
    assert found["OPS-2"].epic_key == "OPS-1" and str(found["OPS-2"].due_date) == "2026-01-31"
    assert found["WEB-2"].jira_project == "WEB" and not found["WEB-2"].is_done
    sandbox.delete("OPS-2")
    sandbox.clear_requests()
    found = jira.blockers(["WEB-2", "OPS-2"])
    assert sorted(found) == ["WEB-2"]
    assert [r["status"] for r in sandbox.requests()] == [400, 200]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_programs_and_lonely_projects_are_listed(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = gateway(sandbox_factory(program_seed(), flavor))
    assert [p.key for p in jira.programs()] == ["PAY-1"]
    assert [p.key for p in jira.projects_without_program()] == ["OPS-1"]
    assert [p.key for p in jira.projects(["WEB-1", "PAY-2"])] == ["PAY-2", "WEB-1"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_configured_jira_projects_limit_the_listings(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = gateway(sandbox_factory(program_seed(), flavor), projects=("PAY",))
    assert [p.key for p in jira.programs()] == ["PAY-1"]
    assert jira.projects_without_program() == []


@pytest.mark.parametrize("flavor", FLAVORS)
def test_changelog_lists_changes_oldest_first(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = gateway(sandbox_factory(program_seed(), flavor))
    changes = jira.changelog(["PAY-3", "PAY-4"])["PAY-3"]
    assert [(c.field, c.from_string, c.to_string) for c in changes] == [
        ("status", "To Do", "In Progress"), ("status", "In Progress", "Done")]


def test_cloud_search_sees_a_fresh_change_only_when_reconciled(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(program_seed(), "cloud")
    jira = gateway(sandbox)
    jira.work_items(["PAY-2"])
    sandbox.faults(search_lag_ms=60_000)
    sandbox.edit("PAY-4", {"status": "Done"})
    stale = {i.key: i for i in jira.work_items(["PAY-2"])}
    fresh = {i.key: i for i in jira.work_items(["PAY-2"], reconcile=["PAY-4"])}
    assert not stale["PAY-4"].is_done
    assert fresh["PAY-4"].is_done
    query = sandbox.requests("/rest/api/2/search/jql")[-1]["query"]
    story_id = sandbox.issue_json("PAY-4")["id"]
    assert query["reconcileIssues"] in (story_id, [story_id])


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_thousand_item_program_costs_at_most_ceil_items_over_100_plus_3_requests(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(big_program_seed(epics=10, stories=100), flavor)
    jira = gateway(sandbox, "")
    sandbox.clear_requests()
    program, projects = jira.program_with_projects("BIG-1")
    items = jira.work_items([p.key for p in projects])
    own = {i.key for i in items}
    outside = sorted({x.blocker_key for i in items for x in i.links} | {"BIG-1"})
    blockers = jira.blockers(outside)
    served = sandbox.requests()
    assert len(items) == 1000 and len(projects) == 10
    assert all(k in own for k in outside if k != "BIG-1") and "BIG-1" in blockers
    assert sum(1 for i in items for _ in i.links) == 20
    assert len(served) <= math.ceil(len(items) / 100) + 3, [(r["method"], r["path"]) for r in served]
    assert len(served) == jira.request_count
