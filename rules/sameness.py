"""Whether Jira already holds a value pmrollup would write: one answer for the write plan (and so
for `evaluate --dry-run`) and for the edit the connector makes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

# Figures are written to two decimals (money and indices; percentages to one): two numbers closer
# than half of the last written digit are the same figure.
SAME_NUMBER_TOLERANCE = 0.005


def same_value(new: object, held: object) -> bool:
    """Say whether `held`, a field's value as Jira returns it, is already `new`.

    A select's `{"value": ...}` is its option; numbers are the same within SAME_NUMBER_TOLERANCE
    (a number field, or a text field holding the number as text); text ignores edge spaces; a date
    is the same as Jira's ISO text of it; empty text is no value."""
    if isinstance(held, Mapping):
        held = held.get("value")
    if new in (None, "") or held in (None, ""):
        return new in (None, "") and held in (None, "")
    new_number, held_number = as_number(new), as_number(held, text_too=True)
    if new_number is not None and held_number is not None:
        return abs(new_number - held_number) < SAME_NUMBER_TOLERANCE
    if isinstance(new, str) and isinstance(held, str):
        return new.strip() == held.strip()
    if isinstance(new, date) and isinstance(held, str):
        return new.isoformat() == held[:10]
    return new == held or str(new) == str(held)


def as_number(value: object, text_too: bool = False) -> float | None:
    """Return a number as float (a number's text too, when `text_too`); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if text_too and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
