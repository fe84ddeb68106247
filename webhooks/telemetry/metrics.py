"""Counters and a histogram for `GET /metrics`, in the Prometheus text format."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping

# Seconds; a recompute is one to a few dozen Jira calls.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

Labels = tuple[tuple[str, str], ...]


class Metrics:
    """Thread-safe counters, one histogram and gauges read at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = {}
        self._help: dict[str, str] = {}
        self._buckets = [0] * len(DURATION_BUCKETS)
        self._duration_sum = 0.0
        self._duration_count = 0

    def _add(self, name: str, help_text: str, labels: Mapping[str, str], amount: float = 1.0) -> None:
        key = tuple(sorted((k, str(v)) for k, v in labels.items()))
        with self._lock:
            self._help.setdefault(name, help_text)
            series = self._counters.setdefault(name, {})
            series[key] = series.get(key, 0.0) + amount

    def delivery(self, event: str, outcome: str) -> None:
        """Count one webhook delivery by its event name and what became of it."""
        self._add("pmrollup_webhook_deliveries_total", "Webhook deliveries by event and outcome.",
                  {"event": event, "outcome": outcome})

    def jira_call(self, status: int | str) -> None:
        """Count one call to Jira by its HTTP status (or 'error' when no answer came)."""
        self._add("pmrollup_jira_calls_total", "Calls to Jira by HTTP status.", {"status": str(status)})

    def findings(self, by_severity: Mapping[str, int]) -> None:
        """Count rule findings by severity."""
        for severity, count in by_severity.items():
            if count:
                self._add("pmrollup_findings_total", "Rule findings by severity.",
                          {"severity": severity}, count)

    def recompute(self, seconds: float, outcome: str) -> None:
        """Record one recompute: its duration and whether it succeeded."""
        self._add("pmrollup_recomputes_total", "Recomputes by outcome.", {"outcome": outcome})
        with self._lock:
            for i, bound in enumerate(DURATION_BUCKETS):
                if seconds <= bound:
                    self._buckets[i] += 1
            self._duration_sum += seconds
            self._duration_count += 1

    def render(self, gauges: Mapping[str, tuple[str, Mapping[str, float]]] | None = None) -> str:
        """Return the text exposition; `gauges` maps name -> (help, {label value: number})."""
        out: list[str] = []
        with self._lock:
            for name in sorted(self._counters):
                out += [f"# HELP {name} {self._help[name]}", f"# TYPE {name} counter"]
                for labels, value in sorted(self._counters[name].items()):
                    out.append(f"{name}{_labels(labels)} {_number(value)}")
            name = "pmrollup_recompute_duration_seconds"
            out += [f"# HELP {name} Time one recompute took.", f"# TYPE {name} histogram"]
            for bound, count in zip(DURATION_BUCKETS, self._buckets, strict=True):
                out.append(f'{name}_bucket{{le="{_number(bound)}"}} {count}')
            out.append(f'{name}_bucket{{le="+Inf"}} {self._duration_count}')
            out.append(f"{name}_sum {_number(self._duration_sum)}")
            out.append(f"{name}_count {self._duration_count}")
        for gname, (help_text, values) in sorted((gauges or {}).items()):
            out += [f"# HELP {gname} {help_text}", f"# TYPE {gname} gauge"]
            for label, value in sorted(values.items()):
                out.append(f"{gname}{_labels((('kind', label),))} {_number(value)}")
        return "\n".join(out) + "\n"


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))
