"""`mypermissions` answers, per permission asked, whether the caller holds it, as Jira does."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from jira import JIRA

from sandbox.seed import SeedError, read_seed
from sandbox.server import RunningSandbox
from tests.conftest import SMALL_SEED, SandboxFactory

FLAVORS = ["cloud", "datacenter"]
DEVELOPER = ("dev@example.com", "devtoken")


def ask(sandbox: RunningSandbox, params: dict[str, str],
        auth: tuple[str, str] | None = None) -> requests.Response:
    return requests.get(f"{sandbox.url}/rest/api/3/mypermissions", params=params,
                        auth=auth or sandbox.admin_auth, timeout=10)


def held(answer: dict[str, Any]) -> dict[str, bool]:
    return {key: entry["havePermission"] for key, entry in answer["permissions"].items()}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_the_library_reads_which_permissions_an_admin_and_a_developer_hold(sandbox_factory: SandboxFactory,
                                                                           flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    asked = "EDIT_ISSUES,ADD_COMMENTS,ADMINISTER"
    admin = JIRA(server=sandbox.url, basic_auth=sandbox.admin_auth, max_retries=0)
    developer = JIRA(server=sandbox.url, basic_auth=DEVELOPER, max_retries=0)
    assert held(admin.my_permissions(issueKey="PAY-2", permissions=asked)) == {
        "EDIT_ISSUES": True, "ADD_COMMENTS": True, "ADMINISTER": True}
    answer = developer.my_permissions(issueKey="PAY-2", permissions=asked)
    assert held(answer) == {"EDIT_ISSUES": True, "ADD_COMMENTS": True, "ADMINISTER": False}
    assert answer["permissions"]["EDIT_ISSUES"]["type"] == "PROJECT"


def test_a_seed_gives_a_user_only_the_permissions_it_lists(sandbox_factory: SandboxFactory) -> None:
    seed = read_seed(SMALL_SEED)
    seed["users"] = [*seed["users"], {"email": "viewer@example.com", "token": "viewtoken",
                                      "permissions": ["BROWSE_PROJECTS"]}]
    sandbox = sandbox_factory(seed)
    answer = ask(sandbox, {"projectKey": "PAY", "permissions": "BROWSE_PROJECTS,EDIT_ISSUES"},
                 auth=("viewer@example.com", "viewtoken"))
    assert held(answer.json()) == {"BROWSE_PROJECTS": True, "EDIT_ISSUES": False}


def test_a_seed_naming_an_unknown_permission_says_which(sandbox_factory: SandboxFactory) -> None:
    seed = read_seed(SMALL_SEED)
    seed["users"] = [{"email": "x@example.com", "token": "t", "permissions": ["EDIT_EVERYTHING"]}]
    with pytest.raises(SeedError, match=r"users\[0\]\.permissions: unknown permission 'EDIT_EVERYTHING'"):
        sandbox_factory(seed)


def test_cloud_requires_the_permissions_parameter_and_data_center_lists_all(
        sandbox_factory: SandboxFactory) -> None:
    cloud = ask(sandbox_factory(), {"issueKey": "PAY-2"})
    assert (cloud.status_code, cloud.json()["errorMessages"]) == (
        400, ["The 'permissions' query parameter is required."])
    datacenter = sandbox_factory(flavor="datacenter")
    everything = requests.get(f"{datacenter.url}/rest/api/2/mypermissions", auth=datacenter.admin_auth,
                              timeout=10)
    assert everything.status_code == 200
    listed = set(everything.json()["permissions"])
    assert {"BROWSE_PROJECTS", "EDIT_ISSUES", "ADD_COMMENTS", "ADMINISTER"} <= listed


def test_an_unknown_permission_is_a_400_and_an_unknown_issue_or_project_a_404(
        sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    answers = [ask(sandbox, {"permissions": "EDIT_EVERYTHING"}),
               ask(sandbox, {"issueKey": "PAY-404", "permissions": "EDIT_ISSUES"}),
               ask(sandbox, {"issueKey": "PAY-Ω", "permissions": "EDIT_ISSUES"}),
               ask(sandbox, {"projectKey": "NOPE", "permissions": "EDIT_ISSUES"})]
    assert [a.status_code for a in answers] == [400, 404, 404, 404]
    assert all(a.json()["errorMessages"] for a in answers)
