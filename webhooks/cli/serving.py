"""Run pmrollup as a service: web, worker and schedules in one process (`serve`), or the worker alone."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from types import FrameType

import click
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from connector.client import JiraGateway
from connector.errors import JiraBadRequest, JiraNotFound
from rules.config import AppConfig
from rules.engine import RuleSet
from webhooks.cli.base import CommandError, RootOptions, pass_root
from webhooks.recompute.recomputer import Evaluation, Recomputer
from webhooks.recompute.services import audit_into, gateway_for, rules_for
from webhooks.schedules.schedule import start_in_background
from webhooks.settings.clock import clock_from_environ
from webhooks.store.gauges import StoreGauges
from webhooks.store.inbox import Inbox, SqliteInbox, StoreError, Target
from webhooks.telemetry.logs import configure_logging, describe, log_event
from webhooks.telemetry.metrics import Metrics, serve_metrics
from webhooks.web.app import create_app
from webhooks.web.readiness import jira_probe
from webhooks.worker.loop import RecomputeResult, Worker
from webhooks.worker.reload import LiveRules, reads_differ, rule_labels
from webhooks.worker.routing import Router

# Starts the schedules beside the worker and returns the function that stops them.
SchedulerStart = Callable[[AppConfig, Inbox], Callable[[], None]]
DEFAULT_LEASE_SECONDS = 300.0


class TargetRecompute:
    """Recompute one target for the worker: a program with its changed projects, or a lone project.

    With `live`, each recompute first takes any reloaded rules and evaluation settings, and hands
    them to `router` and the gateway too, in the worker's own thread."""

    def __init__(self, config: AppConfig, gateway: JiraGateway, rules: RuleSet, store: Inbox | None = None,
                 metrics: Metrics | None = None, *, live: LiveRules | None = None,
                 router: Router | None = None) -> None:
        self.config = config
        self.gateway = gateway
        self.rules = rules
        self.store = store
        self.metrics = metrics
        self.live = live
        self.router = router
        self.clock = clock_from_environ(config.timezone)  # the time zone takes a restart to change
        self._generation = live.in_force.generation if live is not None else 0
        self._counted: Counter[tuple[str, int]] = Counter()  # the gateway's answers counted so far

    def __call__(self, target: Target) -> RecomputeResult:
        self._take_reloaded()
        recomputer = Recomputer(config=self.config, gateway=self.gateway, rules=self.rules,
                                clock=self.clock,
                                audit=audit_into(self.store) if self.store is not None else None,
                                site=self.store)
        reconcile = sorted(target.reconcile)
        try:
            if target.kind == "program":
                evaluation = recomputer.program(target.key, changed=target.projects, reconcile=reconcile)
            else:
                evaluation = recomputer.project(target.key, reconcile=reconcile)
        except JiraNotFound as exc:
            log_event("recompute.gone", kind=target.kind, key=target.key, reason=describe(exc))
            return RecomputeResult()
        except JiraBadRequest as exc:
            # A refusal for good (a search Jira will never take): retrying on a ladder changes nothing.
            log_event("recompute.refused", logging.ERROR, kind=target.kind, key=target.key,
                      reason=describe(exc))
            return RecomputeResult()
        finally:
            self._count_jira_calls()
        self._wake_for_held(target, recomputer, evaluation)
        return RecomputeResult(
            findings=evaluation.findings_by_severity(),
            fields_written=sum(r.fields_written for r in evaluation.results),
            comments_posted=sum(r.comments_posted for r in evaluation.results),
        )

    def _wake_for_held(self, target: Target, recomputer: Recomputer, evaluation: Evaluation) -> None:
        """Queue the target again for when a comment held by quiet hours is due, if it still holds."""
        wake = evaluation.wake_at()
        if wake is None or self.store is None:
            return
        delay = max(1.0, (wake - recomputer.now()).total_seconds())
        self.store.wake_later(target, time.time() + delay)

    def _take_reloaded(self) -> None:
        """Use the rules and settings in force now, when a reload made new ones."""
        if self.live is None:
            return
        now = self.live.refresh()
        if now.generation == self._generation:
            return
        if reads_differ(self.config, now.config):
            self.gateway.config = now.config
            self.gateway.refresh_fields()  # output and input field names are looked up again
        if self.router is not None:
            self.router.adopt(now.config, rule_labels(now.rules))
        self.config, self.rules, self._generation = now.config, now.rules, now.generation

    def _count_jira_calls(self) -> None:
        """Add the gateway's calls since the last recompute (routing's included) to the metrics."""
        if self.metrics is None:
            return
        now = Counter(self.gateway.answers)
        for (method, status), count in (now - self._counted).items():
            self.metrics.jira_call(status, method, count)
        self._counted = now


