"""Throttled and failing Jira answers are retried as Jira asks; answers are not."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import responses
from jira import JIRA

from connector.errors import (
    ConnectorError,
    JiraAuthError,
    JiraBadRequest,
    JiraNotFound,
    JiraRateLimited,
    JiraUnavailable,
)
from connector.retry import RetryPolicy, retry_after_seconds
from webhooks.telemetry.logs import JsonFormatter

SITE = "https://jira.example.test"
ISSUE_URL = f"{SITE}/rest/api/2/issue/PAY-1"
NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


class Waits(list[float]):
    """Record the waits a policy asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def policy(waits: Waits, attempts: int = 5) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, base=0.1, cap=2.0, sleep=waits, jitter=lambda: 1.0,
                       clock=lambda: NOW)


@pytest.fixture
def client() -> JIRA:
    return JIRA(SITE, basic_auth=("admin@example.com", "s3cret-token"), max_retries=0,
                get_server_info=False)


def fetch(client: JIRA, waits: Waits, attempts: int = 5) -> object:
    return policy(waits, attempts).run(lambda: client.issue("PAY-1").key, "GET issue PAY-1")


@responses.activate
def test_429_waits_at_least_retry_after_then_succeeds(client: JIRA) -> None:
    responses.get(ISSUE_URL, status=429, headers={"Retry-After": "3"}, json={})
    responses.get(ISSUE_URL, status=429, headers={"Retry-After": "1"}, json={})
    responses.get(ISSUE_URL, json={"id": "1", "key": "PAY-1", "fields": {}})
    waits = Waits()
    assert fetch(client, waits) == "PAY-1"
    assert len(waits) == 2
    assert waits[0] >= 3 and waits[1] >= 1
    assert len(responses.calls) == 3


@responses.activate
def test_retry_after_as_http_date_is_honoured(client: JIRA) -> None:
    later = format_datetime(NOW + timedelta(seconds=7), usegmt=True)
    responses.get(ISSUE_URL, status=503, headers={"Retry-After": later}, json={})
    responses.get(ISSUE_URL, json={"id": "1", "key": "PAY-1", "fields": {}})
    waits = Waits()
    assert fetch(client, waits) == "PAY-1"
    assert waits[0] >= 7


@responses.activate
def test_backoff_grows_exponentially_up_to_the_cap(client: JIRA) -> None:
    for _ in range(6):
        responses.get(ISSUE_URL, status=503, json={})
    responses.get(ISSUE_URL, json={"id": "1", "key": "PAY-1", "fields": {}})
    waits = Waits()
    assert fetch(client, waits, attempts=7) == "PAY-1"
    assert waits == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0]


def test_jitter_keeps_the_wait_between_half_and_all_of_the_backoff() -> None:
    low = RetryPolicy(base=1.0, cap=10.0, jitter=lambda: 0.0)
    high = RetryPolicy(base=1.0, cap=10.0, jitter=lambda: 0.999)
    assert low.backoff(3) == 2.0
    assert 3.99 < high.backoff(3) <= 4.0


@responses.activate
def test_429_after_the_last_attempt_is_rate_limited_with_the_wait(client: JIRA) -> None:
    for _ in range(3):
        responses.get(ISSUE_URL, status=429, headers={"Retry-After": "4"}, json={})
    waits = Waits()
    with pytest.raises(JiraRateLimited) as caught:
        fetch(client, waits, attempts=3)
    assert caught.value.wait_seconds == 4
    assert isinstance(caught.value, JiraUnavailable)
    assert len(responses.calls) == 3 and len(waits) == 2


@responses.activate
def test_400_is_not_retried_and_names_jiras_messages(client: JIRA) -> None:
    responses.get(ISSUE_URL, status=400, json={"errorMessages": ["The value 'X-1' does not exist."],
                                               "errors": {"customfield_10010": "Number expected"}})
    waits = Waits()
    with pytest.raises(JiraBadRequest) as caught:
        fetch(client, waits)
    assert len(responses.calls) == 1 and waits == []
    assert "The value 'X-1' does not exist." in str(caught.value)
    assert "customfield_10010: Number expected" in str(caught.value)
    assert caught.value.messages == ("The value 'X-1' does not exist.",)


@responses.activate
def test_401_is_an_auth_error_that_says_what_to_check_and_never_the_token(client: JIRA) -> None:
    responses.get(ISSUE_URL, status=401, body="")
    with pytest.raises(JiraAuthError) as caught:
        fetch(client, Waits())
    assert "JIRA_TOKEN" in str(caught.value) and "s3cret-token" not in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_403_is_an_auth_error_about_permission(client: JIRA) -> None:
    responses.get(ISSUE_URL, status=403, json={"errorMessages": ["You do not have permission."]})
    with pytest.raises(JiraAuthError, match="403 Forbidden.*You do not have permission"):
        fetch(client, Waits())


@responses.activate
def test_404_is_not_found(client: JIRA) -> None:
    responses.get(ISSUE_URL, status=404,
                  json={"errorMessages": ["Issue does not exist or you do not have permission to see it."]})
    with pytest.raises(JiraNotFound, match="Issue does not exist"):
        fetch(client, Waits())


@responses.activate
def test_connection_errors_are_retried_then_reported_unavailable(client: JIRA) -> None:
    for _ in range(3):
        responses.get(ISSUE_URL, body=requests.ConnectionError("refused"))
    waits = Waits()
    with pytest.raises(JiraUnavailable, match="cannot connect to Jira"):
        fetch(client, waits, attempts=3)
    assert len(waits) == 2


@responses.activate
def test_other_4xx_is_a_connector_error_without_retry(client: JIRA) -> None:
    responses.get(ISSUE_URL, status=410, json={"errorMessages": ["The requested API has been removed."]})
    with pytest.raises(ConnectorError, match="410") as caught:
        fetch(client, Waits())
    assert caught.value.status == 410 and len(responses.calls) == 1


@responses.activate
def test_each_retry_logs_one_json_line_without_credentials(client: JIRA,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    responses.get(ISSUE_URL, status=429, headers={"Retry-After": "2"}, json={})
    responses.get(ISSUE_URL, json={"id": "1", "key": "PAY-1", "fields": {}})
    with caplog.at_level(logging.WARNING, logger="pmrollup.connector"):
        fetch(client, Waits())
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "pmrollup.connector"]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "jira.retry" and record["status"] == 429
    assert record["wait"] >= 2 and record["path"] == "/rest/api/2/issue/PAY-1"
    assert "s3cret" not in lines[0] and "admin@example.com" not in lines[0]


def test_retry_after_reads_seconds_dates_and_rejects_junk() -> None:
    assert retry_after_seconds("5", NOW) == 5
    assert retry_after_seconds(" 2.5 ", NOW) == 2.5
    assert retry_after_seconds(format_datetime(NOW - timedelta(seconds=30), usegmt=True), NOW) == 0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None
