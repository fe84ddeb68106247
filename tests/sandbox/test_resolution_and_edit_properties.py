"""Issues carry `resolution` and `resolutiondate` as Jira's do, and an edit body may set properties."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from jira import JIRA

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.sandbox.test_contract import Contract, load_document

FLAVORS = ["cloud", "datacenter"]


def client(sandbox: RunningSandbox) -> JIRA:
    return JIRA(server=sandbox.url, basic_auth=sandbox.admin_auth, max_retries=0)


def edit(sandbox: RunningSandbox, key: str, body: dict[str, Any], version: str = "2") -> requests.Response:
    return requests.put(f"{sandbox.url}/rest/api/{version}/issue/{key}", json=body, auth=sandbox.admin_auth,
                        timeout=10)


def progress_field(sandbox: RunningSandbox) -> str:
    return next(f["id"] for f in client(sandbox).fields() if f["name"] == "Progress %")


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_done_issue_is_resolved_when_it_entered_done(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    done = jira.issue("PAY-3")
    assert done.fields.resolution.name == "Done"
    assert done.fields.resolutiondate.startswith("2026-02-15T")
    open_ = jira.issue("PAY-4")
    assert open_.fields.resolution is None and open_.fields.resolutiondate is None
    [searched] = jira.search_issues("key = PAY-3", fields=["resolution", "resolutiondate"])
    assert searched.fields.resolution.name == "Done" and searched.fields.resolutiondate


@pytest.mark.parametrize("flavor", FLAVORS)
def test_entering_done_resolves_and_leaving_it_unresolves(sandbox_factory: SandboxFactory,
                                                          flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    jira = client(sandbox)
    before = datetime.now().astimezone()
    sandbox.edit("PAY-4", {"status": "Done"})
    resolved = jira.issue("PAY-4", expand="changelog")
    assert resolved.fields.resolution.name == "Done"
    assert datetime.strptime(resolved.fields.resolutiondate, "%Y-%m-%dT%H:%M:%S.%f%z") >= before.replace(
        microsecond=0)
    latest = resolved.changelog.histories[0]
    assert [(i.field, getattr(i, "fromString", None), i.toString) for i in latest.items] == [
        ("resolution", None, "Done"), ("status", "In Review", "Done")]
    sandbox.edit("PAY-4", {"status": "In Progress"})
    reopened = jira.issue("PAY-4")
    assert reopened.fields.resolution is None and reopened.fields.resolutiondate is None
    sandbox.edit("PAY-4", {"status": "In Review"})  # between two open statuses: no resolution change
    latest = jira.issue("PAY-4", expand="changelog").changelog.histories[0]
    assert [i.field for i in latest.items] == ["status"]


def test_resolution_fields_are_listed_and_answer_in_the_documented_shape(
        sandbox_factory: SandboxFactory, shared_dir: Path) -> None:
    sandbox = sandbox_factory()
    listed = {f["id"]: f for f in client(sandbox).fields()}
    assert listed["resolution"]["name"] == "Resolution" and listed["resolutiondate"]["name"] == "Resolved"
    contract = Contract(load_document(shared_dir / "jira-openapi" / "platform-v3.json"))
    body = sandbox.issue_json("PAY-3", version="3")["fields"]["resolution"]
    assert contract.errors(contract.component("Resolution"), body) == []


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("version", ["2", "3"])
def test_properties_in_an_edit_body_are_stored_with_the_fields(sandbox_factory: SandboxFactory, flavor: str,
                                                               version: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    progress = progress_field(sandbox)
    state = {"version": 1, "findings": {}, "snapshot": {"points_total": 10.0}}
    answer = edit(sandbox, "PAY-2", {"fields": {progress: 62.5},
                                     "properties": [{"key": "pmrollup.state", "value": state}]}, version)
    assert answer.status_code == 204, answer.text
    jira = client(sandbox)
    assert jira.issue_property("PAY-2", "pmrollup.state").raw["value"] == state
    epic = jira.issue("PAY-2", expand="changelog")
    assert getattr(epic.fields, progress) == 62.5
    assert [i.field for i in epic.changelog.histories[0].items] == ["Progress %"]  # properties log nothing


@pytest.mark.parametrize("flavor", FLAVORS)
def test_an_edit_with_only_properties_stores_them_and_logs_no_change(sandbox_factory: SandboxFactory,
                                                                     flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    histories = len(client(sandbox).issue("PAY-2", expand="changelog").changelog.histories)
    answer = edit(sandbox, "PAY-2", {"properties": [{"key": "pmrollup.state", "value": {"n": 1}},
                                                    {"key": "other", "value": [1, 2]}]})
    assert answer.status_code == 204
    jira = client(sandbox)
    assert jira.issue_property("PAY-2", "pmrollup.state").raw["value"] == {"n": 1}
    assert jira.issue_property("PAY-2", "other").raw["value"] == [1, 2]
    assert len(jira.issue("PAY-2", expand="changelog").changelog.histories) == histories


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_bad_property_in_an_edit_refuses_the_whole_edit(sandbox_factory: SandboxFactory,
                                                          flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    progress = progress_field(sandbox)
    too_big = {"keys": ["PAY-1"] * 6000}
    for properties in ([{"key": "pmrollup.state", "value": too_big}], [{"value": 1}], {"key": "x"}):
        answer = edit(sandbox, "PAY-2", {"fields": {progress: 10}, "properties": properties})
        assert answer.status_code == 400, properties
    jira = client(sandbox)
    assert getattr(jira.issue("PAY-2").fields, progress) is None
    assert [p.key for p in jira.issue_properties("PAY-2")] == ["pmrollup.baseline"]
