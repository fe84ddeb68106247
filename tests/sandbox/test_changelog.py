"""Cloud's paginated changelog endpoint serves the history the sandbox records, oldest first."""

from __future__ import annotations

import requests

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory


def changelog(sandbox: RunningSandbox, key: str, **params: int) -> requests.Response:
    return requests.get(f"{sandbox.url}/rest/api/3/issue/{key}/changelog", params=params,
                        auth=sandbox.admin_auth, timeout=10)


def test_the_changelog_pages_oldest_first_with_each_change(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.edit("PAY-3", {"fields": {"Story Points": 8}})
    first = changelog(sandbox, "PAY-3", maxResults=2).json()
    assert (first["startAt"], first["maxResults"], first["total"], first["isLast"]) == (0, 2, 3, False)
    assert [v["items"][0]["toString"] for v in first["values"]] == ["In Progress", "Done"]
    rest = changelog(sandbox, "PAY-3", startAt=2).json()
    assert rest["isLast"] is True
    [latest] = rest["values"]
    assert [(i["field"], i["fieldtype"], i["fromString"], i["toString"]) for i in latest["items"]] == [
        ("Story Points", "custom", "5", "8")]
    assert latest["author"]["emailAddress"] == "admin@example.com"


def test_the_changelog_of_an_unknown_issue_is_a_404(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    assert [changelog(sandbox, key).status_code for key in ("PAY-404", "PAY-Ω", "1" * 40)] == [404, 404, 404]


def test_data_center_has_no_changelog_endpoint(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(flavor="datacenter")
    answer = requests.get(f"{sandbox.url}/rest/api/2/issue/PAY-3/changelog", auth=sandbox.admin_auth,
                          timeout=10)
    assert answer.status_code == 404
