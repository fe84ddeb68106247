"""The web side: `POST /webhooks/jira` verifies, parses, stores and answers; health and metrics."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import ClientDisconnected, HTTPException

from connector.events import ACTED_EVENTS, IGNORED_EVENT_PREFIXES
from rules.config import AppConfig, ConfigError
from webhooks.settings.appyaml import config_path, load_config
from webhooks.store.gauges import StoreGauges
from webhooks.store.inbox import Inbox, SqliteInbox, StoreError
from webhooks.telemetry.logs import describe, ensure_logging, log_event
from webhooks.telemetry.metricfiles import share_with_sibling_workers
from webhooks.telemetry.metrics import CONTENT_TYPE, Metrics
from webhooks.web import signature as signature
from webhooks.web.readiness import CachedProbe, JiraCheck, Readiness, SiteProblems, jira_probe
from webhooks.web.signature import SECRET_ENV

IDENTIFIER_HEADER = "X-Atlassian-Webhook-Identifier"

_LABEL = re.compile(r"[a-z0-9_:]{1,48}")

# gunicorn stops (rather than respawning workers) when a worker exits with this code, "App failed to load".
GUNICORN_APP_LOAD_ERROR = 4


class UnsignedRefused(ConfigError):
    """No webhook secret is set and unsigned deliveries are not allowed."""


def create_app(config: AppConfig | None = None, *, store: Inbox | None = None,
               environ: Mapping[str, str] | None = None, jira_check: JiraCheck | CachedProbe | None = None,
               metrics: Metrics | None = None, site_problems: SiteProblems | None = None) -> Flask:
    """Build the web service; refuse to start without a secret (unless unsigned is allowed), on a bad
    app.yaml or on a store it cannot open.

    Without `jira_check`, /readyz checks the Jira the environment names; the store's site problems
    and notices, and what `site_problems` adds, are what is wrong with the site in /readyz
    (degraded, still 200). Without `metrics`, under gunicorn, /metrics
    adds up the counts of all the master's workers."""
    ensure_logging()
    env = os.environ if environ is None else environ
    try:
        if config is None:
            config = load_config(config_path(None, env))
        secret = signature.secret_from(env)
        if secret is None and not config.webhooks.allow_unsigned:
            raise UnsignedRefused(
                f"{SECRET_ENV} is not set (blank counts as unset): set it to the secret of Jira's webhook, "
                f"or set webhooks.allow_unsigned: true in {config.path} (for the sandbox and local trials)")
        inbox: Inbox = store if store is not None else SqliteInbox(config.store_path)
        if metrics is None and under_gunicorn():
            share_with_sibling_workers(config.store_path)
    except (ConfigError, StoreError) as exc:
        refuse_to_start(exc)
    except OSError as exc:  # the folder of the workers' metric files cannot be made
        refuse_to_start(StoreError(f"the metrics of gunicorn's workers cannot be kept beside the store: "
                                   f"{describe(exc)}; make the store's folder writable"))
    probe = jira_check if isinstance(jira_check, CachedProbe) else CachedProbe(
        jira_check if jira_check is not None else jira_probe(config, env))
    def site_now() -> list[str]:
        """Return what is wrong with the site: the fields it refuses, what other processes left as
        notices (a worker's refused rule edit), then what the caller adds; each said once."""
        refused = [problem.describe() for problem in inbox.site_problems()]
        noticed = [notice.text for notice in inbox.notices()]
        extra = list(site_problems()) if site_problems is not None else []
        return list(dict.fromkeys(refused + noticed + extra))

    readiness = Readiness(inbox, probe, site_now)
    stats = metrics if metrics is not None else Metrics()
    gauges = StoreGauges(inbox)
    limit = config.webhooks.max_body_bytes
    log_event("service.start", logging.INFO if secret else logging.WARNING,
              signed=bool(secret), store=getattr(inbox, "path", type(inbox).__name__),
              note=None if secret else "accepting UNSIGNED deliveries (webhooks.allow_unsigned)")

    app = Flask("pmrollup", static_folder=None)  # nothing under the working directory is served
    app.extensions["pmrollup"] = {"store": inbox, "metrics": stats, "config": config}

    def refuse(status: int, event: str, outcome: str, error: str, hint: str) -> tuple[Response, int]:
        stats.delivery(event, outcome)
        log_event("webhook.rejected", logging.WARNING, status=status, reason=error, webhook_event=event)
        return jsonify(error=error, hint=hint), status

    @app.post("/webhooks/jira")
    def receive() -> tuple[Response, int]:
        declared = request.content_length or 0
        if declared > limit:
            return refuse(413, "unknown", "too_large", "body too large",
                          f"deliveries above {limit} bytes are refused (webhooks.max_body_bytes)")
        try:
            body = request.stream.read(limit + 1)
        except (OSError, ClientDisconnected) as exc:  # a broken chunked encoding or a cut-off body
            return refuse(400, "unknown", "malformed", f"body could not be read: {describe(exc)[:200]}",
                          "send the whole body, with a correct Content-Length or valid chunked encoding")
        if len(body) > limit:
            return refuse(413, "unknown", "too_large", "body too large",
                          f"deliveries above {limit} bytes are refused (webhooks.max_body_bytes)")
        if secret and not signature.verify(secret, body, request.headers.get(signature.HEADER)):
            return refuse(401, "unknown", "unauthorized", "missing or wrong signature",
                          f"sign the body with HMAC-SHA256 under the webhook secret and send "
                          f"'{signature.HEADER}: sha256=<hex>'")
        payload = parse_payload(body)
        if payload is None:
            return refuse(400, "unknown", "malformed", "body is not a JSON object with 'webhookEvent'",
                          "send Jira's webhook JSON as the request body")
        event = payload["webhookEvent"]
        label = event_label(event)
        if event not in ACTED_EVENTS:
            stats.delivery(label, "ignored")
            log_event("webhook.ignored", webhook_event=label)
            return jsonify(status="ignored"), 200
        identifier = delivery_identifier(request.headers.get(IDENTIFIER_HEADER), body)
        try:
            new = inbox.store_delivery(identifier, event, body)
        except StoreError as exc:
            stats.delivery(label, "unavailable")
            log_event("webhook.unavailable", logging.ERROR, reason=str(exc), webhook_event=label)
            return jsonify(error="the inbox cannot store deliveries now",
                           hint="Jira retries later; check the disk and the store path"), 503
        issue = issue_key(payload)
        if not new:
            stats.delivery(label, "duplicate")
            log_event("webhook.duplicate", webhook_event=label, identifier=identifier, issue=issue)
            return jsonify(status="duplicate"), 200
        stats.delivery(label, "accepted")
        log_event("webhook.accepted", webhook_event=label, identifier=identifier, issue=issue)
        return jsonify(status="accepted"), 202

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return jsonify(status="ok"), 200

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        status, detail = readiness.answer()
        return jsonify(detail), status

    @app.get("/metrics")
    def metrics_text() -> Response:
        return Response(stats.render(gauges), content_type=CONTENT_TYPE)

    @app.errorhandler(Exception)
    def on_error(exc: Exception) -> tuple[Response, int]:
        if isinstance(exc, HTTPException):
            code = exc.code or 500
            return jsonify(error=exc.name.lower(), hint=exc.description or ""), code
        log_event("service.error", logging.ERROR, exc_info=True, path=request.path,
                  error=type(exc).__name__)
        return jsonify(error="internal error", hint="see the service log"), 500

    return app


