"""Writes send only what changed, once, quietly; comments never twice; state lives in properties."""

from __future__ import annotations

import json
import logging
from collections import Counter

import pytest

from connector.errors import ConnectorError, JiraBadRequest, JiraNotFound
from tests.conftest import SandboxFactory
from tests.connector.seeds import gateway, program_seed
from webhooks.telemetry.logs import JsonFormatter

FLAVORS = ["cloud", "datacenter"]


def puts(sandbox: object) -> list[dict[str, object]]:
    return [r for r in sandbox.requests() if r["method"] == "PUT"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_changed_fields_go_in_one_quiet_put_and_unchanged_ones_not_at_all(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    epic = jira.projects(["PAY-2"])[0]
    sandbox.clear_requests()
    written = jira.write_fields("PAY-2", {"progress_pct": 62.5, "health": "at-risk", "items_total": 2},
                                epic.outputs, labels_add=["pmrollup-scope-creep"])
    assert written.changed == {"progress_pct": (None, 62.5), "health": (None, "at-risk"),
                               "items_total": (None, 2)}
    assert written.refused == ()
    assert len(puts(sandbox)) == 1 and puts(sandbox)[0]["query"] == {"notifyUsers": "false"}
    fields = sandbox.issue_json("PAY-2")["fields"]
    assert "pmrollup-scope-creep" in fields["labels"] and "payments" in fields["labels"]

    again = jira.projects(["PAY-2"])[0]
    assert again.outputs == {"progress_pct": 62.5, "health": "at-risk", "items_total": 2.0}
    sandbox.clear_requests()
    assert jira.write_fields("PAY-2", {"progress_pct": 62.504, "health": "at-risk", "items_total": 2},
                             again.outputs).changed == {}
    assert sandbox.requests() == []
    assert jira.write_fields("PAY-2", {"progress_pct": 70, "health": "at-risk"}, again.outputs).changed == {
        "progress_pct": (62.5, 70)}
    assert len(puts(sandbox)) == 1


def test_figures_that_moved_by_hundredths_reach_jira(sandbox_factory: SandboxFactory) -> None:
    seed = program_seed()
    seed["fields"] = [*seed["fields"], {"name": "CPI", "type": "number"}]
    sandbox = sandbox_factory(seed, "cloud")
    jira = gateway(sandbox, "outputs: {progress_pct: Progress %, cpi: CPI}\n")
    jira.write_fields("PAY-2", {"progress_pct": 67.5, "cpi": 0.90}, {})
    held = jira.projects(["PAY-2"])[0].outputs
    written = jira.write_fields("PAY-2", {"progress_pct": 67.52, "cpi": 0.94}, held)
    assert written.changed == {"progress_pct": (67.5, 67.52), "cpi": (0.9, 0.94)}
    assert jira.projects(["PAY-2"])[0].outputs == {"progress_pct": 67.52, "cpi": 0.94}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_health_goes_to_a_select_field_as_its_option(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    jira.write_fields("PAY-2", {"health": "off-track"}, {})
    health_id = jira.field_catalog().id_for("Health")
    assert health_id is not None
    assert sandbox.issue_json("PAY-2")["fields"][health_id]["value"] == "off-track"
    assert jira.projects(["PAY-2"])[0].outputs["health"] == "off-track"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_health_goes_to_a_text_field_as_text(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox, "outputs: {health: Health note}\n")
    jira.write_fields("PAY-2", {"health": "at-risk"}, {})
    assert jira.projects(["PAY-2"])[0].outputs == {"health": "at-risk"}
    assert "at-risk" in sandbox.issue_json("PAY-2")["fields"].values()


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_health_the_select_lacks_is_left_out_and_the_other_fields_land_in_one_put(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    written = jira.write_fields("PAY-2", {"health": "doomed", "progress_pct": 10}, {})
    assert written.changed == {"progress_pct": (None, 10)}
    [refused] = written.refused
    assert refused.field_name == "Health" and "no option 'doomed'" in refused.reason
    assert [r["status"] for r in puts(sandbox)] == [204]
    outputs = jira.projects(["PAY-2"])[0].outputs
    assert outputs["progress_pct"] == 10.0 and outputs["health"] is None


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_health_written_to_a_select_lacking_another_value_pmrollup_writes_does_not_show_it_fixed(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    seed = program_seed()
    [health] = [f for f in seed["fields"] if f["name"] == "Health"]
    health["options"] = ["on-track", "off-track"]  # the admin added two of the three values
    sandbox = sandbox_factory(seed, flavor)
    jira = gateway(sandbox)
    ids = jira.field_ids().outputs
    written = jira.write_fields("PAY-2", {"health": "on-track", "progress_pct": 10}, {})
    assert written.changed == {"health": (None, "on-track"), "progress_pct": (None, 10)}
    assert jira.projects(["PAY-2"])[0].outputs["health"] == "on-track", "the value it has is written"
    assert written.field_ids == {ids["progress_pct"]}, "an at-risk epic would still be refused"

    sandbox.edit_field("Health", options=["on-track", "at-risk", "off-track"])
    fixed = gateway(sandbox).write_fields("PAY-2", {"health": "off-track"}, {"health": "on-track"})
    assert fixed.field_ids == {ids["health"]}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_non_admin_falls_back_to_notifying_with_one_log_line(
        sandbox_factory: SandboxFactory, flavor: str, caplog: pytest.LogCaptureFixture) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox, user="dev@example.com", token="devtoken")
    with caplog.at_level(logging.WARNING, logger="pmrollup.connector"):
        jira.write_fields("PAY-2", {"progress_pct": 10}, {})
        jira.write_fields("PAY-2", {"progress_pct": 20}, {"progress_pct": 10})
    assert [(r["query"], r["status"]) for r in puts(sandbox)] == [
        ({"notifyUsers": "false"}, 403), ({}, 204), ({}, 204)]
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    assert [line["event"] for line in lines] == ["jira.notify_users_refused"]
    assert jira.projects(["PAY-2"])[0].outputs["progress_pct"] == 20


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_field_off_the_edit_screen_is_left_out_and_the_others_land(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    seed = program_seed() | {"screens": {"Epic": ["Progress %"]}}
    sandbox = sandbox_factory(seed, flavor)
    jira = gateway(sandbox)
    written = jira.write_fields("PAY-2", {"progress_pct": 10, "items_total": 3}, {})
    assert written.changed == {"items_total": (None, 3)}
    [refused] = written.refused
    assert refused.field_name == "Progress %" and "screen" in refused.reason
    assert [r["status"] for r in puts(sandbox)] == [400, 204]
    outputs = jira.projects(["PAY-2"])[0].outputs
    assert outputs["items_total"] == 3.0 and outputs["progress_pct"] is None
    # known to be refused: left out of the next edit, which is then made once
    sandbox.clear_requests()
    again = jira.write_fields("PAY-2", {"progress_pct": 20, "items_total": 4}, {"items_total": 3},
                              leave_out={refused.field_id})
    assert again.changed == {"items_total": (3, 4)}
    assert [r["status"] for r in puts(sandbox)] == [204]


def test_an_edit_jira_refuses_without_naming_a_field_is_a_bad_request(
        sandbox_factory: SandboxFactory) -> None:
    jira = gateway(sandbox_factory(program_seed(), "cloud"))
    with pytest.raises(JiraBadRequest):
        jira.write_fields("PAY-2", {"progress_pct": 10}, {}, properties={"": {"x": 1}})


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_comment_with_its_marker_is_never_posted_twice(sandbox_factory: SandboxFactory,
                                                         flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    first = jira.add_comment("PAY-2", "Scope grew 25 % since the baseline.\n[pmrollup:scope-creep]",
                             "[pmrollup:scope-creep]")
    second = jira.add_comment("PAY-2", "Scope grew 25 % since the baseline.\n[pmrollup:scope-creep]",
                              "[pmrollup:scope-creep]")
    assert first is not None and second is None
    assert [c.body for c in jira.comments("PAY-2")] == [first.body]
    jira.edit_comment("PAY-2", first.id, "Scope is back within 10 %.\n[pmrollup:scope-creep]")
    assert jira.comments("PAY-2")[0].body.startswith("Scope is back")
    assert len([r for r in sandbox.requests() if r["method"] == "POST"]) == 1


@pytest.mark.parametrize("flavor", FLAVORS)
def test_properties_round_trip_and_oversized_values_are_refused(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox)
    state = {"version": 1, "findings": {"scope-creep": "2026-03-01"}, "snapshot": {"points": 16}}
    assert jira.get_property("PAY-2", "pmrollup.state") is None
    jira.set_property("PAY-2", "pmrollup.state", state)
    assert jira.get_property("PAY-2", "pmrollup.state") == state
    assert jira.projects(["PAY-2"])[0].properties["pmrollup.state"] == state
    sandbox.clear_requests()
    with pytest.raises(ConnectorError, match="32 KB"):
        jira.set_property("PAY-2", "pmrollup.state", {"keys": ["PAY-1"] * 6000})
    assert sandbox.requests() == []
    jira.delete_property("PAY-2", "pmrollup.state")
    jira.delete_property("PAY-2", "pmrollup.state")
    assert jira.get_property("PAY-2", "pmrollup.state") is None


def test_custom_fields_and_webhooks_are_created_and_listed(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(program_seed(), "cloud")
    jira = gateway(sandbox)
    field_id = jira.create_field("CPI", "number")
    assert jira.field_catalog().id_for("cpi") == field_id
    hook = jira.register_webhook("pmrollup", "http://127.0.0.1:9/webhooks/jira", ["jira:issue_updated"],
                                 secret="s3cret")
    listed = jira.list_webhooks()
    assert [h["name"] for h in listed] == ["pmrollup"] and "s3cret" not in json.dumps(listed)
    jira.delete_webhook(hook["self"].rsplit("/", 1)[-1])
    assert jira.list_webhooks() == []


def test_the_gateway_counts_jiras_answers_by_method_and_status(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(program_seed(), "cloud")
    jira = gateway(sandbox)
    jira.write_fields("PAY-2", {"progress_pct": 10}, {})
    with pytest.raises(JiraNotFound):
        jira.locate("PAY-99")
    assert jira.answers == Counter({("GET", 200): 1, ("PUT", 204): 1, ("GET", 404): 1})
    assert jira.request_count == 3 and jira.status_counts == Counter({200: 1, 204: 1, 404: 1})
