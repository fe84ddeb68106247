"""POST /webhooks/jira: signed, durable, deduplicated, and never a 500 for client input."""

from __future__ import annotations

import http.client
import json
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from flask.testing import FlaskClient

from rules.config import ConfigError
from tests.conftest import LogCapture
from tests.webhooks.conftest import SECRET, issue_event, make_config, signed_headers
from webhooks.store.inbox import SqliteInbox
from webhooks.web import signature as signature
from webhooks.web.app import create_app

URL = "/webhooks/jira"


def test_signed_delivery_is_stored_and_answered_202(client: FlaskClient, store: SqliteInbox) -> None:
    body = issue_event("PAY-7")
    answer = client.post(URL, data=body, headers=signed_headers(body))
    assert answer.status_code == 202
    assert answer.get_json() == {"status": "accepted"}
    [delivery] = store.next_deliveries(10, now=1e12)
    assert delivery.body == body
    assert delivery.event == "jira:issue_updated"


def test_forged_signature_is_refused_and_nothing_is_stored(client: FlaskClient, store: SqliteInbox) -> None:
    body = issue_event("PAY-7")
    forged = signature.sign("not-the-secret", body)
    answer = client.post(URL, data=body, headers={signature.HEADER: forged})
    assert answer.status_code == 401
    assert set(answer.get_json()) == {"error", "hint"}
    assert store.counts().deliveries_stored == 0


def test_missing_signature_is_refused_and_nothing_is_stored(client: FlaskClient, store: SqliteInbox) -> None:
    answer = client.post(URL, data=issue_event("PAY-7"))
    assert answer.status_code == 401
    assert store.counts().deliveries_stored == 0


def test_signature_of_another_body_is_refused(client: FlaskClient, store: SqliteInbox) -> None:
    headers = signed_headers(issue_event("PAY-1"))
    assert client.post(URL, data=issue_event("PAY-2"), headers=headers).status_code == 401
    assert store.counts().deliveries_stored == 0


def test_signature_with_another_method_is_refused(client: FlaskClient) -> None:
    body = issue_event("PAY-7")
    digest = signature.sign(SECRET, body).partition("=")[2]
    assert client.post(URL, data=body, headers={signature.HEADER: f"sha1={digest}"}).status_code == 401


def test_signature_method_prefix_is_case_insensitive(client: FlaskClient) -> None:
    body = issue_event("PAY-7")
    header = signature.sign(SECRET, body).replace("sha256=", "SHA256=")
    assert client.post(URL, data=body, headers={signature.HEADER: header}).status_code == 202


def test_service_refuses_to_start_without_secret(tmp_path: Path, logs: LogCapture) -> None:
    config = make_config(tmp_path, allow_unsigned=False)
    with pytest.raises(ConfigError, match="PMROLLUP_WEBHOOK_SECRET is not set"):
        create_app(config, environ={})
    assert "service.refused" in logs.events()


def test_unsigned_mode_accepts_deliveries_and_says_so_at_start(tmp_path: Path, logs: LogCapture) -> None:
    config = make_config(tmp_path, allow_unsigned=True)
    client = create_app(config, environ={}).test_client()
    assert client.post(URL, data=issue_event("PAY-7")).status_code == 202
    [start] = [r for r in logs.records() if r["event"] == "service.start"]
    assert start["signed"] is False
    assert "UNSIGNED" in start["note"]


def test_redelivery_with_same_identifier_is_answered_200_and_stored_once(
        client: FlaskClient, store: SqliteInbox) -> None:
    first, retry = issue_event("PAY-7"), issue_event("PAY-7", timestamp=2)
    ident = {"X-Atlassian-Webhook-Identifier": "delivery-1"}
    assert client.post(URL, data=first, headers=signed_headers(first, **ident)).status_code == 202
    answer = client.post(URL, data=retry, headers=signed_headers(retry, **ident))
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "duplicate"}
    assert store.counts().deliveries_stored == 1


