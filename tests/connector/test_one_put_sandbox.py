"""A changed issue costs one PUT carrying its state; what a recompute already read is not read again."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connector.client import JiraGateway
from connector.errors import ConnectorError
from connector.fieldmap import FieldInfo
from connector.writes import plan_update
from rules.plan import read_state
from rules.properties import STATE_KEY
from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.connector.seeds import gateway, program_seed
from tests.sandbox.test_contract import Contract, load_document
from webhooks.recompute.recomputer import BASELINE_KEY, Recomputer
from webhooks.recompute.services import rules_for
from webhooks.settings.clock import Clock

FLAVORS = ["cloud", "datacenter"]
TODAY = date(2026, 3, 16)


def recomputer(jira: JiraGateway) -> Recomputer:
    return Recomputer(config=jira.config, gateway=jira, rules=rules_for(jira.config),
                      clock=Clock(frozen_today=TODAY))


def writes(sandbox: RunningSandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] in ("PUT", "POST", "DELETE")]


def searched(sandbox: RunningSandbox) -> list[str]:
    """Return the JQL of every search page the sandbox served, in order."""
    found = []
    for r in sandbox.requests():
        if r["path"].endswith(("/search", "/search/jql")):
            found.append(str(r["query"].get("jql") or (r.get("json") or {}).get("jql")))
    return found


def stored_state(sandbox: RunningSandbox, key: str) -> dict[str, Any] | None:
    return read_state(sandbox.site.store.issues[key].properties.get(STATE_KEY))


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_recompute_that_changes_an_epic_costs_one_put_carrying_its_state(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    run = recomputer(jira)
    sandbox.clear_requests()
    run.project("PAY-2")
    assert [(r["method"], r["path"].rsplit("/", 2)[-2:]) for r in writes(sandbox)] == [
        ("PUT", ["issue", "PAY-2"])]
    first = stored_state(sandbox, "PAY-2")
    assert first is not None and first["snapshot"]["items_done"] == 1
    assert sandbox.issue_json("PAY-2")["fields"][jira.field_catalog().id_for("Progress %")] == 62.5

    sandbox.edit("PAY-4", {"status": "Done"})
    sandbox.clear_requests()
    run.project("PAY-2")
    assert [(r["method"], r["path"].rsplit("/", 2)[-2:]) for r in writes(sandbox)] == [
        ("PUT", ["issue", "PAY-2"])]
    after = stored_state(sandbox, "PAY-2")
    assert after is not None and after["snapshot"]["items_done"] == 2
    assert jira.get_property("PAY-2", STATE_KEY) == sandbox.site.store.issues["PAY-2"].properties[STATE_KEY]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_baseline_taken_on_a_first_run_rides_in_the_same_put(sandbox_factory: SandboxFactory,
                                                                flavor: str) -> None:
    seed = program_seed()
    for issue in seed["issues"]:
        if issue["key"] == "WEB-1":
            issue["status"] = "In Progress"
    sandbox = sandbox_factory(seed, flavor)
    sandbox.clear_requests()
    recomputer(gateway(sandbox)).project("WEB-1")
    assert [(r["method"], r["path"].rsplit("/", 2)[-2:]) for r in writes(sandbox)] == [
        ("PUT", ["issue", "WEB-1"])]
    properties = sandbox.site.store.issues["WEB-1"].properties
    assert properties[BASELINE_KEY]["points"] == 8 and properties[BASELINE_KEY]["keys"] == ["WEB-2"]
    assert read_state(properties[STATE_KEY]) is not None


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_recompute_with_nothing_new_writes_nothing(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    run = recomputer(gateway(sandbox))
    run.program("PAY-1")
    sandbox.clear_requests()
    run.program("PAY-1")
    assert writes(sandbox) == []


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_program_recompute_searches_only_for_blockers_it_has_not_read(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    sandbox.clear_requests()
    program = recomputer(jira).program("PAY-1")
    # WEB-2 (a story of WEB-1, read with the program's items) blocks PAY-4; OPS-2 sits outside.
    blocker_searches = [jql for jql in searched(sandbox) if "OPS-2" in jql or "WEB-2" in jql]
    assert len(blocker_searches) == 1
    assert "OPS-2" in blocker_searches[0] and "WEB-2" not in blocker_searches[0]
    assert len(searched(sandbox)) == 3  # the program with its epics, their items, the outside blocker

    alone = recomputer(gateway(sandbox)).project("PAY-2", dry_run=True)  # looks both blockers up
    [pay] = [p for p in program.projects if p.key == "PAY-2"]
    for metric in ("dependencies_open", "dependencies_overdue", "dependencies_late"):
        assert pay.metrics[metric] == alone.top.metrics[metric]
    assert pay.metrics["dependencies_open"] == 2


@pytest.mark.parametrize("flavor", FLAVORS)
def test_properties_ride_in_a_field_put_and_alone_cost_one_put_property(sandbox_factory: SandboxFactory,
                                                                        flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    jira.output_targets()
    sandbox.clear_requests()
    jira.write_fields("PAY-2", {"progress_pct": 10}, {}, properties={STATE_KEY: {"n": 1}})
    assert [r["path"].rsplit("/", 1)[-1] for r in writes(sandbox)] == ["PAY-2"]
    assert jira.get_property("PAY-2", STATE_KEY) == {"n": 1}

    sandbox.clear_requests()
    jira.write_fields("PAY-2", {"progress_pct": 10}, {"progress_pct": 10}, properties={STATE_KEY: {"n": 2}})
    assert [r["path"].rsplit("/", 2)[-2:] for r in writes(sandbox)] == [["properties", STATE_KEY]]
    assert jira.get_property("PAY-2", STATE_KEY) == {"n": 2}

    sandbox.clear_requests()
    same = {"progress_pct": 10}
    jira.write_fields("PAY-2", same, same, spare_properties={STATE_KEY: {"n": 3}})
    assert writes(sandbox) == []
    jira.write_fields("PAY-2", {"progress_pct": 20}, same, spare_properties={STATE_KEY: {"n": 4}})
    assert len(writes(sandbox)) == 1 and jira.get_property("PAY-2", STATE_KEY) == {"n": 4}


def test_the_edit_body_is_the_documented_issue_update_details(shared_dir: Path) -> None:
    update = plan_update({"progress_pct": 10}, {}, {"progress_pct": FieldInfo("customfield_1", "Progress %",
                                                                              "number")}, ["pmrollup-x"])
    body = update.with_properties({STATE_KEY: {"version": 1, "findings": {}}}).body()
    contract = Contract(load_document(shared_dir / "jira-openapi" / "platform-v3.json"))
    assert contract.errors(contract.component("IssueUpdateDetails"), body) == []
    assert body["properties"] == [{"key": STATE_KEY, "value": {"version": 1, "findings": {}}}]
    with pytest.raises(ConnectorError, match="32 KB"):
        update.with_properties({STATE_KEY: {"keys": ["PAY-1"] * 6000}})
