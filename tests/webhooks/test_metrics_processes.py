"""/metrics across processes: gunicorn's workers add up; `pmrollup worker` answers a port of its own."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import SMALL_SEED, LogCapture, SandboxFactory
from tests.webhooks.conftest import SECRET, issue_event, make_config, signed_headers
from tests.webhooks.processes import BIN, clean_environ, gunicorn, wait_for_line, write_app_yaml
from tests.webhooks.test_observing import parse_metrics
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.telemetry.metricfiles import FOLDER_NAME
from webhooks.telemetry.metrics import SHARED_FOLDER_ENV
from webhooks.web.app import GUNICORN_APP_LOAD_ERROR, IDENTIFIER_HEADER, create_app
from webhooks.web.signature import SECRET_ENV

ACCEPTED = 'pmrollup_webhook_deliveries_total{event="jira:issue_updated",outcome="accepted"}'


def free_port() -> int:
    """Return a TCP port nothing listens on now, on every interface."""
    with socket.socket() as probe:
        probe.bind(("", 0))
        return int(probe.getsockname()[1])


def post_deliveries(url: str, count: int) -> None:
    """Post `count` distinct signed deliveries at once, from several connections; each must be accepted."""
    def post(n: int) -> int:
        body = issue_event(f"PAY-{n + 1}")
        headers = signed_headers(body, **{IDENTIFIER_HEADER: uuid.uuid4().hex})
        return requests.post(url + "/webhooks/jira", data=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(post, range(count))) == [202] * count


def scrape(url: str) -> dict[str, float]:
    """Return one scrape of `url`'s /metrics, on a fresh connection (so any worker may answer it)."""
    answer = requests.get(url + "/metrics", timeout=30, headers={"Connection": "close"})
    assert answer.status_code == 200
    return parse_metrics(answer.text)


def wait_for_workers(log: Path, count: int, timeout: float = 60.0) -> None:
    """Wait until `count` gunicorn workers have built the app (each logs service.start)."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count('"event": "service.start"') < count:
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.05)


def test_every_scrape_under_two_gunicorn_workers_counts_all_the_deliveries_and_a_restart_counts_from_zero(
        tmp_path: Path) -> None:
    store = tmp_path / "store" / "pmrollup.sqlite3"
    store.parent.mkdir()
    environ = clean_environ(**{SECRET_ENV: SECRET})
    first, second = tmp_path / "first", tmp_path / "second"  # a log each; the store is one
    for folder in (first, second):
        write_app_yaml(folder, str(store))
    with gunicorn(first, environ, workers=2) as url:
        wait_for_workers(first / "gunicorn.log", 2)
        post_deliveries(url, 24)
        totals = [scrape(url).get(ACCEPTED) for _ in range(12)]
        queued = scrape(url)['pmrollup_queue_depth{kind="deliveries"}']
    assert totals == [24] * 12
    assert queued == 24
    with gunicorn(second, environ, workers=2) as url:
        wait_for_workers(second / "gunicorn.log", 2)
        assert scrape(url).get(ACCEPTED) is None
        post_deliveries(url, 2)
        assert scrape(url)[ACCEPTED] == 2
    assert len(list((store.parent / FOLDER_NAME).iterdir())) == 1  # the first master's folder is gone


def test_gunicorn_workers_add_up_in_the_folder_prometheus_multiproc_dir_names(tmp_path: Path) -> None:
    write_app_yaml(tmp_path)
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    environ = clean_environ(**{SECRET_ENV: SECRET, SHARED_FOLDER_ENV: str(chosen)})
    with gunicorn(tmp_path, environ, workers=2) as url:
        wait_for_workers(tmp_path / "gunicorn.log", 2)
        post_deliveries(url, 6)
        assert [scrape(url).get(ACCEPTED) for _ in range(4)] == [6] * 4
    assert any(chosen.iterdir()) and not (tmp_path / FOLDER_NAME).exists()


def test_a_metrics_folder_that_cannot_be_made_ends_a_gunicorn_worker_with_one_line_saying_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: LogCapture) -> None:
    (tmp_path / FOLDER_NAME).write_text("not a folder\n", encoding="utf-8")
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/23.0.0")  # as gunicorn's master sets it for its workers
    with pytest.raises(SystemExit) as stopped:
        create_app(make_config(tmp_path), environ={SECRET_ENV: SECRET})
    assert stopped.value.code == GUNICORN_APP_LOAD_ERROR  # gunicorn stops: "App failed to load"
    [refused] = logs.named("service.refused")
    assert "the metrics of gunicorn's workers cannot be kept beside the store" in refused["reason"]
    assert FOLDER_NAME in refused["reason"] and "make the store's folder writable" in refused["reason"]


def test_pmrollup_worker_answers_its_metrics_port_with_the_recompute_and_its_jira_requests(
        tmp_path: Path, sandbox_factory: SandboxFactory) -> None:
    sandbox = sandbox_factory(SMALL_SEED)
    port = free_port()
    config = tmp_path / "app.yaml"
    config.write_text("store: {path: pmrollup.sqlite3}\n"
                      f"worker: {{debounce_seconds: 0, max_delay_seconds: 0, metrics_port: {port}}}\n",
                      encoding="utf-8")
    SqliteInbox(tmp_path / "pmrollup.sqlite3").upsert_target(Target("program", "PAY-1"), time.time(), 0, 0)
    user, token = sandbox.admin_auth
    environ = clean_environ(JIRA_URL=sandbox.url, JIRA_USER=user, JIRA_TOKEN=token,
                            PMROLLUP_CONFIG=str(config))
    log = tmp_path / "worker.log"
    with log.open("ab") as out:
        worker = subprocess.Popen([str(BIN / "pmrollup"), "worker"], env=environ, stdout=out, stderr=out,
                                  cwd=tmp_path)
    try:
        served = wait_for_line(log, r'"event": "worker\.start".*"metrics": "([^"]+)"', worker)
        wait_for_line(log, r'"event": "(recompute\.done)"', worker)
        samples = scrape(f"http://127.0.0.1:{port}")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert served == f"http://0.0.0.0:{port}/metrics"
    assert samples['pmrollup_recomputes_total{outcome="done"}'] == 1
    assert samples["pmrollup_recompute_duration_seconds_count"] == 1
    requests_by_method = {k: v for k, v in samples.items() if k.startswith("pmrollup_jira_requests_total{")}
    assert requests_by_method and all('method="' in k and 'status="' in k for k in requests_by_method)
    calls = sum(v for k, v in samples.items() if k.startswith("pmrollup_jira_calls_total{"))
    assert sum(requests_by_method.values()) == calls > 0
    assert samples['pmrollup_queue_depth{kind="targets"}'] == 0
