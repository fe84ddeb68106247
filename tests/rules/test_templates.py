"""Message templates name metrics in braces and cannot reach into Python objects."""

from __future__ import annotations

from datetime import date

import pytest

from rules.templates import TemplateError, compile_template

NAMES = ["progress_pct", "due_date", "budget", "is_overdue", "key"]


def test_renders_names_and_simple_formats() -> None:
    t = compile_template("{key}: {progress_pct:.1f}% of {budget:,.0f}, due {due_date}, late {is_overdue}",
                         NAMES)
    text = t.render({"key": "PAY-1", "progress_pct": 42.25, "budget": 12500.0,
                     "due_date": date(2024, 3, 1), "is_overdue": True})
    assert text == "PAY-1: 42.2% of 12,500, due 2024-03-01, late yes"


def test_null_shows_as_not_available_and_whole_floats_drop_the_point() -> None:
    t = compile_template("{budget} / {progress_pct}", NAMES)
    assert t.render({"budget": None, "progress_pct": 50.0}) == "n/a / 50"


def test_doubled_braces_are_literal() -> None:
    assert compile_template("{{x}} {key}", NAMES).render({"key": "A"}) == "{x} A"


@pytest.mark.parametrize(("text", "problem"), [
    ("{budget.__class__}", "attribute access is not allowed in a template: '{budget.__class__}'"),
    ("{budget[0]}", "indexing is not allowed in a template: '{budget[0]}'"),
    ("{budget!r}", "conversions are not allowed in a template: '{budget!r}'"),
    ("{budjet}", "unknown metric 'budjet' in template (did you mean 'budget'?)"),
    ("{}", "'{}' is not a metric name"),
    ("{budget:{progress_pct}}", "format '{progress_pct' in '{budget:{progress_pct}' is not allowed"),
    ("{budget:>99999}", "format '>99999' in '{budget:>99999}' is not allowed"),
    ("open {budget", "unclosed '{' in template"),
    ("close }", "single '}' in template"),
])
def test_unsafe_or_unknown_placeholders_are_refused(text: str, problem: str) -> None:
    with pytest.raises(TemplateError) as err:
        compile_template(text, NAMES)
    assert str(err.value).startswith(problem)


def test_whole_number_format_rounds_floats() -> None:
    assert compile_template("{budget:d}", NAMES).render({"budget": 2.6}) == "3"
