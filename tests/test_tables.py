"""The command line's tables are aligned and show missing values as a dash."""

from __future__ import annotations

from datetime import date

from webhooks.cli.tables import render_table


def test_columns_align_and_numbers_right_align() -> None:
    text = render_table(["key", "progress %"], [["PAY-2", 62.5], ["WEB-10", 100.0], ["OPS-1", None]])
    assert text.splitlines() == [
        "key     progress %",
        "------  ----------",
        "PAY-2         62.5",
        "WEB-10       100.0",
        "OPS-1            -",
    ]


def test_dates_booleans_and_lists_read_plainly() -> None:
    text = render_table(["due", "overdue", "keys"], [[date(2026, 3, 6), True, ["A-1", "B-2"]]])
    assert text.splitlines()[-1] == "2026-03-06  yes      A-1, B-2"


def test_a_half_way_figure_rounds_half_away_from_zero() -> None:
    # 43,500 / 40,000 is 108.75 %, which binary floats hold as 108.74999999999999: shown as a person rounds
    used = 100 * (43_500 / 40_000)
    text = render_table(["key", "budget %", "cost"], [["WEB-1", used, 2_468.25], ["PAY-2", -0.25, -0.04]])
    assert text.splitlines()[-2:] == [
        "WEB-1     108.8  2,468.3",
        "PAY-2      -0.3      0.0",  # not -0.0
    ]
