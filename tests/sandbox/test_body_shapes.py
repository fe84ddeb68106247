"""A body of the wrong shape (a JSON array, null, text that is not JSON, an object lacking what the
operation requires) is a 400 in Jira's error shape on every operation that takes a body, as on Jira.

The operations are every POST and PUT route of the app's URL map, so a new one is covered the day it is
added. Where Jira's REST documentation (../shared/jira-openapi/platform-v3.json) gives an operation
another answer, ANSWERS says so and names the operation."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from werkzeug.routing import Rule

from sandbox.server import RunningSandbox
from tests.conftest import SandboxFactory
from tests.sandbox.test_generated_requests import ROUTES

BODY_ROUTES = [(rule, method) for rule, method in ROUTES if method in ("POST", "PUT")]
SHAPES = ["[]", "null", "not json", "{}"]

# What an operation answers a shape, where Jira's answer is not 400 (by the sandbox's endpoint).
ANSWERS: dict[str, dict[str, int]] = {
    # editIssue: IssueUpdateDetails requires no field, and its 400 is for a missing body: {} edits nothing.
    "issue.edit_issue": {"{}": 204},
    # setIssueProperty: the body is the value, any valid non-empty JSON (its schema is {}): each is stored.
    "issue.put_property": {"[]": 201, "null": 201, "{}": 201},
    # searchForIssuesUsingJqlPost (Data Center's search): SearchRequestBean requires nothing, and its 400
    # is for invalid JQL: {} searches without a restriction.
    "search.search": {"{}": 200},
    # The sandbox's own endpoints (the sandbox package docstring): {} clears every fault, and changes
    # nothing of an issue or a field.
    "sandbox.faults": {"{}": 200},
    "sandbox.edit": {"{}": 200},
    "sandbox.edit_field": {"{}": 200},
}
# Operations a flavor does not have, whatever the body: Data Center has no field contexts and no
# /search/jql, and answers 404; Cloud removed POST /search and answers 410
# (https://developer.atlassian.com/changelog/#CHANGE-2046).
ABSENT: dict[str, dict[str, int]] = {
    "datacenter": {"options.create_options": 404, "options.edit_options": 404, "search.enhanced_search": 404},
    "cloud": {"search.search": 410},
}
# Path values that reach past the 404 of an unknown key into the body checks.
KNOWN = {"version": "2", "key": "PAY-2", "field_id": "customfield_10004", "context_id": "10104"}


def expected(flavor: str, rule: Rule) -> dict[str, int]:
    """Return what Jira answers each body shape on this route and flavor."""
    absent = ABSENT[flavor].get(rule.endpoint)
    if absent is not None:
        return dict.fromkeys(SHAPES, absent)
    return {shape: ANSWERS.get(rule.endpoint, {}).get(shape, 400) for shape in SHAPES}


def path_of(sandbox: RunningSandbox, rule: Rule, method: str, comment_id: int, n: int) -> str:
    """Build the route's path on known keys; a property route gets property `n` of its own."""
    values: dict[str, Any] = {**KNOWN, "comment_id": comment_id,
                              "name": "Health" if rule.endpoint == "sandbox.edit_field" else f"shape.{n}"}
    path: str = sandbox.app.url_map.bind("sandbox.invalid").build(
        rule.endpoint, {name: values[name] for name in rule.arguments}, method=method)
    return path


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
@pytest.mark.parametrize(("rule", "method"), BODY_ROUTES, ids=[f"{m} {r.rule}" for r, m in BODY_ROUTES])
def test_a_body_of_the_wrong_shape_is_a_400_in_jiras_shape_on_every_operation_taking_one(
        sandbox_factory: SandboxFactory, flavor: str, rule: Rule, method: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    comment = requests.post(f"{sandbox.url}/rest/api/2/issue/PAY-2/comment", json={"body": "Seen"},
                            auth=sandbox.admin_auth, timeout=10)
    assert comment.status_code == 201
    answers = {shape: requests.request(method, sandbox.url + path_of(sandbox, rule, method,
                                                                     int(comment.json()["id"]), n),
                                       data=shape, headers={"Content-Type": "application/json"},
                                       auth=sandbox.admin_auth, timeout=10)
               for n, shape in enumerate(SHAPES)}
    assert {shape: answer.status_code for shape, answer in answers.items()} == expected(flavor, rule), {
        shape: answer.text[:200] for shape, answer in answers.items()}
    for answer in answers.values():
        if answer.status_code >= 400:
            error = answer.json()
            assert set(error) == {"errorMessages", "errors"} and (error["errorMessages"] or error["errors"])


@pytest.mark.parametrize("value", [None, [], {}, "text", 0])
def test_an_issue_property_holds_any_json_value_and_is_read_back_and_deleted(
        sandbox_factory: SandboxFactory, value: Any) -> None:
    sandbox = sandbox_factory()
    url = f"{sandbox.url}/rest/api/2/issue/PAY-2/properties/pmrollup.any"
    answer = requests.put(url, data=json.dumps(value), headers={"Content-Type": "application/json"},
                          auth=sandbox.admin_auth, timeout=10)
    assert answer.status_code == 201
    assert requests.get(url, auth=sandbox.admin_auth, timeout=10).json() == {"key": "pmrollup.any",
                                                                          "value": value}
    assert requests.delete(url, auth=sandbox.admin_auth, timeout=10).status_code == 204
    assert requests.get(url, auth=sandbox.admin_auth, timeout=10).status_code == 404
