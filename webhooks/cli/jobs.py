"""`pmrollup sweep` and `pmrollup digest`, the scheduled jobs run now, and `pmrollup scheduler`, which
runs them on the clock."""

from __future__ import annotations

import json
import signal
import sys
from typing import TextIO

import click

from connector.hierarchy import check_key
from webhooks.cli.base import CommandError, RootOptions, pass_root
from webhooks.cli.tables import render_table
from webhooks.recompute.services import gateway_for, recomputer_for
from webhooks.schedules.digest import post_digest, post_digests
from webhooks.schedules.schedule import JOBS, Schedule, build_scheduler
from webhooks.schedules.sweep import Progress, SweepSummary, run_sweep
from webhooks.store.inbox import SqliteInbox, StoreError
from webhooks.telemetry.logs import ensure_logging, log_event


@click.command("sweep", short_help="recompute every program and lone project now",
               help="Recompute every initiative and every epic with no initiative in the configured "
                    "projects, now, in the foreground (not through the queue).")
@click.option("--dry-run", is_flag=True, help="compute and report, write nothing")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@pass_root
def sweep_command(root: RootOptions, dry_run: bool, as_json: bool) -> int:
    """Run the sweep and print its summary; non-zero when some target could not be swept."""
    config = root.load()
    gateway = gateway_for(config)
    store = None
    if not dry_run:
        try:
            store = SqliteInbox(config.store_path)
        except StoreError as exc:
            raise CommandError(str(exc)) from exc
    recomputer = recomputer_for(config, gateway=gateway, store=store)
    bar = progress_bar(sys.stderr) if sys.stderr.isatty() and not as_json else None
    summary = run_sweep(gateway, recomputer, dry_run=dry_run, progress=bar)
    print(json.dumps(summary.as_dict(), indent=2) if as_json else render_sweep(summary))
    return 1 if summary.failures else 0


@click.command("digest", short_help="post the status digest on initiatives now (once per date)",
               help="Post the status digest on initiatives now (once per date). KEY: only this initiative.")
@click.argument("key", required=False)
@click.option("--dry-run", is_flag=True, help="print the digest, post nothing")
@pass_root
def digest_command(root: RootOptions, key: str | None, dry_run: bool) -> int:
    config = root.load()
    gateway = gateway_for(config)
    recomputer = recomputer_for(config, gateway=gateway)
    today = recomputer.clock.today()
    if key:
        key = check_key(key)
        if gateway.locate(key).level != "program":
            raise CommandError(f"{key} is not an initiative: the digest is posted on initiatives")
        digests = [post_digest(gateway, recomputer, key, today, dry_run)]
    else:
        digests = post_digests(config, gateway, recomputer, today, dry_run)
    for digest in digests:
        verb = "would post" if dry_run else ("posted" if digest.posted else "already posted")
        print(f"{digest.key}: {verb} the digest of {today.isoformat()}")
        if dry_run:
            print(digest.body + "\n")
    return 0


@click.command("scheduler", short_help="run the schedules (sweep, digest, catchup) as their own process",
               help="Run the scheduler alone: use it beside gunicorn, whose web workers never schedule. "
                    "Jobs only enqueue targets; `pmrollup worker` recomputes.")
@pass_root
def scheduler_command(root: RootOptions) -> int:
    config = root.load()
    try:
        store = SqliteInbox(config.store_path)
    except StoreError as exc:
        raise CommandError(str(exc)) from exc
    schedule = Schedule(config, store, lambda: gateway_for(config))
    gateway_for(config).server_info()  # fail now, with one line, when Jira cannot be reached
    ensure_logging()
    scheduler = build_scheduler(schedule, blocking=True)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log_event("schedule.start", jobs={j: getattr(config.schedule, j) for j in JOBS}, timezone=config.timezone,
              store=config.store_path)
    scheduler.start()
    log_event("schedule.stop")
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
