"""One exception tree for everything that can go wrong talking to Jira."""

from __future__ import annotations

import json
from typing import Any

import requests
from jira.exceptions import JIRAError


class ConnectorError(Exception):
    """Jira could not do what pmrollup asked; the message says what and why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class JiraUnavailable(ConnectorError):
    """Jira could not be reached: connection refused, timeout, or 5xx after retries."""


class JiraAuthError(ConnectorError):
    """Jira refused the credentials (401) or the permission (403)."""


class JiraNotFound(ConnectorError):
    """The issue (or other resource) does not exist, or the account cannot see it."""


class NotAnIssueKey(JiraNotFound):
    """A key that cannot exist in any Jira (a typo, an injection attempt): never found, never retried."""


class JiraRateLimited(JiraUnavailable):
    """Jira kept answering 429; `wait_seconds` is how long it asked us to wait."""

    def __init__(self, message: str, wait_seconds: float, status: int | None = 429) -> None:
        super().__init__(message, status)
        self.wait_seconds = wait_seconds


class JiraBadRequest(ConnectorError):
    """Jira rejected the request (400); `messages` and `errors` are Jira's own words."""

    def __init__(self, message: str, messages: tuple[str, ...] = (),
                 errors: dict[str, str] | None = None) -> None:
        super().__init__(message, 400)
        self.messages = messages
        self.errors = dict(errors or {})


def jira_messages(response: requests.Response | None) -> tuple[tuple[str, ...], dict[str, str]]:
    """Read Jira's `errorMessages` list and `errors` map from an error response."""
    if response is None:
        return (), {}
    try:
        body: Any = response.json()
    except (ValueError, json.JSONDecodeError):
        text = (response.text or "").strip()
        return ((text[:300],) if text and not text.startswith("<") else ()), {}
    if not isinstance(body, dict):
        return (), {}
    raw_messages = body.get("errorMessages")
    messages = tuple(str(m) for m in raw_messages) if isinstance(raw_messages, list) else ()
    if not messages and isinstance(body.get("message"), str):
        messages = (body["message"],)
    raw_errors = body.get("errors")
    errors = {str(k): str(v) for k, v in raw_errors.items()} if isinstance(raw_errors, dict) else {}
    return messages, errors


def readable(messages: tuple[str, ...], errors: dict[str, str]) -> str:
    """Join Jira's error messages and field errors into one line."""
    parts = list(messages) + [f"{field}: {text}" for field, text in errors.items()]
    return "; ".join(parts) or "no details given"


def translate(exc: BaseException, what: str, wait_seconds: float | None = None) -> ConnectorError:
    """Turn a `jira`/`requests` exception into pmrollup's exception for `what` was attempted."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, requests.Timeout):
        return JiraUnavailable(f"Jira did not answer in time ({what})")
    if isinstance(exc, requests.ConnectionError):
        return JiraUnavailable(f"cannot connect to Jira ({what}): check JIRA_URL and that Jira is up")
    if not isinstance(exc, JIRAError):
        return ConnectorError(f"{what} failed: {type(exc).__name__}")
    status = exc.status_code
    messages, errors = jira_messages(exc.response)
    detail = readable(messages, errors)
    if status == 401:
        return JiraAuthError(
            f"Jira answered 401 Unauthorized ({what}): check JIRA_USER and JIRA_TOKEN "
            "(Cloud: account email and API token; Data Center: a personal access token and no JIRA_USER)",
            401,
        )
    if status == 403:
        return JiraAuthError(
            f"Jira answered 403 Forbidden ({what}): the account in JIRA_USER lacks the permission "
            f"this needs; Jira says: {detail}",
            403,
        )
    if status == 404:
        return JiraNotFound(f"not found in Jira ({what}): {detail}", 404)
    if status == 400:
        return JiraBadRequest(f"Jira rejected {what}: {detail}", messages, errors)
    if status == 429:
        wait = wait_seconds if wait_seconds is not None else 0.0
        return JiraRateLimited(f"Jira kept rate limiting {what}; asked to wait {wait:g}s", wait)
    if status is not None and status >= 500:
        return JiraUnavailable(f"Jira answered {status} ({what}): {detail}", status)
    if status is None:
        return JiraUnavailable(f"Jira gave no usable answer ({what})")
    return ConnectorError(f"Jira answered {status} ({what}): {detail}", status)
