"""Message templates admins write: `{metric}`, `{metric:.1f}`, `{metric|plural:item}`; nothing runs code.

A tiny parser of our own, not `str.format`, so `{x.__class__}` or `{x[0]}` is refused at load
instead of reaching into Python objects at render time. Each placeholder is tried at load on
sample values of its metric's kind (numbers, null, dates, text, true or false), so a format or
filter that cannot show one of them is refused then, never when a finding is rendered.

Formats: `,` (thousands), `.N` decimals, and `f` (fixed), `d` (whole number) or `%` (percentage
of 1), all rounded half away from zero (rules/figures.py). Filters, after `|`:
`{n|plural:dependency}` gives "1 dependency" or "2 dependencies" (`plural:child/children` for an
irregular one), `{n|agree:is/are}` the word that agrees with n, `{health|a}` "an at-risk".
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from rules.expressions import KIND_WORDS
from rules.figures import as_decimal, fixed, plain
from rules.wording import agree, counted, with_article

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SPEC = re.compile(r"(?P<comma>,)?(?:\.(?P<precision>[0-9]))?(?P<kind>[fd%])?\Z")
_WORDS = re.compile(r"[A-Za-z][A-Za-z' -]*\Z")
DEFAULT_PRECISION = 6  # `{x:f}` and `{x:%}` without a precision, as in Python
NULL_TEXT = "n/a"
FILTERS = {  # each filter, as an admin writes it
    "plural": "{n|plural:dependency} (or {n|plural:child/children})",
    "agree": "{n|agree:is/are}",
    "a": "{health|a}",
}
# Values of each metric kind a placeholder must be able to show.
SAMPLES: dict[str, tuple[object, ...]] = {
    "number": (None, 0, 1, 7, -3, 0.0, 1.0, 2.5, -2.5, 0.375, 108.75, 12_345.678, 1e16),
    "flag": (None, True, False),
    "text": (None, "", "PAY-1", "on-track", "at-risk"),
    "date": (None, date(2026, 3, 16)),
}


class TemplateError(ValueError):
    """A template that cannot be used; `offset` is where in the text the problem starts."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Field:
    """One `{name:spec|filter:argument}` placeholder."""

    name: str
    spec: str = ""
    filter: str = ""
    argument: str = ""

    def render(self, value: object) -> str:
        """Show the value; raise ValueError when the format or filter cannot show it."""
        shown = format_value(value, self.spec)
        if self.filter in ("plural", "agree"):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"'{self.filter}' counts a number")
            forms = self.argument.split("/", 1)
            word = agree(shown, forms[0], forms[1] if len(forms) > 1 else None)
            return f"{shown} {word}" if self.filter == "plural" else word
        if self.filter == "a":
            return with_article(shown)
        return shown


