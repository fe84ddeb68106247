"""`pmrollup check`'s live tests of what the site lets pmrollup write: the options of select outputs,
and each recorded site problem, cleared once it is fixed and the programs it kept from the field queued
for the worker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from connector.client import JiraGateway
from connector.errors import ConnectorError, JiraNotFound
from connector.fieldmap import FieldCatalog, options_lacking, wrong_kind
from connector.site import allowed_values
from connector.updates import place_kinds
from rules.config import AppConfig
from rules.metrics import SELECT_VALUES
from webhooks.cli.requeue import queue_recomputes
from webhooks.store.siteproblems import SiteProblem, SiteProblems
from webhooks.store.targets import targets_of

OPTIONS_HINT = {
    "cloud": "Jira settings > Issues > Custom fields > {name} > Contexts and default value > Edit options",
    "datacenter": "Administration > Issues > Custom fields > {name} > Configure > Edit Options",
}


@dataclass
class Findings:
    """What the live tests found: problems to fix and notes of what holds."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def options_fix(config: AppConfig, name: str, missing: list[str]) -> str:
    """Say which options to add to a select field, and where."""
    where = OPTIONS_HINT.get(config.jira.flavor, OPTIONS_HINT["cloud"]).format(name=name)
    return f"add {'the option' if len(missing) == 1 else 'the options'} {', '.join(missing)} ({where})"


def check_select_options(config: AppConfig, gateway: JiraGateway, catalog: FieldCatalog,
                         samples: Mapping[str, str]) -> Findings:
    """Check every select output holds the values pmrollup writes: Cloud through the field's context
    options, Data Center (which has no option endpoint) through editmeta's allowed values."""
    found = Findings()
    for metric, name in config.outputs.items():
        info = catalog.find(name)
        values = SELECT_VALUES.get(metric)
        if info is None or values is None or info.kind != "option":
            continue
        for key in dict.fromkeys(samples.values()) or [None]:
            try:
                options = gateway.select_options(info.id, key)
            except ConnectorError as exc:
                found.problems.append(f"outputs.{metric}: cannot read the options of '{name}': {exc}")
                break
            if options is None:
                continue  # off the sample's screen: the screen check says so
            missing = options_lacking(metric, options)
            if missing:
                found.problems.append(
                    f"outputs.{metric}: the select field '{name}' ({info.id}) lacks what pmrollup writes"
                    f"{f' (seen on {key})' if key else ''}: {options_fix(config, name, missing)}")
            else:
                found.notes.append(f"options: '{name}' offers every value pmrollup writes "
                                   f"({', '.join(values)})")
            break
    return found


def recheck_site_problems(config: AppConfig, gateway: JiraGateway, store: SiteProblems) -> Findings:
    """Re-test each recorded site problem live; clear the fixed ones and queue every program and lone
    epic with issues of their project and issue type, so a running worker writes the fields there;
    report the others with a fix."""
    found = Findings()
    fixed: list[SiteProblem] = []
    for problem in store.site_problems():
        still = _still_refused(config, gateway, problem)
        if still is not None:
            found.problems.append(f"site: {problem.describe()}; now: {still}")
            continue
        store.clear_site_problem(problem)
        fixed.append(problem)
    if fixed:
        places = ", ".join(f"'{p.field_name}' on {p.jira_project} {p.issue_type} issues" for p in fixed)
        found.notes.append(f"site: fixed: {places}; {_queue_where(config, gateway, fixed)}")
    return found


def _queue_where(config: AppConfig, gateway: JiraGateway, fixed: Sequence[SiteProblem]) -> str:
    """Queue what the worker recomputes to write the fixed fields: each program with its epics of the
    fixed projects and issue types (a program's recompute writes only the epics it names), each such
    lone epic; say so. One search finds them all."""
    try:
        placed = place_kinds(gateway, {(p.jira_project, p.issue_type) for p in fixed})
    except ConnectorError as exc:
        return f"written again from the next recompute (Jira could not list those issues: {exc})"
    targets = targets_of(placed, reconcile=frozenset())
    if not targets:
        return "written again from the next recompute"
    return queue_recomputes(config, targets)


def _still_refused(config: AppConfig, gateway: JiraGateway, problem: SiteProblem) -> str | None:
    """Return what still keeps pmrollup from writing the field on the problem's issue, else None."""
    info = gateway.field_catalog().find(problem.field_name)
    if info is None:
        return f"no field named '{problem.field_name}': run `pmrollup fields create`"
    metric = next((m for m, n in config.outputs.items() if n == problem.field_name), None)
    if metric is not None and (mismatch := wrong_kind(metric, info)) is not None:
        return mismatch
    try:
        meta = gateway.edit_meta(problem.issue_key)
    except JiraNotFound:
        return None  # the issue is gone; a refusal on another issue would be recorded anew
    except ConnectorError as exc:
        return f"cannot read the edit screen of {problem.issue_key}: {exc}"
    if info.id not in (meta.get("fields") or {}):
        return (f"not on the edit screen of {problem.jira_project} {problem.issue_type} issues: add it to "
                "that issue type's edit screen")
    if metric is not None and info.kind == "option":
        missing = options_lacking(metric, allowed_values(meta, info.id) or [])
        if missing:
            return options_fix(config, info.name, missing)
    return None
