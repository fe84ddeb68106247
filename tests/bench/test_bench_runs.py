"""The benchmarks run end to end on a tiny program and produce every figure (no timing asserts)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.__main__ import run
from bench.figure import Figure, render
from bench.floor import full, one_change, pages
from bench.seeds import TINY, program_seed

EXPECTED = {
    "one_change": 2, "full": 4, "memory": 1, "peer": 3, "coalescing": 3, "ingest": 5, "forecast": 1,
}


def test_floor_counts_pages_of_100_one_search_per_set_and_one_put_per_changed_issue() -> None:
    assert [pages(0), pages(1), pages(100), pages(101), pages(10_000)] == [1, 1, 1, 2, 100]
    assert one_change(children=200, epics=50, blockers=4, changed=2).total == 2 + 1 + 1 + 2
    assert one_change(children=200, epics=50, blockers=0, changed=1).total == 2 + 1 + 1
    assert full(stories=10_000, epics=50, outside_blockers=10, changed=51).total == 1 + 100 + 1 + 51


def test_generated_program_has_cross_epic_links_and_blockers_outside() -> None:
    program = program_seed(TINY)
    assert len(program.epics) == TINY.epics
    assert all(len(program.stories_of[e]) == TINY.stories_per_epic for e in program.epics)
    story, epic = program.story_to_change()
    assert story in program.stories_of[epic] and program.blockers_of(epic)
    assert program.outside_blockers_count() == TINY.outside_links


def test_table_prints_each_figure_beside_its_reference_with_the_ratio() -> None:
    table = render([Figure("one change", 7, "req", "floor", 6, "= floor", False)])
    assert "| one change" in table and "1.17x" in table and "NO" in table


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_benchmark_runs_on_a_tiny_program_and_writes_its_figures(name: str, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    lines: list[str] = []
    results = run(quick=True, only=[name], out=out, echo=lines.append)
    flavors = 2 if name in ("one_change", "full") else 1
    figures = results["figures"]
    assert len(figures) == EXPECTED[name] * flavors
    for figure in figures:
        assert isinstance(figure["value"], int | float) and math.isfinite(figure["value"])
        assert figure["name"] in results["table"]
    assert json.loads(out.read_text())["figures"] == figures
    assert any("cores" in line and "Python" in line for line in lines)


def test_the_forecast_cost_is_timed_on_the_very_forecasts_the_recompute_published(tmp_path: Path) -> None:
    results = run(quick=True, only=["forecast"], out=tmp_path / "results.json", echo=lambda line: None)
    [detail] = results["details"].values()
    assert detail["issues_forecast"] > 1
    assert detail["dates_agree"] == detail["issues_forecast"], "the timed step forecasts what was published"
