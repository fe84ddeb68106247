"""A full disk, a read-only file or a damaged store: deliveries are answered 503 (Jira retries them),
never 500; the worker thread outlives any error, backs off, and processes every accepted delivery once
it clears.

The full disk is SQLite's own: `PRAGMA max_page_count` on each of the store's connections makes SQLite
answer SQLITE_FULL, "database or disk is full", exactly as it does when the file system has no room,
through the same code paths; freeing space is deleting rows, whose pages SQLite then reuses.

The read-only file is SQLite's own too. When a file cannot be opened for writing (no write permission,
a read-only mount), SQLite's unix VFS opens it read-only instead (os_unix.c, unixOpen: "Failed to open
the file for read/write access. Try read-only"), and every write on that connection fails with
SQLITE_READONLY, "attempt to write a readonly database". The tests run as root, for whom chmod changes
nothing, so the test opens the connections the way SQLite then does, with `mode=ro`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rules.config import AppConfig
from tests.conftest import LogCapture
from tests.webhooks.conftest import SECRET, issue_event, make_config, signed_headers, wait_for
from webhooks.store.inbox import SqliteInbox, StoreError, Target
from webhooks.web.app import create_app
from webhooks.worker.loop import Worker

URL = "/webhooks/jira"
BALLAST_BYTES = 256 * 1024  # what the test frees, as an admin deleting old files would
HEADROOM_PAGES = 24  # room for some deliveries before the disk is full


class SmallDisk(SqliteInbox):
    """The inbox on a disk that holds `pages` SQLite pages."""

    def __init__(self, path: str | Path, pages: int) -> None:
        self.pages = pages
        super().__init__(path)

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        conn.execute(f"PRAGMA max_page_count = {self.pages}")
        return conn


def nearly_full(path: str) -> SmallDisk:
    """Return an inbox whose disk has room for a few deliveries once a ballast is written to it."""
    SqliteInbox(path)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE ballast (b BLOB)")
        conn.execute("INSERT INTO ballast VALUES (randomblob(?))", (BALLAST_BYTES,))
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    return SmallDisk(path, pages + HEADROOM_PAGES)


def free_space(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM ballast")


class ReadOnlyFile(SqliteInbox):
    """The inbox on a file this process may only read while `read_only` is set (as when a file's
    permissions or its mount refuse writes), and write again once it is cleared."""

    def __init__(self, path: str | Path) -> None:
        self.read_only = threading.Event()
        self.read_only.set()
        super().__init__(path)

    def _connect(self) -> sqlite3.Connection:
        if not self.read_only.is_set():
            return super()._connect()
        return sqlite3.connect(Path(self.path).as_uri() + "?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False)


class Recorder:
    """A recompute that records the keys it was asked for."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, target: Target) -> None:
        self.keys.append(target.key)


def own_target(payload: dict[str, Any]) -> list[Target]:
    """Route a delivery to a target of its own issue, large enough that filing a few needs new pages."""
    key = payload["issue"]["key"]
    return [Target("project", key, reconcile=frozenset(f"{key}-{n}" for n in range(100)))]


