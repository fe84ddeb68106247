"""`pmrollup sweep` and `pmrollup digest`: the scheduled jobs, run now from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from connector.hierarchy import check_key
from webhooks.cli.base import CommandError, load, subcommand
from webhooks.cli.tables import render_table
from webhooks.recompute.services import gateway_for, recomputer_for
from webhooks.schedules.digest import post_digest, post_digests
from webhooks.schedules.sweep import Progress, SweepSummary, run_sweep
from webhooks.store.inbox import SqliteInbox, StoreError


@subcommand
def _sweep(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="recompute every program and lone project now",
                       description="Recompute every initiative and every epic with no initiative in the "
                                   "configured projects, now, in the foreground (not through the queue).")
    p.add_argument("--dry-run", action="store_true", help="compute and report, write nothing")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run_sweep_command)


def run_sweep_command(args: argparse.Namespace) -> int:
    """Run the sweep and print its summary; non-zero when some target could not be swept."""
    config = load(args)
    gateway = gateway_for(config)
    store = None
    if not args.dry_run:
        try:
            store = SqliteInbox(config.store_path)
        except StoreError as exc:
            raise CommandError(str(exc)) from exc
    recomputer = recomputer_for(config, gateway=gateway, store=store)
    bar = progress_bar(sys.stderr) if sys.stderr.isatty() and not args.json else None
    summary = run_sweep(gateway, recomputer, dry_run=args.dry_run, progress=bar)
    print(json.dumps(summary.as_dict(), indent=2) if args.json else render_sweep(summary))
    return 1 if summary.failures else 0


@subcommand
def _digest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("digest", help="post the status digest on initiatives now (once per date)")
    p.add_argument("key", nargs="?", help="only this initiative")
    p.add_argument("--dry-run", action="store_true", help="print the digest, post nothing")
    p.set_defaults(handler=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    config = load(args)
    gateway = gateway_for(config)
    recomputer = recomputer_for(config, gateway=gateway)
    today = config.today()
    if args.key:
        key = check_key(args.key)
        if gateway.locate(key).level != "program":
            raise CommandError(f"{key} is not an initiative: the digest is posted on initiatives")
        digests = [post_digest(gateway, recomputer, key, today, args.dry_run)]
    else:
        digests = post_digests(config, gateway, recomputer, today, args.dry_run)
    for digest in digests:
        verb = "would post" if args.dry_run else ("posted" if digest.posted else "already posted")
        print(f"{digest.key}: {verb} the digest of {today.isoformat()}")
        if args.dry_run:
            print(digest.body + "\n")
    return 0


def render_sweep(summary: SweepSummary) -> str:
    """Return a sweep's summary table."""
    order = {"critical": 0, "warning": 1, "info": 2}
    ranked = sorted(summary.findings.items(), key=lambda item: (order.get(item[0], 9), item[0]))
    severities = ", ".join(f"{n} {s}" for s, n in ranked) or "none"
    rows: list[list[object]] = [
        ["programs", summary.programs], ["projects", summary.projects], ["findings", severities],
        ["fields written", "none (dry run)" if summary.dry_run else summary.fields_written],
        ["comments posted", "none (dry run)" if summary.dry_run else summary.comments_posted],
        ["Jira calls", summary.jira_calls], ["time taken", f"{summary.seconds:.2f} s"],
    ]
    text = render_table(["sweep", "result"], rows)
    if summary.failures:
        text += "\n\nNot swept:\n" + "\n".join(f"  - {f}" for f in summary.failures)
    return text


def progress_bar(stream: TextIO, width: int = 30) -> Progress:
    """Return a progress callback drawing one self-overwriting line on a terminal."""

    def draw(done: int, total: int, key: str) -> None:
        filled = width * done // total if total else width
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {key:<16}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return draw
