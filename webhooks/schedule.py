"""The schedules: sweep, digest and catchup, each run claimed once in the store, enqueueing targets.

Schedule strings in `app.yaml` are cron expressions read in `timezone`: five fields
(minute hour day-of-month month day-of-week, as crontab) or six with seconds first
(second minute hour day-of-month month day-of-week). Day-of-week numbers follow crontab
(0 or 7 = Sunday); names (mon, tue, ...) work too.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from connector.client import JiraGateway
from connector.updates import Placement, portfolio, recently_updated
from rules.config import AppConfig, ConfigError
from webhooks.inbox import Inbox, RunRecord, Target
from webhooks.logs import log_event
from webhooks.worker import describe

JOBS = ("sweep", "digest", "catchup")
# When the last catchup did not finish cleanly (or none ran yet), look back this far: the sweep's
# default period, so nothing Jira failed to deliver is missed for longer than a day.
CATCHUP_FALLBACK = timedelta(days=1)
# Jira stores `updated` to the millisecond but JQL compares by the minute; overlap runs a little.
CATCHUP_MARGIN_MINUTES = 2
MISFIRE_GRACE_SECONDS = 300
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")

GatewayFactory = Callable[[], JiraGateway]
Action = Callable[[datetime, "RunRecord | None"], str]


def _day_of_week(spec: str) -> str:
    """Translate crontab day numbers (0/7 = Sunday) into the names APScheduler reads unambiguously."""

    def one(part: str) -> str:
        rng, _, step = part.partition("/")
        if "-" in rng:
            first, last = rng.split("-", 1)
            if first == "0" and last.isdigit():
                # 0-5 is Sunday to Friday: APScheduler's week starts on Monday.
                rest = f"mon-{DAY_NAMES[int(last)]}" if 1 <= int(last) <= 6 else ""
                rng = "*" if int(last) >= 6 else ",".join(x for x in ("sun", rest) if x)
                return rng if not step or rng == "*" else part
            rng = "-".join(DAY_NAMES[int(x)] if x.isdigit() and int(x) <= 7 else x for x in (first, last))
        elif rng.isdigit() and int(rng) <= 7:
            rng = DAY_NAMES[int(rng)]
        return f"{rng}/{step}" if step else rng

    return ",".join(one(p) for p in spec.split(","))


def cron_trigger(expression: str, timezone: str, job: str = "job") -> CronTrigger:
    """Read a 5-field (crontab) or 6-field (seconds first) cron expression in `timezone`."""
    parts = expression.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise ConfigError(f"schedule.{job}: {expression!r} is not a cron expression: use 5 fields "
                          "(minute hour day month day-of-week) or 6 with seconds first")
    second, minute, hour, day, month, dow = parts
    try:
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                           day_of_week=_day_of_week(dow) if re.search(r"\d", dow) else dow,
                           timezone=ZoneInfo(timezone))
    except (ValueError, IndexError) as exc:
        raise ConfigError(f"schedule.{job}: {expression!r} is not a valid cron expression: {exc}") from exc


def latest_fire(trigger: CronTrigger, now: datetime) -> datetime:
    """Return the trigger's latest fire time at or before `now`: the run a job executing now is."""
    lookback = timedelta(seconds=1)
    candidate = trigger.get_next_fire_time(None, now - lookback)
    while candidate is None or candidate > now:
        lookback *= 2
        if lookback > timedelta(days=800):
            raise ValueError("the trigger never fired before now")
        candidate = trigger.get_next_fire_time(None, now - lookback)
    while True:
        following = trigger.get_next_fire_time(candidate, candidate + timedelta(microseconds=1))
        if following is None or following > now:
            return candidate
        candidate = following


def targets_of(placements: Iterable[Placement]) -> list[Target]:
    """Turn placed issues into the targets the worker recomputes, one per program or lone project."""
    found: dict[tuple[str, str], Target] = {}
    for p in placements:
        if p.level == "program":
            target = Target("program", p.key)
        elif p.project_key and p.program_key:
            target = Target("program", p.program_key, frozenset({p.project_key}), frozenset({p.id}))
        elif p.project_key:
            target = Target("project", p.project_key, reconcile=frozenset({p.id}))
        else:
            continue
        slot = (target.kind, target.key)
        found[slot] = found[slot].merge(target) if slot in found else target
    return list(found.values())


def sweep_targets(gateway: JiraGateway) -> list[Target]:
    """Return a target for every program (all its projects changed) and every lone project."""
    found = portfolio(gateway)
    return ([Target("program", key, frozenset(projects)) for key, projects in found.programs.items()]
            + [Target("project", key) for key in found.lone_projects])


