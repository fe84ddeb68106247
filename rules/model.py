"""Plain data that the connector builds from Jira and the rollups consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

TODO = "To Do"
IN_PROGRESS = "In Progress"
DONE = "Done"
STATUS_CATEGORIES = (TODO, IN_PROGRESS, DONE)


@dataclass(frozen=True)
class Link:
    """A dependency between two issues: `blocker` must finish before `dependent`."""

    link_id: str
    link_type: str
    blocker_key: str
    dependent_key: str


@dataclass(frozen=True)
class WorkItem:
    """A story, task, bug or sub-task under an epic."""

    key: str
    id: str
    issue_type: str
    summary: str
    status: str
    status_category: str
    epic_key: str | None
    parent_key: str | None = None
    is_subtask: bool = False
    points: float | None = None
    cost: float | None = None
    time_spent_seconds: int | None = None
    start_date: date | None = None
    due_date: date | None = None
    links: tuple[Link, ...] = ()
    created: date | None = None
    done_on: date | None = None  # the day it was finished (resolved, else its status category changed)

    @property
    def is_done(self) -> bool:
        return self.status_category == DONE


@dataclass(frozen=True)
class Project:
    """An epic: one project of a program."""

    key: str
    id: str
    issue_type: str
    summary: str
    status: str
    status_category: str
    jira_project: str
    program_key: str | None = None
    budget: float | None = None
    cost: float | None = None
    time_spent_seconds: int | None = None
    start_date: date | None = None
    due_date: date | None = None
    labels: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_done(self) -> bool:
        return self.status_category == DONE


@dataclass(frozen=True)
class Program:
    """An initiative: a set of projects toward one objective."""

    key: str
    id: str
    issue_type: str
    summary: str
    status: str
    status_category: str
    jira_project: str
    budget: float | None = None
    start_date: date | None = None
    due_date: date | None = None
    labels: tuple[str, ...] = ()
    outputs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_done(self) -> bool:
        return self.status_category == DONE


@dataclass(frozen=True)
class Blocker:
    """The far end of a dependency: an issue outside the dependent epic."""

    key: str
    status_category: str
    due_date: date | None
    epic_key: str | None = None
    jira_project: str = ""

    @property
    def is_done(self) -> bool:
        return self.status_category == DONE
