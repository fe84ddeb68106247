"""Fixtures shared by every test: a sandbox Jira over real HTTP, and the real Jira payloads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from sandbox.server import RunningSandbox, start_sandbox

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
SMALL_SEED = ROOT / "sandbox" / "seeds" / "small.yaml"
NO_SHARED = "../shared is absent: real Jira payloads are only available beside a development checkout"

SandboxFactory = Callable[..., RunningSandbox]


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
