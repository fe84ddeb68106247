"""Decide which transitions of a finding pmrollup says in a comment, numbered so each is said once.

Per rule and issue, `pmrollup.state` keeps the last transition decided, under `announced`:
    {rule: {"kind": "start" | "clear", "seq": n, "at": iso | null, "since": iso,
            "subject": [issue keys], "figures": {metric: value at the start},
            "held_until": iso (a start held by quiet hours), "pending": {the record it replaces}}}
`seq` numbers the rule's transitions on the issue (1, 2, 3 ...): a start after a clear is a new
transition with a new number. `at` is when its comment was posted; null when it was recorded
without one (a silent first run, the mute label, `comment: false`, or a clear whose start was
never said). A transition about to be posted is stored first with `pending` (holding the record
it replaces), posted with a marker that carries its number, and confirmed after; a retry or a
restart finds the comment by its marker and confirms it, or, when it never landed, goes back to
the record it replaced and decides again, under the same number.

The subject of a finding is the sorted issue keys its details name (the blockers, the items added
or removed), else the rule and the issue. Quiet hours are a window after an announced clear: a
start with the same subject inside it is held, and said when the window ends if the finding still
holds; a start with another subject is said at once. A clear is said when its start was. A subject
that changes while the finding stays active posts nothing (status mode edits its comment).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rules.comments import CLEAR, START, marker, parse_time
from rules.engine import Finding

NO_COMMENT = "the rule says comment: false"
START_UNSAID = "its start was not announced"


@dataclass(frozen=True)
class Transition:
    """A finding that started or cleared, to be said in a comment under its number."""

    rule: str
    kind: str
    seq: int
    since: datetime
    subject: tuple[str, ...]

    def marker(self, key: str) -> str:
        """Return the marker that ends this transition's comment."""
        return marker(self.rule, self.kind, key, self.seq)


@dataclass(frozen=True)
class Unsaid:
    """A transition recorded or held without a comment, and why."""

    rule: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """What to say now, what is left unsaid, and the `announced` record to store meanwhile."""

    due: tuple[Transition, ...]
    unsaid: tuple[Unsaid, ...]
    announced: dict[str, dict[str, Any]]
    subject_moved: tuple[str, ...]  # active rules whose subject changed: status mode edits its comment
    wake_at: datetime | None  # when a held start is due, if it still holds then


def subject_of(finding: Finding) -> tuple[str, ...]:
    """Return the sorted issue keys a finding is about, else its rule and issue."""
    keys: set[str] = set()
    for dep in finding.details.get("dependencies") or ():
        if isinstance(dep, Mapping) and dep.get("blocker_key"):
            keys.add(str(dep["blocker_key"]))
    for name in ("scope_added", "scope_removed"):
        keys |= {str(k) for k in finding.details.get(name) or ()}
    return tuple(sorted(keys)) if keys else (finding.rule, finding.issue_key)


def pending_markers(announced: Mapping[str, Any], key: str) -> list[str]:
    """Return the markers of transitions stored as pending: a comment that may or may not have landed."""
    found = []
    for rule, record in announced.items():
        if isinstance(record, Mapping) and isinstance(record.get("pending"), Mapping):
            found.append(marker(rule, str(record.get("kind")), key, _seq(record)))
    return found


def resolve_pending(announced: Mapping[str, Any], key: str,
                    posted: Collection[str]) -> dict[str, dict[str, Any]]:
    """Confirm each pending transition whose marker is among `posted`; put back the record the others
    replaced, so they are decided again under the same number."""
    resolved: dict[str, dict[str, Any]] = {}
    for rule, record in announced.items():
        if not isinstance(record, Mapping):
            continue
        prior = record.get("pending")
        if not isinstance(prior, Mapping):
            resolved[rule] = dict(record)
        elif marker(rule, str(record.get("kind")), key, _seq(record)) in posted:
            resolved[rule] = {k: v for k, v in record.items() if k != "pending"}
        elif prior:
            resolved[rule] = dict(prior)
    return resolved


def confirm(announced: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the record with every pending transition confirmed (its comment landed)."""
    return {rule: {k: v for k, v in record.items() if k != "pending"}
            for rule, record in announced.items() if isinstance(record, Mapping)}


def decide(findings: Sequence[Finding], announced: Mapping[str, Any], *, since: Mapping[str, str],
           figures: Mapping[str, Mapping[str, Any]], now: datetime, quiet: timedelta,
           silent: str | None) -> Decision:
    """Decide each rule's transition against the announced record (with nothing pending).

    `since` and `figures` are each active rule's start time and starting figures; `silent` is why
    nothing may be posted on this issue now (first run, mute label), or None.
    """
    active: dict[str, Finding] = {}
    for found in findings:
        active.setdefault(found.rule, found)
    stamp = now.isoformat()
    record: dict[str, dict[str, Any]] = {r: dict(v) for r, v in announced.items() if isinstance(v, Mapping)}
    due: list[Transition] = []
    unsaid: list[Unsaid] = []
    moved: list[str] = []
    wake: datetime | None = None
    for rule in sorted(set(active) | set(record)):
        old = record.get(rule, {})
        finding = active.get(rule)
        if finding is None:
            if old.get("kind") != START:
                continue
            reason = START_UNSAID if not old.get("at") else silent
            seq = _seq(old) + 1
            new = {**{k: v for k, v in old.items() if k != "held_until"},
                   "kind": CLEAR, "seq": seq, "at": None if reason else stamp}
            transition = Transition(rule, CLEAR, seq, parse_time(old.get("since")) or now,
                                    tuple(old.get("subject") or ()))
        else:
            subject = subject_of(finding)
            if old.get("kind") == START:
                if list(subject) != old.get("subject"):
                    record[rule] = {**old, "subject": list(subject)}
                    moved.append(rule)
                continue
            reason = silent or (None if finding.comment else NO_COMMENT)
            held = _held_until(old, subject, now, quiet) if reason is None else None
            if held is not None:
                if old.get("held_until") != held.isoformat():
                    unsaid.append(Unsaid(rule, START, f"held by quiet hours: the same subject cleared at "
                                         f"{old.get('at')}; said at {held.isoformat()} if it still holds"))
                    record[rule] = {**old, "held_until": held.isoformat()}
                wake = held if wake is None else min(wake, held)
                continue
            seq = _seq(old) + 1
            new = {"kind": START, "seq": seq, "at": None if reason else stamp,
                   "since": since.get(rule, stamp), "subject": list(subject),
                   "figures": dict(figures.get(rule) or {})}
            transition = Transition(rule, START, seq, parse_time(since.get(rule)) or now, subject)
        if reason is not None:
            unsaid.append(Unsaid(rule, transition.kind, reason))
        else:
            new["pending"] = {k: v for k, v in old.items() if k != "held_until"}
            due.append(transition)
        record[rule] = new
    return Decision(tuple(due), tuple(unsaid), record, tuple(moved), wake)


def _seq(record: Mapping[str, Any]) -> int:
    value = record.get("seq")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _held_until(old: Mapping[str, Any], subject: tuple[str, ...], now: datetime,
                quiet: timedelta) -> datetime | None:
    """Return when a start with this subject may be said, when quiet hours hold it back now."""
    cleared = parse_time(old.get("at")) if old.get("kind") == CLEAR else None
    if cleared is None or tuple(old.get("subject") or ()) != subject:
        return None
    until = cleared + quiet
    return until if now < until else None
