"""Issues created over REST and moved through transitions, as the real `jira` library does it."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from jira import JIRA, JIRAError

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.sandbox.conftest import Receiver, register

FLAVORS = ["cloud", "datacenter"]


def client(sandbox: RunningSandbox, auth: tuple[str, str] | None = None) -> JIRA:
    return JIRA(server=sandbox.url, basic_auth=auth or sandbox.admin_auth, max_retries=0)


def ids(jira: JIRA) -> dict[str, str]:
    return {f["name"]: f["id"] for f in jira.fields()}


def post(sandbox: RunningSandbox, path: str, body: Any, version: str = "2") -> requests.Response:
    return requests.post(f"{sandbox.url}/rest/api/{version}/{path}", json=body, auth=sandbox.admin_auth,
                         timeout=10)


def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(JIRAError) as refused:
        call()
    assert refused.value.status_code == 400 and refused.value.response is not None
    body: dict[str, Any] = refused.value.response.json()
    return body


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_story_is_created_under_an_epic_with_its_custom_fields(sandbox_factory: SandboxFactory,
                                                                 flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    jira = client(sandbox)
    field = ids(jira)
    parent = {"parent": {"key": "PAY-2"}} if flavor == "cloud" else {field["Epic Link"]: "PAY-2"}
    story = jira.create_issue(fields={"project": {"key": "PAY"}, "issuetype": {"name": "Story"},
                                      "summary": "Ledger exports", field["Story Points"]: 3,
                                      field["Health"]: {"value": "at-risk"}, **parent})
    assert story.key == "PAY-7"
    assert (story.fields.status.name, story.fields.issuetype.name) == ("To Do", "Story")
    assert getattr(story.fields, field["Story Points"]) == 3
    assert getattr(story.fields, field["Health"]).value == "at-risk"
    children = jira.search_issues("parent = PAY-2" if flavor == "cloud" else '"Epic Link" = PAY-2')
    assert "PAY-7" in [i.key for i in children]


def test_creation_answers_id_key_and_self_and_is_announced(sandbox_factory: SandboxFactory,
                                                           receiver: Receiver) -> None:
    sandbox = sandbox_factory()
    register(sandbox, receiver.url, events=["jira:issue_created"])
    answer = post(sandbox, "issue", {"fields": {"project": {"id": "10001"}, "issuetype": {"name": "task"},
                                                "summary": "Payout page copy"}}, version="3")
    assert answer.status_code == 201
    assert answer.json() == {"id": answer.json()["id"], "key": "WEB-4",
                             "self": f"{sandbox.url}/rest/api/3/issue/{answer.json()['id']}"}
    assert sandbox.wait_deliveries_idle(10)
    [created] = receiver.payloads()
    assert (created["webhookEvent"], created["issue"]["key"]) == ("jira:issue_created", "WEB-4")
    assert [i["field"] for i in created["changelog"]["items"]] == ["status", "summary"]


def test_a_deleted_issues_key_is_never_given_again(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.delete("WEB-3")
    answer = post(sandbox, "issue", {"fields": {"project": {"key": "WEB"}, "issuetype": {"name": "Task"},
                                                "summary": "Another"}})
    assert answer.json()["key"] == "WEB-4"


def test_what_a_create_lacks_is_named_per_field(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    jira = client(sandbox)
    lacking = post(sandbox, "issue", {"fields": {"project": {"key": "NOPE"}}})
    assert (lacking.status_code, lacking.json()) == (400, {
        "errorMessages": [], "errors": {"summary": "You must specify a summary of the issue.",
                                        "project": "Specify a valid project ID or key",
                                        "issuetype": "Specify an issue type"}})
    assert refusal(lambda: jira.create_issue(fields={"project": {"key": "PAY"}, "issuetype": {"name": "Saga"},
                                                     "summary": "x"}))["errors"] == {
        "issuetype": "The issue type selected is invalid."}
    story = {"project": {"key": "PAY"}, "issuetype": {"name": "Story"}}
    assert refusal(lambda: jira.create_issue(fields={**story, "summary": ""}))["errors"] == {
        "summary": "You must specify a summary of the issue."}


def test_a_create_refuses_fields_off_the_screen_and_bad_values_at_once(
        sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    jira = client(sandbox)
    field = ids(jira)
    body = {"project": {"key": "PAY"}, "issuetype": {"name": "Story"}, "summary": "Refused",
            field["Budget"]: 10, field["Health"]: {"value": "green"}, "priority": {"name": "High"}}
    off = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
    assert refusal(lambda: jira.create_issue(fields=body))["errors"] == {
        field["Budget"]: off.format(field["Budget"]), "priority": off.format("priority"),
        field["Health"]: "Specify a valid 'id' or 'name' for Health"}
    assert "PAY-7" not in sandbox.site.store.issues


def test_a_subtask_needs_a_parent_and_an_epic_cannot_sit_under_a_story(
        sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    jira = client(sandbox)
    where = {"project": {"key": "PAY"}, "summary": "x"}
    subtask_type = {"issuetype": {"name": "Sub-task"}}
    assert refusal(lambda: jira.create_issue(fields={**where, **subtask_type}))["errors"] == {
        "parent": "Issue type is a sub-task but parent issue key or id not specified."}
    assert refusal(lambda: jira.create_issue(fields={**where, "issuetype": {"name": "Epic"},
                                                     "parent": {"key": "PAY-3"}}))["errors"] == {
        "parent": "Issue 'PAY-3' cannot be the parent of a Epic."}
    subtask = jira.create_issue(fields={**where, **subtask_type, "parent": {"key": "PAY-4"}})
    assert subtask.fields.parent.key == "PAY-4"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_transitions_lead_to_every_other_status_with_its_category(sandbox_factory: SandboxFactory,
                                                                  flavor: str) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    transitions = jira.transitions("PAY-4")
    assert [(t["name"], t["to"]["name"], t["to"]["statusCategory"]["key"]) for t in transitions] == [
        ("To Do", "To Do", "new"), ("In Progress", "In Progress", "indeterminate"), ("Done", "Done", "done")]
    assert [t["id"] for t in transitions] == ["11", "21", "31"]
    assert jira.transitions("PAY-4", id="31")[0]["name"] == "Done"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_transition_to_done_resolves_logs_and_announces(sandbox_factory: SandboxFactory, flavor: str,
                                                          receiver: Receiver) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    register(sandbox, receiver.url, events=["jira:issue_updated", "comment_created"])
    jira = client(sandbox)
    jira.transition_issue("PAY-4", "Done", comment="Shipped")
    issue = jira.issue("PAY-4", expand="changelog")
    assert (issue.fields.status.name, issue.fields.resolution.name) == ("Done", "Done")
    latest = issue.changelog.histories[0]
    assert [(i.field, i.toString) for i in latest.items] == [("resolution", "Done"), ("status", "Done")]
    assert [c.body for c in jira.comments("PAY-4")] == ["Shipped"]
    assert sandbox.wait_deliveries_idle(10)
    assert [p["webhookEvent"] for p in receiver.payloads()] == ["jira:issue_updated", "comment_created"]


def test_an_unknown_or_missing_transition_is_a_400(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    to_current = post(sandbox, "issue/PAY-4/transitions", {"transition": {"id": "41"}})
    unknown = post(sandbox, "issue/PAY-4/transitions", {"transition": {"id": "999"}})
    missing = post(sandbox, "issue/PAY-4/transitions", {"fields": {}})
    assert [a.status_code for a in (to_current, unknown, missing)] == [400, 400, 400]
    assert [a.json()["errorMessages"] for a in (to_current, unknown, missing)] == [
        ["Transition id '41' is not valid for this issue."],
        ["Transition id '999' is not valid for this issue."], ["Missing 'transition' identifier"]]
    assert sandbox.issue_json("PAY-4")["fields"]["status"]["name"] == "In Review"


def test_a_transition_without_a_screen_sets_no_fields(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    answer = post(sandbox, "issue/PAY-4/transitions", {"transition": {"id": "31"},
                                                       "fields": {"resolution": {"name": "Done"}}})
    assert answer.status_code == 400
    assert answer.json()["errors"] == {
        "resolution": "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."}
    assert sandbox.issue_json("PAY-4")["fields"]["status"]["name"] == "In Review"
