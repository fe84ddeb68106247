"""pmrollup's Prometheus metrics, kept by prometheus-client: counters and a histogram in this process, or,
under gunicorn, in the files its workers share (webhooks.telemetry.metricfiles), which a scrape adds up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

# Seconds; a recompute is one to a few dozen Jira calls.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
# The text format /metrics answers in, as it always has.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# prometheus-client's own setting: the folder of metric files the processes of one service share.
SHARED_FOLDER_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Where `pmrollup worker` listens: every interface, as Prometheus exporters do; the figures are counts.
ALL_INTERFACES = "0.0.0.0"

# No `_created` series: prometheus-client's shared files have none, so one process shows the same series.
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    """The counters and the recompute histogram of one process; prometheus-client makes them thread-safe.

    Made when SHARED_FOLDER_ENV is set, they are kept in that folder and reported with every other
    process's there; make one per process, since two in a process would overwrite each other's counts."""

    def __init__(self) -> None:
        self._shared_folder = os.environ.get(SHARED_FOLDER_ENV) or None
        own = CollectorRegistry()  # its own, not the library's global one: each Metrics starts at zero
        self._deliveries = Counter("pmrollup_webhook_deliveries_total",
                                   "Webhook deliveries by event and outcome.", ("event", "outcome"),
                                   registry=own)
        self._jira_calls = Counter("pmrollup_jira_calls_total", "Calls to Jira by HTTP status.", ("status",),
                                   registry=own)
        self._jira_requests = Counter("pmrollup_jira_requests_total",
                                      "Requests to Jira by HTTP method and status.", ("method", "status"),
                                      registry=own)
        self._findings = Counter("pmrollup_findings_total", "Rule findings by severity.", ("severity",),
                                 registry=own)
        self._recomputes = Counter("pmrollup_recomputes_total", "Recomputes by outcome.", ("outcome",),
                                   registry=own)
        self._duration = Histogram("pmrollup_recompute_duration_seconds", "Time one recompute took.",
                                   buckets=DURATION_BUCKETS, registry=own)
        self._collectors: tuple[Collector, ...] = (self._deliveries, self._jira_calls, self._jira_requests,
                                                   self._findings, self._recomputes, self._duration)

    def delivery(self, event: str, outcome: str) -> None:
        """Count one webhook delivery by its event name and what became of it."""
        self._deliveries.labels(event=event, outcome=outcome).inc()

    def jira_call(self, status: int | str, method: str, count: int = 1) -> None:
        """Count `count` answers from Jira by HTTP status, and by request method with it."""
        self._jira_calls.labels(status=str(status)).inc(count)
        self._jira_requests.labels(method=method.upper(), status=str(status)).inc(count)

    def findings(self, by_severity: Mapping[str, int]) -> None:
        """Count rule findings by severity."""
        for severity, count in by_severity.items():
            if count:
                self._findings.labels(severity=severity).inc(count)

    def recompute(self, seconds: float, outcome: str) -> None:
        """Record one recompute: its duration and whether it succeeded."""
        self._recomputes.labels(outcome=outcome).inc()
        self._duration.observe(seconds)

    def registry(self, *extra: Collector) -> CollectorRegistry:
        """Return a registry of these metrics (with a shared folder, every process's there) and `extra`,
        collectors read at each scrape."""
        registry = CollectorRegistry()
        if self._shared_folder is not None:
            MultiProcessCollector(registry, path=self._shared_folder)  # type: ignore[no-untyped-call]
        else:
            for collector in self._collectors:
                registry.register(collector)
        for collector in extra:
            registry.register(collector)
        return registry

    def render(self, *extra: Collector) -> str:
        """Return the text exposition of these metrics and of `extra`'s."""
        return generate_latest(self.registry(*extra)).decode("utf-8")


@dataclass
class Endpoint:
    """Where a process answers GET /metrics on a port of its own; `url` is None when it does not."""

    url: str | None
    problem: str | None = None
    server: WSGIServer | None = None

    def stop(self) -> None:
        """Stop answering."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def serve_metrics(metrics: Metrics, port: int, *extra: Collector) -> Endpoint:
    """Answer GET /metrics on `port` of every interface from a background thread; port 0 serves none.

    A port that cannot be opened is said in the endpoint's `problem`, not raised: the process works on."""
    if port == 0:
        return Endpoint(None)
    try:
        server, _ = start_http_server(port, addr=ALL_INTERFACES, registry=metrics.registry(*extra))
    except OSError as exc:
        return Endpoint(None, f"port {port} cannot be opened ({exc.strerror or exc}): stop what holds it "
                              f"or set worker.metrics_port to another port (0 serves none)")
    return Endpoint(f"http://{ALL_INTERFACES}:{port}/metrics", server=server)
