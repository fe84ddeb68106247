"""The scope an epic started from: taken once, stored in the `pmrollup.baseline` issue property."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rules.model import IN_PROGRESS, Project, WorkItem
from rules.properties import BASELINE_KEY

# Jira refuses an entity property value over 32 768 bytes; keep a margin for the envelope.
# https://developer.atlassian.com/cloud/jira/platform/jira-entity-properties/
PROPERTY_LIMIT_BYTES = 32_000

# Changelog field names that move an issue in or out of an epic, by flavor. Cloud records the
# team-managed and company-managed parent as "Parent" or "IssueParentAssociation", and older
# company-managed projects as "Epic Link"; Data Center only knows "Epic Link".
MEMBERSHIP_FIELDS: dict[str, tuple[str, ...]] = {
    "cloud": ("parent", "issueparentassociation", "epic link"),
    "datacenter": ("epic link",),
}
POINTS_FIELDS = ("story points", "story point estimate")


@dataclass(frozen=True)
class Baseline:
    """Points, item count and (when it fits) item keys of an epic on the day it was taken."""

    points: float
    items: int
    keys: tuple[str, ...] | None
    date: date
    truncated: bool = False


@dataclass(frozen=True)
class Change:
    """One field change from an issue's changelog, values in their display (string) form."""

    key: str
    when: datetime
    field: str
    from_value: str | None
    to_value: str | None


def take_baseline(items: Sequence[WorkItem], today: date) -> Baseline:
    """Record the epic's current children as its baseline."""
    return Baseline(
        points=float(sum(item.points or 0.0 for item in items)),
        items=len(items),
        keys=tuple(sorted(item.key for item in items)),
        date=today,
    )


def should_take_baseline(project: Project, existing: Baseline | None) -> bool:
    """Say whether to take the baseline now: no baseline yet and the epic is In Progress."""
    return existing is None and project.status_category == IN_PROGRESS


def baseline_to_property(baseline: Baseline) -> dict[str, Any]:
    """Serialise for the issue property; past the size limit keep counts only and mark truncated."""
    value: dict[str, Any] = {
        "points": baseline.points,
        "items": baseline.items,
        "keys": list(baseline.keys) if baseline.keys is not None else None,
        "date": baseline.date.isoformat(),
        "truncated": baseline.truncated or baseline.keys is None,
    }
    if len(json.dumps(value).encode("utf-8")) > PROPERTY_LIMIT_BYTES:
        value["keys"] = None
        value["truncated"] = True
    return value


def parse_baseline(value: object) -> tuple[Baseline | None, str | None]:
    """Read a stored property; on junk return (None, why) instead of raising."""
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        return None, f"{BASELINE_KEY} is not an object"
    points, items, keys, when = (value.get(k) for k in ("points", "items", "keys", "date"))
    if isinstance(points, bool) or not isinstance(points, int | float) or not math.isfinite(points):
        return None, f"{BASELINE_KEY}.points is not a number: {points!r}"
    if isinstance(items, bool) or not isinstance(items, int | float) or items < 0 or items != int(items):
        return None, f"{BASELINE_KEY}.items is not a whole number: {items!r}"
    try:
        taken = date.fromisoformat(str(when))
    except ValueError:
        return None, f"{BASELINE_KEY}.date is not a YYYY-MM-DD date: {when!r}"
    if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        return None, f"{BASELINE_KEY}.keys is not a list of issue keys"
    return Baseline(
        points=float(points),
        items=int(items),
        keys=tuple(keys) if keys is not None else None,
        date=taken,
        truncated=bool(value.get("truncated")) or keys is None,
    ), None


def baseline_from_property(value: object) -> Baseline | None:
    """Read a stored property, or None when absent or unreadable (see parse_baseline for why)."""
    return parse_baseline(value)[0]


def _value_on(changes: Sequence[Change], names: tuple[str, ...], as_of: date,
              current: str | None, known: bool) -> tuple[str | None, bool]:
    """Return a field's value at the end of `as_of` and whether it is known."""
    relevant = sorted((c for c in changes if c.field.strip().lower() in names), key=lambda c: c.when)
    later = [c for c in relevant if c.when.date() > as_of]
    if later:
        return later[0].from_value, True
    if known:
        return current, True
    earlier = [c for c in relevant if c.when.date() <= as_of]
    if earlier:
        return earlier[-1].to_value, True
    return None, False


def _points(text: str | None) -> float:
    try:
        value = float(text) if text not in (None, "") else 0.0
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def baseline_as_of(epic_key: str, items_now: Sequence[WorkItem],
                   histories: Mapping[str, Sequence[Change]], as_of: date, flavor: str,
                   *, points_field: str = "Story Points",
                   elsewhere: Sequence[WorkItem] = ()) -> Baseline:
    """Rebuild the baseline as the epic stood at the end of `as_of`, from the issues' changelogs.

    `histories` holds the changelog of every current child and of any former child; values are
    the display strings (issue keys for parent/Epic Link, numbers for points). `elsewhere` holds
    items now under other epics (say, the program's), whose changelogs may show they were children
    then. Items created after `as_of` are left out.
    """
    membership = MEMBERSHIP_FIELDS.get(flavor, MEMBERSHIP_FIELDS["cloud"])
    points_names = tuple({points_field.strip().lower(), *POINTS_FIELDS})
    now = {item.key: item for item in items_now}
    others = {item.key: item for item in elsewhere if item.key not in now}
    total = 0.0
    keys: list[str] = []
    for key in sorted(set(now) | set(histories)):
        item = now.get(key) or others.get(key)
        if item is not None and item.created is not None and item.created > as_of:
            continue
        changes = histories.get(key, ())
        parent_now = epic_key if key in now else (item.epic_key if item is not None else None)
        parent, known = _value_on(changes, membership, as_of, parent_now, item is not None)
        if not known or parent != epic_key:
            continue
        current_points = None if item is None or item.points is None else repr(item.points)
        points, _ = _value_on(changes, points_names, as_of, current_points, item is not None)
        keys.append(key)
        total += _points(points)
    return Baseline(points=total, items=len(keys), keys=tuple(keys), date=as_of)