def catchup_minutes(scheduled: datetime, previous: RunRecord | None, now: datetime) -> int:
    """Return how many minutes back the catchup looks: to the last clean run, else a day."""
    since = scheduled - CATCHUP_FALLBACK
    if previous is not None and (previous.outcome or "").startswith("done"):
        try:
            since = datetime.fromisoformat(previous.scheduled_at)
        except ValueError:
            pass
    return math.ceil(max(0.0, (now - since).total_seconds()) / 60) + CATCHUP_MARGIN_MINUTES


class Schedule:
    """The scheduled jobs of one process; each run is claimed in the store by (job, scheduled time)."""

    def __init__(self, config: AppConfig, store: Inbox, gateway_factory: GatewayFactory,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = store
        self.gateway_factory = gateway_factory
        self.clock = clock
        self.zone = ZoneInfo(config.timezone)
        self.triggers = {job: cron_trigger(getattr(config.schedule, job), config.timezone, job)
                         for job in JOBS}
        self.actions: dict[str, Action] = {"sweep": self.sweep, "catchup": self.catchup,
                                           "digest": self.digest}

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), self.zone)

    def run(self, job: str, scheduled: datetime | None = None) -> bool:
        """Run `job` for its scheduled time (default: the latest before now) unless already claimed."""
        when = scheduled or latest_fire(self.triggers[job], self.now())
        stamp = when.isoformat()
        previous = self.store.last_run(job)
        if not self.store.claim_run(job, stamp, self.clock()):
            log_event("schedule.skipped", job=job, scheduled_at=stamp, reason="already claimed")
            return False
        started = time.perf_counter()
        try:
            outcome = "done: " + self.actions[job](when, previous)
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded; the next one catches up
            outcome = "failed: " + describe(exc)
            log_event("schedule.failed", logging.WARNING, job=job, scheduled_at=stamp, error=describe(exc))
        self.store.finish_run(job, stamp, outcome[:500], self.clock())
        log_event("schedule.run", job=job, scheduled_at=stamp, outcome=outcome[:200],
                  seconds=round(time.perf_counter() - started, 3))
        return True

    def enqueue(self, targets: Iterable[Target]) -> int:
        """Put targets into the inbox the webhooks use, coalesced with whatever waits there."""
        settings = self.config.worker
        count = 0
        for target in targets:
            self.store.upsert_target(target, self.clock(), settings.debounce_seconds,
                                     settings.max_delay_seconds)
            count += 1
        return count

    def sweep(self, scheduled: datetime, previous: RunRecord | None) -> str:
        """Enqueue every program and every project with no program."""
        return f"enqueued {self.enqueue(sweep_targets(self.gateway_factory()))} target(s)"

    def catchup(self, scheduled: datetime, previous: RunRecord | None) -> str:
        """Enqueue the programs and projects of issues updated since the last clean catchup."""
        minutes = catchup_minutes(scheduled, previous, self.now())
        placed = recently_updated(self.gateway_factory(), minutes)
        return f"{len(placed)} issue(s) updated in {minutes} min; enqueued {self.enqueue(targets_of(placed))}"

    def digest(self, scheduled: datetime, previous: RunRecord | None) -> str:
        """Post the digest comment on every initiative (once per date)."""
        from webhooks.digest import post_digests
        from webhooks.services import recomputer_for

        gateway = self.gateway_factory()
        recomputer = recomputer_for(self.config, gateway=gateway)
        posted = post_digests(self.config, gateway, recomputer, self.config.today())
        return f"posted {sum(d.posted for d in posted)} of {len(posted)} digest(s)"


def build_scheduler(schedule: Schedule, blocking: bool = False) -> BaseScheduler:
    """Return an APScheduler scheduler (not started) with one job per schedule."""
    kind: type[BaseScheduler] = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(timezone=schedule.zone)
    for job in JOBS:
        scheduler.add_job(schedule.run, schedule.triggers[job], args=[job], id=job, name=job,
                          coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS)
    return scheduler


def start_in_background(config: AppConfig, store: Inbox,
                        gateway_factory: GatewayFactory | None = None) -> Callable[[], None]:
    """Start the scheduler in a background thread (for `pmrollup serve`); return its stop function."""
    from webhooks.services import gateway_for

    schedule = Schedule(config, store, gateway_factory or (lambda: gateway_for(config)))
    scheduler = build_scheduler(schedule)
    scheduler.start()
    log_event("schedule.start", jobs={j: getattr(config.schedule, j) for j in JOBS},
              timezone=config.timezone)
    lock = threading.Lock()

    def stop(*_: Any) -> None:
        """Stop scheduling and wait for a job that is running (they only enqueue, so briefly)."""
        with lock:
            if scheduler.running:
                scheduler.shutdown(wait=True)

    return stop
