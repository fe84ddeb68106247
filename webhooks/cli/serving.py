"""Run pmrollup as a service: web, worker and schedules in one process (`serve`), or the worker alone."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from types import FrameType

import click
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from rules.config import AppConfig
from webhooks.cli.base import CommandError, RootOptions, pass_root
from webhooks.recompute.services import rules_for
from webhooks.schedules.schedule import start_in_background
from webhooks.store.gauges import StoreGauges
from webhooks.store.inbox import Inbox, SqliteInbox, StoreError
from webhooks.telemetry.logs import configure_logging, log_event
from webhooks.telemetry.metrics import Metrics, serve_metrics
from webhooks.web.app import create_app
from webhooks.web.readiness import jira_probe
from webhooks.worker.recomputing import DEFAULT_LEASE_SECONDS, build_worker
from webhooks.worker.reload import LiveRules

# Starts the schedules beside the worker and returns the function that stops them.
SchedulerStart = Callable[[AppConfig, Inbox], Callable[[], None]]


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
        self.live = LiveRules(config, rules_for(config), store=self.store)
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


@contextlib.contextmanager
def stop_on_signal() -> Iterator[threading.Event]:
    """Yield an event that SIGTERM or SIGINT (Ctrl-C) sets, with the handlers in place from the start.

    Enter it before announcing that the process has started: whoever reads the announcement may
    signal at once, and a signal before the handler is installed would kill the process unstopped.
    """
    stop = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        log_event("service.signal", signal=signal.Signals(number).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def wait_until_set(stop: threading.Event) -> None:
    """Block until `stop` is set, waking each second so that signal handlers run."""
    while not stop.wait(1.0):
        pass


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
    with stop_on_signal() as stop:
        try:
            service = Service(config, host=host, port=port, workers=workers, scheduler=scheduler,
                              lease_seconds=lease).start()
        except StoreError as exc:
            raise CommandError(str(exc)) from exc
        try:
            wait_until_set(stop)
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
    with stop_on_signal() as stop:
        log_event("worker.start", logging.WARNING if endpoint.problem else logging.INFO, owner=worker.owner,
                  store=config.store_path, metrics=endpoint.url, metrics_problem=endpoint.problem)
        thread = threading.Thread(target=worker.run_forever, args=(stop,), name="pmrollup-worker",
                                  daemon=True)
        thread.start()
        try:
            wait_until_set(stop)
        finally:
            stop.set()
            thread.join(60.0)
            endpoint.stop()
            log_event("worker.stop", owner=worker.owner)
    return 0

