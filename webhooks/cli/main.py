"""The `pmrollup` command line: one subcommand per admin task, each declared in its own module."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

# Each module declares its subcommands when imported; importing them here is the whole list.
import webhooks.cli.admin
import webhooks.cli.commands
import webhooks.cli.demo
import webhooks.cli.inbox
import webhooks.cli.jobs
import webhooks.cli.serving  # noqa: F401
from connector.errors import ConnectorError
from rules.config import ConfigError
from rules.engine import RuleError
from webhooks.cli.base import CommandError, build_parser
from webhooks.store.sqlite import StoreError


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; errors become one line on stderr and a non-zero exit."""
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
    sys.exit(main())
