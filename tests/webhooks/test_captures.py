"""Every real Jira delivery in ../shared, posted signed: 2xx or 400 as the rules say, never 5xx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from connector.events import ACTED_EVENTS
from rules.config import AppConfig
from tests.webhooks.conftest import SHARED, FakeClock, signed_headers
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.worker.loop import SkipDelivery, Worker

CAPTURES = SHARED / "jira-payloads" / "webhooks"


def captures() -> list[Path]:
    if not CAPTURES.is_dir():
        pytest.skip("../shared is absent: real Jira payloads are only available beside a "
                    "development checkout")
    return sorted(CAPTURES.rglob("*.json"))


def expected_status(body: bytes) -> set[int]:
    try:
        payload = json.loads(body)
    except ValueError:
        return {400}
    event = payload.get("webhookEvent") if isinstance(payload, dict) else None
    if not isinstance(event, str) or not event:
        return {400}
    return {202, 200} if event in ACTED_EVENTS else {200}


def test_every_capture_is_answered_as_the_rules_say(client: FlaskClient, store: SqliteInbox) -> None:
    files = captures()
    assert len(files) > 50
    answers: dict[int, int] = {}
    for path in files:
        body = path.read_bytes()
        status = client.post("/webhooks/jira", data=body, headers=signed_headers(body)).status_code
        assert status in expected_status(body), path.name
        answers[status] = answers.get(status, 0) + 1
    assert answers.get(202, 0) > 30 and answers.get(200, 0) > 5 and answers.get(400, 0) >= 1


def known_issues_only(payload: dict[str, Any]) -> list[Target]:
    """Map issue events to project targets; everything else names an issue this Jira does not know."""
    issue = payload.get("issue")
    key = issue.get("key") if isinstance(issue, dict) else None
    if not isinstance(key, str) or not key.startswith("TEST-"):
        raise SkipDelivery(f"issue {key!r} is not in this Jira")
    return [Target("project", key)]


def test_worker_handles_every_capture_without_retry_storm(
        client: FlaskClient, store: SqliteInbox, config: AppConfig) -> None:
    for path in captures():
        body = path.read_bytes()
        client.post("/webhooks/jira", data=body, headers=signed_headers(body))
    recomputed: list[str] = []
    clock = FakeClock()
    worker = Worker(store, known_issues_only, lambda t: recomputed.append(t.key), config, clock=clock)
    worker.run_once()
    clock.advance(config.worker.max_delay_seconds + 1)
    worker.run_once()
    counts = store.counts()
    assert counts.deliveries_pending == 0 and counts.deliveries_dead == 0
    assert counts.targets_pending == 0 and counts.targets_dead == 0
    assert recomputed and len(recomputed) == len(set(recomputed))
    clock.advance(3600)
    assert worker.run_once() == 0  # skipped deliveries never come back