class Workers:
    """Worker threads a test starts; all are stopped at teardown."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, worker: Worker) -> threading.Thread:
        thread = threading.Thread(target=worker.run_forever, args=(self.stopping,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return thread

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.fixture
def workers() -> Iterator[Workers]:
    running = Workers()
    yield running
    running.stop()


def worker_that_cannot_file(store: SqliteInbox, config: AppConfig, workers: Workers, logs: LogCapture,
                            cause: str) -> tuple[Recorder, threading.Thread]:
    """Start a worker on a store it cannot write; return it once it has met `cause` three times, backed
    off (at most 0.2 s) and lived on, having recomputed nothing."""
    recorder = Recorder()
    thread = workers.start(Worker(store, own_target, recorder, config, poll_seconds=0.01,
                                  error_backoff_cap=0.2))
    assert wait_for(lambda: len(logs.named("service.error")) >= 3, timeout=30)  # it cannot file them
    failures = logs.named("service.error")
    assert all(cause in r["reason"] and r["store_error"] for r in failures)
    assert all(0 < r["retry_in"] <= 0.2 for r in failures)
    assert thread.is_alive() and recorder.keys == []
    return recorder, thread


def test_a_write_on_a_full_disk_says_the_disk_is_full_and_what_to_do(tmp_path: Path) -> None:
    store = nearly_full(str(tmp_path / "inbox.sqlite3"))
    with pytest.raises(StoreError) as full:
        for n in range(1000):
            store.store_delivery(f"id:{n}", "jira:issue_updated", issue_event(f"PAY-{n}", pad="x" * 2000))
    assert "database or disk is full" in str(full.value) and "free space" in str(full.value)
    free_space(store.path)
    assert store.store_delivery("id:after", "jira:issue_updated", issue_event("PAY-1"))


def test_a_full_disk_answers_503_and_every_accepted_delivery_is_processed_once_space_returns(
        tmp_path: Path, logs: LogCapture, workers: Workers) -> None:
    config = make_config(tmp_path, debounce=0.0, max_delay=0.0)
    store = nearly_full(config.store_path)
    client = create_app(config, store=store, environ={"PMROLLUP_WEBHOOK_SECRET": SECRET},
                        jira_check=lambda: None).test_client()
    accepted: list[str] = []
    refused: tuple[str, bytes, dict[str, str]] | None = None
    for n in range(2000):
        key, body = f"PAY-{n}", issue_event(f"PAY-{n}", pad="x" * 2000)
        answer = client.post(URL, data=body, headers=signed_headers(body))
        assert answer.status_code in (202, 503), answer.get_json()
        if answer.status_code == 503:
            refused = key, body, answer.get_json()
            break
        accepted.append(key)
    assert refused is not None and accepted, "the disk never filled up"
    key, body, why = refused
    assert set(why) == {"error", "hint"}
    assert "database or disk is full" in logs.named("webhook.unavailable")[0]["reason"]

    recorder, thread = worker_that_cannot_file(store, config, workers, logs, "database or disk is full")

    free_space(config.store_path)
    assert client.post(URL, data=body, headers=signed_headers(body)).status_code == 202  # Jira's retry
    accepted.append(key)
    assert wait_for(lambda: set(recorder.keys) >= set(accepted) and store.depth() == 0, timeout=60), (
        f"{len(set(accepted) - set(recorder.keys))} accepted deliveries never processed: {store.counts()}")
    assert thread.is_alive()
    assert store.counts().deliveries_stored == len(accepted)


def test_a_read_only_store_answers_503_and_every_accepted_delivery_is_processed_once_it_is_writable(
        tmp_path: Path, logs: LogCapture, workers: Workers) -> None:
    config = make_config(tmp_path, debounce=0.0, max_delay=0.0)
    environ = {"PMROLLUP_WEBHOOK_SECRET": SECRET}
    before = create_app(config, environ=environ, jira_check=lambda: None).test_client()
    accepted = [f"PAY-{n}" for n in range(1, 4)]
    for key in accepted:  # taken while the file could still be written, not yet routed
        body = issue_event(key)
        assert before.post(URL, data=body, headers=signed_headers(body)).status_code == 202

    store = ReadOnlyFile(config.store_path)  # the file turned read-only; pmrollup starts on it
    client = create_app(config, store=store, environ=environ, jira_check=lambda: None).test_client()
    body = issue_event("PAY-4")
    answer = client.post(URL, data=body, headers=signed_headers(body))
    assert answer.status_code == 503, answer.get_json()
    assert set(answer.get_json()) == {"error", "hint"}
    [unavailable] = logs.named("webhook.unavailable")
    assert "readonly database" in unavailable["reason"] and "write access" in unavailable["reason"]
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "not ready"
    assert "readonly database" in ready.get_json()["store"] and "write access" in ready.get_json()["store"]
    assert "Traceback" not in logs.text() and "service.error" not in logs.events()

    recorder, thread = worker_that_cannot_file(store, config, workers, logs, "readonly database")

    store.read_only.clear()  # the admin gives the write access back; pmrollup is not restarted
    assert client.post(URL, data=body, headers=signed_headers(body)).status_code == 202  # Jira's retry
    accepted.append("PAY-4")
    assert wait_for(lambda: set(recorder.keys) >= set(accepted) and store.depth() == 0, timeout=60), (
        f"accepted deliveries never processed: {sorted(set(accepted) - set(recorder.keys))}")
    assert sorted(recorder.keys) == accepted and thread.is_alive()
    assert client.get("/readyz").get_json()["status"] == "ready"


def test_the_worker_outlives_an_error_that_is_not_the_stores_and_carries_on_once_it_clears(
        store: SqliteInbox, config: AppConfig, logs: LogCapture, workers: Workers) -> None:
    store.upsert_target(Target("project", "PAY-1"), 0.0, 0, 0)
    with sqlite3.connect(store.path) as conn:  # a row damaged by hand: its detail is not JSON
        conn.execute("UPDATE targets SET detail = 'not json' WHERE key = 'PAY-1'")
    recorder = Recorder()
    thread = workers.start(Worker(store, own_target, recorder, config, poll_seconds=0.01,
                                  error_backoff_cap=0.2))
    assert wait_for(lambda: len(logs.named("service.error")) >= 2, timeout=30)
    [first, *_] = logs.named("service.error")
    assert "JSONDecodeError" in first["reason"] and first["retry_in"] > 0
    assert thread.is_alive() and recorder.keys == []

    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE targets SET detail = '{}' WHERE key = 'PAY-1'")
    assert wait_for(lambda: recorder.keys == ["PAY-1"] and store.depth() == 0, timeout=30)
    assert "target.released" in logs.events()  # its lease was freed, not left to run out
