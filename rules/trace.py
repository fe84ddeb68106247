"""Traces: what a figure was computed from and how, built by the code that computes it.

A metric function records each input it used (a `Row`: an issue with the values it took from it)
and each step of its arithmetic (a `Step`: the formula with its values put in, and the result), and
the metric's value is read from its step, so an explanation cannot drift from the figure it
explains. `pmrollup explain` shows them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rules.figures import fixed, plain, round_figure

Value = float | int | str | bool | date | None
SHOWN_PLACES = 4  # an unrounded figure is shown to this many decimals
LARGE = 1e15  # past this a float holds no decimals worth showing: shown in exponent form
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@dataclass(frozen=True, slots=True)
class Row:
    """One input of a figure: an issue (or a day, a rule) and the values the figure took from it."""

    key: str
    values: Mapping[str, Value] = field(default_factory=dict, hash=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the row as JSON-ready data: its key, then its values."""
        return {"key": self.key, **{name: json_value(value) for name, value in self.values.items()}}


@dataclass(frozen=True)
class Step:
    """One step of the arithmetic: what it says, with its values, and what it gives (`name`, when a
    metric or a setting)."""

    text: str
    value: Value
    name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "text": self.text, "value": json_value(self.value)}


@dataclass(frozen=True)
class Trace:
    """A figure explained: its value, the inputs it was computed from and each step from them to it."""

    metric: str
    value: Value
    inputs: tuple[Row, ...] = ()
    steps: tuple[Step, ...] = ()

    def figures(self) -> dict[str, Value]:
        """Return what each named step gives, by name (the metrics this trace computes among them)."""
        found = {step.name: step.value for step in self.steps if step.name is not None}
        return {**found, self.metric: self.value}

    def number(self, name: str) -> float:
        """Return the number a step of this trace gives; raise ValueError when it gives none."""
        value = self.figures().get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.metric}'s trace gives no number {name}: {value!r}")
        return value

    def gives(self, name: str) -> bool:
        """Say whether this trace computes `name`."""
        return name in self.figures()

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape `pmrollup explain --json` prints for one figure."""
        return {"metric": self.metric, "value": json_value(self.value),
                "inputs": [row.as_dict() for row in self.inputs],
                "steps": [step.as_dict() for step in self.steps]}


def trace_of(steps: Iterable[Step], metric: str, inputs: Iterable[Row] = ()) -> Trace:
    """Return the trace of `metric` whose value is what its (last) step of that name gives."""
    listed = tuple(steps)
    values = [step.value for step in listed if step.name == metric]
    if not values:
        raise ValueError(f"no step gives {metric}")
    return Trace(metric=metric, value=values[-1], inputs=tuple(inputs), steps=listed)


def row(key: str, **values: Value) -> Row:
    """Build one input row."""
    return Row(key, values)


def given(name: str, value: Value, why: str = "") -> Step:
    """Return a step that states a value as it was read ("budget = 40,000 (the epic's Budget)")."""
    return Step(f"{name} = {shown(value)}" + (f" ({why})" if why else ""), value, name)


def counted_step(name: str, what: str, keys: Iterable[str]) -> Step:
    """Return a step that counts the issues meeting a condition, naming them."""
    listed = list(keys)
    named = f": {', '.join(listed)}" if listed else ""
    return Step(f"{name} = {what} = {len(listed)}{named}", len(listed), name)


def summed(name: str, what: str, exact: float | None, places: int | None = None) -> Step:
    """Return a step that gives a sum (or a count) as it was computed, rounded to `places` when given."""
    value = exact if places is None else round_figure(exact, places)
    return Step(f"{name} = {what} = {shown(exact)}{_kept(exact, value, places)}", value, name)


def formula(name: str, expression: str, operands: Mapping[str, Value], exact: float | None,
            places: int | None = None, null: str = "") -> Step:
    """Return the step that computes `name` by `expression` from `operands`: the expression, its values
    put in, the unrounded result and the value kept (rounded to `places`); `null` says why it is null."""
    value = exact if places is None else round_figure(exact, places)
    filled = _NAME.sub(lambda m: shown(operands[m.group(0)]) if m.group(0) in operands else m.group(0),
                       expression)
    text = f"{name} = {expression}" + (f" = {filled}" if filled != expression else "")
    if exact is None:
        unknown = [n for n in operands if operands[n] is None]
        why = null or (f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} null" if unknown
                       else "it divides by 0")
        return Step(f"{text}: null, {why}", None, name)
    if filled != shown(exact):
        text += f" = {shown(exact)}"
    return Step(text + _kept(exact, value, places), value, name)


def _kept(exact: float | None, value: Value, places: int | None) -> str:
    """Say what rounding kept, when it changed what is shown."""
    if places is None or exact is None or value == round_figure(exact, SHOWN_PLACES):
        return ""
    kept = fixed(value, places, thousands=True) if isinstance(value, float) and abs(value) < LARGE else \
        shown(value)
    return f" → {kept}"


def shown(value: Any) -> str:
    """Show a value in a step: numbers without a float's noise (to 4 decimals), dates as ISO days."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, int) and abs(value) >= LARGE:
            return f"{Decimal(value):.6g}"  # a whole number past a float's range stays exact
        if not math.isfinite(value) or abs(value) >= LARGE:
            return f"{value:.6g}"
        if isinstance(value, int) or value.is_integer():
            return f"{int(value):,}"
        text = fixed(value, SHOWN_PLACES, thousands=True).rstrip("0").rstrip(".")
        return text if text not in ("0", "-0") else plain(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def json_value(value: Any) -> Any:
    """Return a value as JSON holds it: dates as ISO strings."""
    return value.isoformat() if isinstance(value, date | datetime) else value