def build_worker(config: AppConfig, store: Inbox, *, environ: Mapping[str, str] | None = None,
                 gateway: JiraGateway | None = None, rules: RuleSet | None = None,
                 live: LiveRules | None = None, metrics: Metrics | None = None,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS, poll_seconds: float = 0.2) -> Worker:
    """Return a worker that routes deliveries and recomputes targets with its own Jira gateway, taking
    edits of the rule files and app.yaml from `live` (its own, when none is shared)."""
    gateway = gateway or gateway_for(config, environ)
    live = live or LiveRules(config, rules or rules_for(config))
    in_force = live.in_force
    router = Router(in_force.config, gateway, rule_labels(in_force.rules))
    recompute = TargetRecompute(in_force.config, gateway, in_force.rules, store, metrics, live=live,
                                router=router)
    return Worker(store, router, recompute, config, lease_seconds=lease_seconds,
                  poll_seconds=poll_seconds, metrics=metrics)


def jira_check_for(config: AppConfig, environ: Mapping[str, str]) -> Callable[[], str | None]:
    """Return the readiness check of Jira (webhooks.readiness.jira_probe, which create_app also uses)."""
    return jira_probe(config, environ)


class _QuietHandler(WSGIRequestHandler):
    """Serve requests without werkzeug's access lines: the service logs each delivery as JSON."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class Service:
    """The web side, worker thread(s) and (optionally) the schedules of one process, on one store."""

    def __init__(self, config: AppConfig, *, host: str = "127.0.0.1", port: int = 8080,
                 environ: Mapping[str, str] | None = None, store: Inbox | None = None, workers: int = 1,
                 scheduler: SchedulerStart | None = None, lease_seconds: float = DEFAULT_LEASE_SECONDS,
                 poll_seconds: float = 0.2) -> None:
        env = os.environ if environ is None else environ
        self.config = config
        self.store = store if store is not None else SqliteInbox(config.store_path)
        self.metrics = Metrics()
        # One view of the rule files for the worker threads and the web side's reload_problem.
        self.live = LiveRules(config, rules_for(config))
        self.workers = [build_worker(config, self.store, environ=env, live=self.live, metrics=self.metrics,
                                     lease_seconds=lease_seconds, poll_seconds=poll_seconds)
                        for _ in range(max(1, workers))]
        app = create_app(config, store=self.store, environ=env, metrics=self.metrics,
                         jira_check=jira_check_for(config, env), site_problems=self.reload_problems)
        self.server: BaseWSGIServer = make_server(host, port, app, threaded=True,
                                                  request_handler=_QuietHandler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.scheduler = scheduler
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stop_schedules: Callable[[], None] | None = None

    def reload_problems(self) -> list[str]:
        """Say, for /readyz, why the last edit of app.yaml or a rule file was refused (if it was)."""
        problem = self.live.reload_problem()
        return [problem] if problem else []

    def start(self) -> Service:
        """Start serving, working and (when given) scheduling in background threads."""
        self.start_web()
        self.start_workers()
        if self.scheduler is not None:
            self._stop_schedules = self.scheduler(self.config, self.store)
        return self

    def start_web(self) -> Service:
        """Start answering HTTP: deliveries are stored from now on."""
        self._spawn(self.server.serve_forever, (0.2,), "pmrollup-web")
        log_event("service.listening", url=self.url, workers=len(self.workers),
                  schedules=self.scheduler is not None)
        return self

    def start_workers(self) -> Service:
        """Start the worker threads: stored deliveries are routed and due targets recomputed."""
        for n, worker in enumerate(self.workers):
            self._spawn(worker.run_forever, (self.stopping,), f"pmrollup-worker-{n}")
        return self

    def _spawn(self, target: Callable[..., None], args: tuple[object, ...], name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop taking deliveries, let each worker finish its current recompute, stop the schedules."""
        self.stopping.set()
        if self._stop_schedules is not None:
            self._stop_schedules()
        self.server.shutdown()
        self.server.server_close()
        for thread in self._threads:
            thread.join(timeout)
        log_event("service.stop")


