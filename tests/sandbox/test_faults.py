"""Injected faults and the request log, as tests and benchmarks use them."""

from __future__ import annotations

import pytest
import requests
from jira import JIRA, JIRAError

from tests.conftest import SandboxFactory


def server_info(url: str) -> int:
    return requests.get(f"{url}/rest/api/2/serverInfo", timeout=10).status_code


def test_rate_limit_fault_answers_429_with_retry_after_and_reason(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.faults(rate_429=1.0, retry_after=3)
    response = requests.get(f"{sandbox.url}/rest/api/2/myself", auth=sandbox.admin_auth, timeout=10)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.headers["RateLimit-Reason"] == "jira-burst-based"


def test_the_jira_library_sees_the_429_when_it_does_not_retry(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    jira = JIRA(server=sandbox.url, basic_auth=sandbox.admin_auth, max_retries=0)
    sandbox.faults(rate_429=1.0)
    with pytest.raises(JIRAError) as limited:
        jira.issue("PAY-2")
    assert limited.value.status_code == 429


def test_server_error_fault_answers_500_or_503(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.faults(rate_5xx=1.0, random_seed=1)
    statuses = {server_info(sandbox.url) for _ in range(12)}
    assert statuses == {500, 503}


def test_a_fault_rate_hits_about_that_share_of_requests(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.faults(rate_429=0.5, random_seed=3)
    statuses = [server_info(sandbox.url) for _ in range(40)]
    assert 8 <= statuses.count(429) <= 32
    assert set(statuses) == {200, 429}


def test_sandbox_endpoints_are_never_faulted_or_logged(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.faults(rate_429=1.0)
    sandbox.edit("PAY-4", {"summary": "Still editable"})
    assert sandbox.requests() == []
    sandbox.faults()
    assert requests.get(f"{sandbox.url}/rest/api/2/serverInfo", timeout=10).status_code == 200


def test_empty_faults_clear_everything(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    sandbox.faults(rate_429=1.0, page_cap=1, search_lag_ms=5)
    cleared = sandbox.faults()
    assert (cleared["rate_429"], cleared["page_cap"], cleared["search_lag_ms"]) == (0.0, None, 0.0)


def test_an_unknown_fault_is_refused(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    response = requests.post(f"{sandbox.url}/sandbox/faults", json={"rate_blue": 1}, timeout=10)
    assert response.status_code == 400
    assert "rate_blue" in response.json()["errorMessages"][0]


def test_request_log_counts_calls_with_their_query_and_status(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    auth = sandbox.admin_auth
    requests.get(f"{sandbox.url}/rest/api/3/search/jql", params={"jql": "project = PAY", "fields": "summary"},
                 auth=auth, timeout=10)
    requests.get(f"{sandbox.url}/rest/api/2/issue/PAY-404", auth=auth, timeout=10)
    served = sandbox.requests()
    assert [(r["method"], r["path"], r["status"]) for r in served] == [
        ("GET", "/rest/api/3/search/jql", 200), ("GET", "/rest/api/2/issue/PAY-404", 404)]
    assert served[0]["query"] == {"jql": "project = PAY", "fields": "summary"}
    assert sandbox.requests("/rest/api/2/issue") == served[1:]
    sandbox.clear_requests()
    assert sandbox.requests() == []


def test_latest_is_an_alias_of_version_2(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory()
    latest = requests.get(f"{sandbox.url}/rest/api/latest/issue/PAY-2", auth=sandbox.admin_auth, timeout=10)
    assert latest.json()["fields"]["summary"] == sandbox.issue_json("PAY-2")["fields"]["summary"]
    assert latest.json()["self"].endswith("/rest/api/2/issue/10001")
