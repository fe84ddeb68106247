"""The schedules: sweep, digest and catchup, each run claimed once in the store, enqueueing targets,
and the first sweep a store gets when schedules first start on it (cron: webhooks.schedules.cron)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from connector.client import JiraGateway
from connector.updates import portfolio, recently_updated
from rules.config import AppConfig
from rules.wording import counted
from webhooks.schedules.cron import cron_trigger, latest_fire
from webhooks.store.inbox import Inbox, RunRecord, Target
from webhooks.store.targets import targets_of
from webhooks.telemetry.logs import describe, log_event

JOBS = ("sweep", "digest", "catchup")
# The sweep a store that has never swept gets when schedules first start on it, so every field is
# filled without waiting for an edit or the nightly sweep. Recorded in `runs` as attempts 001, 002...:
# two schedulers race for the same attempt and one wins; a failed attempt is followed by the next.
FIRST_SWEEP = "first-sweep"
FIRST_SWEEP_RETRY_SECONDS = 60.0  # until the first sweep is done, look again this often
# An attempt that never finished (its process was killed) is given up after this long.
FIRST_SWEEP_STALE_SECONDS = 3600.0
# When the last catchup did not finish cleanly (or none ran yet), look back this far: the sweep's
# default period, so nothing Jira failed to deliver is missed for longer than a day.
CATCHUP_FALLBACK = timedelta(days=1)
# Jira stores `updated` to the millisecond but JQL compares by the minute; overlap runs a little.
CATCHUP_MARGIN_MINUTES = 2
MISFIRE_GRACE_SECONDS = 300

GatewayFactory = Callable[[], JiraGateway]
Action = Callable[[datetime, "RunRecord | None"], str]


def sweep_targets(gateway: JiraGateway) -> list[Target]:
    """Return a target for every program (all its projects changed) and every lone project."""
    found = portfolio(gateway)
    return ([Target("program", key, frozenset(projects)) for key, projects in found.programs.items()]
            + [Target("project", key) for key in found.lone_projects])


def has_swept(*runs: RunRecord | None) -> bool:
    """Tell whether any of these runs (the last sweep, the last first sweep) is a sweep done."""
    return any(run is not None and (run.outcome or "").startswith("done") for run in runs)


def first_sweep_attempt(sweep: RunRecord | None, first: RunRecord | None, now: float) -> int | None:
    """Return the number of the first-sweep attempt to make now, or None when the store has swept
    (a scheduled or a first sweep done) or another process's attempt is under way."""
    if has_swept(sweep, first):
        return None
    if first is None:
        return 1
    if first.finished_at is None and now - first.started_at < FIRST_SWEEP_STALE_SECONDS:
        return None
    number = first.scheduled_at.rpartition(" ")[2]
    return int(number) + 1 if number.isdigit() else 1


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
                                           "digest": self.digest, FIRST_SWEEP: self.sweep}

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), self.zone)

    def run(self, job: str, scheduled: datetime | None = None) -> bool:
        """Run `job` for its scheduled time (default: the latest before now) unless already claimed."""
        when = scheduled or latest_fire(self.triggers[job], self.now())
        return self._run_claimed(job, when.isoformat(), when)

    def first_sweep(self) -> bool:
        """Sweep once if this store has never swept; return True when the store has swept now or before
        (False: an attempt failed, or another process's is under way, so look again later)."""
        attempt = first_sweep_attempt(*self._last_sweeps(), self.clock())
        if attempt is not None:
            self._run_claimed(FIRST_SWEEP, f"attempt {attempt:03d}", self.now())
            return has_swept(*self._last_sweeps())
        swept = has_swept(*self._last_sweeps())
        log_event("schedule.skipped", job=FIRST_SWEEP,
                  reason="this store has swept before" if swept else "another scheduler is sweeping")
        return swept

    def _last_sweeps(self) -> tuple[RunRecord | None, RunRecord | None]:
        return self.store.last_run("sweep"), self.store.last_run(FIRST_SWEEP)

    def _run_claimed(self, job: str, stamp: str, when: datetime) -> bool:
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
        return f"enqueued {counted(self.enqueue(sweep_targets(self.gateway_factory())), 'target')}"

    def catchup(self, scheduled: datetime, previous: RunRecord | None) -> str:
        """Enqueue the programs and projects of issues updated since the last clean catchup."""
        minutes = catchup_minutes(scheduled, previous, self.now())
        placed = recently_updated(self.gateway_factory(), minutes)
        queued = self.enqueue(targets_of(placed))
        return f"{counted(len(placed), 'issue')} updated in {minutes} min; enqueued {queued}"

    def digest(self, scheduled: datetime, previous: RunRecord | None) -> str:
        """Post the digest comment on every initiative (once per date)."""
        from webhooks.recompute.services import recomputer_for
        from webhooks.schedules.digest import post_digests

        gateway = self.gateway_factory()
        recomputer = recomputer_for(self.config, gateway=gateway)
        posted = post_digests(self.config, gateway, recomputer, recomputer.clock.today())
        return f"posted {sum(d.posted for d in posted)} of {counted(len(posted), 'digest')}"


def build_scheduler(schedule: Schedule, blocking: bool = False) -> BaseScheduler:
    """Return an APScheduler scheduler (not started) with one job per schedule."""
    kind: type[BaseScheduler] = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(timezone=schedule.zone)
    for job in JOBS:
        scheduler.add_job(schedule.run, schedule.triggers[job], args=[job], id=job, name=job,
                          coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS)

    swept = threading.Event()

    def owe_first_sweep() -> None:
        """Sweep a store that never swept, at start; until it has, look again every minute.

        Once swept, the job stays and returns at once: removing itself would need the job stores'
        lock, which a shutdown waiting for this very job holds (a stop during the first sweep hung)."""
        if not swept.is_set() and schedule.first_sweep():
            swept.set()

    scheduler.add_job(owe_first_sweep, IntervalTrigger(seconds=FIRST_SWEEP_RETRY_SECONDS,
                                                       timezone=schedule.zone),
                      next_run_time=schedule.now(), id=FIRST_SWEEP, name=FIRST_SWEEP, coalesce=True,
                      max_instances=1, misfire_grace_time=None)
    return scheduler


def start_in_background(config: AppConfig, store: Inbox,
                        gateway_factory: GatewayFactory | None = None) -> Callable[[], None]:
    """Start the scheduler in a background thread (for `pmrollup serve`); return its stop function."""
    from webhooks.recompute.services import gateway_for

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
