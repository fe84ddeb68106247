"""`pmrollup forecast KEY`: the distribution, the dates and the basis a program manager asks for."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.server import RunningSandbox
from tests.cli.conftest import DEMO_SEED, Run
from tests.conftest import SandboxFactory


@pytest.fixture
def run(sandbox_factory: SandboxFactory, pmrollup: Callable[[RunningSandbox], Run]) -> Run:
    return pmrollup(sandbox_factory(DEMO_SEED))


def test_forecast_shows_the_dates_the_fields_get_and_the_throughput_they_come_from(run: Run) -> None:
    evaluated = run("evaluate", "PAY-1", "--dry-run", "--json").json()
    metrics = next(p for p in evaluated["projects"] if p["key"] == "PAY-3")["metrics"]
    shown = run("forecast", "PAY-3", "--json")
    assert shown.code == 0, shown.err
    outlook = shown.json()
    assert outlook["forecast"]["p85"] == metrics["forecast_p85_date"]
    assert outlook["forecast"]["p50"] == metrics["forecast_p50_date"]
    assert outlook["basis"] == metrics["forecast_basis"]
    assert outlook["window"]["days"] == 84 and outlook["window"]["to"] == "2026-03-15"
    assert sum(week["count"] for week in outlook["weeks"]) == outlook["trials"] == 10_000
    text = run("forecast", "PAY-3").out
    for expected in (metrics["forecast_p50_date"], metrics["forecast_p85_date"], "basis: epic",
                     "due date      2026-05-15", "finished in the"):
        assert expected in text, (expected, text)


def test_a_program_forecasts_from_its_epics_combined(run: Run) -> None:
    outlook = run("forecast", "PAY-1", "--json", "--trials", "500").json()
    epics = [run("forecast", key, "--json", "--trials", "500").json() for key in ("PAY-2", "PAY-3", "WEB-1",
                                                                                  "WEB-2")]
    assert outlook["level"] == "program" and outlook["basis"] == "program"
    assert outlook["remaining"] == sum(e["remaining"] for e in epics)
    own = [e for e in epics if e["basis"] == "epic"]
    assert outlook["window"]["done"] >= sum(e["window"]["done"] for e in own)
    assert outlook["trials"] == 500


def test_a_story_is_refused_with_its_epic_named(run: Run) -> None:
    refused = run("forecast", "PAY-4")
    assert refused.code != 0
    assert refused.err.strip() == ("pmrollup: PAY-4 is a Story, not an epic or an initiative; "
                                   "its epic is PAY-2")
