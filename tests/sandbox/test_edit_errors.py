"""An edit Jira refuses is refused per field in its `errors` map, all at once, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from jira import JIRA

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory

FLAVORS = ["cloud", "datacenter"]


def client(sandbox: RunningSandbox) -> JIRA:
    return JIRA(server=sandbox.url, basic_auth=sandbox.admin_auth, max_retries=0)


def ids(sandbox: RunningSandbox) -> dict[str, str]:
    return {f["name"]: f["id"] for f in client(sandbox).fields()}


def put(sandbox: RunningSandbox, key: str, body: Any, version: str = "2") -> requests.Response:
    return requests.put(f"{sandbox.url}/rest/api/{version}/issue/{key}", json=body, auth=sandbox.admin_auth,
                        timeout=10)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_an_option_the_select_does_not_have_is_refused_in_the_flavors_words(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    health = ids(sandbox)["Health"]
    by_value, by_id, bare = (put(sandbox, "PAY-2", {"fields": {health: value}})
                             for value in ({"value": "green"}, {"id": "1"}, "at-risk"))
    assert [a.status_code for a in (by_value, by_id, bare)] == [400, 400, 400]
    if flavor == "cloud":
        expected = ["Specify a valid 'id' or 'name' for Health"] * 3
    else:
        expected = ["Option value 'green' is not valid", "Option id '1' is not valid",
                    "Could not find valid 'id' or 'value' in the Parent Option object."]
    assert [a.json()["errors"][health] for a in (by_value, by_id, bare)] == expected


@pytest.mark.parametrize("flavor", FLAVORS)
def test_an_option_chosen_by_its_id_is_set(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    jira = client(sandbox)
    health = ids(sandbox)["Health"]
    off_track = jira.editmeta("PAY-2")["fields"][health]["allowedValues"][2]
    assert put(sandbox, "PAY-2", {"fields": {health: {"id": off_track["id"]}}}).status_code == 204
    assert sandbox.issue_json("PAY-2")["fields"][health]["value"] == "off-track"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_every_refused_field_is_named_at_once_and_the_good_ones_are_not_set(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    field = ids(sandbox)
    before = sandbox.issue_json("PAY-4")
    answer = put(sandbox, "PAY-4", {"fields": {
        field["Story Points"]: 13, field["Budget"]: 5, field["Health"]: {"value": "green"},
        "customfield_99999": 1}})
    assert answer.status_code == 400
    off_screen = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
    assert answer.json()["errors"] == {
        field["Budget"]: off_screen.format(field["Budget"]),
        "customfield_99999": off_screen.format("customfield_99999"),
        field["Health"]: ("Specify a valid 'id' or 'name' for Health" if flavor == "cloud"
                          else "Option value 'green' is not valid")}
    assert answer.json()["errorMessages"] == []
    assert sandbox.issue_json("PAY-4") == before, "a refused edit changes nothing"


def test_values_of_the_wrong_type_are_refused_in_jiras_words(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    field = ids(sandbox)
    answer = put(sandbox, "PAY-2", {"fields": {
        field["Story Points"]: "five", field["Start date"]: "next week", "labels": "urgent",
        "summary": {"text": "x"}, field["Budget"]: True, "duedate": 20260301}})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        field["Story Points"]: "Operation value must be a number",
        field["Start date"]: "Error parsing date string: next week",
        "labels": "Operation value must be an array of strings",
        "summary": "Operation value must be a string",
        field["Budget"]: "Operation value must be a number",
        "duedate": "Error parsing date string: 20260301",
    }


def test_label_operations_refuse_a_label_with_a_space(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    answer = put(sandbox, "PAY-2", {"update": {"labels": [{"add": "two words"}]}})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"labels": "The label 'two words' contains spaces which is invalid."}
    assert sandbox.issue_json("PAY-2")["fields"]["labels"] == ["payments"]


def test_an_unsupported_operation_is_refused_for_its_field(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    points = ids(sandbox)["Story Points"]
    answer = put(sandbox, "PAY-3", {"update": {points: [{"add": 1}]}})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {points: f"Operation 'add' is not supported for {points}."}


def test_a_parent_that_does_not_exist_is_refused(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    answer = put(sandbox, "PAY-4", {"fields": {"parent": {"key": "PAY-404"}}})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"parent": "Could not find issue by id or key."}


def test_a_v3_description_must_be_an_atlassian_document(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    refused = put(sandbox, "PAY-2", {"fields": {"description": "plain text"}}, version="3")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "description": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"}
    document = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Rich text"}]}]}
    assert put(sandbox, "PAY-2", {"fields": {"description": document}}, version="3").status_code == 204
    assert sandbox.issue_json("PAY-2")["fields"]["description"] == "Rich text"


@pytest.mark.parametrize("body", [[], None, "fields", 7, {"fields": []}, {"update": "labels"}])
def test_an_edit_body_of_the_wrong_shape_is_a_400_with_a_message(sandbox_factory: SandboxFactory,
                                                                 body: Any) -> None:
    sandbox = sandbox_factory()
    answer = put(sandbox, "PAY-2", body)
    assert answer.status_code == 400
    assert answer.json()["errors"] == {} and answer.json()["errorMessages"][0]
