"""What every `pmrollup` subcommand shares: its error type, the configuration it loads, the parser."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rules.config import AppConfig, config_path, load_config

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
