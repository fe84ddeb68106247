"""The `pmrollup` command line: the root group, every command it holds, and how errors are said."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import click

from connector.errors import ConnectorError
from rules.config import ConfigError
from rules.engine import RuleError
from webhooks.cli import admin, commands, explaining, forecasting, inbox, jobs, serving, tryout
from webhooks.cli.base import CommandError, RootOptions
from webhooks.store.sqlite import StoreError


class RootGroup(click.Group):
    """The root group: an error of pmrollup's becomes one line on stderr and the command's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            return _fail(f"configuration error: {exc}", 2)
        except RuleError as exc:
            return _fail(f"rule error: {exc}", 2)
        except ConnectorError as exc:
            return _fail(f"Jira: {exc}", 1)
        except CommandError as exc:
            return _fail(str(exc), exc.code)
        except StoreError as exc:
            return _fail(f"store: {exc}", 1)
        except KeyboardInterrupt:
            return _fail("interrupted", 130)


def _fail(message: str, code: int) -> int:
    print(f"pmrollup: {message}", file=sys.stderr)
    return code


@click.group("pmrollup", cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help="Program-management rollups for Jira: epics are projects, initiatives are programs.")
@click.option("--config", metavar="CONFIG",
              help="app.yaml to use (default: $PMROLLUP_CONFIG, then ./app.yaml)")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    ctx.obj = RootOptions(config)


# Setting a site up and checking it
cli.add_command(commands.config_command)
cli.add_command(commands.check_command)
cli.add_command(commands.rules_group)
cli.add_command(admin.fields_group)
cli.add_command(admin.webhook_group)
# One program or project, now
cli.add_command(commands.evaluate_command)
cli.add_command(commands.baseline_command)
cli.add_command(forecasting.forecast_command)
cli.add_command(explaining.explain_command)
# The scheduled jobs, now, and the scheduler that runs them on the clock
cli.add_command(jobs.sweep_command)
cli.add_command(jobs.digest_command)
cli.add_command(jobs.scheduler_command)
# The store: what waits, what died, what was written
cli.add_command(inbox.inbox_command)
cli.add_command(inbox.audit_command)
# The service
cli.add_command(serving.serve_command)
cli.add_command(serving.worker_command)
# Without a Jira: the stand-in Jira, and the story played on it
cli.add_command(tryout.sandbox_command)
cli.add_command(tryout.demo_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a usage error is click's message and exit 2, pmrollup's errors one line."""
    # Retry notices and recompute warnings go to the service's JSON log (serve, worker, scheduler);
    # a one-shot command reports its error in one line instead of Python's bare last-resort logging.
    for name in ("pmrollup.connector", "pmrollup.recompute"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
    try:
        code = cli.main(args=None if argv is None else list(argv), prog_name="pmrollup",
                        standalone_mode=False)
    except click.ClickException as exc:  # a usage error: unknown command or option, bad value
        exc.show()
        return exc.exit_code
    except click.Abort:  # Ctrl-C while click itself reads the command line
        return _fail("interrupted", 130)
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
