"""Injected faults: rate limiting, server errors, latency, page caps, search lag, webhook mishaps."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sandbox.store import StoreError

# Jira Cloud's 429 body and reason header; see
# https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
RATE_LIMITED = {"errorMessages": ["Rate limit exceeded."], "errors": {}}


@dataclass(frozen=True)
class Faults:
    """What to break, as rates in [0, 1], durations in ms (retry_after in seconds)."""

    rate_429: float = 0.0
    retry_after: float = 1.0
    rate_5xx: float = 0.0
    latency_ms: float = 0.0
    page_cap: int | None = None
    search_lag_ms: float = 0.0
    duplicate_rate: float = 0.0
    delay_ms: float = 0.0
    reorder: bool = False
    random_seed: int | None = None
    hold: str = ""  # "METHOD /path regex": matching requests wait until the faults change (a crash window)


def parse_faults(body: Mapping[str, Any]) -> Faults:
    """Validate a `POST /sandbox/faults` body; `{}` clears every fault."""
    known = {f.name: f.type for f in fields(Faults)}
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise StoreError(f"Unknown fault(s): {', '.join(unknown)}. Known: {', '.join(known)}.")
    values: dict[str, Any] = {}
    for name, value in body.items():
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if name == "reorder":
            values[name] = bool(value)
        elif name == "hold":
            if value is not None and not isinstance(value, str):
                raise StoreError(f"Fault hold must be a regular expression (text), not {value!r}.")
            values[name] = value or ""
            try:
                re.compile(values[name])
            except re.error as exc:
                raise StoreError(f"Fault hold is not a regular expression: {exc}.") from None
        elif name in ("page_cap", "random_seed"):
            if value is not None and not (is_number and float(value).is_integer()):
                raise StoreError(f"Fault {name} must be a whole number or null, not {value!r}.")
            values[name] = None if value is None else int(value)
        elif not is_number:
            raise StoreError(f"Fault {name} must be a number, not {value!r}.")
        else:
            number = float(value)
            if not 0 <= number < float("inf") or (name.startswith(("rate_", "duplicate")) and number > 1):
                raise StoreError(f"Fault {name} out of range: {value!r}.")
            values[name] = number
    if values.get("page_cap") is not None and values["page_cap"] < 1:
        raise StoreError("Fault page_cap must be at least 1.")
    return Faults(**values)


class FaultInjector:
    """Hold the current faults and roll the dice for each request or delivery."""

    def __init__(self) -> None:
        self.faults = Faults()
        self._random = random.Random()
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self.held = 0  # requests waiting on a `hold` fault now

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.random_seed)
        with self._changed:
            self._changed.notify_all()

    def hold_if_matched(self, method: str, path: str, timeout: float = 120.0) -> bool:
        """Keep a request matching the `hold` fault waiting until the faults change; say whether it was
        held (it is then dropped unserved, as when the client died while it was on its way)."""
        pattern = self.faults.hold
        if not pattern or not re.search(pattern, f"{method} {path}"):
            return False
        with self._changed:
            self.held += 1
            try:
                self._changed.wait_for(lambda: self.faults.hold != pattern, timeout)
            finally:
                self.held -= 1
        return True

    def roll(self, rate: float) -> bool:
        """Return True with probability `rate`."""
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate

    def uniform(self, low: float, high: float) -> float:
        with self._lock:
            return self._random.uniform(low, high)

    def request_fault(self) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Return (status, body, headers) for a request to fail, or None to serve it."""
        faults = self.faults
        if self.roll(faults.rate_429):
            return 429, RATE_LIMITED, {"Retry-After": f"{faults.retry_after:g}",
                                       "RateLimit-Reason": "jira-burst-based"}
        if self.roll(faults.rate_5xx):
            status = 503 if self.roll(0.5) else 500
            message = "Service Unavailable" if status == 503 else "Internal server error"
            return status, {"errorMessages": [message], "errors": {}}, {}
        return None
