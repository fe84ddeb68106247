"""`pmrollup baseline`: take, keep, reset or rebuild an epic's scope baseline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from connector.client import JiraGateway
from connector.hierarchy import Location
from rules.baseline import Change, baseline_as_of, baseline_to_property, parse_baseline, take_baseline
from rules.config import AppConfig
from rules.wording import with_article
from webhooks.cli.base import CommandError
from webhooks.recompute.recomputer import BASELINE_KEY
from webhooks.settings.clock import clock_from_environ


@dataclass(frozen=True)
class BaselineOutcome:
    """What `pmrollup baseline` did: its message, and where the epic sits when its baseline changed."""

    message: str
    changed: Location | None = None


def set_baseline(config: AppConfig, gateway: JiraGateway, key: str, reset: bool,
                 as_of: str | None) -> BaselineOutcome:
    """Store the epic's baseline unless one exists (then say so); return what was done."""
    where = gateway.locate(key)
    if where.level != "project":
        raise CommandError(f"{key} is {with_article(where.issue_type)}; a baseline belongs to an epic")
    existing, _ = parse_baseline(gateway.get_property(key, BASELINE_KEY))
    if existing is not None and not reset:
        return BaselineOutcome(f"{key} already has a baseline from {existing.date}: {existing.points:g} "
                               f"points, {existing.items} items. Left as it is; use --reset to replace it.")
    items = gateway.work_items([key])
    if as_of:
        try:
            when = date.fromisoformat(as_of)
        except ValueError as exc:
            raise CommandError(f"--as-of {as_of!r} is not a date: use YYYY-MM-DD") from exc
        # A story since moved out of the epic shows the move in its own changelog only, and Jira's
        # JQL cannot search parent history; a move is an update, so the epic's Jira project's items
        # updated since that date are the candidates.
        elsewhere = [i for i in gateway.items_updated_since([where.jira_project], when)
                     if i.epic_key != key]
        keys = sorted({i.key for i in [*items, *elsewhere]})
        # Rules read changelog values in their display form: the key for a parent, the text of a number.
        histories = {k: [Change(key=c.key, when=c.at, field=c.field,
                                from_value=c.from_string or c.from_value,
                                to_value=c.to_string or c.to_value) for c in changes]
                     for k, changes in gateway.changelog(keys).items()}
        baseline = baseline_as_of(key, items, histories, when, config.jira.flavor,
                                  points_field=config.fields.story_points, elsewhere=elsewhere)
    else:
        baseline = take_baseline(items, clock_from_environ(config.timezone).today())
    gateway.set_property(key, BASELINE_KEY, baseline_to_property(baseline))
    verb = "Replaced" if existing is not None else "Took"
    note = " (too many items to keep their keys: counts only)" if baseline.truncated else ""
    return BaselineOutcome(f"{verb} the baseline of {key} as of {baseline.date}: {baseline.points:g} "
                           f"points, {baseline.items} items{note}.", where)
