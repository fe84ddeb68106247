"""The weekly digest: one status comment per initiative, a table per project and what changed."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from rules.config import AppConfig
from rules.figures import as_decimal, fixed
from rules.model import Program
from rules.plan import json_scalar
from rules.wording import counted
from webhooks.recompute.recomputer import Evaluation, IssueResult, Recomputer
from webhooks.telemetry.logs import log_event

DIGEST_PROPERTY = "pmrollup.digest"
DIGEST_VERSION = 1
# metric, column title, unit shown after the figure
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("health", "Health", ""),
    ("progress_pct", "Progress", "%"),
    ("scope_growth_pct", "Scope growth", "%"),
    ("budget_used_pct", "Budget used", "%"),
    ("dependencies_open", "Open dependencies", ""),
    ("forecast_p85_date", "P85 forecast", ""),
)


class DigestError(Exception):
    """Some initiatives got no digest; the message names them and why."""


class DigestGateway(Protocol):
    """The Jira calls a digest makes (connector.JiraGateway provides them)."""

    def programs(self) -> list[Program]: ...
    def get_property(self, key: str, name: str) -> object | None: ...
    def set_property(self, key: str, name: str, value: object) -> None: ...
    def add_comment(self, key: str, body: str, marker: str) -> Any: ...


@dataclass(frozen=True)
class Digest:
    """One initiative's digest: the comment body, its marker and the figures it reports."""

    key: str
    day: date
    body: str
    marker: str
    figures: Mapping[str, Mapping[str, object]]
    changes: tuple[str, ...]
    posted: bool = False


def digest_marker(key: str, day: date) -> str:
    """Return the marker that ends the digest of `key` for `day` (one digest per date)."""
    return f"[pmrollup:digest:{key}:{day.isoformat()}]"


def figures_of(evaluation: Evaluation) -> dict[str, dict[str, object]]:
    """Return the reported figures of the program and each project, by issue key."""
    return {r.key: {m: json_scalar(r.metrics.get(m)) for m, _, _ in COLUMNS} | {"summary": r.summary}
            for r in evaluation.results}


def _shown(value: object, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{fixed(value, 1, thousands=True)}{unit}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}{unit}"
    return f"{value}{unit}"


def changes_between(before: Mapping[str, Mapping[str, object]] | None,
                    after: Mapping[str, Mapping[str, object]], program_key: str) -> list[str]:
    """Say, one line per issue, what moved between two digests' figures."""
    if before is None:
        return []
    lines: list[str] = []
    for key, now in after.items():
        name = "the program" if key == program_key else key
        then = before.get(key)
        if then is None:
            lines.append(f"{name}: new in the program since the last digest")
            continue
        moved = []
        for metric, title, unit in COLUMNS:
            old, new = then.get(metric), now.get(metric)
            if old == new:
                continue
            text = f"{title.lower()} {_shown(old, unit)} → {_shown(new, unit)}"
            if isinstance(old, int | float) and isinstance(new, int | float) and metric != "health":
                change = fixed(as_decimal(new) - as_decimal(old), 1, thousands=True)
                text += f" ({'' if change.startswith('-') else '+'}{change})"
            elif (moved_days := _days_between(old, new)) is not None:
                text += f" ({counted(abs(moved_days), 'day')} {'later' if moved_days > 0 else 'earlier'})"
            moved.append(text)
        if moved:
            lines.append(f"{name}: " + "; ".join(moved))
    lines += [f"{key}: no longer in the program" for key in before if key not in after]
    return lines


def _days_between(old: object, new: object) -> int | None:
    """Return how many days a date figure moved (ISO dates as the digest keeps them), else None."""
    try:
        return (date.fromisoformat(str(new)) - date.fromisoformat(str(old))).days
    except ValueError:
        return None


def _cell(text: str) -> str:
    """Escape what would break a wiki-markup table cell."""
    return " ".join(text.replace("|", "\\|").split()) or " "


