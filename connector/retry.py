"""When and how long to wait before asking Jira again."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import requests
from jira.exceptions import JIRAError

from connector.errors import translate
from connector.eventlog import log_event
from rules.config import JiraSettings

T = TypeVar("T")

# 429 and 503 are Jira's "come back later"; 500/502/504 are the passing failures of a busy
# site or its proxy. Every other status is an answer, and asking again would not change it.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _utcnow() -> datetime:
    return datetime.now(UTC)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Read a `Retry-After` header: delay seconds or an HTTP date; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def status_of(exc: BaseException) -> int | None:
    """Return the HTTP status behind an exception, None for connection failures."""
    return exc.status_code if isinstance(exc, JIRAError) else None


def path_of(exc: BaseException) -> str:
    """Return the URL path an exception is about, without host, query or credentials."""
    url: object = getattr(exc, "url", None)
    request = getattr(exc, "request", None)
    if not url and request is not None:
        url = getattr(request, "url", None)
    if not isinstance(url, str | bytes) or not url:
        return ""
    text = url.decode("utf-8", "replace") if isinstance(url, bytes) else url
    return urlsplit(text).path


def is_retryable(exc: BaseException) -> bool:
    """Say whether asking again may succeed: throttling, 5xx, refused or timed-out connections."""
    if isinstance(exc, JIRAError):
        return exc.status_code in RETRY_STATUSES or exc.status_code is None and exc.response is None
    return isinstance(exc, requests.ConnectionError | requests.Timeout)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter and a cap; `Retry-After` is always the minimum wait.

    `attempts` and `base` default to app.yaml's `jira.retry_attempts` and `jira.retry_base_seconds`."""

    attempts: int = JiraSettings.retry_attempts
    base: float = JiraSettings.retry_base_seconds
    cap: float = 30.0
    give_up_after: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)
    clock: Callable[[], datetime] = field(default=_utcnow, compare=False)

    def backoff(self, attempt: int) -> float:
        """Return the jittered backoff before retry number `attempt` (1-based), at most `cap`."""
        ceiling = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self.jitter())

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Return how long to wait: the backoff, but never less than `Retry-After`."""
        return max(self.backoff(attempt), retry_after or 0.0)

    def run(self, call: Callable[[], T], what: str) -> T:
        """Call `call`, retrying what may succeed later; raise a ConnectorError for the rest."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except (JIRAError, requests.RequestException) as exc:
                response = getattr(exc, "response", None)
                header = response.headers.get("Retry-After") if response is not None else None
                retry_after = retry_after_seconds(header, self.clock())
                if not is_retryable(exc):
                    raise translate(exc, what) from exc
                too_long = retry_after is not None and retry_after > self.give_up_after
                if attempt >= self.attempts or too_long:
                    wait = retry_after if retry_after is not None else self.backoff(attempt)
                    raise translate(exc, what, wait_seconds=wait) from exc
                wait = self.wait(attempt, retry_after)
                log_event("jira.retry", logging.WARNING, status=status_of(exc), wait=round(wait, 3),
                          retry_after=retry_after, attempt=attempt, path=path_of(exc), what=what)
                self.sleep(wait)
