"""One JSON object per log line, with stable event names and no secrets."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

LOGGER_NAME = "pmrollup"

# Stable event names: dashboards and alerts key on them, so they only ever grow.
EVENTS = frozenset({
    "service.start",          # the web service is up (says whether deliveries must be signed)
    "service.refused",        # the web service refuses to start (no secret, unsigned not allowed)
    "service.error",          # a true server fault answered with 500
    "webhook.accepted",       # a delivery stored in the inbox (202)
    "webhook.duplicate",      # a delivery already stored (200)
    "webhook.ignored",        # an event pmrollup does not act on (200)
    "webhook.rejected",       # a delivery refused (400, 401, 413)
    "webhook.unavailable",    # the inbox could not store a delivery (503)
    "delivery.skipped",       # the worker found nothing to do for a delivery (e.g. unknown issue)
    "delivery.failed",        # turning a delivery into targets failed; it is retried
    "delivery.dead",          # a delivery failed too often and is parked
    "recompute.done",
    "recompute.failed",
    "target.released",        # a target held by a worker that died is freed for the others
    "target.dead",            # a target failed too often and is parked until `pmrollup inbox retry`
    "jira.retry",             # a Jira call is retried (429, 5xx, connection error)
    "service.listening",      # `pmrollup serve` answers HTTP (its URL, worker threads, schedules)
    "service.signal",         # SIGTERM or SIGINT received: stopping
    "service.stop",           # the service stopped
    "worker.start",           # `pmrollup worker` started (its owner id, the store)
    "worker.stop",
    "deliveries.routed",      # a batch of stored deliveries turned into targets
    "delivery.own_write",     # a delivery of pmrollup's own write: nothing to recompute
    "delivery.irrelevant_link",  # a link of a type pmrollup does not follow
    "delivery.nothing_to_do",    # a delivery names no epic or initiative
    "epicmap.stale",          # the remembered initiative of an epic was wrong and is forgotten
    "recompute.problem",      # a recompute could not use or write something (one issue gone, a bad baseline)
    "recompute.gone",         # a target's issue no longer exists in Jira
    "schedule.start",         # the scheduler runs (its jobs and time zone)
    "schedule.stop",
    "schedule.run",           # a scheduled job ran (job, scheduled time, what it enqueued)
    "schedule.skipped",       # a scheduled run was already claimed by another scheduler
    "schedule.failed",        # a scheduled job failed; recorded with its error
    "rules.reloaded",         # an edited rule file or app.yaml is in force from the next recompute on
    "rules.reload_refused",   # an edited rule file or app.yaml is refused (file:line); the last good run
    "config.restart_needed",  # app.yaml keys changed that keep their running values until a restart
    "digest.posted",          # a status digest posted on an initiative
    "digest.muted",           # an initiative's digest held back by the mute label
    "digest.failed",
    "jira.blockers_gone",     # blockers Jira no longer returns (deleted or hidden): listed as unknown
    "jira.notify_users_refused",  # notifyUsers=false refused (it needs admin): edits notify watchers
    "target.woken",           # a target asked to be recomputed later (a comment held by quiet hours) is due
    "site.problem",           # an output field the site refuses, first seen (field, project, issue type)
    "site.fixed",             # a refused field written again after the hour: its site problem is cleared
    "recompute.refused",      # Jira refused a target's recompute for good (a 400): done, not retried
})

_SECRET_WORDS = ("token", "secret", "password", "authorization", "signature", "cookie")
REDACTED = "[redacted]"


def is_secret_key(key: str) -> bool:
    """Tell whether a field named `key` may hold a secret whose value must never be logged."""
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def redact(value: Any) -> Any:
    """Return `value` with the values of secret-looking keys replaced, at any depth."""
    if isinstance(value, Mapping):
        return {str(k): REDACTED if is_secret_key(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, event, then its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
        }
        line["event"] = record.getMessage()
        # log_event here and connector.eventlog.log_event put an event's fields in `extra` as `fields`.
        fields = getattr(record, "fields", None)
        for key, value in redact(fields if isinstance(fields, Mapping) else {}).items():
            line.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, default=str, ensure_ascii=False)


def log_event(event: str, level: int = logging.INFO, exc_info: bool = False, **fields: Any) -> None:
    """Log one event by its stable name with its fields."""
    logging.getLogger(LOGGER_NAME).log(level, event, extra={"fields": fields}, exc_info=exc_info)


def ensure_logging() -> None:
    """Log JSON lines to stderr unless the host process already set up logging."""
    if not logging.getLogger(LOGGER_NAME).handlers and not logging.getLogger().handlers:
        configure_logging()


def configure_logging(stream: TextIO | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send pmrollup's log to `stream` (default stderr) as JSON lines; return the handler."""
    logger = logging.getLogger(LOGGER_NAME)
    for old in [h for h in logger.handlers if getattr(h, "_pmrollup", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._pmrollup = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def describe(exc: BaseException) -> str:
    """Return a short, one-line description of an error for the store and the log."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__
