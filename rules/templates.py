"""Message templates admins write: `{metric}` and `{metric:.1f}`, nothing that can run code.

A tiny parser of our own, not `str.format`, so `{x.__class__}` or `{x[0]}` is refused at load
instead of reaching into Python objects at render time.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Format specs allowed after the colon: optional thousands separator, optional precision, and
# one of f (fixed), d (whole number) or % (percentage of 1).
_SPEC = re.compile(r"(?P<comma>,)?(?:\.(?P<precision>[0-9]))?(?P<kind>[fd%])?\Z")
NULL_TEXT = "n/a"


class TemplateError(ValueError):
    """A template that cannot be used; `offset` is where in the text the problem starts."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Field:
    """One `{name:spec}` placeholder."""

    name: str
    spec: str


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
        """Fill the placeholders; a null shows as `n/a`."""
        return "".join(p if isinstance(p, str) else format_value(values.get(p.name), p.spec)
                       for p in self.parts)


def format_value(value: object, spec: str = "") -> str:
    """Show one value as a program manager would read it."""
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return str(value)
        if spec.endswith("d"):
            return format(int(round(value)), spec)
        if spec:
            return format(value, spec)
        return f"{value:g}" if isinstance(value, float) and value == int(value) else str(value)
    return str(value)


def _refuse(field: str, start: int, known: Collection[str]) -> TemplateError:
    name = re.split(r"[.\[!:]", field, maxsplit=1)[0]
    if "." in field.split(":")[0]:
        return TemplateError(f"attribute access is not allowed in a template: '{{{field}}}'", start)
    if "[" in field.split(":")[0]:
        return TemplateError(f"indexing is not allowed in a template: '{{{field}}}'", start)
    if "!" in field.split(":")[0]:
        return TemplateError(f"conversions are not allowed in a template: '{{{field}}}'", start)
    if not _NAME.match(name):
        return TemplateError(f"'{{{field}}}' is not a metric name", start)
    near = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    return TemplateError(f"unknown metric '{name}' in template{hint}", start)


def compile_template(text: str, known: Collection[str]) -> Template:
    """Parse a template, refusing unknown names, attributes, indexing and odd format specs."""
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
        field = text[i + 1:end]
        name, _, spec = field.partition(":")
        if not _NAME.match(name) or name not in known:
            raise _refuse(field, i, known)
        if spec and not _SPEC.match(spec):
            raise TemplateError(f"format '{spec}' in '{{{field}}}' is not allowed: use forms like "
                                f"'.1f', ',.0f', 'd' or '.0%'", i)
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(Field(name, spec))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return Template(text, tuple(parts))