def test_identical_body_without_identifier_is_deduplicated_by_hash(
        client: FlaskClient, store: SqliteInbox) -> None:
    body = issue_event("PAY-7")
    assert client.post(URL, data=body, headers=signed_headers(body)).status_code == 202
    assert client.post(URL, data=body, headers=signed_headers(body)).status_code == 200
    other = issue_event("PAY-8")
    assert client.post(URL, data=other, headers=signed_headers(other)).status_code == 202
    assert store.counts().deliveries_stored == 2


@pytest.mark.parametrize("event", ["comment_created", "sprint_started", "board_updated", "user_created",
                                   "project_created", "jira:version_released", "attachment_created",
                                   "option_voting_changed", "something_new_from_jira"])
def test_events_not_acted_on_are_answered_200_and_not_stored(
        client: FlaskClient, store: SqliteInbox, logs: LogCapture, event: str) -> None:
    body = json.dumps({"webhookEvent": event}).encode()
    answer = client.post(URL, data=body, headers=signed_headers(body))
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ignored"}
    assert store.counts().deliveries_stored == 0
    assert logs.events().count("webhook.ignored") == 1


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b'"text"', b"null", b"{}",
                                  b'{"webhookEvent": 7}', b'{"webhookEvent": ""}', b'{"issue": {}}',
                                  b"\xff\xfe{}", b"[" * 60_000, b'{"webhookEvent": "jira:issue_updated"'])
def test_malformed_body_is_answered_400(client: FlaskClient, store: SqliteInbox, body: bytes) -> None:
    answer = client.post(URL, data=body, headers=signed_headers(body))
    assert answer.status_code == 400
    assert set(answer.get_json()) == {"error", "hint"}
    assert store.counts().deliveries_stored == 0


def test_body_above_limit_is_answered_413(client: FlaskClient, store: SqliteInbox) -> None:
    body = issue_event("PAY-7", filler="x" * 70_000)
    assert client.post(URL, data=body, headers=signed_headers(body)).status_code == 413
    assert store.counts().deliveries_stored == 0


def test_streamed_body_is_not_read_past_the_limit(live_url: str, store: SqliteInbox) -> None:
    # A client that declares no Content-Length and streams a huge chunked body.
    body = issue_event("PAY-7", filler="x" * 70_000)

    def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(body), 8192):
            yield body[i:i + 8192]

    answer = requests.post(live_url + URL, data=chunks(), headers=signed_headers(body), timeout=10)
    assert answer.status_code == 413
    assert store.counts().deliveries_stored == 0


def test_declared_length_above_limit_is_answered_413_before_reading(live_url: str) -> None:
    parts = urlsplit(live_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.putrequest("POST", URL)
    conn.putheader("Content-Length", str(10 * 1024 * 1024))
    conn.endheaders()
    conn.send(b"{}")
    assert conn.getresponse().status == 413
    conn.close()


def test_get_on_the_endpoint_is_405_as_json(client: FlaskClient) -> None:
    answer = client.get(URL)
    assert answer.status_code == 405
    assert "error" in answer.get_json()


def test_store_that_cannot_write_answers_503(tmp_path: Path, logs: LogCapture) -> None:
    config = make_config(tmp_path)
    store = SqliteInbox(config.store_path, busy_timeout=0.05)
    client = create_app(config, store=store, environ={"PMROLLUP_WEBHOOK_SECRET": SECRET}).test_client()
    holder = sqlite3.connect(config.store_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        body = issue_event("PAY-7")
        answer = client.post(URL, data=body, headers=signed_headers(body))
        assert answer.status_code == 503
        assert "webhook.unavailable" in logs.events()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post(URL, data=body, headers=signed_headers(body)).status_code == 202


def test_real_http_signed_delivery_is_accepted_and_forged_refused(live_url: str, store: SqliteInbox) -> None:
    body = issue_event("PAY-9", event="jira:issue_created")
    ok = requests.post(live_url + URL, data=body, headers=signed_headers(body), timeout=10)
    forged = requests.post(live_url + URL, data=issue_event("PAY-10"),
                           headers=signed_headers(body), timeout=10)
    assert (ok.status_code, forged.status_code) == (202, 401)
    assert store.counts().deliveries_stored == 1
