"""The sandbox's v3 responses validate against Atlassian's OpenAPI document for Jira Cloud."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft7Validator

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory

API = "/rest/api/3"


@cache
def load_document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def nullable_to_json_schema(node: Any) -> Any:
    """Rewrite OpenAPI 3.0's `nullable: true` into JSON Schema's null type."""
    if isinstance(node, list):
        return [nullable_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    converted = {k: nullable_to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


class Contract:
    """Validate JSON bodies against the schema the document gives a path, method and status."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = nullable_to_json_schema(document["components"])

    def response_schema(self, method: str, template: str, status: int) -> dict[str, Any]:
        operation = self.document["paths"][f"{API}{template}"][method.lower()]
        content = operation["responses"][str(status)].get("content", {})
        schema: dict[str, Any] = content["application/json"]["schema"]
        return schema

    def errors(self, schema: dict[str, Any], body: Any) -> list[str]:
        root = {"components": self.components, "allOf": [nullable_to_json_schema(schema)]}
        validator = Draft7Validator(root)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]

    def component(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}


@pytest.fixture
def contract(shared_dir: Path) -> Contract:
    return Contract(load_document(shared_dir / "jira-openapi" / "platform-v3.json"))


def call(sandbox: RunningSandbox, method: str, path: str, **kwargs: Any) -> requests.Response:
    url = f"{sandbox.url}{API}{path}"
    return requests.request(method, url, auth=sandbox.admin_auth, timeout=10, **kwargs)


def exchanges(sandbox: RunningSandbox) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """Yield (method, path template, concrete path, request kwargs) for every endpoint pmrollup uses."""
    yield "GET", "/serverInfo", "/serverInfo", {}
    yield "GET", "/myself", "/myself", {}
    yield "GET", "/field", "/field", {}
    yield "POST", "/field", "/field", {"json": {
        "name": "Forecast", "type": "com.atlassian.jira.plugin.system.customfieldtypes:float"}}
    projection = {"fields": "summary,status,parent", "properties": "pmrollup.baseline"}
    for params in ({}, {"expand": "changelog"}, projection):
        yield "GET", "/issue/{issueIdOrKey}", "/issue/PAY-3", {"params": params}
    yield "GET", "/issue/{issueIdOrKey}", "/issue/PAY-2", {"params": {"expand": "changelog,names,schema"}}
    yield "GET", "/issue/{issueIdOrKey}/editmeta", "/issue/PAY-2/editmeta", {}
    yield "POST", "/issue/{issueIdOrKey}/comment", "/issue/PAY-3/comment", {"json": {"body": adf("Hello")}}
    yield "GET", "/issue/{issueIdOrKey}/comment", "/issue/PAY-3/comment", {}
    yield "GET", "/issue/{issueIdOrKey}/properties", "/issue/PAY-2/properties", {}
    property_path = "/issue/PAY-2/properties/pmrollup.baseline"
    yield "GET", "/issue/{issueIdOrKey}/properties/{propertyKey}", property_path, {}
    yield "GET", "/issueLinkType", "/issueLinkType", {}
    yield "GET", "/issueLinkType/{issueLinkTypeId}", "/issueLinkType/10000", {}
    yield "GET", "/issue/{issueIdOrKey}/comment", "/issue/PAY-3/comment", {"params": {"maxResults": 1}}
    yield "GET", "/issue/{issueIdOrKey}/transitions", "/issue/PAY-4/transitions", {}
    yield "GET", "/issue/{issueIdOrKey}/transitions", "/issue/PAY-4/transitions", {
        "params": {"expand": "transitions.fields", "transitionId": "31"}}
    yield "GET", "/issue/{issueIdOrKey}/changelog", "/issue/PAY-3/changelog", {"params": {"maxResults": 1}}
    yield "GET", "/mypermissions", "/mypermissions", {"params": {"issueKey": "PAY-2",
                                                                 "permissions": "EDIT_ISSUES,ADD_COMMENTS"}}
    yield "GET", "/project/search", "/project/search", {"params": {"maxResults": 1}}
    yield "GET", "/project", "/project", {}
    yield "GET", "/project/{projectIdOrKey}", "/project/WEB", {}
    yield "POST", "/issue", "/issue", {"json": {"fields": {
        "project": {"key": "PAY"}, "issuetype": {"name": "Story"}, "summary": "Payout receipts",
        "parent": {"key": "PAY-2"}}}}
    for method, kwargs in (("GET", {"params": {"jql": "parent = PAY-2", "fields": "*all", "maxResults": 2,
                                                "properties": "pmrollup.baseline", "expand": "changelog"}}),
                           ("POST", {"json": {"jql": "project = WEB", "fields": ["summary", "status"]}}),
                           ("GET", {"params": {"jql": "issuetype = Epic"}})):
        yield method, "/search/jql", "/search/jql", kwargs


def adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": text}]}]}


def test_every_endpoint_answers_in_the_documented_shape(sandbox_factory: SandboxFactory,
                                                        contract: Contract) -> None:
    sandbox = sandbox_factory()
    problems: dict[str, list[str]] = {}
    for method, template, path, kwargs in exchanges(sandbox):
        response = call(sandbox, method, path, **kwargs)
        assert response.status_code in (200, 201), (method, path, response.text)
        schema = contract.response_schema(method, template, response.status_code)
        if errors := contract.errors(schema, response.json()):
            problems[f"{method} {path} {kwargs}"] = errors
    assert problems == {}


def test_comment_get_and_edit_answer_in_the_documented_shape(sandbox_factory: SandboxFactory,
                                                              contract: Contract) -> None:
    sandbox = sandbox_factory()
    comment_id = call(sandbox, "POST", "/issue/PAY-3/comment", json={"body": adf("First")}).json()["id"]
    template = "/issue/{issueIdOrKey}/comment/{id}"
    got = call(sandbox, "GET", f"/issue/PAY-3/comment/{comment_id}")
    edited = call(sandbox, "PUT", f"/issue/PAY-3/comment/{comment_id}", json={"body": adf("Second")})
    assert contract.errors(contract.response_schema("GET", template, 200), got.json()) == []
    assert contract.errors(contract.response_schema("PUT", template, 200), edited.json()) == []
    assert edited.json()["body"] == adf("Second")


def test_an_issue_link_answers_in_the_documented_shape(sandbox_factory: SandboxFactory,
                                                       contract: Contract) -> None:
    sandbox = sandbox_factory()
    created = call(sandbox, "POST", "/issueLink", json={
        "type": {"name": "Blocks"}, "inwardIssue": {"key": "PAY-5"}, "outwardIssue": {"key": "WEB-2"}})
    assert created.status_code == 201
    link = requests.get(created.headers["Location"], auth=sandbox.admin_auth, timeout=10)
    assert contract.errors(contract.response_schema("GET", "/issueLink/{linkId}", 200), link.json()) == []
    assert (link.json()["inwardIssue"]["key"], link.json()["outwardIssue"]["key"]) == ("PAY-5", "WEB-2")


def test_field_contexts_and_options_answer_in_the_documented_shape(sandbox_factory: SandboxFactory,
                                                                   contract: Contract) -> None:
    sandbox = sandbox_factory()
    select = {"name": "Confidence", "type": "com.atlassian.jira.plugin.system.customfieldtypes:select"}
    field_id = call(sandbox, "POST", "/field", json=select).json()["id"]
    contexts = call(sandbox, "GET", f"/field/{field_id}/context")
    context_id = contexts.json()["values"][0]["id"]
    options = f"/field/{field_id}/context/{context_id}/option"
    added = call(sandbox, "POST", options, json={"options": [{"value": "low"}, {"value": "high"}]})
    low = added.json()["options"][0]["id"]
    answers = {"GET /field/{fieldId}/context": contexts,
               "POST /field/{fieldId}/context/{contextId}/option": added,
               "PUT /field/{fieldId}/context/{contextId}/option": call(sandbox, "PUT", options, json={
                   "options": [{"id": low, "value": "lowish", "disabled": True}]}),
               "GET /field/{fieldId}/context/{contextId}/option": call(sandbox, "GET", options)}
    problems = {}
    for name, answer in answers.items():
        method, template = name.split(" ")
        assert answer.status_code == 200, (name, answer.text)
        problems[name] = contract.errors(contract.response_schema(method, template, 200), answer.json())
    assert {name: errors for name, errors in problems.items() if errors} == {}
    deleted = call(sandbox, "DELETE", f"{options}/{low}")
    assert deleted.status_code == 204
    assert "204" in contract.document["paths"][f"{API}/field/{{fieldId}}/context/{{contextId}}/option/"
                                                 "{optionId}"]["delete"]["responses"]


