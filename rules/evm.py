"""Earned value: the budget and schedule measures program managers already use.

Every function returns None when a divisor is zero or an input is unknown, never raises.
Definitions follow PMI's Practice Standard for Earned Value Management.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date

from rules.figures import MONEY_PLACES, PERCENT_PLACES, round_figure
from rules.trace import Step, formula


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
    steps: tuple[Step, ...] = field(default=(), compare=False)  # how each figure was computed, rounded


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
    return planned_figure(start, due, today)[0]


def planned_figure(start: date | None, due: date | None, today: date) -> tuple[float | None, Step]:
    """Return planned_pct unrounded and the step that computes it (rounded, as the metric holds it)."""
    if start is None or due is None:
        missing = " and ".join(name for name, day in (("start date", start), ("due date", due))
                               if day is None)
        return None, Step(f"planned_pct = null: no {missing}", None, "planned_pct")
    span = (due - start).days
    if span <= 0:
        share = 100.0 if today >= due else 0.0
        said = "100 from the due date on" if share else "0 before the due date"
        return share, Step(f"planned_pct = {share:g}: the start date ({start}) is not before the due date "
                           f"({due}), so {said}", share, "planned_pct")
    elapsed = (today - start).days
    share = max(0.0, min(100.0, 100.0 * elapsed / span))
    clamped = share != 100.0 * elapsed / span
    step = formula("planned_pct", "100 x elapsed_days / span_days", {"elapsed_days": elapsed,
                                                                     "span_days": span},
                   100.0 * elapsed / span, None if clamped else PERCENT_PLACES)
    said = step.text.replace("elapsed_days / span_days", f"(today - start_date) / (due_date - start_date) = "
                             f"100 x ({today} - {start}) / ({due} - {start})", 1)
    said += f", clamped to 0..100: {share:g}" if clamped else ""
    return share, Step(said, round_figure(share, PERCENT_PLACES), "planned_pct")


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
    spent = "actual_cost has reached the budget" if budget is not None and actual_cost >= budget else ""
    steps = (
        formula("cpi", "earned_value / actual_cost", {"earned_value": earned, "actual_cost": actual_cost},
                cpi, MONEY_PLACES),
        formula("spi", "earned_value / planned_value", {"earned_value": earned, "planned_value": planned},
                spi, MONEY_PLACES),
        formula("eac", "budget / cpi", {"budget": budget, "cpi": cpi}, eac, MONEY_PLACES),
        formula("etc", "eac - actual_cost", {"eac": eac, "actual_cost": actual_cost}, etc, MONEY_PLACES),
        formula("vac", "budget - eac", {"budget": budget, "eac": eac}, vac, MONEY_PLACES),
        formula("tcpi", "(budget - earned_value) / (budget - actual_cost)",
                {"budget": budget, "earned_value": earned, "actual_cost": actual_cost}, tcpi, MONEY_PLACES,
                null=spent),
    )
    return EarnedValue(budget=budget, actual_cost=actual_cost, earned_value=earned,
                       planned_value=planned, cpi=cpi, spi=spi, eac=eac, etc=etc, vac=vac, tcpi=tcpi,
                       steps=steps)


def project_earned_value(budget: float | None, actual_cost: float, progress: float,
                         planned: float | None) -> EarnedValue:
    """Compute earned value for one project from its budget, cost, progress % and planned %."""
    earned = None if budget is None else budget * progress / 100.0
    planned_value = None if budget is None or planned is None else budget * planned / 100.0
    ev = earned_value(budget, actual_cost, earned, planned_value)
    steps = (
        formula("earned_value", "budget x progress_pct / 100", {"budget": budget, "progress_pct": progress},
                earned, MONEY_PLACES),
        formula("planned_value", "budget x planned_pct / 100", {"budget": budget, "planned_pct": planned},
                planned_value, MONEY_PLACES),
    )
    return dataclasses.replace(ev, steps=steps + ev.steps)
