"""`pmrollup config`, `check`, `rules check`, `evaluate` and `baseline`: a site's settings and rules
checked, and one program or project evaluated or baselined now."""

from __future__ import annotations

import json
import sys

import click

from rules.config import AppConfig
from rules.wording import counted, with_article
from webhooks.cli.base import CommandError, RootOptions, pass_root
from webhooks.cli.baselines import set_baseline
from webhooks.cli.checks import run_checks
from webhooks.cli.report import render_evaluation
from webhooks.cli.requeue import queue_recompute, target_at
from webhooks.recompute.services import gateway_for, recomputer_for
from webhooks.settings.rulefiles import check_rule_files, load_rules, rule_paths
from webhooks.store.inbox import SqliteInbox


@click.command("config", help="validate app.yaml and say what it resolves to")
@pass_root
def config_command(root: RootOptions) -> int:
    config = root.load()
    print(f"{config.path}: valid (flavor {config.jira.flavor}, timezone {config.timezone}, "
          f"{len(rule_paths(config))} rule files)")
    return 0


@click.command("check", help="check app.yaml, the rules and the configured Jira")
@pass_root
def check_command(root: RootOptions) -> int:
    report = run_checks(root.load())
    print(report.render())
    return 0 if report.ok else 1


@click.group("rules", help="work with rule files", subcommand_metavar="ACTION [ARGS]...")
def rules_group() -> None:
    pass


@rules_group.command("check", short_help="validate rule files (default: those app.yaml names)",
                     help="Validate rule files (default: those app.yaml names). FILES are rule files or "
                          "folders.")
@click.argument("files", nargs=-1, metavar="[FILES]...")
@pass_root
def rules_check_command(root: RootOptions, files: tuple[str, ...]) -> int:
    paths = list(files) or list(rule_paths(root.load()))
    errors = check_rule_files(paths)
    for error in errors:
        print(str(error), file=sys.stderr)
    if errors:
        print(f"{counted(len(errors), 'problem')} in {counted(len(paths), 'rule file')}; nothing was loaded",
              file=sys.stderr)
        return 1
    ruleset = load_rules(paths)
    print(f"ok: {counted(len(ruleset.rules), 'rule')} in {counted(len(paths), 'file')}")
    return 0


@click.command("evaluate", short_help="evaluate a project (epic) or a program (initiative) now",
               help="Evaluate a project (epic) or a program (initiative) now. KEY is the issue key of an "
                    "epic or an initiative.")
@click.argument("key")
@click.option("--dry-run", is_flag=True, help="print the write plan, write nothing")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of tables")
@pass_root
def evaluate_command(root: RootOptions, key: str, dry_run: bool, as_json: bool) -> int:
    config = root.load()
    gateway = gateway_for(config)
    key = key.strip().upper()
    where = gateway.locate(key)
    recomputer = recomputer_for(config, gateway=gateway, store=_audit_store(config, dry_run))
    if where.level == "program":
        evaluation = recomputer.program(key, dry_run=dry_run)
    elif where.level == "project":
        evaluation = recomputer.project(key, dry_run=dry_run)
    else:
        hint = f"; its epic is {where.project_key}" if where.project_key else ""
        raise CommandError(f"{key} is {with_article(where.issue_type)}, not an epic or an initiative{hint}")
    if as_json:
        print(json.dumps(evaluation.as_dict(), indent=2, sort_keys=False))
    else:
        print(render_evaluation(evaluation, config, applied=not dry_run))
    return 0


def _audit_store(config: AppConfig, dry_run: bool) -> SqliteInbox | None:
    """Open the store for the audit log, when there is one to write to."""
    return None if dry_run else SqliteInbox(config.store_path)


@click.command("baseline", short_help="take (or show) an epic's scope baseline",
               help="Take (or show) an epic's scope baseline. KEY is the issue key of an epic.")
@click.argument("key")
@click.option("--reset", is_flag=True, help="replace an existing baseline")
@click.option("--as-of", metavar="YYYY-MM-DD",
              help="rebuild the baseline as the epic stood on that date, from changelogs")
@pass_root
def baseline_command(root: RootOptions, key: str, reset: bool, as_of: str | None) -> int:
    config = root.load()
    outcome = set_baseline(config, gateway_for(config), key.strip().upper(), reset, as_of)
    print(outcome.message)
    target = target_at(outcome.changed) if outcome.changed is not None else None
    if target is not None:  # the scope fields a recompute writes follow the new baseline
        print(queue_recompute(config, target))
    return 0
