"""Earned value: the budget and schedule measures program managers already use.

Every function returns None when a divisor is zero or an input is unknown, never raises.
Definitions follow PMI's Practice Standard for Earned Value Management.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class EarnedValue:
    """The earned-value figures of one project or program, unrounded."""

    budget: float | None
    actual_cost: float
    earned_value: float | None
    planned_value: float | None
    cpi: float | None
    spi: float | None
    eac: float | None
    etc: float | None
    vac: float | None
    tcpi: float | None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """Divide, or None when either side is unknown or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    value = numerator / denominator
    return value if math.isfinite(value) else None


def percent(numerator: float | None, denominator: float | None) -> float | None:
    """Return 100 × numerator / denominator, or None when that cannot be computed."""
    value = ratio(numerator, denominator)
    if value is None or not math.isfinite(100.0 * value):
        return None
    return 100.0 * value


def planned_pct(start: date | None, due: date | None, today: date) -> float | None:
    """Share (0..100) of the time from start to due that has passed by today; None without both."""
    if start is None or due is None:
        return None
    span = (due - start).days
    if span <= 0:
        return 100.0 if today >= due else 0.0
    elapsed = (today - start).days
    return max(0.0, min(100.0, 100.0 * elapsed / span))


def earned_value(budget: float | None, actual_cost: float, earned: float | None,
                 planned: float | None) -> EarnedValue:
    """Derive CPI, SPI, EAC, ETC, VAC and TCPI from budget, actual, earned and planned values."""
    cpi = ratio(earned, actual_cost)
    spi = ratio(earned, planned)
    eac = ratio(budget, cpi)
    etc = None if eac is None else eac - actual_cost
    vac = None if eac is None or budget is None else budget - eac
    tcpi = None
    if budget is not None and earned is not None and actual_cost < budget:
        # Once the actual cost has reached the budget no efficiency finishes within it.
        tcpi = ratio(budget - earned, budget - actual_cost)
    return EarnedValue(budget=budget, actual_cost=actual_cost, earned_value=earned,
                       planned_value=planned, cpi=cpi, spi=spi, eac=eac, etc=etc, vac=vac, tcpi=tcpi)


def project_earned_value(budget: float | None, actual_cost: float, progress: float,
                         planned: float | None) -> EarnedValue:
    """Compute earned value for one project from its budget, cost, progress % and planned %."""
    earned = None if budget is None else budget * progress / 100.0
    planned_value = None if budget is None or planned is None else budget * planned / 100.0
    return earned_value(budget, actual_cost, earned, planned_value)