def test_a_transition_answers_204_as_documented(sandbox_factory: SandboxFactory, contract: Contract) -> None:
    sandbox = sandbox_factory()
    answer = call(sandbox, "POST", "/issue/PAY-4/transitions", json={"transition": {"id": "31"}})
    assert (answer.status_code, answer.content) == (204, b"")
    operation = contract.document["paths"][f"{API}/issue/{{issueIdOrKey}}/transitions"]["post"]
    assert "204" in operation["responses"]


def test_nested_issue_objects_match_their_documented_schemas(sandbox_factory: SandboxFactory,
                                                             contract: Contract) -> None:
    sandbox = sandbox_factory()
    call(sandbox, "POST", "/issue/PAY-4/comment", json={"body": adf("Nested")})
    fields = call(sandbox, "GET", "/issue/PAY-4").json()["fields"]
    checks = {"status": "StatusDetails", "issuetype": "IssueTypeDetails", "parent": "LinkedIssue",
              "project": "ProjectDetails", "comment": "PageOfComments"}
    problems = {name: contract.errors(contract.component(schema), fields[name])
                for name, schema in checks.items()}
    for link in fields["issuelinks"]:
        linked = link.get("inwardIssue") or link.get("outwardIssue")
        problems["issuelinks"] = contract.errors(contract.component("LinkedIssue"), linked)
        problems["issuelinks.type"] = contract.errors(contract.component("IssueLinkType"), link["type"])
    assert {name: errors for name, errors in problems.items() if errors} == {}


def test_error_answers_use_the_documented_error_collection(sandbox_factory: SandboxFactory,
                                                           contract: Contract) -> None:
    sandbox = sandbox_factory()
    answers = [call(sandbox, "GET", "/search/jql", params={"jql": "key = NOPE-1"}),
               call(sandbox, "GET", "/issue/PAY-404"),
               call(sandbox, "PUT", "/issue/PAY-4", json={"fields": {"customfield_10001": 1}}),
               requests.get(f"{sandbox.url}{API}/myself", auth=("admin@example.com", "wrong"), timeout=10),
               call(sandbox, "POST", "/issue", json={"fields": {"project": {"key": "NOPE"}}}),
               call(sandbox, "POST", "/issue/PAY-4/transitions", json={"transition": {"id": "999"}}),
               call(sandbox, "GET", "/mypermissions"),
               call(sandbox, "GET", "/issue/PAY-Ω/changelog"),
               call(sandbox, "PUT", "/issue/PAY-4", data=b"[]")]
    assert [a.status_code for a in answers] == [400, 404, 400, 401, 400, 400, 400, 404, 400]
    for answer in answers:
        assert contract.errors(contract.component("ErrorCollection"), answer.json()) == []


def test_the_contract_check_refuses_an_undocumented_or_mistyped_key(contract: Contract) -> None:
    schema = contract.response_schema("GET", "/search/jql", 200)
    body = {"issues": [{"id": 10002, "fields": {}}], "isLast": True, "total": 1}
    assert sorted(contract.errors(schema, body)) == [
        ": Additional properties are not allowed ('total' was unexpected)",
        "issues/0/id: 10002 is not of type 'string'",
    ]
