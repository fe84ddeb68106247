"""Baselines are taken once, fit Jira's property limit, survive junk and can be rebuilt from history."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from rules.baseline import (
    PROPERTY_LIMIT_BYTES,
    Baseline,
    Change,
    baseline_as_of,
    baseline_from_property,
    baseline_to_property,
    parse_baseline,
    should_take_baseline,
    take_baseline,
)
from rules.model import DONE, IN_PROGRESS, TODO, WorkItem
from tests.rules.factories import epic, item

TODAY = date(2024, 1, 16)


def at(day: int) -> datetime:
    return datetime(2024, 1, day, 9, 30, tzinfo=UTC)


def test_baseline_records_points_items_and_sorted_keys() -> None:
    b = take_baseline([item("PAY-3", 3), item("PAY-2", None), item("PAY-4", 2.5)], TODAY)
    assert b == Baseline(points=5.5, items=3, keys=("PAY-2", "PAY-3", "PAY-4"), date=TODAY)


def test_baseline_is_taken_only_once_and_only_while_in_progress() -> None:
    existing = Baseline(1.0, 1, ("PAY-2",), TODAY)
    assert should_take_baseline(epic(category=IN_PROGRESS), None)
    assert not should_take_baseline(epic(category=TODO), None)
    assert not should_take_baseline(epic(category=DONE), None)
    assert not should_take_baseline(epic(category=IN_PROGRESS), existing)


def test_property_round_trips() -> None:
    b = Baseline(8.0, 2, ("PAY-2", "PAY-3"), TODAY)
    value = baseline_to_property(b)
    assert value == {"points": 8.0, "items": 2, "keys": ["PAY-2", "PAY-3"], "date": "2024-01-16",
                     "truncated": False}
    assert baseline_from_property(json.loads(json.dumps(value))) == b


def test_property_past_size_limit_keeps_counts_only() -> None:
    keys = tuple(f"VERYLONGPROJECTKEY-{n}" for n in range(3000))
    value = baseline_to_property(Baseline(3000.0, 3000, keys, TODAY))
    assert len(json.dumps(value).encode()) < PROPERTY_LIMIT_BYTES
    assert value["keys"] is None and value["truncated"] is True and value["items"] == 3000
    restored = baseline_from_property(value)
    assert restored is not None and restored.keys is None and restored.truncated


def test_junk_property_gives_none_and_a_reason() -> None:
    assert parse_baseline(None) == (None, None)
    assert parse_baseline("8 points") == (None, "pmrollup.baseline is not an object")
    assert parse_baseline({"points": "8", "items": 1, "date": "2024-01-01"})[1] == \
        "pmrollup.baseline.points is not a number: '8'"
    assert parse_baseline({"points": 8, "items": 1.5, "date": "2024-01-01"})[0] is None
    assert parse_baseline({"points": 8, "items": 1, "date": "soon"})[1] == \
        "pmrollup.baseline.date is not a YYYY-MM-DD date: 'soon'"
    assert parse_baseline({"points": 8, "items": 1, "date": "2024-01-01", "keys": [1]})[0] is None


def rebuild_seed() -> tuple[list[WorkItem], dict[str, list[Change]]]:
    items_now = [
        item("PAY-2", 5, created=date(2024, 1, 1)),
        item("PAY-3", 8, created=date(2024, 1, 2)),
        item("PAY-4", 1, created=date(2024, 1, 11)),   # created after the date
        item("PAY-5", 2, created=date(2024, 1, 3)),    # moved in after the date
    ]
    histories = {
        "PAY-3": [Change("PAY-3", at(12), "Story Points", "3", "8")],
        "PAY-5": [Change("PAY-5", at(15), "Parent", "PAY-9", "PAY-1")],
        # moved out after the date, so a member then, with the points it had then
        "PAY-6": [Change("PAY-6", at(5), "Story Points", None, "2"),
                  Change("PAY-6", at(12), "Parent", "PAY-1", "PAY-7")],
        # moved out before the date
        "PAY-7": [Change("PAY-7", at(5), "Parent", "PAY-1", "PAY-8")],
    }
    return items_now, histories


def test_baseline_as_of_rebuilds_membership_and_points_from_changelogs() -> None:
    items_now, histories = rebuild_seed()
    b = baseline_as_of("PAY-1", items_now, histories, date(2024, 1, 10), "cloud")
    assert b == Baseline(points=10.0, items=3, keys=("PAY-2", "PAY-3", "PAY-6"), date=date(2024, 1, 10))


def test_baseline_as_of_counts_changes_made_on_the_day_itself() -> None:
    items_now, histories = rebuild_seed()
    b = baseline_as_of("PAY-1", items_now, histories, date(2024, 1, 12), "cloud")
    assert b.keys == ("PAY-2", "PAY-3", "PAY-4") and b.points == 14.0  # PAY-6 left that day


def test_baseline_as_of_on_data_center_follows_epic_link_only() -> None:
    items_now = [item("PAY-2", 5), item("PAY-5", 2)]
    histories = {
        "PAY-5": [Change("PAY-5", at(15), "Epic Link", "PAY-9", "PAY-1")],
        "PAY-2": [Change("PAY-2", at(15), "Parent", "PAY-9", "PAY-1")],  # not a DC membership field
    }
    b = baseline_as_of("PAY-1", items_now, histories, date(2024, 1, 10), "datacenter")
    assert b.keys == ("PAY-2",) and b.points == 5.0