@dataclass(frozen=True)
class Template:
    """A parsed template: literal text and placeholders, in order."""

    text: str
    parts: tuple[str | Field, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Return the names the template uses."""
        return tuple(p.name for p in self.parts if isinstance(p, Field))

    def render(self, values: Mapping[str, object]) -> str:
        """Fill the placeholders; a null shows as `n/a`. Never raises: load-time checks cover the
        kinds, and a value outside its kind is shown plainly."""
        return "".join(p if isinstance(p, str) else _render(p, values.get(p.name)) for p in self.parts)


def _render(part: Field, value: object) -> str:
    try:
        return part.render(value)
    except ValueError:
        return format_value(value)


def format_value(value: object, spec: str = "") -> str:
    """Show one value as a program manager would read it; raise ValueError if `spec` does not fit it."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool) or not isinstance(value, int | float):
        if spec:
            raise ValueError(f"format '{spec}' is for numbers, so leave it out")
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return str(value)
    if not math.isfinite(value):
        return str(value)
    return format_number(value, spec)


def format_number(value: float | int, spec: str = "") -> str:
    """Show a finite number by a template format, rounded half away from zero."""
    match = _SPEC.match(spec)
    if match is None:
        raise ValueError(f"format '{spec}' is not one of the forms '.1f', ',.0f', 'd' or '.0%'")
    thousands = match["comma"] is not None
    precision = None if match["precision"] is None else int(match["precision"])
    kind = match["kind"]
    if kind == "d":
        if precision is not None:
            raise ValueError("'d' shows a whole number, so it takes no decimals: write 'd', "
                             f"or '.{precision}f' for {counted(precision, 'decimal')}")
        return fixed(value, 0, thousands)
    places = DEFAULT_PRECISION if precision is None else precision
    if kind == "f":
        return fixed(value, places, thousands)
    if kind == "%":
        return fixed(as_decimal(value).scaleb(2), places, thousands) + "%"
    if precision is not None:
        raise ValueError(f"'.{precision}' needs 'f' or '%' after it: write '.{precision}f'")
    return plain(value, thousands)


def _refuse(field: str, start: int, known: Mapping[str, str]) -> TemplateError:
    head = field.split("|", 1)[0]
    name = re.split(r"[.\[!:]", head, maxsplit=1)[0]
    before_spec = head.split(":")[0]
    if "." in before_spec:
        return TemplateError(f"attribute access is not allowed in a template: '{{{field}}}'", start)
    if "[" in before_spec:
        return TemplateError(f"indexing is not allowed in a template: '{{{field}}}'", start)
    if "!" in before_spec:
        return TemplateError(f"conversions are not allowed in a template: '{{{field}}}'", start)
    if not _NAME.match(name):
        return TemplateError(f"'{{{field}}}' is not a metric name", start)
    near = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    return TemplateError(f"unknown metric '{name}' in template{hint}", start)


def _filter(field: str, tail: str, start: int) -> tuple[str, str]:
    """Read the `filter:argument` after the `|` of a placeholder."""
    name, _, argument = tail.partition(":")
    if name not in FILTERS:
        near = difflib.get_close_matches(name, list(FILTERS), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise TemplateError(f"unknown filter '{name}' in '{{{field}}}'{hint}: use "
                            f"{', '.join(f'{k} as in {v}' for k, v in FILTERS.items())}", start)
    forms = argument.split("/") if argument else []
    wanted = {"plural": (1, 2), "agree": (2,), "a": (0,)}[name]
    if len(forms) not in wanted or not all(_WORDS.match(f.strip()) for f in forms):
        raise TemplateError(f"filter '{name}' in '{{{field}}}' is written like {FILTERS[name]}", start)
    return name, "/".join(f.strip() for f in forms)


def _parse_field(field: str, start: int, kinds: Mapping[str, str]) -> Field:
    head, bar, tail = field.partition("|")
    name, _, spec = head.partition(":")
    if not _NAME.match(name) or name not in kinds:
        raise _refuse(field, start, kinds)
    if spec and not _SPEC.match(spec):
        raise TemplateError(f"format '{spec}' in '{{{field}}}' is not allowed: use forms like "
                            f"'.1f', ',.0f', 'd' or '.0%'", start)
    filter_name, argument = _filter(field, tail, start) if bar else ("", "")
    part = Field(name, spec, filter_name, argument)
    kind = kinds[name]
    for sample in SAMPLES.get(kind, (None,)):
        try:
            part.render(sample)
        except ValueError as exc:
            raise TemplateError(f"'{{{field}}}' cannot show {name}, which is "
                                f"{KIND_WORDS.get(kind, kind)}: {exc}", start) from exc
    return part


def compile_template(text: str, kinds: Mapping[str, str]) -> Template:
    """Parse a template against the kinds of the names it may use (name -> number, flag, text or
    date), refusing unknown names, attributes, indexing and formats or filters that cannot show
    every value of a name's kind."""
    parts: list[str | Field] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "{}" and text[i:i + 2] in ("{{", "}}"):
            literal.append(char)
            i += 2
            continue
        if char == "}":
            raise TemplateError("single '}' in template: write '}}' for a brace", i)
        if char != "{":
            literal.append(char)
            i += 1
            continue
        end = text.find("}", i)
        if end < 0:
            raise TemplateError("unclosed '{' in template", i)
        part = _parse_field(text[i + 1:end], i, kinds)
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(part)
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return Template(text, tuple(parts))
