"""Health, Prometheus metrics and JSON logs without secrets (readiness: test_readiness.py)."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from rules.config import AppConfig, ConfigError, parse_config
from tests.conftest import LogCapture
from tests.webhooks.conftest import SECRET, FakeClock, issue_event, signed_headers
from webhooks.store.gauges import StoreGauges
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.telemetry.logs import EVENTS, LOGGER_NAME, REDACTED, configure_logging, log_event
from webhooks.telemetry.metrics import Metrics, serve_metrics
from webhooks.web.app import create_app
from webhooks.worker.loop import RecomputeResult, Worker

LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
NUMBER = r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN"
SAMPLE = re.compile(rf"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{{({LABEL}(?:,{LABEL})*)?\}})? ({NUMBER})$")


def parse_metrics(text: str) -> dict[str, float]:
    """Parse Prometheus text strictly; return {'name{labels}': value}."""
    samples: dict[str, float] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in {"counter", "gauge", "histogram", "summary", "untyped"}
            assert name not in types, f"{name} typed twice"
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        base = re.sub(r"_(bucket|sum|count)$", "", match.group(1))
        assert match.group(1) in types or base in types, f"{line!r} has no TYPE"
        samples[match.group(1) + (match.group(2) or "")] = float(match.group(4))
    return samples


def test_healthz_answers_while_the_process_is_up(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_metrics_count_deliveries_queue_recomputes_jira_calls_and_findings(
        config: AppConfig, store: SqliteInbox) -> None:
    metrics = Metrics()
    client = create_app(config, store=store, environ={"PMROLLUP_WEBHOOK_SECRET": SECRET},
                        metrics=metrics).test_client()
    body = issue_event("PAY-1")
    for _ in range(2):
        client.post("/webhooks/jira", data=body, headers=signed_headers(body))
    client.post("/webhooks/jira", data=body)
    ignored = b'{"webhookEvent": "comment_created"}'
    client.post("/webhooks/jira", data=ignored, headers=signed_headers(ignored))
    odd = b'{"webhookEvent": "sprint_\\"x\\ny"}'
    client.post("/webhooks/jira", data=odd, headers=signed_headers(odd))
    before = parse_metrics(client.get("/metrics").get_data(as_text=True))
    assert before['pmrollup_queue_depth{kind="deliveries"}'] == 1

    def recompute(target: Target) -> RecomputeResult:
        metrics.jira_call(200, "GET")
        metrics.jira_call(429, "POST")
        return RecomputeResult(findings={"critical": 1, "warning": 2})

    worker = Worker(store, lambda p: [Target("project", "PAY-1")], recompute, config,
                    clock=FakeClock(), metrics=metrics)
    worker.run_once()
    worker.clock.advance(5)  # type: ignore[attr-defined]
    worker.run_once()
    answer = client.get("/metrics")
    assert answer.mimetype == "text/plain"
    after = parse_metrics(answer.get_data(as_text=True))
    assert after['pmrollup_webhook_deliveries_total{event="jira:issue_updated",outcome="accepted"}'] == 1
    assert after['pmrollup_webhook_deliveries_total{event="jira:issue_updated",outcome="duplicate"}'] == 1
    assert after['pmrollup_webhook_deliveries_total{event="unknown",outcome="unauthorized"}'] == 1
    assert after['pmrollup_webhook_deliveries_total{event="comment_created",outcome="ignored"}'] == 1
    assert after['pmrollup_webhook_deliveries_total{event="other",outcome="ignored"}'] == 1
    assert after['pmrollup_queue_depth{kind="deliveries"}'] == 0
    assert after['pmrollup_queue_depth{kind="targets"}'] == 0
    assert after['pmrollup_recompute_duration_seconds_count'] == 1
    assert after['pmrollup_recompute_duration_seconds_bucket{le="+Inf"}'] == 1
    assert after['pmrollup_recomputes_total{outcome="done"}'] == 1
    assert after['pmrollup_jira_calls_total{status="429"}'] == 1
    assert after['pmrollup_findings_total{severity="warning"}'] == 2


def test_histogram_buckets_are_cumulative() -> None:
    metrics = Metrics()
    for seconds in (0.01, 0.3, 0.3, 7.0, 500.0):
        metrics.recompute(seconds, "done")
    samples = parse_metrics(metrics.render())
    buckets = [v for k, v in samples.items() if k.startswith("pmrollup_recompute_duration_seconds_bucket")]
    assert buckets == sorted(buckets) and buckets[-1] == 5
    assert samples["pmrollup_recompute_duration_seconds_sum"] == 507.61


def test_logs_are_json_lines_with_stable_events_and_never_the_secret(
        client: FlaskClient, logs: LogCapture) -> None:
    body = issue_event("PAY-1")
    headers = signed_headers(body, Authorization="Basic dXNlcjp0b2tlbg==")
    client.post("/webhooks/jira", data=body, headers=headers)
    client.post("/webhooks/jira", data=body, headers=headers)
    client.post("/webhooks/jira", data=b"{}", headers=signed_headers(b"{}"))
    client.post("/webhooks/jira", data=body, headers={"X-Hub-Signature": "sha256=00"})
    records = logs.records()
    assert [r["event"] for r in records] == ["webhook.accepted", "webhook.duplicate",
                                            "webhook.rejected", "webhook.rejected"]
    assert records[0]["issue"] == "PAY-1" and records[0]["level"] == "info"
    assert all(r["event"] in EVENTS for r in records)
    text = logs.text()
    assert SECRET not in text and headers["X-Hub-Signature"].split("=")[1] not in text
    assert "dXNlcjp0b2tlbg" not in text


def test_secret_looking_fields_are_redacted_at_any_depth(logs: LogCapture) -> None:
    log_event("jira.retry", status=429, retry_after=1, api_token="t0k3n",
              request={"headers": {"Authorization": "Bearer abc123"}, "params": [{"password": "hunter2"}]})
    [record] = logs.records()
    assert record["status"] == 429 and record["api_token"] == REDACTED
    assert record["request"]["headers"]["Authorization"] == REDACTED
    assert record["request"]["params"][0]["password"] == REDACTED
    assert not any(s in logs.text() for s in ("t0k3n", "abc123", "hunter2"))


def test_configure_logging_writes_one_json_line_per_event_once() -> None:
    stream = io.StringIO()
    configure_logging(stream)
    handler = configure_logging(stream)  # a second call replaces, never doubles, the handler
    try:
        log_event("recompute.done", kind="program", key="INIT-1", seconds=0.25)
        [line] = stream.getvalue().splitlines()
        record = json.loads(line)
        assert (record["event"], record["key"], record["level"]) == ("recompute.done", "INIT-1", "info")
        assert record["ts"].endswith("Z")
    finally:
        logging.getLogger(LOGGER_NAME).removeHandler(handler)


def test_app_without_config_loads_the_file_pmrollup_config_names(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("webhooks:\n  max_body_bytes: 2048\nstore:\n  path: site.sqlite3\n", encoding="utf-8")
    app = create_app(environ={"PMROLLUP_CONFIG": str(path), "PMROLLUP_WEBHOOK_SECRET": SECRET})
    client = app.test_client()
    big = issue_event("PAY-1", pad="x" * 3000)
    assert client.post("/webhooks/jira", data=big, headers=signed_headers(big)).status_code == 413
    small = issue_event("PAY-1")
    assert client.post("/webhooks/jira", data=small, headers=signed_headers(small)).status_code == 202
    assert SqliteInbox(tmp_path / "site.sqlite3").counts().deliveries_stored == 1


def test_a_worker_metrics_port_that_is_taken_is_named_with_what_to_do(store: SqliteInbox) -> None:
    with socket.socket() as holder:
        holder.bind(("", 0))
        holder.listen()
        port = holder.getsockname()[1]
        endpoint = serve_metrics(Metrics(), port, StoreGauges(store))
    assert endpoint.url is None
    assert endpoint.problem is not None and f"port {port} cannot be opened" in endpoint.problem
    assert "worker.metrics_port" in endpoint.problem


def test_worker_metrics_port_0_serves_none() -> None:
    endpoint = serve_metrics(Metrics(), 0)
    assert (endpoint.url, endpoint.problem) == (None, None)


def test_worker_metrics_port_is_9464_unless_app_yaml_names_another_from_0_to_65535() -> None:
    assert parse_config("{}").worker.metrics_port == 9464
    assert parse_config("worker: {metrics_port: 0}").worker.metrics_port == 0
    with pytest.raises(ConfigError, match=r"app.yaml:1: key 'worker.metrics_port': expected a whole number "
                                          r"from 0 to 65535, got 70000"):
        parse_config("worker: {metrics_port: 70000}")
