"""Plurals and articles, so a message reads "1 dependency", "2 dependencies", "an Initiative"."""

from __future__ import annotations

import re
from itertools import takewhile

from rules.figures import plain

_SIBILANT = re.compile(r"(s|x|z|ch|sh)\Z", re.IGNORECASE)
_CONSONANT_Y = re.compile(r"[^aeiou]y\Z", re.IGNORECASE)
# Words whose spelling and sound disagree on their first letter.
_VOWEL_SOUND = ("hour", "honest", "honor", "honour", "heir")
_CONSONANT_SOUND = ("uni", "use", "usu", "ure", "uti", "eu", "one", "once", "ubiq")
_ACRONYM_VOWEL_SOUND = set("AEFHILMNORSX")  # letters said with a vowel first: "an SLA", "an HR"


def is_one(shown: str) -> bool:
    """Say whether a count, as shown, is one (so the noun beside it is singular)."""
    return shown.strip().lstrip("+-") == "1"


def plural_of(noun: str) -> str:
    """Return the regular English plural of a noun or of a phrase's last word."""
    if not noun or not noun[-1].isalpha():
        return noun
    if _CONSONANT_Y.search(noun):
        return noun[:-1] + "ies"
    if _SIBILANT.search(noun):
        return noun + "es"
    return noun + "s"


def agree(shown: str, one: str, many: str | None = None) -> str:
    """Return the form that agrees with a count as shown: `one` for 1, else `many` (or its plural)."""
    return one if is_one(shown) else (many if many is not None else plural_of(one))


def counted(count: float | int, noun: str, nouns: str | None = None) -> str:
    """Return a count and its noun: counted(1, "dependency") is "1 dependency", 2 gives "2 dependencies"."""
    shown = plain(count)
    return f"{shown} {agree(shown, noun, nouns)}"


def article(word: str) -> str:
    """Return "a" or "an" for the word that follows, by how it sounds: an Initiative, a project."""
    text = word.strip()
    if not text:
        return "a"
    first = text.split()[0].strip("\"'([")
    lower = first.lower()
    if lower.startswith(_VOWEL_SOUND):
        return "an"
    if lower.startswith(_CONSONANT_SOUND):
        return "a"
    if first[:1].isdigit():
        digits = "".join(takewhile(lambda c: c.isdigit() or c == ",", first)).replace(",", "")
        return "an" if digits.startswith("8") or _is_eleven_or_eighteen(digits) else "a"
    if len(first) > 1 and first.isupper() and first.isalpha():
        return "an" if first[0] in _ACRONYM_VOWEL_SOUND else "a"
    return "an" if lower[:1] in "aeiou" else "a"


def with_article(word: str) -> str:
    """Return the word after its article: "an Initiative", "a project", "an 80% share"."""
    return f"{article(word)} {word}"


def _is_eleven_or_eighteen(digits: str) -> bool:
    """Say whether a number is said starting "eleven" or "eighteen" (11, 18, 11,000, 18 million)."""
    return digits[:2] in ("11", "18") and len(digits) % 3 == 2
