"""Small builders for the plain data the rollups take."""

from __future__ import annotations

from datetime import date
from typing import Any

from rules.model import DONE, IN_PROGRESS, TODO, Blocker, Link, Program, Project, WorkItem

STATUS = {TODO: "To Do", IN_PROGRESS: "In Progress", DONE: "Done"}


def item(key: str, points: float | None = None, category: str = TODO, epic: str = "PAY-1",
         **extra: Any) -> WorkItem:
    """Build a story under `epic`."""
    return WorkItem(key=key, id=key.split("-")[-1], issue_type="Story", summary=f"Story {key}",
                    status=STATUS[category], status_category=category, epic_key=epic,
                    parent_key=epic, points=points, **extra)


def epic(key: str = "PAY-1", category: str = IN_PROGRESS, **extra: Any) -> Project:
    """Build an epic in Jira project PAY."""
    return Project(key=key, id=key.split("-")[-1], issue_type="Epic", summary=f"Epic {key}",
                   status=STATUS[category], status_category=category,
                   jira_project=key.split("-")[0], **extra)


def initiative(key: str = "PRG-1", category: str = IN_PROGRESS, **extra: Any) -> Program:
    """Build an initiative."""
    return Program(key=key, id=key.split("-")[-1], issue_type="Initiative", summary=f"Program {key}",
                   status=STATUS[category], status_category=category,
                   jira_project=key.split("-")[0], **extra)


def blocker(key: str, due: date | None, category: str = IN_PROGRESS, epic_key: str | None = None) -> Blocker:
    """Build the far end of a dependency."""
    return Blocker(key=key, status_category=category, due_date=due, epic_key=epic_key,
                   jira_project=key.split("-")[0])


def blocks(blocker_key: str, dependent_key: str, link_type: str = "Blocks") -> Link:
    """Build a link saying `blocker_key` blocks `dependent_key`."""
    return Link(link_id=f"{blocker_key}>{dependent_key}", link_type=link_type,
                blocker_key=blocker_key, dependent_key=dependent_key)
