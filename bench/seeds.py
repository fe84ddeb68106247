"""Generate a program at scale as a sandbox seed: epics, stories, baselines and cross-epic links, and
finished stories whose histories spread their done days over the forecast's window."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rules.baseline import BASELINE_KEY
from rules.throughput import ForecastSettings
from webhooks.cli.trialconfig import trial_app_yaml

PROGRAM_PROJECT = "PRG"
OUTSIDE_PROJECT = "EXT"
TODAY = "2026-03-16"
OPEN_STATUSES = ("To Do", "In Progress", "In Review")
POINTS = (1, 2, 3, 5, 8)
DONE_SHARE = 0.4  # of each epic's stories: 80 of 200 done over the window, about one a day
WINDOW_DAYS = ForecastSettings().window_days  # the days before TODAY throughput is counted over
CYCLE_DAYS = (1, 10)  # how long a finished story was in progress, fewest and most days

FIELDS = [
    {"name": "Story Points", "type": "number"},
    {"name": "Budget", "type": "number"},
    {"name": "Cost", "type": "number"},
    {"name": "Start date", "type": "date"},
    {"name": "Progress %", "type": "number"},
    {"name": "Scope growth %", "type": "number"},
    {"name": "Budget used %", "type": "number"},
    {"name": "Overdue dependencies", "type": "number"},
    {"name": "Health", "type": "select", "options": ["on-track", "at-risk", "off-track"]},
    # Jira Software's impediment flag: jira-agile-metrics (the peer) looks it up by name.
    {"name": "Flagged", "type": "select", "options": ["Impediment"]},
]


@dataclass(frozen=True)
class Shape:
    """How big the generated program is and how its epics depend on each other."""

    epics: int = 50
    stories_per_epic: int = 200
    jira_projects: int = 5
    cross_links_per_epic: int = 3
    outside_links: int = 10

    @property
    def stories(self) -> int:
        return self.epics * self.stories_per_epic


FULL = Shape()
TINY = Shape(epics=4, stories_per_epic=12, jira_projects=2, cross_links_per_epic=1, outside_links=2)


@dataclass(frozen=True)
class GeneratedProgram:
    """A generated seed and the keys a benchmark needs to find its way around it."""

    seed: dict[str, Any]
    shape: Shape
    initiative: str
    epics: tuple[str, ...]
    stories_of: dict[str, tuple[str, ...]]
    blocked_epics: frozenset[str]
    outside_blockers: tuple[str, ...]
    points_of: dict[str, int]

    def blockers_of(self, epic: str) -> set[str]:
        """Return the blockers outside `epic` that its stories (or the epic itself) depend on."""
        members = {epic, *self.stories_of[epic]}
        return {link["from"] for link in self.seed["links"]
                if link["to"] in members and link["from"] not in members}

    def outside_blockers_count(self) -> int:
        """Return how many blockers sit outside the program (read by their own search)."""
        inside = {self.initiative, *self.epics, *(s for e in self.epics for s in self.stories_of[e])}
        return len({link["from"] for link in self.seed["links"] if link["from"] not in inside})

    def next_points(self, key: str, step: int = 1) -> int:
        """Return a Story Points value different from the story's seeded one (re-estimated up by `step`)."""
        return self.points_of[key] + step

    def story_to_change(self) -> tuple[str, str]:
        """Return (story, epic): an open story in an epic that has dependencies."""
        epic = sorted(self.blocked_epics)[0]
        statuses = {i["key"]: i["status"] for i in self.seed["issues"]}
        story = next(s for s in self.stories_of[epic] if statuses[s] != "Done")
        return story, epic


def project_names(shape: Shape) -> list[str]:
    """Return the Jira project keys the epics and stories are spread over: PA, PB, ..."""
    return [f"P{chr(ord('A') + n)}" for n in range(shape.jira_projects)]


def app_yaml(flavor: str, store: str, debounce: float = 0.3, max_delay: float = 2.0) -> str:
    """Return an app.yaml for the generated program on a flavor, with a store path and worker timing (its
    workers serve no metrics, so that runs side by side do not contend for one port)."""
    worker = {"debounce_seconds": debounce, "max_delay_seconds": max_delay, "max_attempts": 8,
              "metrics_port": 0}
    return trial_app_yaml(flavor, store, allow_unsigned=True, worker=worker)


