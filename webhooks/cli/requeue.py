"""Queue a recompute for the running worker after a command changed what a recompute would write."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from connector.hierarchy import Location
from connector.placing import Placement
from rules.config import AppConfig
from webhooks.cli.base import CommandError
from webhooks.store.inbox import SqliteInbox, StoreError, Target
from webhooks.store.targets import target_of


def target_at(where: Location) -> Target | None:
    """Return what the worker recomputes for an issue: its program (with its epic) or its lone epic."""
    return target_of(Placement(where.key, where.id, where.level, where.project_key, where.program_key))


def queue_recompute(config: AppConfig, target: Target, clock: Callable[[], float] = time.time) -> str:
    """Put `target` into the inbox the worker reads, coalesced with what waits there; say so."""
    try:
        store = SqliteInbox(config.store_path, create=False)
    except StoreError:
        return (f"nothing queued: there is no inbox at {config.store_path} yet; the first start of "
                "`pmrollup serve` (or `pmrollup scheduler`) sweeps every program and project")
    settings = config.worker
    try:
        store.upsert_target(target, clock(), settings.debounce_seconds, settings.max_delay_seconds)
    except StoreError as exc:
        raise CommandError(f"{exc}; nothing was queued: `pmrollup evaluate {target.key}` updates its "
                           "fields now") from exc
    within = max(1, math.ceil(min(settings.debounce_seconds, settings.max_delay_seconds)))
    return f"queued {target.key} for recompute; a running worker updates its fields within {within} s"
