"""Edit screens per Jira project and issue type, and sites whose fields differ: foreign options, types."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError

from sandbox.seed import SeedError, read_seed
from sandbox.server import RunningSandbox
from tests.conftest import SMALL_SEED, SandboxFactory

FLAVORS = ["cloud", "datacenter"]
FOREIGN = ["On track", "At risk", "Off track"]


def client(sandbox: RunningSandbox) -> JIRA:
    return JIRA(server=sandbox.url, basic_auth=sandbox.admin_auth, max_retries=0)


def field_id(jira: JIRA, name: str) -> str:
    return next(f["id"] for f in jira.fields() if f["name"] == name)


def seed_with(screens: dict[str, Any]) -> dict[str, Any]:
    return {**read_seed(SMALL_SEED), "screens": screens}


def refusal(jira: JIRA, key: str, fields: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(JIRAError) as refused:
        jira.issue(key).update(fields=fields)
    assert refused.value.status_code == 400 and refused.value.response is not None
    errors: dict[str, str] = refused.value.response.json()["errors"]
    return errors


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_seed_takes_a_field_off_one_projects_epic_screen_only(sandbox_factory: SandboxFactory,
                                                                flavor: str) -> None:
    sandbox = sandbox_factory(seed_with({"Story": ["Budget"], "PAY": {"Epic": ["Health"]}}), flavor)
    jira = client(sandbox)
    health, budget = field_id(jira, "Health"), field_id(jira, "Budget")
    assert health not in jira.editmeta("PAY-2")["fields"]
    assert health in jira.editmeta("WEB-1")["fields"]
    assert budget not in jira.editmeta("PAY-4")["fields"] and budget not in jira.editmeta("WEB-2")["fields"]
    assert refusal(jira, "PAY-2", {health: {"value": "at-risk"}}) == {
        health: f"Field '{health}' cannot be set. It is not on the appropriate screen, or unknown."}
    jira.issue("WEB-1").update(fields={health: {"value": "at-risk"}})
    assert sandbox.issue_json("WEB-1")["fields"][health]["value"] == "at-risk"


def test_a_seed_naming_an_unknown_field_on_a_project_screen_says_where(
        sandbox_factory: SandboxFactory) -> None:
    with pytest.raises(SeedError, match=r"screens\.PAY\.Epic: unknown field 'Helth'"):
        sandbox_factory(seed_with({"PAY": {"Epic": ["Helth"]}}))


@pytest.mark.parametrize("flavor", FLAVORS)
def test_the_admin_endpoint_takes_a_field_off_one_projects_screen_and_puts_it_back(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    jira = client(sandbox)
    health = field_id(jira, "Health")
    assert sandbox.screen("Epic", "PAY", off=["Health"]) == {"project": "PAY", "issuetype": "Epic",
                                                              "off": ["Health"]}
    assert health not in jira.editmeta("PAY-2")["fields"] and health in jira.editmeta("WEB-1")["fields"]
    listed = requests.get(f"{sandbox.url}/sandbox/screens", timeout=10).json()
    assert {"project": "PAY", "issuetype": "epic", "off": ["Health"], "on": []} in listed
    sandbox.screen("Epic", "PAY", on=["Health"])
    assert health in jira.editmeta("PAY-2")["fields"]


def test_a_project_puts_back_a_field_the_site_takes_off(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    jira = client(sandbox)
    budget = field_id(jira, "Budget")
    sandbox.screen("Story", "WEB", on=["Budget"])
    assert budget in jira.editmeta("WEB-2")["fields"] and budget not in jira.editmeta("PAY-4")["fields"]
    sandbox.screen("Story", off=["Budget"])
    assert budget not in jira.editmeta("WEB-2")["fields"], "a site-wide change overrides the project's"


def test_the_screen_endpoint_names_what_is_wrong_in_a_request(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    url = f"{sandbox.url}/sandbox/screens"
    answers = [requests.post(url, json=body, timeout=10) for body in (
        {"off": ["Health"]}, {"issuetype": "Epic", "project": "NOPE", "off": ["Health"]},
        {"issuetype": "Epic", "off": ["Helth"]}, {"issuetype": "Epic", "off": "Health"}, [1])]
    assert [a.status_code for a in answers] == [400] * 5
    assert [a.json()["errors"] or a.json()["errorMessages"] for a in answers] == [
        {"issuetype": "Name the issue type whose edit screen changes, e.g. Epic."},
        {"project": "Project 'NOPE' does not exist; leave it out for every project."},
        {"off": "No field named 'Helth'."},
        {"off": "Give a list of field names or ids."},
        ["Send a JSON object."],
    ]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_foreign_health_options_replace_the_selects_options(sandbox_factory: SandboxFactory,
                                                            flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    jira = client(sandbox)
    health = field_id(jira, "Health")
    jira.issue("PAY-2").update(fields={health: {"value": "at-risk"}})
    assert sandbox.edit_field("Health", options=FOREIGN)["options"] == FOREIGN
    assert [o["value"] for o in jira.editmeta("PAY-2")["fields"][health]["allowedValues"]] == FOREIGN
    assert sandbox.issue_json("PAY-2")["fields"][health] is None, "issues lose an option that is gone"
    message = ("Specify a valid 'id' or 'name' for Health" if flavor == "cloud"
               else "Option value 'at-risk' is not valid")
    assert refusal(jira, "PAY-2", {health: {"value": "at-risk"}}) == {health: message}
    jira.issue("PAY-2").update(fields={health: {"value": "At risk"}})
    assert sandbox.issue_json("PAY-2")["fields"][health]["value"] == "At risk"


def test_options_kept_by_a_replacement_keep_their_ids_and_issues(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    jira = client(sandbox)
    health = field_id(jira, "Health")
    jira.issue("PAY-2").update(fields={health: {"value": "off-track"}})
    before = sandbox.issue_json("PAY-2")["fields"][health]
    sandbox.edit_field("Health", options=["off-track", "blocked"])
    assert sandbox.issue_json("PAY-2")["fields"][health] == before
    assert [o["value"] for o in jira.editmeta("PAY-2")["fields"][health]["allowedValues"]] == [
        "off-track", "blocked"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_field_changed_to_text_takes_text_and_refuses_an_option(sandbox_factory: SandboxFactory,
                                                                  flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    jira = client(sandbox)
    health = field_id(jira, "Health")
    jira.issue("PAY-2").update(fields={health: {"value": "at-risk"}})
    sandbox.edit_field("Health", kind="text")
    listed = next(f for f in jira.fields() if f["id"] == health)
    assert listed["schema"]["type"] == "string"
    assert "allowedValues" not in jira.editmeta("PAY-2")["fields"][health]
    assert sandbox.issue_json("PAY-2")["fields"][health] == "at-risk", "a text field still holds the name"
    assert refusal(jira, "PAY-2", {health: {"value": "off-track"}}) == {
        health: "Operation value must be a string"}
    jira.issue("PAY-2").update(fields={health: "off-track"})
    assert sandbox.issue_json("PAY-2")["fields"][health] == "off-track"


def test_a_number_field_changed_to_a_date_drops_the_numbers_it_held(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    points = field_id(client(sandbox), "Story Points")
    sandbox.edit_field("Story Points", kind="date")
    assert sandbox.issue_json("PAY-3")["fields"][points] is None


def test_the_field_endpoint_names_what_is_wrong_in_a_request(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sent = (("Helth", {"options": ["a"]}), ("Health", {"options": "a"}), ("Health", {"type": "colour"}),
            ("Story Points", {"options": ["a"]}), ("Summary", {"type": "number"}))
    answers = [requests.post(f"{sandbox.url}/sandbox/fields/{name}", json=body, timeout=10)
               for name, body in sent]
    assert [a.status_code for a in answers] == [404, 400, 400, 400, 400]
    assert [a.json()["errors"] or a.json()["errorMessages"] for a in answers] == [
        ["No field named 'Helth'."],
        {"options": "Give the options as a list of non-empty strings."},
        {"type": "type must be one of number, text, date, select, labels, not 'colour'"},
        {"options": "Field 'Story Points' is not a select; only a select has options "
                    "(send \"type\": \"select\" with them)."},
        ["The type of field 'Summary' cannot be changed."],
    ]
