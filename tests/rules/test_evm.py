"""Earned-value formulas follow PMI and give null, never infinity, on a zero divisor."""

from __future__ import annotations

from datetime import date

import pytest

from rules.evm import earned_value, planned_pct, project_earned_value, ratio


def test_indices_and_estimates_follow_pmi_formulas() -> None:
    ev = earned_value(budget=1000.0, actual_cost=500.0, earned=400.0, planned=500.0)
    assert ev.cpi == pytest.approx(0.8) and ev.spi == pytest.approx(0.8)
    assert ev.eac == pytest.approx(1250.0)        # budget / cpi
    assert ev.etc == pytest.approx(750.0)         # eac - actual
    assert ev.vac == pytest.approx(-250.0)        # budget - eac
    assert ev.tcpi == pytest.approx(600.0 / 500.0)  # (budget - earned) / (budget - actual)


def test_zero_or_unknown_divisors_give_none() -> None:
    assert ratio(1.0, 0.0) is None and ratio(None, 2.0) is None and ratio(1.0, None) is None
    ev = earned_value(budget=None, actual_cost=0.0, earned=None, planned=None)
    assert (ev.cpi, ev.spi, ev.eac, ev.etc, ev.vac, ev.tcpi) == (None,) * 6
    spent_exactly = earned_value(budget=100.0, actual_cost=100.0, earned=50.0, planned=0.0)
    assert spent_exactly.tcpi is None and spent_exactly.spi is None


def test_project_earned_value_takes_progress_and_planned_share_of_budget() -> None:
    ev = project_earned_value(budget=2000.0, actual_cost=1000.0, progress=25.0, planned=50.0)
    assert (ev.earned_value, ev.planned_value) == (500.0, 1000.0)
    assert (ev.cpi, ev.spi) == (0.5, 0.5)


def test_planned_pct_is_share_of_elapsed_time() -> None:
    start, due = date(2024, 1, 1), date(2024, 1, 11)
    assert planned_pct(start, due, date(2024, 1, 4)) == 30.0
    assert planned_pct(start, None, date(2024, 1, 4)) is None
    assert planned_pct(due, due, date(2024, 1, 11)) == 100.0
    assert planned_pct(due, due, date(2024, 1, 10)) == 0.0


@pytest.mark.parametrize("actual", [1000.0, 1200.0])
def test_tcpi_is_null_once_the_actual_cost_has_reached_the_budget(actual: float) -> None:
    ev = earned_value(budget=1000.0, actual_cost=actual, earned=600.0, planned=800.0)
    assert ev.tcpi is None
    assert ev.cpi == pytest.approx(600.0 / actual)  # the other indices still hold


def test_tcpi_just_under_the_budget_is_the_efficiency_still_needed() -> None:
    ev = earned_value(budget=1000.0, actual_cost=990.0, earned=600.0, planned=800.0)
    assert ev.tcpi == pytest.approx(40.0)  # 400 of work left for 10 of budget
