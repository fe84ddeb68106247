"""What the real service does with what arrives: bursts, replays, forgeries and real Jira captures."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import requests

from tests.e2e.conftest import SECRET, LiveFactory, pending_writes
from webhooks.web import signature as signature

PAY_STORIES = [f"PAY-{n}" for n in range(4, 14)] + [f"PAY-{n}" for n in range(14, 24)]


def post(url: str, body: bytes, secret: str | None = SECRET, identifier: str | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[signature.HEADER] = signature.sign(secret, body)
    if identifier is not None:
        headers["X-Atlassian-Webhook-Identifier"] = identifier
    return requests.post(url + "/webhooks/jira", data=body, headers=headers, timeout=10).status_code


def delivery_rows(store_path: str, identifier: str | None = None) -> list[tuple[str, str, int]]:
    """Return (event, status, attempts) of the stored deliveries, or of the one with `identifier`."""
    where, params = ("WHERE identifier = ?", ["id:" + identifier]) if identifier else ("", [])
    with sqlite3.connect(store_path) as conn:
        query = f"SELECT event, status, attempts FROM deliveries {where} ORDER BY id"
        return list(conn.execute(query, params))


def story_update(issue_id: str, key: str) -> bytes:
    return (b'{"webhookEvent": "jira:issue_updated", "issue_event_type_name": "issue_generic", '
            b'"issue": {"id": "%s", "key": "%s", "fields": {"project": {"key": "PAY"}}}, '
            b'"changelog": {"items": [{"field": "summary", "fromString": "a", "toString": "b"}]}}'
            % (issue_id.encode(), key.encode()))


def test_a_burst_of_200_events_on_one_program_causes_at_most_3_recomputes(live: LiveFactory) -> None:
    # The shipped max_delay (10 s): the 200 edits take seconds, more on a busy machine, and a burst
    # must not be cut into recomputes by how fast the machine makes it. A debounce of 1 s (the
    # shipped one is 2 s) outlasts the pauses a busy machine puts between two edits.
    site = live(debounce=1.0, max_delay=10.0)
    for n in range(200):
        key = PAY_STORIES[n % len(PAY_STORIES)]
        site.sandbox.edit(key, {"summary": f"{key} revision {n}"})
    site.settle()
    recomputes = site.recomputes("PAY-1")
    assert 1 <= len(recomputes) <= 3
    assert {p for r in recomputes for p in r["projects"]} == {"PAY-2", "PAY-3"}
    assert site.store.counts().deliveries_stored >= 200
    assert pending_writes(site.gateway, site.config, "PAY-1") == {}


def test_a_replayed_delivery_is_processed_once(live: LiveFactory) -> None:
    site = live(debounce=0.05)  # one delivery, replayed: nothing to wait for
    issue_id = str(site.sandbox.issue_json("PAY-12")["id"])
    body, identifier = story_update(issue_id, "PAY-12"), str(uuid.uuid4())
    assert post(site.url, body, identifier=identifier) == 202
    assert post(site.url, body, identifier=identifier) == 200
    site.settle()
    assert post(site.url, body, identifier=identifier) == 200  # also after it was processed
    site.settle()
    rows = delivery_rows(site.config.store_path, identifier)
    assert [(event, status) for event, status, _ in rows] == [("jira:issue_updated", "done")]
    assert len(site.recomputes("PAY-1")) == 1


def test_a_forged_or_missing_signature_is_refused_and_nothing_is_stored(live: LiveFactory) -> None:
    site = live()
    body = story_update(str(site.sandbox.issue_json("PAY-12")["id"]), "PAY-12")
    assert post(site.url, body, secret="not-the-secret") == 401
    assert post(site.url, body, secret=None) == 401
    assert post(site.url, body + b" ", secret=None, identifier="x") == 401
    assert site.store.counts().deliveries_stored == 0
    assert site.recomputes() == []


def test_every_captured_jira_delivery_is_answered_without_5xx_and_handled_once(
        live: LiveFactory, shared_dir: Path) -> None:
    site = live(register_hook=False)  # only the captured deliveries reach the service
    files = sorted((shared_dir / "jira-payloads" / "webhooks").rglob("*.json"))
    assert len(files) > 50
    answers = {f.name: post(site.url, f.read_bytes()) for f in files}
    assert {status for status in answers.values()} <= {200, 202, 400}, answers
    stored = [name for name, status in answers.items() if status == 202]
    assert stored, "no captured delivery is one pmrollup acts on"
    site.settle()
    rows = delivery_rows(site.config.store_path)
    assert len(rows) == len(stored)
    assert all(status in ("done", "skipped") and attempts == 0 for _, status, attempts in rows), rows
    skipped = [r for r in rows if r[1] == "skipped"]
    assert len(site.logs.named("delivery.skipped")) == len(skipped) > 0
    assert site.store.dead_targets() == []
    assert site.logs.named("recompute.failed") == []
    assert requests.get(site.url + "/healthz", timeout=5).status_code == 200
