"""Subcommands of `pmrollup`; each registers its arguments and a handler."""

from __future__ import annotations

import argparse

from webhooks.cli import subcommand


@subcommand
def _config_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="validate app.yaml and print what it resolves to")
    p.set_defaults(handler=_run_config)


def _run_config(args: argparse.Namespace) -> int:
    from webhooks.cli import load

    config = load(args)
    print(f"{config.path}: valid (flavor {config.jira.flavor}, timezone {config.timezone})")
    return 0
