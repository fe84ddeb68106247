"""The connector's log: plain records, each one of pmrollup's stable event names with its fields."""

from __future__ import annotations

import logging

log = logging.getLogger("pmrollup.connector")


def log_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    """Log one stable event: its name is the record's message and its fields ride in `extra` as
    `fields`, the record webhooks.telemetry.logs.log_event makes, written as one JSON line."""
    log.log(level, event, extra={"fields": fields})
