"""The `pmrollup` command line: one subcommand per admin task."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from connector.errors import ConnectorError
from rules.config import AppConfig, ConfigError, config_path, load_config
from rules.engine import RuleError
from webhooks.store import StoreError

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Command] = {}


class CommandError(Exception):
    """A failure to report as one line on stderr with exit code `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def load(args: argparse.Namespace) -> AppConfig:
    """Load the configuration the arguments point at."""
    return load_config(config_path(getattr(args, "config", None)))


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="pmrollup",
        description="Program-management rollups for Jira: epics are projects, initiatives are programs.",
    )
    parser.add_argument("--config", help="app.yaml to use (default: $PMROLLUP_CONFIG, then ./app.yaml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for register in _REGISTRARS:
        register(sub)
    return parser


_REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = []


def subcommand(register: Callable[[argparse._SubParsersAction], None]) -> Callable[..., None]:
    """Add a function that declares a subcommand's arguments."""
    _REGISTRARS.append(register)
    return register


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; errors become one line on stderr and a non-zero exit."""
    from webhooks import commands  # noqa: F401  (registers the subcommands)

    # Retry notices and recompute warnings go to the service's JSON log (serve, worker, scheduler);
    # a one-shot command reports its error in one line instead of Python's bare last-resort logging.
    for name in ("pmrollup.connector", "pmrollup.recompute"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
        return code
    except ConfigError as exc:
        print(f"pmrollup: configuration error: {exc}", file=sys.stderr)
        return 2
    except RuleError as exc:
        print(f"pmrollup: rule error: {exc}", file=sys.stderr)
        return 2
    except ConnectorError as exc:
        print(f"pmrollup: Jira: {exc}", file=sys.stderr)
        return 1
    except CommandError as exc:
        print(f"pmrollup: {exc}", file=sys.stderr)
        return exc.code
    except StoreError as exc:
        print(f"pmrollup: store: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pmrollup: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run as `python -m webhooks.cli`: use the imported module, where the subcommands register.
    from webhooks.cli import main as registered_main

    sys.exit(registered_main())
