"""Subcommands of `pmrollup`; each registers its arguments and a handler."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rules.wording import counted, with_article
from sandbox.seed import SEEDS_DIR
from webhooks.cli.base import CommandError, load, subcommand


@subcommand
def _sandbox(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="serve the stand-in Jira on loopback")
    p.add_argument("--seed", default=str(SEEDS_DIR
                                         / "demo.yaml"), help="seed YAML (default: the demo program)")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--flavor", choices=("cloud", "datacenter"), default="cloud")
    p.set_defaults(handler=_run_sandbox)


def _run_sandbox(args: argparse.Namespace) -> int:
    from sandbox.seed import SeedError
    from sandbox.server import serve

    if not Path(args.seed).is_file():
        raise CommandError(f"seed file not found: {args.seed}")
    try:
        serve(args.seed, flavor=args.flavor, host=args.host, port=args.port)
    except SeedError as exc:
        raise CommandError(f"bad seed: {exc}") from exc
    except OSError as exc:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    return 0


@subcommand
def _config(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="validate app.yaml and say what it resolves to")
    p.set_defaults(handler=_run_config)


def _run_config(args: argparse.Namespace) -> int:
    config = load(args)
    print(f"{config.path}: valid (flavor {config.jira.flavor}, timezone {config.timezone}, "
          f"{len(config.rule_paths())} rule files)")
    return 0


@subcommand
def _check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check app.yaml, the rules and the configured Jira")
    p.set_defaults(handler=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    from webhooks.cli.checks import run_checks

    config = load(args)
    report = run_checks(config)
    print(report.render())
    return 0 if report.ok else 1


@subcommand
def _rules(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="work with rule files")
    rsub = p.add_subparsers(dest="rules_command", metavar="ACTION")
    rsub.required = True
    c = rsub.add_parser("check", help="validate rule files (default: those app.yaml names)")
    c.add_argument("files", nargs="*", help="rule files or folders")
    c.set_defaults(handler=_run_rules_check)


def _run_rules_check(args: argparse.Namespace) -> int:
    from rules.engine import check_rule_files, load_rules

    paths = args.files or list(load(args).rule_paths())
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


@subcommand
def _evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate a project (epic) or a program (initiative) now")
    p.add_argument("key", help="issue key of an epic or an initiative")
    p.add_argument("--dry-run", action="store_true", help="print the write plan, write nothing")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(handler=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from webhooks.cli.report import render_evaluation
    from webhooks.recompute.services import gateway_for, recomputer_for

    config = load(args)
    gateway = gateway_for(config)
    key = args.key.strip().upper()
    where = gateway.locate(key)
    recomputer = recomputer_for(config, gateway=gateway, store=_audit_store(config, args.dry_run))
    if where.level == "program":
        evaluation = recomputer.program(key, dry_run=args.dry_run)
    elif where.level == "project":
        evaluation = recomputer.project(key, dry_run=args.dry_run)
    else:
        hint = f"; its epic is {where.project_key}" if where.project_key else ""
        raise CommandError(f"{key} is {with_article(where.issue_type)}, not an epic or an initiative{hint}")
    if args.json:
        print(json.dumps(evaluation.as_dict(), indent=2, sort_keys=False))
    else:
        print(render_evaluation(evaluation, config, applied=not args.dry_run))
    return 0


def _audit_store(config, dry_run: bool):  # type: ignore[no-untyped-def]
    """Open the store for the audit log, when there is one to write to."""
    if dry_run:
        return None
    from webhooks.store.inbox import SqliteInbox

    return SqliteInbox(config.store_path)


@subcommand
def _baseline(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("baseline", help="take (or show) an epic's scope baseline")
    p.add_argument("key", help="issue key of an epic")
    p.add_argument("--reset", action="store_true", help="replace an existing baseline")
    p.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD",
                   help="rebuild the baseline as the epic stood on that date, from changelogs")
    p.set_defaults(handler=_run_baseline)


def _run_baseline(args: argparse.Namespace) -> int:
    from webhooks.cli.baselines import set_baseline
    from webhooks.cli.requeue import queue_recompute, target_at
    from webhooks.recompute.services import gateway_for

    config = load(args)
    outcome = set_baseline(config, gateway_for(config), args.key.strip().upper(), args.reset, args.as_of)
    print(outcome.message)
    target = target_at(outcome.changed) if outcome.changed is not None else None
    if target is not None:  # the scope fields a recompute writes follow the new baseline
        print(queue_recompute(config, target))
    return 0


