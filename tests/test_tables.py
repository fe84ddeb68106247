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
