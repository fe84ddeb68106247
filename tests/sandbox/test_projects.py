"""Projects are listed, searched and paged as Jira serves them."""

from __future__ import annotations

import pytest
import requests
from jira import JIRA

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory


def search(sandbox: RunningSandbox, **params: object) -> requests.Response:
    return requests.get(f"{sandbox.url}/rest/api/3/project/search", params=params,  # type: ignore[arg-type]
                        auth=sandbox.admin_auth, timeout=10)


def test_project_search_pages_through_every_project(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    first = search(sandbox, maxResults=1).json()
    assert (first["total"], first["isLast"], [p["key"] for p in first["values"]]) == (2, False, ["PAY"])
    second = requests.get(first["nextPage"], auth=sandbox.admin_auth, timeout=10).json()
    assert (second["startAt"], second["isLast"], [p["key"] for p in second["values"]]) == (1, True, ["WEB"])


def test_project_search_filters_by_query_and_keys(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    assert [p["name"] for p in search(sandbox, query="pay").json()["values"]] == ["Payments"]
    assert [p["key"] for p in search(sandbox, keys="WEB").json()["values"]] == ["WEB"]
    assert search(sandbox, query="nothing like it").json()["values"] == []
    assert [p["key"] for p in search(sandbox, orderBy="-key").json()["values"]] == ["WEB", "PAY"]


def test_an_unknown_order_or_page_size_is_a_400(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    answers = [search(sandbox, orderBy="colour"), search(sandbox, maxResults="many")]
    assert [a.status_code for a in answers] == [400, 400]


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_library_lists_projects_and_reads_one(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    jira = JIRA(server=sandbox.url, basic_auth=sandbox.admin_auth, max_retries=0)
    assert [p.key for p in jira.projects()] == ["PAY", "WEB"]
    project = jira.project("PAY")
    assert (project.name, {t.name for t in project.issueTypes}) == (
        "Payments", {"Initiative", "Epic", "Story", "Sub-task"})
    unknown = requests.get(f"{sandbox.url}/rest/api/2/project/NOPE", auth=sandbox.admin_auth, timeout=10)
    assert unknown.status_code == 404


def test_data_center_has_no_project_search(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(flavor="datacenter")
    answer = requests.get(f"{sandbox.url}/rest/api/2/project/search", auth=sandbox.admin_auth, timeout=10)
    assert answer.status_code == 404
