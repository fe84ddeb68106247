"""Search over HTTP: JQL semantics, Jira's 400/410 answers, paging, page caps, lag and reconciliation."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory


def cloud_search(sandbox: RunningSandbox, jql: str, **params: Any) -> requests.Response:
    return requests.get(f"{sandbox.url}/rest/api/3/search/jql", params={"jql": jql, **params},
                        auth=sandbox.admin_auth, timeout=10)


def keys(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [issue["key"] for issue in response.json()["issues"]]


def test_not_equals_never_matches_an_issue_without_the_field(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    found = keys(cloud_search(sandbox, 'project = PAY AND "Story Points" != 5', fields="summary"))
    assert found == ["PAY-4", "PAY-5"]


def test_not_in_never_matches_an_issue_without_a_parent(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    found = keys(cloud_search(sandbox, "project = WEB AND parent not in (PAY-2)", fields="summary"))
    assert found == ["WEB-1", "WEB-2"]


def test_an_unknown_key_in_a_key_list_is_a_400(sandbox_factory: SandboxFactory) -> None:
    response = cloud_search(sandbox_factory(), "key in (PAY-2, PAY-99)")
    assert response.status_code == 400
    message = "An issue with key 'PAY-99' does not exist for field 'key'."
    assert response.json() == {"errorMessages": [message], "errors": {}}


def test_an_unknown_field_is_a_400(sandbox_factory: SandboxFactory) -> None:
    response = cloud_search(sandbox_factory(), '"Team Mood" = happy')
    assert response.status_code == 400
    assert "does not exist or you do not have permission to view it" in response.json()["errorMessages"][0]


def test_cloud_has_no_epic_link_field(sandbox_factory: SandboxFactory) -> None:
    assert cloud_search(sandbox_factory(), '"Epic Link" = PAY-2').status_code == 400


def test_jql_the_parser_does_not_understand_is_a_400_not_everything(sandbox_factory: SandboxFactory) -> None:
    response = cloud_search(sandbox_factory(), "summary ~ ledger")
    assert response.status_code == 400
    assert response.json()["errorMessages"]


@pytest.mark.parametrize("path", ["/rest/api/2/search", "/rest/api/3/search", "/rest/api/latest/search"])
def test_cloud_answers_the_removed_search_with_410(sandbox_factory: SandboxFactory, path: str) -> None:
    sandbox = sandbox_factory()
    for method in ("GET", "POST"):
        response = requests.request(method, sandbox.url + path, params={"jql": "project = PAY"},
                                    json={"jql": "project = PAY"}, auth=sandbox.admin_auth, timeout=10)
        assert response.status_code == 410
        assert response.json()["errorMessages"][0].startswith("The requested API has been removed.")


def test_datacenter_has_no_enhanced_search(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(flavor="datacenter")
    assert cloud_search(sandbox, "project = PAY").status_code == 404


def test_enhanced_search_returns_ids_only_unless_fields_are_asked(sandbox_factory: SandboxFactory) -> None:
    response = cloud_search(sandbox_factory(), "key = PAY-3")
    assert response.json() == {"issues": [{"id": "10002"}], "isLast": True}


def test_next_page_token_walks_every_page(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    seen: list[str] = []
    token = None
    for _ in range(10):
        params = {"maxResults": 2, "fields": "summary", **({"nextPageToken": token} if token else {})}
        page = cloud_search(sandbox, "project in (PAY, WEB) ORDER BY key DESC", **params).json()
        seen += [i["key"] for i in page["issues"]]
        token = page.get("nextPageToken")
        assert page["isLast"] == (token is None)
        if token is None:
            break
    assert seen == ["WEB-3", "WEB-2", "WEB-1", "PAY-6", "PAY-5", "PAY-4", "PAY-3", "PAY-2", "PAY-1"]


def test_post_search_takes_lists_and_returns_properties(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    body = {"jql": "issuetype = Epic", "fields": ["summary"], "properties": ["pmrollup.baseline"],
            "expand": None, "reconcileIssues": []}
    response = requests.post(f"{sandbox.url}/rest/api/3/search/jql", auth=sandbox.admin_auth, timeout=10,
                             json=body)
    issues = response.json()["issues"]
    assert [i["key"] for i in issues] == ["PAY-2", "WEB-1"]
    assert issues[0]["properties"]["pmrollup.baseline"]["points"] == 8
    assert "properties" not in issues[1]


def test_page_cap_shortens_pages_and_the_token_still_reaches_the_end(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.faults(page_cap=2)
    first = cloud_search(sandbox, "project = PAY", maxResults=100, fields="summary").json()
    assert len(first["issues"]) == 2 and first["isLast"] is False
    rest = cloud_search(sandbox, "project = PAY", maxResults=100, fields="summary",
                        nextPageToken=first["nextPageToken"]).json()
    assert [i["key"] for i in rest["issues"]] == ["PAY-3", "PAY-4"]


def test_datacenter_page_cap_still_reports_the_total(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(flavor="datacenter")
    sandbox.faults(page_cap=3)
    page = requests.get(f"{sandbox.url}/rest/api/2/search", auth=sandbox.admin_auth, timeout=10,
                        params={"jql": "project = PAY", "startAt": 3, "maxResults": 50}).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (3, 3, 6)
    assert [i["key"] for i in page["issues"]] == ["PAY-4", "PAY-5", "PAY-6"]


def test_search_lags_behind_a_recent_change_unless_reconciled(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.faults(search_lag_ms=60_000)
    sandbox.edit("PAY-5", {"status": "Done"})
    sandbox.create({"key": "PAY-7", "type": "Story", "summary": "New work", "parent": "PAY-2"})
    lagging = cloud_search(sandbox, "parent = PAY-2", fields="status").json()["issues"]
    assert {i["key"]: i["fields"]["status"]["name"] for i in lagging} == {
        "PAY-3": "Done", "PAY-4": "In Review", "PAY-5": "To Do"}
    new_id = sandbox.issue_json("PAY-7")["id"]
    pay5_id = sandbox.issue_json("PAY-5")["id"]
    reconciled = cloud_search(sandbox, "parent = PAY-2", fields="status",
                              reconcileIssues=f"{pay5_id},{new_id}").json()["issues"]
    assert {i["key"]: i["fields"]["status"]["name"] for i in reconciled} == {
        "PAY-3": "Done", "PAY-4": "In Review", "PAY-5": "Done", "PAY-7": "To Do"}


def test_without_lag_a_change_is_seen_at_once(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.edit("PAY-5", {"parent": "PAY-2", "status": "In Progress"})
    found = cloud_search(sandbox, 'statusCategory = "In Progress" AND parent = PAY-2', fields="summary")
    assert keys(found) == ["PAY-4", "PAY-5"]


def test_datacenter_finds_children_by_epic_link_and_parent_link(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(flavor="datacenter")

    def dc(jql: str) -> list[str]:
        return keys(requests.get(f"{sandbox.url}/rest/api/2/search", params={"jql": jql, "fields": "summary"},
                                 auth=sandbox.admin_auth, timeout=10))

    assert dc('"Parent Link" = PAY-1') == ["PAY-2", "WEB-1"]
    assert dc('"Epic Link" = PAY-2') == ["PAY-3", "PAY-4", "PAY-5"]
    assert dc("parent = PAY-3") == ["PAY-6"]
