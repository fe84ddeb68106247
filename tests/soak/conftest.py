"""Soak runs: long variants marked `soak` (run by `make soak`), short ones run with every `make test`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.harness import TODAY
from bench.seeds import GeneratedProgram, Shape, program_seed

SOAK_SHAPE = Shape(epics=4, stories_per_epic=25, jira_projects=2, cross_links_per_epic=1, outside_links=2)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "soak: a long soak run (make soak); durations from PMROLLUP_SOAK_*")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the long variants out unless `-m soak` asks for them."""
    if "soak" in (config.getoption("markexpr") or ""):
        return
    long_runs = [item for item in items if item.get_closest_marker("soak") is not None]
    if long_runs:
        config.hook.pytest_deselected(items=long_runs)
        items[:] = [item for item in items if item.get_closest_marker("soak") is None]


@pytest.fixture
def program() -> GeneratedProgram:
    """A small generated program (4 epics x 25 stories) with cross-epic and outside links."""
    return program_seed(SOAK_SHAPE)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PMROLLUP_TODAY", TODAY)
    yield


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path
