"""Faults the sandbox cannot stage: a comment POST that landed although Jira answered 503."""

from __future__ import annotations

import responses

from connector.client import Credentials, JiraGateway
from connector.retry import RetryPolicy
from rules.config import parse_config
from tests.connector.seeds import Waits

SITE = "https://jira.example.test"
COMMENTS = f"{SITE}/rest/api/2/issue/PAY-2/comment"
MARKER = "[pmrollup:budget]"


def _comment(body: str) -> dict[str, object]:
    return {"id": "100", "body": body, "author": {"accountId": "abc"},
            "created": "2026-03-01T10:00:00.000+0000"}


@responses.activate
def test_a_retried_comment_post_that_had_landed_is_not_posted_again() -> None:
    body = f"Budget used 104 % at 60 % progress.\n{MARKER}"
    responses.get(COMMENTS, json={"comments": [], "total": 0, "startAt": 0, "maxResults": 100})
    responses.post(COMMENTS, status=503, json={"errorMessages": ["Service Unavailable"]})
    responses.get(COMMENTS, json={"comments": [_comment(body)], "total": 1, "startAt": 0, "maxResults": 100})
    waits = Waits()
    jira = JiraGateway(parse_config(""), Credentials(SITE, "admin@example.com", "token"),
                       RetryPolicy(sleep=waits, jitter=lambda: 0.0))
    assert jira.add_comment("PAY-2", body, MARKER) is None
    assert [c.request.method for c in responses.calls] == ["GET", "POST", "GET"]
    assert len(waits) == 1 and jira.request_count == 3


@responses.activate
def test_a_comment_post_retried_after_503_is_posted_once() -> None:
    body = f"Two dependencies are overdue.\n{MARKER}"
    responses.get(COMMENTS, json={"comments": [], "total": 0, "startAt": 0, "maxResults": 100})
    responses.post(COMMENTS, status=503, headers={"Retry-After": "2"}, json={})
    responses.get(COMMENTS, json={"comments": [], "total": 0, "startAt": 0, "maxResults": 100})
    responses.post(COMMENTS, status=201, json=_comment(body))
    waits = Waits()
    jira = JiraGateway(parse_config(""), Credentials(SITE, "admin@example.com", "token"),
                       RetryPolicy(sleep=waits, jitter=lambda: 0.0))
    posted = jira.add_comment("PAY-2", body, MARKER)
    assert posted is not None and posted.body == body
    assert [c.request.method for c in responses.calls] == ["GET", "POST", "GET", "POST"]
    assert waits[0] >= 2