def program_seed(shape: Shape = FULL) -> GeneratedProgram:
    """Build one initiative with `shape.epics` epics of `shape.stories_per_epic` stories, usable on both
    flavors (the sandbox turns `parent` into Epic Link and Parent Link on Data Center)."""
    start = date(2026, 1, 5)
    initiative = f"{PROGRAM_PROJECT}-1"
    issues: list[dict[str, Any]] = [{
        "key": initiative, "type": "Initiative", "summary": "Generated program", "status": "In Progress",
        "fields": {"Budget": 50_000 * shape.epics, "Start date": start.isoformat(), "Due date": "2026-09-30"},
    }]
    names = project_names(shape)
    counters = dict.fromkeys(names, 0)
    epics: list[str] = []
    stories_of: dict[str, tuple[str, ...]] = {}

    def next_key(project: str) -> str:
        counters[project] += 1
        return f"{project}-{counters[project]}"

    for e in range(shape.epics):
        project = names[e % len(names)]
        epic = next_key(project)
        epics.append(epic)
        due = start + timedelta(days=60 + 7 * (e % 20))
        epic_fields: dict[str, Any] = {"Budget": 40_000 + 1_000 * (e % 7), "Cost": 500 * (e % 5),
                                       "Start date": start.isoformat(), "Due date": due.isoformat()}
        stories = []
        finished = _done_days(epic, shape.stories_per_epic)
        for s in range(shape.stories_per_epic):
            key = next_key(project)
            stories.append(key)
            fields: dict[str, Any] = {"Story Points": POINTS[(e + s) % len(POINTS)]}
            if s % 4 == 0:
                fields["Cost"] = 100 * (1 + s % 9)
            if s % 3 == 0:
                fields["Due date"] = (start + timedelta(days=(e * 7 + s) % 120)).isoformat()
            story: dict[str, Any] = {"key": key, "type": "Story", "summary": f"Story {s + 1} of epic {e + 1}",
                                     "status": OPEN_STATUSES[(e + s) % len(OPEN_STATUSES)], "parent": epic,
                                     "fields": fields}
            if s in finished:
                story["status"] = "Done"
                story["history"] = _finished_history(*finished[s])
            issues.append(story)
        stories_of[epic] = tuple(stories)
        epic_issue: dict[str, Any] = {"key": epic, "type": "Epic", "summary": f"Epic {e + 1}",
                                      "status": "In Progress" if e % 4 else "To Do", "parent": initiative,
                                      "fields": epic_fields}
        if e % 2 == 0:
            kept = stories[: max(1, shape.stories_per_epic * 9 // 10)]
            points = sum(POINTS[(e + s) % len(POINTS)] for s in range(len(kept)))
            epic_issue["properties"] = {BASELINE_KEY: {
                "points": points, "items": len(kept), "keys": kept, "date": "2026-01-19"}}
        issues.insert(len(issues) - len(stories), epic_issue)

    links, blocked = _links(shape, epics, stories_of)
    outside = [f"{OUTSIDE_PROJECT}-{n + 1}" for n in range(shape.outside_links)]
    for n, key in enumerate(outside):
        outside_due = (start + timedelta(days=30 + n)).isoformat()
        issues.append({"key": key, "type": "Task", "summary": f"Outside dependency {n + 1}",
                       "status": "In Progress", "fields": {"Due date": outside_due}})
        epic = epics[(n * 7) % len(epics)]
        links.append({"type": "Blocks", "from": key, "to": stories_of[epic][-1 - n % 5]})
        blocked.add(epic)
    seed = {
        "users": [{"email": "admin@example.com", "token": "token", "admin": True, "name": "Site Admin"}],
        "projects": [{"key": p, "name": f"Project {p}"} for p in [PROGRAM_PROJECT, *names, OUTSIDE_PROJECT]],
        "statuses": [{"name": "In Review", "category": "In Progress"}],
        "fields": FIELDS,
        "issues": issues,
        "links": links,
    }
    return GeneratedProgram(seed=seed, shape=shape, initiative=initiative, epics=tuple(epics),
                            stories_of=stories_of, blocked_epics=frozenset(blocked),
                            outside_blockers=tuple(outside),
                            points_of={i["key"]: i["fields"]["Story Points"] for i in issues
                                       if i["type"] == "Story"})


def _done_days(epic: str, stories: int) -> dict[int, tuple[date, date]]:
    """Choose which of an epic's stories are done (DONE_SHARE of them) and when each was started and
    finished: done days drawn uniformly from the WINDOW_DAYS before TODAY, seeded by the epic's key."""
    rng = random.Random(epic)
    today = date.fromisoformat(TODAY)
    chosen = sorted(rng.sample(range(stories), round(stories * DONE_SHARE)))
    finished: dict[int, tuple[date, date]] = {}
    for s in chosen:
        done = today - timedelta(days=rng.randint(1, WINDOW_DAYS))
        finished[s] = (done - timedelta(days=rng.randint(*CYCLE_DAYS)), done)
    return finished


def _finished_history(started: date, done: date) -> list[dict[str, Any]]:
    """Return a finished story's status changes: the sandbox resolves it on the day it entered Done."""
    return [{"date": started.isoformat(), "field": "status", "from": "To Do", "to": "In Progress"},
            {"date": done.isoformat(), "field": "status", "from": "In Progress", "to": "Done"}]


def _links(shape: Shape, epics: list[str], stories_of: dict[str, tuple[str, ...]]
           ) -> tuple[list[dict[str, Any]], set[str]]:
    """Link stories across epics: each epic's first stories are blocked by stories of later epics."""
    links: list[dict[str, Any]] = []
    blocked: set[str] = set()
    for e, epic in enumerate(epics):
        for n in range(shape.cross_links_per_epic):
            other = epics[(e + 1 + n * 3) % len(epics)]
            if other == epic:
                continue
            blocker = stories_of[other][(5 * n + e) % len(stories_of[other])]
            links.append({"type": "Blocks", "from": blocker, "to": stories_of[epic][n]})
            blocked.add(epic)
    return links, blocked
