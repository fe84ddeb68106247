"""Jira's refusals and outages reach callers as pmrollup's own exceptions, retried where it helps."""

from __future__ import annotations

import socket

import pytest

from connector.client import Credentials, JiraGateway
from connector.errors import (
    ConnectorError,
    JiraAuthError,
    JiraBadRequest,
    JiraNotFound,
    JiraRateLimited,
    JiraUnavailable,
)
from connector.retry import RetryPolicy
from rules.config import parse_config
from tests.conftest import SandboxFactory
from tests.connector.seeds import Waits, gateway, program_seed

FLAVORS = ["cloud", "datacenter"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_wrong_token_is_an_auth_error(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = gateway(sandbox_factory(program_seed(), flavor), token="wrong")
    with pytest.raises(JiraAuthError, match="401.*JIRA_TOKEN"):
        jira.locate("PAY-2")


@pytest.mark.parametrize("flavor", FLAVORS)
def test_unknown_issue_is_not_found(sandbox_factory: SandboxFactory, flavor: str) -> None:
    jira = gateway(sandbox_factory(program_seed(), flavor))
    with pytest.raises(JiraNotFound):
        jira.locate("PAY-999")
    with pytest.raises(JiraNotFound):
        jira.program_with_projects("PAY-999")


@pytest.mark.parametrize("flavor", FLAVORS)
def test_asking_for_a_story_as_a_program_says_what_it_is(sandbox_factory: SandboxFactory,
                                                         flavor: str) -> None:
    jira = gateway(sandbox_factory(program_seed(), flavor))
    with pytest.raises(ConnectorError, match="PAY-4 is a Story, not a program"):
        jira.program_with_projects("PAY-4")
    with pytest.raises(ConnectorError, match="PAY-4 is a Story"):
        jira.program("PAY-4")


def test_refused_connection_is_unavailable_after_retries() -> None:
    from connector.client import Credentials, JiraGateway
    from rules.config import parse_config

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits = Waits()
    jira = JiraGateway(parse_config(""), Credentials(f"http://127.0.0.1:{port}", "a@b.c", "t"),
                       RetryPolicy(attempts=3, sleep=waits))
    with pytest.raises(JiraUnavailable, match="cannot connect"):
        jira.server_info()
    assert len(waits) == 2


@pytest.mark.parametrize("flavor", FLAVORS)
def test_rate_limited_requests_are_retried_no_sooner_than_retry_after(
        sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    waits = Waits()
    jira = gateway(sandbox, retry=RetryPolicy(attempts=30, base=0.01, sleep=waits))
    sandbox.faults(rate_429=0.4, retry_after=3, rate_5xx=0.1, random_seed=11)
    for _ in range(8):
        program, projects = jira.program_with_projects("PAY-1")
        items = jira.work_items([p.key for p in projects])
    sandbox.faults()
    statuses = [r["status"] for r in sandbox.requests()]
    assert program.key == "PAY-1" and len(items) == 3
    assert statuses.count(429) >= 1 and len(waits) == statuses.count(429) + sum(s >= 500 for s in statuses)
    throttled = [w for w, s in zip(waits, [s for s in statuses if s >= 429], strict=True) if s == 429]
    assert throttled and min(throttled) >= 3


@pytest.mark.parametrize("flavor", FLAVORS)
def test_rate_limit_that_never_ends_reports_the_wait(sandbox_factory: SandboxFactory, flavor: str) -> None:
    sandbox = sandbox_factory(program_seed(), flavor)
    jira = gateway(sandbox, retry=RetryPolicy(attempts=3, sleep=Waits()))
    sandbox.faults(rate_429=1.0, retry_after=7)
    with pytest.raises(JiraRateLimited) as caught:
        jira.locate("PAY-2")
    assert caught.value.wait_seconds == 7
    assert len(sandbox.requests()) == 3


def test_a_misnamed_epic_link_field_is_a_bad_request_asked_once(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(program_seed(), "datacenter")
    jira = gateway(sandbox, "hierarchy: {epic_link_field: Epic Lnk}\n")
    jira.field_catalog()
    sandbox.clear_requests()
    with pytest.raises(JiraBadRequest, match="Epic Lnk"):
        jira.work_items(["PAY-2"])
    assert [r["status"] for r in sandbox.requests()] == [400]


def test_app_yaml_sets_how_often_a_failing_request_is_tried(sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(program_seed(), "cloud")
    config = parse_config("jira: {flavor: cloud, retry_attempts: 2, retry_base_seconds: 0.01}\n")
    jira = JiraGateway(config, Credentials(sandbox.url, "admin@example.com", "token"))
    sandbox.faults(rate_5xx=1.0)
    sandbox.clear_requests()
    with pytest.raises(JiraUnavailable):
        jira.server_info()
    statuses = [r["status"] for r in sandbox.requests()]
    assert len(statuses) == 2 and all(status >= 500 for status in statuses), statuses
