"""Generated requests against every route the sandbox registers: a bad body, key or id is never a 5xx.

Routes come from the app's own URL map, so a new endpoint is covered the day it is added.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from sandbox.app import create_app
from tests.conftest import SMALL_SEED, SandboxFactory

IGNORED_METHODS = {"HEAD", "OPTIONS"}
ROUTES = sorted(((rule, method) for rule in create_app(SMALL_SEED).url_map.iter_rules()
                 for method in rule.methods or () if method not in IGNORED_METHODS),
                key=lambda pair: (pair[0].rule, pair[1]))

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
# Known keys and ids reach past the 404 into the body checks; the rest must be a clean 404.
KNOWN = ["PAY-2", "PAY-4", "10002", "customfield_10004", "customfield_10000", "10104", "10000",
         "pmrollup.baseline", "Health", "Story Points"]
# Tried on every route, beside what is generated: keys and ids that exist nowhere, and bodies of every shape.
STRANGE = ["PAY-Ω", "ünïcode", "²", "PAY-99999999999999999999", "x" * 300, "-1"]
SHAPES = ["[]", "null", "7", '"text"', "not json", "{}"]
SEGMENT = st.one_of(st.sampled_from(KNOWN), st.sampled_from(["PAY-0", "..", " ", "%", *STRANGE]),
                    TEXT.filter(lambda t: "/" not in t and t))
NUMBER = st.one_of(st.sampled_from([10000, 10001]), st.integers(min_value=0, max_value=10 ** 30))
JUNK = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8)
NAMES = ["fields", "update", "transition", "options", "body", "type", "name", "url", "events", "filters",
         "inwardIssue", "outwardIssue", "properties", "project", "issuetype", "summary", "parent", "key",
         "id", "value", "status", "off", "on", "jql", "maxResults", "nextPageToken", "reconcileIssues",
         "rate_429"]
OBJECTS = st.dictionaries(st.sampled_from(NAMES), JUNK, max_size=4)
BODIES = st.one_of(st.none(), JUNK.map(json.dumps), OBJECTS.map(json.dumps),
                   st.sampled_from(["{", "[1,", "not json", "\x00", "{\"fields\": {\"customfield_10004\": "
                                    "{\"value\": []}}}"]))
QUERY = ["jql", "fields", "expand", "startAt", "maxResults", "permissions", "issueKey", "projectKey",
         "transitionId", "optionId", "query", "keys", "orderBy", "notifyUsers", "properties", "nextPageToken",
         "reconcileIssues", "id"]
PARAMETERS = st.dictionaries(st.sampled_from(QUERY), TEXT, max_size=3)


def kinds(rule: Rule) -> dict[str, str]:
    """Name each variable part of a route: version, number or text."""
    names = {"AnyConverter": "version", "IntegerConverter": "number"}
    return {name: names.get(type(converter).__name__, "text") for name, converter in rule._converters.items()}


def values_for(rule: Rule) -> st.SearchStrategy[dict[str, Any]]:
    """Draw a value for each variable part of a route, as its converter takes it."""
    drawn = {"version": st.sampled_from(["2", "3", "latest"]), "number": NUMBER, "text": SEGMENT}
    return st.fixed_dictionaries({name: drawn[kind] for name, kind in kinds(rule).items()})


def fixed_path(rule: Rule, text: str, number: int) -> dict[str, Any]:
    chosen = {"version": "2", "number": number, "text": text}
    return {name: chosen[kind] for name, kind in kinds(rule).items()}


def with_fixed_examples(rule: Rule, test: Any) -> Any:
    """Add the strange keys (with a junk body) and every body shape (on a known key) to a route's test."""
    for text in STRANGE:
        junk = '{"fields": {"x": [null]}}'
        test = example(path=fixed_path(rule, text, 10 ** 30), body=junk, params={})(test)
    for shape in SHAPES:
        test = example(path=fixed_path(rule, KNOWN[0], 10000), body=shape, params={})(test)
    return test


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
@pytest.mark.parametrize(("rule", "method"), ROUTES, ids=[f"{m} {r.rule}" for r, m in ROUTES])
def test_no_generated_request_gets_a_server_error(sandbox_factory: SandboxFactory, flavor: str, rule: Rule,
                                                  method: str) -> None:
    # In process, through the app the sandbox's HTTP server serves: thousands of requests, no sockets.
    sandbox = sandbox_factory(flavor=flavor)
    adapter = sandbox.app.url_map.bind("sandbox.invalid")
    client = sandbox.app.test_client()
    email, token = sandbox.admin_auth
    auth = {"Authorization": "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()}
    # A comment (id 10000) for the comment routes to find; the seed's links are 10000 and 10001.
    assert client.post("/rest/api/2/issue/PAY-2/comment", json={"body": "Seen"},
                       headers=auth).status_code == 201

    @settings(max_examples=8,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(path=values_for(rule), body=BODIES, params=PARAMETERS)
    def one_request(path: dict[str, Any], body: str | None, params: dict[str, str]) -> None:
        url = adapter.build(rule.endpoint, path, method=method)
        headers = {**auth, **({"Content-Type": "application/json"} if body is not None else {})}
        answer = client.open(url, method=method, query_string=params, headers=headers,
                             data=body.encode() if body else None)
        if rule.rule == "/sandbox/faults" and method == "POST":
            client.post("/sandbox/faults", json={})  # a fault set on purpose
        assert answer.status_code < 500, (method, url, params, body, answer.get_data(as_text=True)[:500])
        if answer.status_code >= 400:
            error = json.loads(answer.get_data(as_text=True))
            assert set(error) == {"errorMessages", "errors"}, error

    with_fixed_examples(rule, one_request)()


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_keys_and_properties_that_do_not_exist_are_404s_in_jiras_shape(sandbox_factory: SandboxFactory,
                                                                         flavor: str) -> None:
    sandbox = sandbox_factory(flavor=flavor)
    api = f"{sandbox.url}/rest/api/2"
    calls = [("GET", f"{api}/issue/PAY-Ω"), ("GET", f"{api}/issue/²"), ("PUT", f"{api}/issue/PAY-Ω"),
             ("GET", f"{api}/issue/PAY-2/properties/ünïcode"),
             ("DELETE", f"{api}/issue/PAY-2/properties/ünïcode"),
             ("GET", f"{api}/issue/PAY-Ω/properties/pmrollup.baseline"),
             ("GET", f"{api}/issue/PAY-2/comment/999"), ("GET", f"{api}/issueLink/999"),
             ("GET", f"{api}/project/ÜBER")]
    answers = [requests.request(method, url, json={"fields": {}}, auth=sandbox.admin_auth, timeout=10)
               for method, url in calls]
    assert [a.status_code for a in answers] == [404] * len(calls)
    assert all(a.json()["errors"] == {} and a.json()["errorMessages"] for a in answers)
