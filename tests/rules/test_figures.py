"""Figures round half away from zero from the value a reader would compute by hand."""

from __future__ import annotations

import pytest

from rules.figures import fixed, plain, round_figure


def test_43500_of_40000_is_108_8_percent_not_108_7() -> None:
    assert round_figure(43_500 / 40_000 * 100, 1) == 108.8
    assert fixed(100 * 43_500 / 40_000, 1) == "108.8"


@pytest.mark.parametrize(("value", "places", "expected"), [
    (2.5, 0, 3.0), (3.5, 0, 4.0), (-2.5, 0, -3.0), (0.125, 2, 0.13), (2.675, 2, 2.68),
    (0.375, 2, 0.38), (1.005, 2, 1.01), (-1.005, 2, -1.01), (108.74, 1, 108.7),
])
def test_halves_round_away_from_zero(value: float, places: int, expected: float) -> None:
    assert round_figure(value, places) == expected


def test_nothing_to_round_stays_as_it_is() -> None:
    assert round_figure(None, 1) is None
    assert round_figure(float("inf"), 1) == float("inf")
    assert round_figure(1e300, 2) == 1e300


def test_a_small_negative_rounds_to_zero_not_minus_zero() -> None:
    assert str(round_figure(-0.04, 1)) == "0.0"
    assert fixed(-0.004, 2) == "0.00"


def test_fixed_shows_thousands_and_exact_decimals() -> None:
    assert fixed(1_234_567.891, 2, thousands=True) == "1,234,567.89"
    assert fixed(12_500, 0, thousands=True) == "12,500"


def test_plain_drops_a_whole_numbers_point_and_the_floats_noise() -> None:
    assert [plain(10.0), plain(0.1 + 0.2), plain(12.5), plain(7)] == ["10", "0.3", "12.5", "7"]
    assert plain(1_234_567.0, thousands=True) == "1,234,567"