def wait_for_signal(stop: threading.Event) -> None:
    """Block until SIGTERM or SIGINT (Ctrl-C), then return."""

    def on_signal(number: int, frame: FrameType | None) -> None:
        log_event("service.signal", signal=signal.Signals(number).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.wait(1.0):
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


lease_option = click.option("--lease", type=float, default=DEFAULT_LEASE_SECONDS, metavar="SECONDS",
                            help="how long a target stays claimed by a worker that may have died "
                                 f"(default {DEFAULT_LEASE_SECONDS:g})")


@click.command("serve", short_help="run the webhook endpoint, the worker and the schedules in one process",
               help="Serve POST /webhooks/jira, /healthz, /readyz and /metrics, run the worker and the "
                    "schedules on the SQLite store, until SIGTERM or Ctrl-C.")
@click.option("--host", default="127.0.0.1", metavar="HOST", help="address to listen on (default 127.0.0.1)")
@click.option("--port", type=int, default=8080, metavar="PORT",
              help="port to listen on (default 8080; 0 picks one)")
@click.option("--workers", type=int, default=1, metavar="N", help="worker threads (default 1)")
@click.option("--no-schedules", is_flag=True, help="leave the schedules to `pmrollup scheduler`")
@lease_option
@pass_root
def serve_command(root: RootOptions, host: str, port: int, workers: int, no_schedules: bool,
                  lease: float) -> int:
    return run_serve(root, host=host, port=port, workers=workers, schedules=not no_schedules, lease=lease)


@click.command("worker", short_help="run the worker alone (beside gunicorn serving the web side)",
               help="Route stored deliveries and recompute due targets until SIGTERM.")
@lease_option
@pass_root
def worker_command(root: RootOptions, lease: float) -> int:
    return run_worker(root, lease=lease)


def run_serve(root: RootOptions, *, host: str, port: int, workers: int, schedules: bool, lease: float) -> int:
    configure_logging()
    config = root.load()
    scheduler: SchedulerStart | None = start_in_background if schedules else None
    try:
        service = Service(config, host=host, port=port, workers=workers, scheduler=scheduler,
                          lease_seconds=lease).start()
    except StoreError as exc:
        raise CommandError(str(exc)) from exc
    try:
        wait_for_signal(threading.Event())
    finally:
        service.stop()
    return 0


def run_worker(root: RootOptions, *, lease: float) -> int:
    configure_logging()
    config = root.load()
    try:
        store = SqliteInbox(config.store_path)
    except StoreError as exc:
        raise CommandError(str(exc)) from exc
    metrics = Metrics()
    worker = build_worker(config, store, metrics=metrics, lease_seconds=lease)
    endpoint = serve_metrics(metrics, config.worker.metrics_port, StoreGauges(store))
    log_event("worker.start", logging.WARNING if endpoint.problem else logging.INFO, owner=worker.owner,
              store=config.store_path, metrics=endpoint.url, metrics_problem=endpoint.problem)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="pmrollup-worker", daemon=True)
    thread.start()
    try:
        wait_for_signal(stop)
    finally:
        stop.set()
        thread.join(60.0)
        endpoint.stop()
        log_event("worker.stop", owner=worker.owner)
    return 0

