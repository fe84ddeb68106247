"""Fixtures shared by every test: a sandbox Jira over real HTTP, the real Jira payloads, and
pmrollup's log captured as JSON lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from sandbox.server import RunningSandbox, start_sandbox
from webhooks.telemetry.logs import LOGGER_NAME, JsonFormatter

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
SMALL_SEED = ROOT / "sandbox" / "seeds" / "small.yaml"
NO_SHARED = "../shared is absent: real Jira payloads are only available beside a development checkout"

SandboxFactory = Callable[..., RunningSandbox]

# Generated examples are the same on every run (derandomized, no example database): a property test
# that passes once passes in CI too, and one that fails names the example that fails, every time.
settings.register_profile("pmrollup", derandomize=True, database=None, deadline=None)
settings.load_profile("pmrollup")


@pytest.fixture
def sandbox_factory() -> Iterator[SandboxFactory]:
    """Start sandboxes on ephemeral loopback ports; every one is stopped at teardown."""
    started: list[RunningSandbox] = []

    def start(seed: Mapping[str, Any] | str | Path = SMALL_SEED, flavor: str = "cloud") -> RunningSandbox:
        sandbox = start_sandbox(seed, flavor)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def shared_dir() -> Path:
    """Return ../shared (real Jira payloads and the OpenAPI document), or skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(NO_SHARED)
    return SHARED.resolve()


class LogCapture:
    """pmrollup's log lines, as written by the JSON formatter."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text().splitlines() if line.startswith("{")]

    def events(self) -> list[str]:
        return [record["event"] for record in self.records()]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if r.get("event") == event]


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    """Capture pmrollup's log as JSON lines."""
    capture = LogCapture()
    handler = logging.StreamHandler(capture.stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(LOGGER_NAME)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield capture
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
