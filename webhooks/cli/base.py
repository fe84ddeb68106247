"""What every `pmrollup` command shares: its error type and the options given before the command."""

from __future__ import annotations

from dataclasses import dataclass

import click

from rules.config import AppConfig
from webhooks.settings.appyaml import config_path, load_config


class CommandError(Exception):
    """A failure to report as one line on stderr with exit code `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RootOptions:
    """The options given before the command: `pmrollup --config FILE COMMAND`."""

    config: str | None = None

    def load(self) -> AppConfig:
        """Load the app.yaml that `--config` names (else $PMROLLUP_CONFIG, else ./app.yaml)."""
        return load_config(config_path(self.config))


# Hands a command the root options: `@pass_root def command(root: RootOptions, ...)`.
pass_root = click.make_pass_decorator(RootOptions)
