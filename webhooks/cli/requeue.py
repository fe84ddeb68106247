"""Queue a recompute for the running worker after a command changed what a recompute would write."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from connector.hierarchy import Location
from connector.placing import Placement
from rules.config import AppConfig
from rules.wording import counted
from webhooks.cli.base import CommandError
from webhooks.store.inbox import SqliteInbox, StoreError, Target
from webhooks.store.targets import target_of

NAMED = 10  # the targets a message names; the others are counted


def target_at(where: Location) -> Target | None:
    """Return what the worker recomputes for an issue: its program (with its epic) or its lone epic."""
    return target_of(Placement(where.key, where.id, where.level, where.project_key, where.program_key))


def queue_recompute(config: AppConfig, target: Target, clock: Callable[[], float] = time.time) -> str:
    """Put `target` into the inbox the worker reads, coalesced with what waits there; say so."""
    return queue_recomputes(config, [target], clock)


def queue_recomputes(config: AppConfig, targets: Sequence[Target],
                     clock: Callable[[], float] = time.time) -> str:
    """Put `targets` into the inbox the worker reads, each coalesced with what waits there; say so."""
    try:
        store = SqliteInbox(config.store_path, create=False)
    except StoreError:
        return (f"nothing queued: there is no inbox at {config.store_path} yet; the first start of "
                "`pmrollup serve` (or `pmrollup scheduler`) sweeps every program and project")
    settings = config.worker
    one = len(targets) == 1
    try:
        store.upsert_targets(targets, clock(), settings.debounce_seconds, settings.max_delay_seconds)
    except StoreError as exc:
        now = f"`pmrollup evaluate {targets[0].key}` updates its" if one else "`pmrollup sweep` updates their"
        raise CommandError(f"{exc}; nothing was queued: {now} fields now") from exc
    within = max(1, math.ceil(min(settings.debounce_seconds, settings.max_delay_seconds)))
    named = ", ".join(t.key for t in targets[:NAMED])
    more = f" and {counted(len(targets) - NAMED, 'other')}" if len(targets) > NAMED else ""
    return (f"queued {named}{more} for recompute; a running worker updates {'its' if one else 'their'} "
            f"fields within {within} s")
