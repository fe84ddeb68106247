"""Message templates name metrics in braces, cannot reach into Python objects, and are refused at
load when a format or filter could not show a value of the metric's kind."""

from __future__ import annotations

from datetime import date

import pytest

from rules.templates import TemplateError, compile_template

KINDS = {"progress_pct": "number", "due_date": "date", "budget": "number", "is_overdue": "flag",
         "key": "text", "health": "text", "dependencies_open": "number"}


def shown(text: str, **values: object) -> str:
    return compile_template(text, KINDS).render(values)


def test_renders_names_and_simple_formats() -> None:
    text = shown("{key}: {progress_pct:.1f}% of {budget:,.0f}, due {due_date}, late {is_overdue}",
                 key="PAY-1", progress_pct=42.25, budget=12500.0, due_date=date(2024, 3, 1),
                 is_overdue=True)
    assert text == "PAY-1: 42.3% of 12,500, due 2024-03-01, late yes"


def test_null_shows_as_not_available_and_whole_floats_drop_the_point() -> None:
    assert shown("{budget} / {progress_pct}", budget=None, progress_pct=50.0) == "n/a / 50"


def test_a_number_without_a_format_shows_without_binary_noise() -> None:
    assert shown("{budget}", budget=0.1 + 0.2) == "0.3"
    assert shown("{budget:,}", budget=1234567.0) == "1,234,567"


def test_doubled_braces_are_literal() -> None:
    assert shown("{{x}} {key}", key="A") == "{x} A"


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
        compile_template(text, KINDS)
    assert str(err.value).startswith(problem)


@pytest.mark.parametrize(("text", "problem"), [
    ("{budget:.1d}", "'{budget:.1d}' cannot show budget, which is a number: 'd' shows a whole number, "
                     "so it takes no decimals: write 'd', or '.1f' for 1 decimal"),
    ("{budget:.2}", "'{budget:.2}' cannot show budget, which is a number: '.2' needs 'f' or '%' after it: "
                    "write '.2f'"),
    ("{due_date:.1f}", "'{due_date:.1f}' cannot show due_date, which is a date: format '.1f' is for "
                       "numbers, so leave it out"),
    ("{is_overdue:d}", "'{is_overdue:d}' cannot show is_overdue, which is true or false: format 'd' is "
                       "for numbers"),
    ("{key:,}", "'{key:,}' cannot show key, which is text: format ',' is for numbers"),
])
def test_a_format_that_cannot_show_the_metrics_kind_is_refused_at_load(text: str, problem: str) -> None:
    with pytest.raises(TemplateError) as err:
        compile_template(text, KINDS)
    assert str(err.value).startswith(problem)


def test_whole_number_format_rounds_half_away_from_zero() -> None:
    assert shown("{budget:d}", budget=2.6) == "3"
    assert [shown("{budget:d}", budget=v) for v in (2.5, 3.5, -2.5)] == ["3", "4", "-3"]


def test_decimals_round_half_away_from_zero_from_the_value_a_reader_sees() -> None:
    assert shown("{budget:.1f}", budget=43_500 / 40_000 * 100) == "108.8"  # 108.75, not 108.7
    assert shown("{budget:.2f}", budget=2.675) == "2.68"
    assert shown("{budget:,.0f}", budget=12_500.5) == "12,501"
    assert shown("{budget:.1%}", budget=0.10875) == "10.9%"


def test_plural_counts_the_noun() -> None:
    text = "{dependencies_open|plural:dependency}"
    assert [shown(text, dependencies_open=n) for n in (0, 1, 2, 1.0)] == [
        "0 dependencies", "1 dependency", "2 dependencies", "1 dependency"]
    assert shown("{dependencies_open|plural:child/children}", dependencies_open=3) == "3 children"
    assert shown("{dependencies_open:,d|plural:item}", dependencies_open=1234) == "1,234 items"


def test_agree_picks_the_word_for_the_count() -> None:
    text = "{dependencies_open|plural:dependency} {dependencies_open|agree:is/are} overdue"
    assert shown(text, dependencies_open=1) == "1 dependency is overdue"
    assert shown(text, dependencies_open=3) == "3 dependencies are overdue"


def test_article_fits_the_word_that_follows() -> None:
    assert shown("{health|a} project", health="at-risk") == "an at-risk project"
    assert shown("{health|a} project", health="on-track") == "an on-track project"
    assert shown("{key|a}", key="Initiative") == "an Initiative"
    assert shown("{key|a}", key="project") == "a project"


@pytest.mark.parametrize(("text", "problem"), [
    ("{dependencies_open|plurl:item}", "unknown filter 'plurl' in '{dependencies_open|plurl:item}' "
                                       "(did you mean 'plural'?)"),
    ("{dependencies_open|plural}", "filter 'plural' in '{dependencies_open|plural}' is written like "
                                   "{n|plural:dependency}"),
    ("{dependencies_open|agree:is}", "filter 'agree' in '{dependencies_open|agree:is}' is written like "
                                     "{n|agree:is/are}"),
    ("{due_date|plural:day}", "'{due_date|plural:day}' cannot show due_date, which is a date: 'plural' "
                              "counts a number"),
    ("{key|plural:x{y}", "filter 'plural' in '{key|plural:x{y}' is written like"),
])
def test_a_filter_that_cannot_work_is_refused_at_load(text: str, problem: str) -> None:
    with pytest.raises(TemplateError) as err:
        compile_template(text, KINDS)
    assert str(err.value).startswith(problem)


def test_rendering_a_value_outside_its_kind_never_raises() -> None:
    template = compile_template("{budget:.1f} {dependencies_open|plural:item}", KINDS)
    assert template.render({"budget": "lots", "dependencies_open": date(2026, 1, 1)}) == \
        "lots 2026-01-01"
