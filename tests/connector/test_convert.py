"""Real Jira REST answers turn into pmrollup's dataclasses without error."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from connector.convert import (
    dependency_links,
    issue_basics,
    program_key_of,
    to_blocker,
    to_program,
    to_project,
    to_work_item,
)
from connector.fieldmap import FieldCatalog, FieldIds
from connector.history import to_changes, to_comment
from rules.config import AppConfig, JiraSettings, parse_config
from rules.model import DONE, IN_PROGRESS, TODO, Link
from tests.connector.shared import PAYLOADS, captures, load

CONFIG = parse_config("outputs: {progress_pct: Story point estimate, health: Epic Status}\n")


def _issues() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in captures("rest"):
        try:
            body = load(path)
        except ValueError:
            continue
        if isinstance(body, dict) and isinstance(body.get("issues"), list) and "expand" in body:
            found += [i for i in body["issues"] if isinstance(i, dict) and "fields" in i]
        elif isinstance(body, dict) and "fields" in body and "key" in body:
            found.append(body)
    return found


def _catalog() -> FieldCatalog:
    return FieldCatalog.from_json(load(PAYLOADS / "rest" / "ctreminiom__go-atlassian" / "get-fields.json"))


def test_every_captured_issue_converts_on_both_flavors() -> None:
    issues = _issues()
    assert len(issues) > 60
    for flavor in ("cloud", "datacenter"):
        config = replace(CONFIG, jira=JiraSettings(flavor=flavor))
        ids = FieldIds.resolve(config, _catalog())
        for raw in issues:
            item = to_work_item(raw, ids, config)
            project = to_project(raw, ids, config)
            program = to_program(raw, ids)
            blocker = to_blocker(raw, ids)
            to_changes(raw)
            assert item.key == project.key == program.key == blocker.key == raw["key"]
            assert item.id == str(raw["id"])
            assert item.status_category in (TODO, IN_PROGRESS, DONE)


def test_catalog_resolves_configured_names_case_insensitively() -> None:
    catalog = _catalog()
    ids = FieldIds.resolve(replace(CONFIG, jira=JiraSettings(flavor="datacenter")), catalog)
    assert ids.story_points == "customfield_10036"
    assert ids.start_date == "customfield_10015"
    assert ids.due_date == "duedate"
    assert ids.epic_link == "customfield_10014"
    assert ids.parent_link == "customfield_10018"
    assert ids.outputs == {"progress_pct": "customfield_10016", "health": "customfield_10012"}
    assert catalog.id_for("story POINTS") == "customfield_10036"
    assert catalog.id_for("cf[10036]") == "customfield_10036"
    assert catalog.missing(["Budget", "Story Points"]) == ["Budget"]
    cloud_ids = FieldIds.resolve(CONFIG, catalog)
    assert cloud_ids.epic_link is None and cloud_ids.budget is None


def test_status_category_follows_the_category_key_not_the_status_name() -> None:
    done = next(i for i in _issues()
                if i["fields"].get("status", {}).get("statusCategory", {}).get("key") == "done")
    assert issue_basics(done)["status_category"] == DONE


def test_captured_links_read_as_blocker_and_dependent() -> None:
    raw = load(PAYLOADS / "rest" / "mikebowler__jirametrics" / "testdata_SP-14.json")
    entries = raw["fields"]["issuelinks"]
    types = sorted({e["type"]["name"] for e in entries})
    links = dependency_links(raw, types)
    assert len(links) == len(entries)
    for link, entry in zip(links, entries, strict=True):
        other = (entry.get("outwardIssue") or entry.get("inwardIssue"))["key"]
        assert {link.blocker_key, link.dependent_key} == {raw["key"], other}
        assert (link.blocker_key == raw["key"]) == ("outwardIssue" in entry)


def test_fields_hold_points_dates_links_outputs_and_properties() -> None:
    config = CONFIG
    catalog = FieldCatalog.from_json([
        {"id": "customfield_10001", "name": "Story Points", "schema": {"type": "number"}},
        {"id": "customfield_10002", "name": "Start date", "schema": {"type": "date"}},
        {"id": "customfield_10003", "name": "Story point estimate", "schema": {"type": "number"}},
        {"id": "customfield_10004", "name": "Epic Status", "schema": {"type": "option"}},
        {"id": "customfield_10005", "name": "Budget", "schema": {"type": "number"}},
        {"id": "duedate", "name": "Due date", "schema": {"type": "date"}},
    ])
    ids = FieldIds.resolve(config, catalog)
    story = {"id": "10010", "key": "PAY-3", "fields": {
        "summary": "Ledger", "issuetype": {"name": "Story", "subtask": False},
        "status": {"name": "In Review", "statusCategory": {"key": "indeterminate", "name": "In Progress"}},
        "parent": {"key": "PAY-2", "fields": {"issuetype": {"name": "Epic"}}},
        "customfield_10001": 5, "customfield_10002": "2026-01-10", "duedate": "2026-03-01",
        "timespent": 3600,
        "issuelinks": [{"id": "77", "type": {"name": "Blocks"}, "inwardIssue": {"key": "WEB-3"}},
                       {"id": "78", "type": {"name": "Relates"}, "outwardIssue": {"key": "WEB-4"}}],
    }}
    item = to_work_item(story, ids, config)
    assert item.points == 5.0 and item.epic_key == "PAY-2" and item.status == "In Review"
    assert item.start_date == date(2026, 1, 10) and item.due_date == date(2026, 3, 1)
    assert item.time_spent_seconds == 3600 and item.status_category == IN_PROGRESS
    assert item.links == (Link("77", "Blocks", blocker_key="WEB-3", dependent_key="PAY-3"),)
    epic = {"id": "10002", "key": "PAY-2", "properties": {"pmrollup.state": {"v": 1}}, "fields": {
        "issuetype": {"name": "Epic"}, "parent": {"key": "PAY-1"}, "customfield_10005": 1200.5,
        "customfield_10003": 40, "customfield_10004": {"value": "at-risk", "id": "3"}, "labels": ["x"]}}
    project = to_project(epic, ids, config)
    assert project.program_key == "PAY-1" and project.budget == 1200.5 and project.labels == ("x",)
    assert project.outputs == {"progress_pct": 40.0, "health": "at-risk"}
    assert project.properties == {"pmrollup.state": {"v": 1}}
    assert project.status_category == TODO


def test_program_joined_by_a_link_type_is_found_through_the_link() -> None:
    config = parse_config("hierarchy: {program_link: Implements}\n")
    epic = {"id": "2", "key": "PAY-2", "fields": {"issuelinks": [
        {"id": "9", "type": {"name": "Implements"},
         "outwardIssue": {"key": "STRAT-1", "fields": {"issuetype": {"name": "Initiative"}}}}]}}
    assert program_key_of(epic, FieldIds(), config) == "STRAT-1"


def test_datacenter_parent_link_and_epic_link_values_are_read() -> None:
    config = AppConfig(jira=JiraSettings(flavor="datacenter"))
    ids = FieldIds(epic_link="customfield_1", parent_link="customfield_2")
    story = {"id": "3", "key": "PAY-3", "fields": {"customfield_1": "PAY-2"}}
    epic = {"id": "2", "key": "PAY-2", "fields": {"customfield_2": {"data": {"key": "PAY-1"}}}}
    assert to_work_item(story, ids, config).epic_key == "PAY-2"
    assert to_project(epic, ids, config).program_key == "PAY-1"


def test_changelog_and_comment_captures_convert() -> None:
    raw = load(PAYLOADS / "rest" / "andygrunwald__go-jira" / "issues_in_sprint_with_changelog.json")
    changes = to_changes(raw["issues"][0])
    assert changes and all(c.key == raw["issues"][0]["key"] for c in changes)
    assert changes == sorted(changes, key=lambda c: c.at)
    comments = load(PAYLOADS / "rest" / "ctreminiom__go-atlassian" / "get-issue-comments-v2.json")
    converted = [to_comment(c) for c in comments["comments"]]
    assert converted and all(c.id for c in converted)
