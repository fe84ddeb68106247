"""Plurals agree with the count and articles with the sound of the word."""

from __future__ import annotations

import pytest

from rules.wording import agree, counted, plural_of, with_article


@pytest.mark.parametrize(("count", "expected"), [
    (0, "0 dependencies"), (1, "1 dependency"), (2, "2 dependencies"), (1.0, "1 dependency"),
    (1.5, "1.5 dependencies"), (-1, "-1 dependency"),
])
def test_a_count_and_its_noun_agree(count: float, expected: str) -> None:
    assert counted(count, "dependency") == expected


@pytest.mark.parametrize(("noun", "plural"), [
    ("dependency", "dependencies"), ("day", "days"), ("project", "projects"), ("box", "boxes"),
    ("match", "matches"), ("open dependency", "open dependencies"),
])
def test_regular_plurals(noun: str, plural: str) -> None:
    assert plural_of(noun) == plural


def test_an_irregular_plural_is_given() -> None:
    assert counted(3, "child", "children") == "3 children"
    assert agree("1", "is", "are") == "is" and agree("4", "is", "are") == "are"


@pytest.mark.parametrize(("word", "expected"), [
    ("Initiative", "an Initiative"), ("project", "a project"), ("epic", "an epic"),
    ("at-risk epic", "an at-risk epic"), ("on-track epic", "an on-track epic"),
    ("off-track epic", "an off-track epic"), ("user story", "a user story"), ("hour", "an hour"),
    ("SLA", "an SLA"), ("API", "an API"), ("UX review", "a UX review"), ("8-point story", "an 8-point story"),
    ("11-day delay", "an 11-day delay"), ("12-day delay", "a 12-day delay"), ("one-off", "a one-off"),
])
def test_the_article_fits_how_the_word_sounds(word: str, expected: str) -> None:
    assert with_article(word) == expected