def refuse_to_start(exc: ConfigError | StoreError) -> NoReturn:
    """Log why the service cannot start as one JSON line, then raise; under gunicorn, end the worker's
    boot with gunicorn's "App failed to load" code instead, which stops gunicorn without a traceback."""
    log_event("service.refused", logging.ERROR, reason=str(exc))
    if under_gunicorn():
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None
    raise exc


def under_gunicorn() -> bool:
    """Tell whether this process is one of gunicorn's workers (gunicorn's master sets SERVER_SOFTWARE)."""
    return os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/")


def parse_payload(body: bytes) -> dict[str, Any] | None:
    """Return the delivery as a dict when it is a JSON object naming its `webhookEvent`, else None."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    event = payload.get("webhookEvent")
    if not isinstance(event, str) or not event.strip():
        return None
    return payload


def delivery_identifier(header: str | None, body: bytes) -> str:
    """Return the delivery's identity: Jira's identifier header, else a hash of the body."""
    if header and header.strip() and len(header) <= 200:
        return "id:" + header.strip()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def event_label(event: str) -> str:
    """Return the event name as a metrics label: known names as they are, anything else 'other'."""
    known = event in ACTED_EVENTS or event.startswith(IGNORED_EVENT_PREFIXES)
    return event if known and _LABEL.fullmatch(event) else "other"


def issue_key(payload: Mapping[str, Any]) -> str | None:
    """Return the issue key a delivery names, when it names one."""
    issue = payload.get("issue")
    key = issue.get("key") if isinstance(issue, dict) else None
    return key if isinstance(key, str) and len(key) <= 100 else None
