"""A measured figure beside what it is judged against, and the table that prints them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measurement, the reference it stands beside (floor, peer, ceiling) and the target."""

    name: str
    value: float
    unit: str
    beside: str
    reference: float | None
    target: str
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Return value / reference, None when there is no usable reference."""
        if self.reference is None or self.reference == 0:
            return None
        return self.value / self.reference

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON shape written to bench/results.json."""
        return {**asdict(self), "ratio": None if self.ratio is None else round(self.ratio, 3)}


def number(value: float | None, unit: str = "") -> str:
    """Render a figure compactly: integers as such, small values with more digits."""
    if value is None:
        return "-"
    if float(value).is_integer() and abs(value) >= 1:
        text = f"{int(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".rstrip()


def verdict(met: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[met]


def render(figures: Sequence[Figure]) -> str:
    """Return the figures as an aligned plain-text (and Markdown-compatible) table."""
    header = ("figure", "measured", "beside", "reference", "ratio", "target", "met")
    rows = [(f.name, number(f.value, f.unit), f.beside, number(f.reference, f.unit),
             "-" if f.ratio is None else f"{f.ratio:.2f}x", f.target, verdict(f.met)) for f in figures]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
