"""Round figures half away from zero, as people round by hand, in one place for every figure shown.

Python's `round()` and `format()` round half to even, and on binary floats: 43,500 / 40,000 is
108.74999999999999 as a float, so `round(x, 1)` gives 108.7 where a reader's 108.75 gives 108.8.
Here a float is read as the decimal it stands for (a float keeps 15 significant decimal digits
faithfully; the digits past them are the noise of binary arithmetic), then rounded half away from
zero with `decimal`. Every rounding of a figure (fields written, message templates, tables) calls
`half_away`, through `round_figure` or `fixed`.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

PERCENT_PLACES = 1  # percentages: one decimal
MONEY_PLACES = 2  # money and indices: two decimals
SIGNIFICANT_DIGITS = 15  # DBL_DIG: the decimal digits a float carries faithfully
_READ = Context(prec=SIGNIFICANT_DIGITS, rounding=ROUND_HALF_EVEN)


def as_decimal(value: float | int | Decimal) -> Decimal:
    """Read a finite number as the decimal it stands for, without the float's binary noise."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) or value.is_integer():
        return Decimal(int(value))
    return _READ.create_decimal(repr(value))


def half_away(value: float | int | Decimal, places: int) -> Decimal:
    """Round a finite number to `places` decimals, half away from zero (2.5 -> 3, -2.5 -> -3)."""
    exact = as_decimal(value)
    digits = max(28, exact.adjusted() + places + 3)  # room for every digit the result keeps
    result = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP,
                            context=Context(prec=digits))
    return result + 0 if result.is_zero() else result  # -0.0 is shown and stored as 0


def round_figure(value: float | None, places: int) -> float | None:
    """Round a figure to `places` decimals half away from zero; null and non-finite stay as they are."""
    if value is None or not math.isfinite(value):
        return value
    return float(half_away(value, places))


def fixed(value: float | int | Decimal, places: int, thousands: bool = False) -> str:
    """Show a number with exactly `places` decimals, rounded half away from zero."""
    if not isinstance(value, Decimal) and not math.isfinite(value):
        return str(value)
    return format(half_away(value, places), ",f" if thousands else "f")


def plain(value: float | int, thousands: bool = False) -> str:
    """Show a number as it is, without a float's binary noise: 10.0 as 10, 0.1 + 0.2 as 0.3."""
    if not math.isfinite(value):
        return str(value)
    exact = as_decimal(value)
    if exact == exact.to_integral_value():
        exact = exact.quantize(Decimal(1))
    else:
        exact = exact.normalize()
    return format(exact, ",f" if thousands else "f")
