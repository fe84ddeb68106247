"""The real `jira` library can search, edit, comment on, link and set properties on the sandbox."""

from __future__ import annotations

import pytest
from jira import JIRA, JIRAError

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory

FLAVORS = ["cloud", "datacenter"]


def client(sandbox: RunningSandbox, email: str = "admin@example.com", token: str = "token") -> JIRA:
    if sandbox.flavor == "datacenter" and email == "":
        return JIRA(server=sandbox.url, token_auth=token, max_retries=0)
    return JIRA(server=sandbox.url, basic_auth=(email, token), max_retries=0)


def field_id(jira: JIRA, name: str) -> str:
    return next(f["id"] for f in jira.fields() if f["name"] == name)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_library_connects_and_sees_the_deployment_type(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    assert jira.server_info()["deploymentType"] == ("Cloud" if flavor == "cloud" else "Server")
    assert jira.myself()["emailAddress"] == "admin@example.com"


def test_cloud_search_goes_through_the_enhanced_search(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    jira = client(sandbox)
    sandbox.clear_requests()
    issues = jira.search_issues("parent = PAY-2", fields=["summary", "status"], maxResults=False)
    assert [i.key for i in issues] == ["PAY-3", "PAY-4", "PAY-5"]
    assert issues[1].fields.status.name == "In Review"
    assert [r["path"] for r in sandbox.requests("/rest/api/2/search")] == ["/rest/api/2/search/jql"]


def test_datacenter_search_pages_with_start_at_and_total(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(flavor="datacenter")
    jira = client(sandbox)
    sandbox.clear_requests()
    issues = jira.search_issues('"Epic Link" in (PAY-2, WEB-1)', maxResults=2, fields="summary")
    assert [i.key for i in issues] == ["PAY-3", "PAY-4"]
    assert issues.total == 4
    every = jira.search_issues('"Epic Link" in (PAY-2, WEB-1)', maxResults=False, fields="summary")
    assert [i.key for i in every] == ["PAY-3", "PAY-4", "PAY-5", "WEB-2"]
    assert {r["path"] for r in sandbox.requests("/rest/api/2/search")} == {"/rest/api/2/search"}


def test_datacenter_accepts_a_personal_access_token(sandbox_factory: SandboxFactory) -> None:
    jira = client(sandbox_factory(flavor="datacenter"), email="", token="devtoken")
    assert jira.myself()["emailAddress"] == "dev@example.com"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_wrong_credentials_are_refused_with_401(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    with pytest.raises(JIRAError) as refused:
        client(sandbox, token="wrong")
    assert refused.value.status_code == 401


def test_cloud_refuses_a_bearer_token(sandbox_factory: SandboxFactory) -> None:
    with pytest.raises(JIRAError) as refused:
        client(sandbox_factory(), email="", token="token").myself()
    assert refused.value.status_code == 401


@pytest.mark.parametrize("flavor", FLAVORS)
def test_fields_list_custom_fields_with_clause_names(sandbox_factory: SandboxFactory, flavor: str) -> None:
    fields = {f["name"]: f for f in client(sandbox_factory(flavor=flavor)).fields()}
    points = fields["Story Points"]
    assert points["id"] == "customfield_10000"
    assert points["clauseNames"] == ["cf[10000]", "Story Points"]
    assert points["schema"]["type"] == "number"
    assert ("Epic Link" in fields) == (flavor == "datacenter")


@pytest.mark.parametrize("flavor", FLAVORS)
def test_update_changes_a_field_and_records_the_changelog(
    sandbox_factory: SandboxFactory, flavor: str
) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    points = field_id(jira, "Story Points")
    jira.issue("PAY-4").update(fields={points: 13}, notify=False)
    issue = jira.issue("PAY-4", expand="changelog")
    assert getattr(issue.fields, points) == 13
    latest = issue.changelog.histories[0]
    assert (latest.items[0].field, latest.items[0].fromString, latest.items[0].toString) == (
        "Story Points",
        "3",
        "13",
    )


@pytest.mark.parametrize("flavor", FLAVORS)
def test_labels_take_add_and_remove_operations(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    jira.issue("PAY-2").update(update={"labels": [{"add": "at-risk"}, {"remove": "payments"}]})
    assert jira.issue("PAY-2").fields.labels == ["at-risk"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_comments_are_added_listed_and_edited(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    comment = jira.add_comment("PAY-2", "Progress 40 %")
    comment.update(body="Progress 45 %")
    assert [c.body for c in jira.comments("PAY-2")] == ["Progress 45 %"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_issue_properties_round_trip(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    jira.add_issue_property("PAY-5", "pmrollup.state", {"hash": "abc", "n": 2})
    assert jira.issue_property("PAY-5", "pmrollup.state").value.hash == "abc"
    assert {p.key for p in jira.issue_properties("PAY-2")} == {"pmrollup.baseline"}


def test_a_property_over_32_kb_is_refused(sandbox_factory: SandboxFactory) -> None:
    jira = client(sandbox_factory())
    with pytest.raises(JIRAError) as refused:
        jira.add_issue_property("PAY-5", "big", "x" * 33000)
    assert refused.value.status_code == 400
    jira.add_issue_property("PAY-5", "small", "x" * 32000)
    assert jira.issue_property("PAY-5", "small").value == "x" * 32000


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_link_shows_on_both_ends(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    jira.create_issue_link("Blocks", "PAY-5", "WEB-2")
    blocker = [link for link in jira.issue("PAY-5").fields.issuelinks if link.type.name == "Blocks"]
    blocked = [link for link in jira.issue("WEB-2").fields.issuelinks if hasattr(link, "inwardIssue")]
    assert blocker[0].outwardIssue.key == "WEB-2"
    assert "PAY-5" in [link.inwardIssue.key for link in blocked]
    jira.delete_issue_link(blocker[0].id)
    assert all(
        getattr(link, "outwardIssue", None) is None or link.outwardIssue.key != "WEB-2"
        for link in jira.issue("PAY-5").fields.issuelinks
    )


@pytest.mark.parametrize("flavor", FLAVORS)
def test_a_field_off_the_screen_is_absent_from_editmeta_and_refused(
    sandbox_factory: SandboxFactory, flavor: str
) -> None:
    jira = client(sandbox_factory(flavor=flavor))
    budget = field_id(jira, "Budget")
    assert budget not in jira.editmeta("PAY-4")["fields"]
    assert budget in jira.editmeta("PAY-2")["fields"]
    with pytest.raises(JIRAError) as refused:
        jira.issue("PAY-4").update(fields={budget: 5})
    assert refused.value.status_code == 400
    assert refused.value.response.json()["errors"] == {
        budget: f"Field '{budget}' cannot be set. It is not on the appropriate screen, or unknown."
    }


@pytest.mark.parametrize("flavor", FLAVORS)
def test_only_admins_may_skip_notifications(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    jira = client(sandbox, "dev@example.com", "devtoken")
    with pytest.raises(JIRAError) as refused:
        jira.issue("PAY-4").update(fields={"summary": "Quietly"}, notify=False)
    assert refused.value.status_code == 403
    jira.issue("PAY-4").update(fields={"summary": "Loudly"})
    assert sandbox.issue_json("PAY-4")["fields"]["summary"] == "Loudly"


def test_datacenter_moves_a_story_with_the_epic_link_field(sandbox_factory: SandboxFactory) -> None:
    jira = client(sandbox_factory(flavor="datacenter"))
    epic_link = field_id(jira, "Epic Link")
    assert getattr(jira.issue("PAY-5").fields, epic_link) == "PAY-2"
    jira.issue("PAY-5").update(fields={epic_link: "WEB-1"})
    assert [i.key for i in jira.search_issues('"Epic Link" = WEB-1', fields="summary")] == ["PAY-5", "WEB-2"]
