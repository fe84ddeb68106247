"""Explanations of the figures the metrics do not trace themselves: the health (from the findings of
the rules) and the delivery forecast (from its throughput samples); and which trace explains a name.

The metric traces come from `ProjectMetrics.traces` and `ProgramMetrics.traces`; these two are built
from what the same evaluation used: its findings and `health_of`, its samples and `forecast`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from rules.engine import HEALTH_OF_SEVERITY, Finding, Rule, deciding_rules, health_of
from rules.forecast import Forecast
from rules.metrics import PROJECT_METRICS
from rules.program import PROGRAM_METRICS
from rules.throughput import FORECAST_METRICS, ForecastSettings, Throughput
from rules.trace import Row, Step, Trace, given, row, shown, trace_of

# The words that name several figures at once, with the traces they show (by the traces' names).
GROUPS: dict[str, tuple[str, ...]] = {
    "progress": ("progress",), "scope": ("scope",), "dependencies": ("dependencies",),
    "budget": ("budget", "evm"), "evm": ("evm",), "schedule": ("schedule",), "health": ("health",),
    "forecast": ("forecast",), "projects": ("projects",), "alignment": ("alignment",),
}
EXTRA_NAMES = ("health_reason",)  # figures beside the metrics that rules read
LEVEL_NAMES = {"project": {*PROJECT_METRICS, *EXTRA_NAMES}, "program": {*PROGRAM_METRICS, *EXTRA_NAMES}}
KNOWN_NAMES = frozenset(LEVEL_NAMES["project"] | LEVEL_NAMES["program"] | set(GROUPS))


def closest_names(name: str, count: int = 3) -> list[str]:
    """Return the metric names and group words nearest to a name that is neither."""
    return difflib.get_close_matches(name, sorted(KNOWN_NAMES), n=count, cutoff=0.5)


def chosen_traces(traces: Mapping[str, Trace], name: str | None) -> list[Trace]:
    """Return the traces that explain `name` (a metric or a group word; None: all of them)."""
    if name is None:
        return list(traces.values())
    if name in GROUPS:
        return [traces[group] for group in GROUPS[name] if group in traces]
    return [trace for trace in traces.values() if trace.gives(name)][:1]


def health_trace(findings: Sequence[Finding], rules: Sequence[Rule], key: str, jira_project: str,
                 values: Mapping[str, Any]) -> Trace:
    """Explain the health: each rule of the level with the values its `when` saw and whether it held,
    then the worst severity among the findings, which decides it."""
    held = {f.rule: f for f in findings}
    inputs: list[Row] = []
    for rule in rules:
        saw = ", ".join(f"{name} = {shown(values.get(name))}" for name in sorted(rule.when.symbols))
        state = ("held" if rule.id in held else "not applied: only " + ", ".join(rule.only)
                 if not rule.applies_to(key, jira_project) else "did not hold")
        inputs.append(row(rule.id, severity=rule.severity, outcome=state, when=rule.when.text, saw=saw))
    listed = {r.id for r in rules}
    inputs += [row(f.rule, severity=f.severity, outcome="held", when="", saw="") for f in findings
               if f.rule not in listed]
    steps = [Step(f"{severity} findings: {', '.join(sorted(ids)) or 'none'}"
                  + (f" → {health}" if ids else ""), len(ids))
             for severity, health in HEALTH_OF_SEVERITY
             for ids in [{f.rule for f in findings if f.severity == severity}]]
    health = health_of(findings)
    deciding = deciding_rules(findings)
    said = f"decided by {deciding}" if deciding else "no critical or warning finding is active"
    steps.append(Step(f"health = {health}: {said}", health, "health"))
    if "health_reason" in values:
        steps.append(given("health_reason", values.get("health_reason"), "the line written beside it"))
    return trace_of(steps, "health", inputs)


def forecast_trace(throughput: Throughput, fresh: Forecast, published: Mapping[str, Any] | None,
                   values: Mapping[str, Any], today: date, trials: int, settings: ForecastSettings,
                   level: str) -> Trace:
    """Explain the forecast: the samples drawn from (each day's finished items), the remaining count,
    the percentiles of the simulated futures, and which forecast is published (the fields' values)."""
    first, last = today - timedelta(days=throughput.window_days), today - timedelta(days=1)
    days = [row((first + timedelta(days=n)).isoformat(), finished=count)
            for n, count in enumerate(throughput.daily) if count]
    steps = [
        given("forecast.window_days", settings.window_days, "the most days sampled"),
        Step(f"days sampled = {throughput.window_days}, {first} to {last}: "
             f"{_history_reason(throughput, today, level)}", throughput.window_days, "history_days"),
        Step(f"finished in the window = the days' samples summed = {shown(throughput.done_in_window)} "
             f"on {len(days)} of {throughput.window_days} days", throughput.done_in_window, "done_in_window"),
        Step(f"throughput per week = {shown(throughput.done_in_window)} / {throughput.window_days} x 7 = "
             f"{shown(throughput.per_week)}", throughput.per_week, "fresh_throughput_per_week"),
        Step(f"basis = {throughput.basis}: {_basis_reason(throughput, settings, level)}", throughput.basis,
             "fresh_basis"),
        Step(f"remaining = items_open = {fresh.remaining}", fresh.remaining, "remaining"),
    ]
    simulated = fresh.status in ("forecast", "beyond")
    steps.append(Step(f"trials = {trials:,} simulated futures, each drawing days from the samples from "
                      f"tomorrow until {fresh.remaining} items are done (seeded from the key)" if simulated
                      else f"trials = {trials:,}, none simulated", trials, "trials"))
    said = ("nothing is left open" if fresh.status == "done" else "too little history to forecast from "
            "(basis none)" if throughput.basis == "none" else "no item was finished in the window")
    for percentile, day in ((50, fresh.p50), (85, fresh.p85), (95, fresh.p95)):
        steps.append(Step(f"P{percentile} = the day by which {percentile} % of the futures are done (nearest "
                          f"rank) = {shown(day) if day else 'beyond three years'}" if simulated else
                          f"P{percentile} = null: {said}", day, f"fresh_p{percentile}"))
    if simulated and fresh.due is not None:
        steps.append(Step(f"on time = the share of futures done by the due date ({fresh.due}) = "
                          f"{shown(fresh.on_time_probability)}; slip = P85 - due = {shown(fresh.slip_days)} "
                          "days", fresh.on_time_probability, None))
    steps.append(Step(_published_text(fresh, published, settings), None, None))
    steps += [Step(f"{metric} = {shown(values.get(metric))}", values.get(metric), metric)
              for metric in FORECAST_METRICS]
    return trace_of(steps, "forecast_p85_date", days)


def _history_reason(throughput: Throughput, today: date, level: str) -> str:
    whose = ("its epics' items" if level == "program" else "its program's epics' items"
             if throughput.basis == "program" else "its items")
    if throughput.began is None:
        return f"the whole window (the earliest created day of {whose} is before it, or not known)"
    return f"{throughput.began_text(today)} (the earliest created day of {whose})"


def _basis_reason(throughput: Throughput, settings: ForecastSettings, level: str) -> str:
    if level == "program":
        return "a program forecasts from its epics' days combined"
    if throughput.basis == "epic":
        return (f"at least forecast.min_done ({settings.min_done}) of its own items were finished in the "
                "window")
    if throughput.basis == "program":
        return (f"fewer than forecast.min_done ({settings.min_done}) of its own were finished, so it draws "
                "its share of its program's days (divided among the program's epics with open items)")
    return (f"fewer than forecast.min_done ({settings.min_done}) of its own were finished, and no program's "
            "days to share")


def _published_text(fresh: Forecast, published: Mapping[str, Any] | None, settings: ForecastSettings) -> str:
    stored = Forecast.from_dict(published) if published is not None else None
    if stored is None or stored == fresh:
        return "published: this forecast (the fields below hold it)"
    return (f"published: the forecast of before, P85 {shown(stored.p85)}, is kept: the fresh P85 moved less "
            f"than forecast.min_move_days ({settings.min_move_days}) and did not cross the due date")
