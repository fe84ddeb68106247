"""Shared fixtures: a real SQLite inbox on a temp path, the app, a live HTTP server, a clock."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from rules.config import AppConfig, WebhookSettings, WorkerSettings
from webhooks.store.inbox import SqliteInbox
from webhooks.web import signature as signature
from webhooks.web.app import create_app

SECRET = "test-webhook-secret"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_config(tmp_path: Path, *, allow_unsigned: bool = False, max_body_bytes: int = 64 * 1024,
                debounce: float = 2.0, max_delay: float = 10.0, max_attempts: int = 3) -> AppConfig:
    """Return an AppConfig with the store in `tmp_path`."""
    return replace(
        AppConfig(),
        store_path=str(tmp_path / "inbox.sqlite3"),
        webhooks=WebhookSettings(allow_unsigned=allow_unsigned, max_body_bytes=max_body_bytes),
        worker=WorkerSettings(debounce_seconds=debounce, max_delay_seconds=max_delay,
                              max_attempts=max_attempts),
    )


def issue_event(key: str, event: str = "jira:issue_updated", **extra: Any) -> bytes:
    """Return a small delivery body about one issue."""
    return json.dumps({"webhookEvent": event, "issue": {"key": key, "id": key.split("-")[-1]},
                       **extra}).encode()


def signed_headers(body: bytes, secret: str = SECRET, **headers: str) -> dict[str, str]:
    """Return headers carrying the body's signature, plus any given."""
    return {signature.HEADER: signature.sign(secret, body), "Content-Type": "application/json", **headers}


@pytest.fixture
def config(tmp_path: Path) -> AppConfig:
    return make_config(tmp_path)


@pytest.fixture
def store(config: AppConfig) -> SqliteInbox:
    return SqliteInbox(config.store_path)


@pytest.fixture
def app(config: AppConfig, store: SqliteInbox) -> Flask:
    return create_app(config, store=store, environ={"PMROLLUP_WEBHOOK_SECRET": SECRET})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """Serve the app over real HTTP on an ephemeral loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)




WORKER_SCRIPT = Path(__file__).with_name("worker_proc.py")


def completed(path: Path) -> list[str]:
    """Return the target keys a `worker_proc.py` recomputed, in order."""
    return [line.split()[1] for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> bool:
    """Poll until `condition` holds; False when it never did within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False