def render_digest(evaluation: Evaluation, day: date, previous: Mapping[str, Any] | None) -> Digest:
    """Build the digest comment (Jira wiki markup, the v2 comment body) for one evaluated program."""
    top = evaluation.top
    figures = figures_of(evaluation)
    before = previous.get("figures") if previous else None
    before_figures = before if isinstance(before, Mapping) else None
    changes = changes_between(before_figures, figures, top.key)
    marker = digest_marker(top.key, day)
    rows: Sequence[IssueResult] = [*evaluation.projects, top]
    lines = [f"h3. pmrollup digest for {top.key} {_cell(top.summary)}, {day.isoformat()}", "",
             "||Project||" + "||".join(title for _, title, _ in COLUMNS) + "||"]
    for r in rows:
        label = f"*{r.key} (program)*" if r is top else f"{r.key} {_cell(r.summary)}"
        lines.append("|" + "|".join([label, *(_cell(_shown(json_scalar(r.metrics.get(m)), unit))
                                             for m, _, unit in COLUMNS)]) + "|")
    lines.append("")
    if before_figures is None:
        lines.append("First digest: the next one will say what changed since this one.")
    elif changes:
        lines.append(f"*What changed since {previous.get('date') if previous else '?'}:*")
        lines += [f"* {_cell(c)}" for c in changes]
    else:
        lines.append(f"Nothing changed since {previous.get('date') if previous else '?'}.")
    lines += ["", marker]
    return Digest(top.key, day, "\n".join(lines), marker, figures, tuple(changes))


def _previous(stored: object, day: date) -> Mapping[str, Any] | None:
    """Return the last digest before `day` that the stored property records."""
    if not isinstance(stored, Mapping) or stored.get("version") != DIGEST_VERSION:
        return None
    if stored.get("date") == day.isoformat():
        earlier = stored.get("previous")
        return earlier if isinstance(earlier, Mapping) else None
    return stored


def post_digest(gateway: DigestGateway, recomputer: Recomputer, key: str, day: date,
                dry_run: bool = False) -> Digest:
    """Evaluate one initiative (without writing) and post its digest unless today's is there."""
    evaluation = recomputer.program(key, dry_run=True)
    previous = _previous(gateway.get_property(key, DIGEST_PROPERTY), day)
    digest = render_digest(evaluation, day, previous)
    if dry_run:
        return digest
    comment = gateway.add_comment(key, digest.body, digest.marker)
    gateway.set_property(key, DIGEST_PROPERTY, {
        "version": DIGEST_VERSION, "date": day.isoformat(), "figures": digest.figures,
        "previous": dict(previous) if previous else None})
    log_event("digest.posted" if comment is not None else "digest.already_posted", key=key,
              day=day.isoformat(), changes=len(digest.changes))
    return Digest(digest.key, day, digest.body, digest.marker, digest.figures, digest.changes,
                  posted=comment is not None)


def post_digests(config: AppConfig, gateway: DigestGateway, recomputer: Recomputer, day: date,
                 dry_run: bool = False) -> list[Digest]:
    """Post the digest of every initiative in the configured projects, skipping muted ones."""
    done: list[Digest] = []
    failed: list[str] = []
    for program in gateway.programs():
        if config.comments.mute_label in program.labels:
            log_event("digest.muted", key=program.key, label=config.comments.mute_label)
            continue
        try:
            done.append(post_digest(gateway, recomputer, program.key, day, dry_run))
        except Exception as exc:  # noqa: BLE001 - one program's trouble must not stop the others
            failed.append(f"{program.key} ({type(exc).__name__}: {exc})")
            log_event("digest.failed", logging.WARNING, key=program.key, error=f"{type(exc).__name__}: {exc}")
    if failed:
        raise DigestError(f"{counted(len(failed), 'digest')} failed, {len(done)} done: " + "; ".join(failed))
    return done
