"""`pmrollup inbox [retry]` and `pmrollup audit [KEY]`: what waits, what died, what the site refuses,
what was written."""

from __future__ import annotations

import time
from collections.abc import Sequence

import click

from rules.wording import counted
from webhooks.cli.base import CommandError, RootOptions, pass_root
from webhooks.recompute.writeback import UNSAID_FIELD
from webhooks.store.inbox import SqliteInbox, StoreError


def open_store(root: RootOptions) -> SqliteInbox:
    """Open the existing inbox that the configuration names."""
    config = root.load()
    try:
        return SqliteInbox(config.store_path, create=False)
    except StoreError as exc:
        raise CommandError(str(exc)) from exc


@click.command("inbox", short_help="show what waits in the inbox and the dead targets",
               help="Show deliveries and targets waiting in the inbox, and the dead targets with their last "
                    "error. `pmrollup inbox retry` requeues them (dead targets and deliveries).")
@click.argument("action", required=False, type=click.Choice(["retry"]))
@pass_root
def inbox_command(root: RootOptions, action: str | None) -> int:
    """Print inbox counts and dead targets, or requeue the dead ones."""
    store = open_store(root)
    try:
        if action == "retry":
            requeued = store.retry_dead()
            print(f"requeued {counted(requeued, 'dead item')}; the worker takes them on its next round")
            return 0
        counts = store.counts()
        dead = store.dead_targets()
        problems = store.site_problems()
        wakeups = store.wakeups()
        notices = store.notices()
    except StoreError as exc:
        raise CommandError(str(exc)) from exc
    print(table(("", "STORED", "PENDING", "LEASED", "DEAD"), [
        ("deliveries", str(counts.deliveries_stored), str(counts.deliveries_pending), "-",
         str(counts.deliveries_dead)),
        ("targets", "-", str(counts.targets_pending), str(counts.targets_leased), str(counts.targets_dead)),
    ]))
    if dead:
        print("\ndead targets (requeue them with `pmrollup inbox retry`):")
        print(table(("KIND", "KEY", "ATTEMPTS", "LAST NEWS (UTC)", "LAST ERROR"), [
            (d.kind, d.key, str(d.attempts), when(d.last_seen), clip(d.last_error, 80)) for d in dead
        ]))
    if wakeups:
        print("\nrecomputes asked for later (a comment held by quiet hours is then due):")
        print(table(("KIND", "KEY", "AT (UTC)"), [(t.kind, t.key, when(at)) for t, at in wakeups]))
    if notices:
        print("\nsaid by the worker (`pmrollup rules check` shows every problem of the rule files):")
        for notice in notices:
            print(f"  since {when(notice.since)} UTC: {notice.text}")
    if problems:
        print("\nsite problems: fields Jira refuses, left out of the edits meanwhile "
              "(`pmrollup check` says how to fix each and re-tests it):")
        print(table(("FIELD", "PROJECT", "ISSUE TYPE", "LAST ISSUE", "LAST SEEN (UTC)", "WHY"), [
            (p.field_name, p.jira_project, p.issue_type, p.issue_key, when(p.last_seen), clip(p.reason, 80))
            for p in problems
        ]))
    return 0


@click.command("audit", short_help="show the writes pmrollup made to Jira",
               help="Show the audit log: when, which issue, which field, old -> new, which rule. KEY: only "
                    "this issue (e.g. PAY-12).")
@click.argument("key", required=False)
@click.option("--limit", type=int, default=200, metavar="N", help="show the latest N writes (default 200)")
@pass_root
def audit_command(root: RootOptions, key: str | None, limit: int) -> int:
    """Print the audit log, for one issue or all, as a table."""
    if limit < 1:
        raise CommandError("--limit must be at least 1", code=2)
    store = open_store(root)
    try:
        entries = store.audit(key.upper() if key else None, limit=limit)
    except StoreError as exc:
        raise CommandError(str(exc)) from exc
    if not entries:
        print(f"no writes recorded for {key.upper()}" if key else "no writes recorded yet")
        return 0
    print(table(("WHEN (UTC)", "ISSUE", "FIELD", "OLD -> NEW", "RULE"), [
        (when(e.at), e.issue_key, e.field, f"{shown(e.old)} -> {shown(e.new, why=e.field == UNSAID_FIELD)}",
         e.rule or "-")
        for e in entries
    ]))
    return 0


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Lay out rows under headers in left-aligned columns."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in (headers, *rows)]
    return "\n".join(lines)


def when(epoch: float) -> str:
    """Format a time in UTC to the second."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def shown(value: str | None, why: bool = False) -> str:
    """Show an audited value on one line: empty values as '(empty)', long ones clipped (a reason why a
    transition was not announced less, since the reason is the point)."""
    return "(empty)" if value is None or value == "" else clip(value, 160 if why else 40)


def clip(text: str, width: int) -> str:
    """Return `text` on one line, at most `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
