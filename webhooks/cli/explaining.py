"""`pmrollup explain KEY [METRIC]`: the inputs and the arithmetic of a figure, down to the issues."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import click

from connector.client import JiraGateway
from rules.config import AppConfig
from rules.explain import (
    GROUPS,
    KNOWN_NAMES,
    LEVEL_NAMES,
    chosen_traces,
    closest_names,
    forecast_trace,
    health_trace,
)
from rules.throughput import FORECAST_KEY
from rules.trace import Trace, shown
from rules.wording import counted, with_article
from webhooks.cli.base import CommandError, RootOptions, pass_root
from webhooks.cli.forecasting import Outlook, outlook_of
from webhooks.cli.tables import render_table
from webhooks.recompute.evaluation import IssueResult
from webhooks.recompute.services import rules_for

# The order figures are shown in when no METRIC is named.
ORDER = ("projects", "progress", "scope", "schedule", "dependencies", "budget", "evm", "forecast", "health",
         "alignment")


@click.command("explain", short_help="show how a figure was computed, down to the issues",
               help="Explain how KEY's figures were computed: the issues and values each was computed "
                    "from and each step of its arithmetic, as the code that computes it recorded them. "
                    "METRIC is a metric name (progress_pct, scope_growth_pct, dependencies_overdue, cpi, "
                    "health, forecast_p85_date, ...) or a group: " + ", ".join(GROUPS) + "; without it, "
                    "every figure of KEY briefly. Reads Jira; writes nothing.")
@click.argument("key")
@click.argument("metric", required=False)
@click.option("--json", "as_json", is_flag=True, help="print the explanation as JSON")
@pass_root
def explain_command(root: RootOptions, key: str, metric: str | None, as_json: bool) -> int:
    name = known_name(metric)
    result, chosen = explained(root.load(), key, name)
    if as_json:
        print(json.dumps({"key": result.key, "level": result.level, "summary": result.summary,
                          "metric": name, "traces": [t.as_dict() for t in chosen]}, indent=2))
    else:
        print(render(result.key, f"{result.summary} ({result.level})", chosen, brief=name is None))
    return 0


def explained(config: AppConfig, key: str, name: str | None, gateway: JiraGateway | None = None
              ) -> tuple[IssueResult, list[Trace]]:
    """Evaluate KEY without writing and return its result and the traces asked for (`name` a metric or
    a group word, None for all), through `gateway`, else the Jira the environment names."""
    outlook = outlook_of(config, key.strip().upper(), config.forecast.trials, gateway)
    result = outlook.result
    if name is not None and name not in GROUPS and name not in LEVEL_NAMES[result.level]:
        other = "program" if result.level == "project" else "project"
        raise CommandError(f"{name} is a figure of {with_article(other)}, and {result.key} is "
                           f"{with_article(result.level)}", 2)
    return result, chosen_traces(traces_of(outlook, config), name)


def known_name(metric: str | None) -> str | None:
    """Return the metric name or group word asked for; refuse an unknown one, naming the closest."""
    if metric is None:
        return None
    name = metric.strip().lower()
    if name in KNOWN_NAMES:
        return name
    closest = closest_names(name)
    hint = f"closest: {', '.join(closest)}" if closest else "groups: " + ", ".join(GROUPS)
    raise CommandError(f"unknown metric {metric!r}; {hint}", 2)


def traces_of(outlook: Outlook, config: AppConfig) -> dict[str, Trace]:
    """Return every trace of the issue: its metrics', its health's and its forecast's, in showing order."""
    result = outlook.result
    rules = rules_for(config).for_level(result.level)
    found = {
        **result.traces,
        "health": health_trace(result.findings, rules, result.key, result.key.rsplit("-", 1)[0],
                               result.metrics),
        "forecast": forecast_trace(outlook.throughput, outlook.fresh,
                                   (result.plan.state or {}).get(FORECAST_KEY), result.metrics,
                                   outlook.today, outlook.trials, config.forecast, result.level),
    }
    return {group: found[group] for group in sorted(found, key=_place)}


def _place(group: str) -> int:
    return ORDER.index(group) if group in ORDER else len(ORDER)


def render(key: str, title: str, traces: Sequence[Trace], brief: bool) -> str:
    """Return the traces as a program manager reads them: the figure, its inputs, each step."""
    parts = [f"{key}  {title}"]
    for trace in traces:
        parts.append("")
        parts.append(f"{trace.metric} = {shown(trace.value)}")
        if brief:
            parts += [f"  {step.text}" for step in trace.steps if step.name in KNOWN_NAMES]
            if trace.inputs:
                listed = counted(len(trace.inputs), "input")
                parts.append(f"  ({listed}: pmrollup explain {key} {trace.metric} lists them)")
            continue
        if trace.inputs:
            parts.append(_table([r.as_dict() for r in trace.inputs]))
        parts += [f"  {step.text}" for step in trace.steps]
    return "\n".join(parts)


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    columns: list[str] = []
    for data in rows:
        columns += [name for name in data if name not in columns]
    cells = [[_cell(data.get(name)) for name in columns] for data in rows]
    return "\n".join("  " + line for line in render_table(columns, cells).splitlines())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return shown(value)
