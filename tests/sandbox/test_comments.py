"""Comments page as Jira pages them, and their bodies are text on v2 and Atlassian Documents on v3."""

from __future__ import annotations

from typing import Any

import requests
from jira import JIRA

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory


def post(sandbox: RunningSandbox, key: str, body: Any, version: str = "2") -> requests.Response:
    return requests.post(f"{sandbox.url}/rest/api/{version}/issue/{key}/comment", json=body,
                         auth=sandbox.admin_auth, timeout=10)


def test_the_library_pages_through_comments(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    jira = JIRA(server=sandbox.url, basic_auth=sandbox.admin_auth, max_retries=0)
    for n in range(5):
        jira.add_comment("PAY-2", f"Note {n}")
    assert [c.body for c in jira.comments("PAY-2", start_at=3, max_results=10)] == ["Note 3", "Note 4"]
    assert [c.body for c in jira.comments("PAY-2", max_results=2)] == ["Note 0", "Note 1"]
    assert [c.body for c in jira.comments("PAY-2", order_by="-created", max_results=1)] == ["Note 4"]
    page = requests.get(f"{sandbox.url}/rest/api/2/issue/PAY-2/comment", params={"startAt": 4},
                        auth=sandbox.admin_auth, timeout=10).json()
    assert (page["startAt"], page["total"], len(page["comments"])) == (4, 5, 1)


def test_a_v3_comment_is_an_atlassian_document_and_a_v2_one_text(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    document = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Rich"}]}]}
    refused = [post(sandbox, "PAY-2", {"body": "plain"}, "3"),
               post(sandbox, "PAY-2", {"body": document}, "2")]
    assert [a.status_code for a in refused] == [400, 400]
    assert [a.json()["errors"] for a in refused] == [
        {"comment": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"},
        {"comment": "Operation value must be a string"}]
    assert post(sandbox, "PAY-2", {"body": document}, "3").json()["body"] == document


def test_an_empty_or_missing_comment_body_is_refused(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    answers = [post(sandbox, "PAY-2", body) for body in ({"body": ""}, {"body": "   "}, {}, [])]
    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert [a.json()["errors"] for a in answers[:3]] == [{"comment": "Comment body can not be empty!"}] * 3
    assert answers[3].json()["errorMessages"] == [
        "Can not deserialize instance of java.util.LinkedHashMap out of START_ARRAY token"]


def test_an_unknown_comment_order_is_a_400(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    answer = requests.get(f"{sandbox.url}/rest/api/2/issue/PAY-2/comment", params={"orderBy": "author"},
                          auth=sandbox.admin_auth, timeout=10)
    assert answer.status_code == 400
