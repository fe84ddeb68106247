"""The demo seed holds together on its own and carries each situation the demo is meant to show."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

SEED = Path(__file__).resolve().parents[2] / "sandbox" / "seeds" / "demo.yaml"
TODAY = date(2026, 3, 16)  # the demo's PMROLLUP_TODAY
DEFAULT_STATUSES = {"To Do", "In Progress", "Done"}
SYSTEM_FIELDS = {"due date", "labels", "time spent"}
Issues = dict[str, dict[str, Any]]
OUTPUT_FIELDS = {"Progress %", "Scope growth %", "Budget used %", "Overdue dependencies", "Health"}


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def issues(seed: dict[str, Any]) -> Issues:
    return {str(issue["key"]): issue for issue in seed["issues"]}


def field(issue: dict[str, Any], name: str) -> Any:
    return (issue.get("fields") or {}).get(name)


def children(issues: Issues, key: str) -> list[dict[str, Any]]:
    return [issue for issue in issues.values() if issue.get("parent") == key]


def of_type(issues: Issues, kind: str) -> list[dict[str, Any]]:
    return [issue for issue in issues.values() if issue["type"] == kind]


def done(issue: dict[str, Any]) -> bool:
    return bool(issue["status"] == "Done")


def test_keys_are_unique(seed: dict[str, Any], issues: Issues) -> None:
    assert len(issues) == len(seed["issues"])


def test_one_initiative_with_four_epics_across_two_projects(issues: Issues) -> None:
    (initiative,) = of_type(issues, "Initiative")
    epics = [e for e in children(issues, initiative["key"]) if e["type"] == "Epic"]
    assert len(epics) >= 4
    assert len({e["key"].split("-")[0] for e in epics}) >= 2


def test_forty_stories_each_with_story_points(issues: Issues) -> None:
    stories = of_type(issues, "Story")
    assert len(stories) >= 40
    assert all(isinstance(field(s, "Story Points"), int | float) for s in stories)


def test_an_epic_in_a_third_project_belongs_to_no_program(issues: Issues) -> None:
    orphans = [e for e in of_type(issues, "Epic") if e.get("parent") is None]
    assert orphans and all(e["key"].startswith("OPS-") for e in orphans)


def test_every_parent_exists_one_level_up(issues: Issues) -> None:
    level = {"Initiative": 2, "Epic": 1, "Story": 0}
    for issue in issues.values():
        parent = issue.get("parent")
        if parent is not None:
            assert parent in issues, issue["key"]
            assert level[issues[parent]["type"]] == level[issue["type"]] + 1, issue["key"]


def test_every_link_end_exists(seed: dict[str, Any], issues: Issues) -> None:
    for link in seed["links"]:
        assert link["type"] == "Blocks"
        assert link["from"] in issues and link["to"] in issues, link


def test_statuses_are_default_or_declared(seed: dict[str, Any], issues: Issues) -> None:
    known = DEFAULT_STATUSES | {s["name"] for s in seed["statuses"]}
    assert "In Review" in known
    used = {issue["status"] for issue in issues.values()}
    assert used <= known and {"To Do", "In Progress", "In Review", "Done"} <= used


def test_every_field_is_declared_or_a_system_field(seed: dict[str, Any], issues: Issues) -> None:
    declared = {f["name"].lower() for f in seed["fields"]} | SYSTEM_FIELDS
    for issue in issues.values():
        assert {name.lower() for name in issue.get("fields") or {}} <= declared, issue["key"]
    for names in seed["screens"].values():
        assert {name.lower() for name in names} <= declared


def test_output_fields_are_declared_with_health_as_a_select(seed: dict[str, Any]) -> None:
    declared = {f["name"]: f for f in seed["fields"]}
    assert set(declared) >= OUTPUT_FIELDS | {"Story Points", "Budget", "Cost", "Start date"}
    assert declared["Health"]["type"] == "select"
    assert declared["Health"]["options"] == ["on-track", "at-risk", "off-track"]


def test_a_second_user_is_not_an_admin_and_budget_is_off_the_story_screen(seed: dict[str, Any]) -> None:
    assert [u["admin"] for u in seed["users"]] == [True, False]
    assert seed["screens"] == {"Story": ["Budget"]}


def test_histories_walk_to_the_current_status_in_order(issues: Issues) -> None:
    for issue in issues.values():
        steps = [h for h in issue.get("history") or [] if h["field"] == "status"]
        dates = [h["date"] for h in issue.get("history") or []]
        key, created = issue["key"], issue.get("created", date.min)
        assert dates == sorted(dates) and all(created <= d <= TODAY for d in dates), key
        status = "To Do"
        for step in steps:
            assert step["from"] == status, key
            status = step["to"]
        assert status == issue["status"], key


def test_baseline_keys_exist(issues: Issues) -> None:
    for issue in issues.values():
        baseline = (issue.get("properties") or {}).get("pmrollup.baseline")
        if baseline:
            assert set(baseline["keys"]) <= set(issues)
            assert baseline["items"] == len(baseline["keys"])
            assert isinstance(baseline["date"], str)


def test_scope_creep_epic_grew_about_thirty_percent_since_baseline(issues: Issues) -> None:
    creeping = []
    for epic in of_type(issues, "Epic"):
        baseline = (epic.get("properties") or {}).get("pmrollup.baseline")
        kids = children(issues, epic["key"])
        points = sum(field(k, "Story Points") or 0 for k in kids)
        if baseline and baseline["date"] == "2026-02-02" and points >= baseline["points"] * 1.25:
            current = {k["key"] for k in kids}
            assert current - set(baseline["keys"]) and set(baseline["keys"]) - current
            creeping.append(epic["key"])
    assert creeping


def test_an_overdue_web_story_blocks_a_pay_story(seed: dict[str, Any], issues: Issues) -> None:
    def overdue_web_blocker(link: dict[str, Any]) -> bool:
        blocker, dependent = issues[link["from"]], issues[link["to"]]
        return (
            blocker["key"].startswith("WEB-")
            and not done(blocker)
            and field(blocker, "Due date") == date(2026, 3, 6)
            and dependent["key"].startswith("PAY-")
            and issues[dependent["parent"]]["type"] == "Epic"
        )

    assert any(overdue_web_blocker(link) for link in seed["links"])


def test_an_epic_spends_past_its_budget_halfway_through(issues: Issues) -> None:
    def over_budget(epic: dict[str, Any]) -> bool:
        kids = children(issues, epic["key"])
        cost = (field(epic, "Cost") or 0) + sum(field(k, "Cost") or 0 for k in kids)
        points = sum(field(k, "Story Points") for k in kids)
        progress = 100 * sum(field(k, "Story Points") for k in kids if done(k)) / points
        return bool(cost > field(epic, "Budget") and 40 <= progress <= 60)

    assert any(over_budget(epic) for epic in of_type(issues, "Epic"))


def test_an_epic_is_past_its_due_date_and_not_done(issues: Issues) -> None:
    assert any(field(e, "Due date") < TODAY and not done(e) for e in of_type(issues, "Epic"))


def test_epics_and_initiative_carry_budget_start_and_due(issues: Issues) -> None:
    for issue in of_type(issues, "Epic") + of_type(issues, "Initiative"):
        assert field(issue, "Budget"), issue["key"]
        assert field(issue, "Start date") < field(issue, "Due date"), issue["key"]
