"""The gateway's reads: where issues sit, programs, projects, items, blockers, changelogs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from connector.base import STATE_PROPERTIES, GatewayBase
from connector.convert import (
    epic_key_of,
    fields_of,
    issue_basics,
    key_of,
    linked_keys,
    program_key_of,
    to_blocker,
    to_program,
    to_project,
    to_work_item,
)
from connector.errors import ConnectorError, JiraBadRequest, JiraNotFound
from connector.eventlog import log_event
from connector.hierarchy import Location, batches, check_key, level_of
from connector.history import Change, to_changes
from rules.model import Blocker, Program, Project, WorkItem
from rules.wording import with_article

CHANGELOG_PAGE = 100
QUOTED_KEY = re.compile(r"'([A-Za-z][A-Za-z0-9_]*-[0-9]+)'")


class HierarchyReads(GatewayBase):
    """Walk initiative -> epics -> items -> sub-tasks in as few searches as Jira allows."""

    def locate(self, key_or_id: str) -> Location:
        """Return the issue's level, epic and initiative, on either flavor."""
        ids = self.field_ids()
        wanted = ["issuetype", "project", "parent", "issuelinks"] + [
            i for i in (ids.epic_link, ids.parent_link) if i]
        raw = self._issue(key_or_id, wanted)
        fields = fields_of(raw)
        level = level_of(fields.get("issuetype"), self.config)
        basics = issue_basics(raw)
        base = Location(key=basics["key"], id=basics["id"], level=level, issue_type=basics["issue_type"],
                        jira_project=basics["jira_project"], parent_key=key_of(fields.get("parent")))
        if level == "program":
            return replace(base, program_key=base.key)
        if level == "project":
            return replace(base, project_key=base.key, program_key=program_key_of(raw, ids, self.config))
        epic: str | None = None
        if level == "item":
            epic = epic_key_of(raw, ids)
        elif level == "subtask" and base.parent_key:
            epic = epic_key_of(self._issue(base.parent_key, wanted), ids)
        else:
            return base
        return replace(base, project_key=epic, program_key=self._program_of(epic))

    def _program_of(self, epic_key: str | None) -> str | None:
        if epic_key is None:
            return None
        ids = self.field_ids()
        raw = self._issue(epic_key, ["issuetype", "parent", "issuelinks"] + ([ids.parent_link]
                                                                          if ids.parent_link else []))
        return program_key_of(raw, ids, self.config)

    def program(self, key: str) -> Program:
        """Return one initiative with its output values and pmrollup properties."""
        raw = self._issue(key, self.field_ids().program_fields(), STATE_PROPERTIES)
        return to_program(self._expect(raw, "program"), self.field_ids())

    def _expect(self, raw: dict[str, Any], level: str) -> dict[str, Any]:
        found = level_of(fields_of(raw).get("issuetype"), self.config)
        if found != level:
            kind = issue_basics(raw)["issue_type"] or "issue"
            raise ConnectorError(f"{raw.get('key')} is {with_article(kind)}, not {with_article(level)} "
                                 f"({', '.join(self.config.hierarchy.program_types)})")
        return raw

    def program_with_projects(self, key: str,
                              reconcile: Sequence[str | int] = ()) -> tuple[Program, list[Project]]:
        """Return an initiative and its epics, in one search where the hierarchy allows."""
        if not self.jql.program_link_is_parent():
            return self.program(key), self.projects_of_program(key, reconcile)
        ids = self.field_ids()
        fields = list(dict.fromkeys(ids.project_fields() + ids.program_fields()))
        wanted = check_key(key)
        try:
            found = self.search(self.jql.program_with_projects(wanted), fields, STATE_PROPERTIES, reconcile)
        except JiraBadRequest as exc:
            # `key = X` naming a missing issue is a 400 in Jira: report it as the missing issue it is.
            if wanted in {k.upper() for m in exc.messages for k in QUOTED_KEY.findall(m)}:
                raise JiraNotFound(f"not found in Jira: program {wanted}", 404) from exc
            raise
        program_raw = next((r for r in found if r.get("key") == wanted), None)
        if program_raw is None:
            raise JiraNotFound(f"not found in Jira: program {wanted}", 404)
        projects = [to_project(r, ids, self.config) for r in found if r is not program_raw]
        return to_program(self._expect(program_raw, "program"), ids), projects

    def projects_of_program(self, program_key: str, reconcile: Sequence[str | int] = ()) -> list[Project]:
        """Return the epics of one initiative with their outputs and pmrollup properties."""
        if self.jql.program_link_is_parent():
            ids = self.field_ids()
            found = self.search(self.jql.projects_of_programs([program_key]), ids.project_fields(),
                                 STATE_PROPERTIES, reconcile)
            return [to_project(r, ids, self.config) for r in found]
        link = self.config.hierarchy.program_link
        raw = self._issue(program_key, ["issuetype", "issuelinks"])
        return self.projects(linked_keys(raw, link, self.config.hierarchy.project_types), reconcile)

    def projects(self, keys: Sequence[str], reconcile: Sequence[str | int] = ()) -> list[Project]:
        """Return the named epics with their outputs and pmrollup properties."""
        ids = self.field_ids()
        found: list[dict[str, Any]] = []
        for batch in batches(keys):
            found += self.search(self.jql.issues_by_key(batch), ids.project_fields(), STATE_PROPERTIES,
                                  reconcile)
        return [to_project(r, ids, self.config) for r in found]

    def projects_without_program(self) -> list[Project]:
        """Return the epics under no initiative, in the configured Jira projects."""
        ids = self.field_ids()
        if self.jql.program_link_is_parent():
            found = self.search(self.jql.projects_without_program(), ids.project_fields(), STATE_PROPERTIES)
            return [to_project(r, ids, self.config) for r in found]
        found = self.search(self.jql.all_projects(), ids.project_fields(), STATE_PROPERTIES)
        return [p for p in (to_project(r, ids, self.config) for r in found) if p.program_key is None]

    def programs(self) -> list[Program]:
        """Return every initiative in the configured Jira projects."""
        ids = self.field_ids()
        return [to_program(r, ids) for r in self.search(self.jql.programs(), ids.program_fields(),
                                                         STATE_PROPERTIES)]

    def work_items(self, project_keys: Sequence[str], reconcile: Sequence[str | int] = ()) -> list[WorkItem]:
        """Return every item under the epics: one JQL over all of them, all pages."""
        ids = self.field_ids()
        items: list[WorkItem] = []
        for batch in batches(project_keys):
            raws = self.search(self.jql.items_of(batch), ids.item_fields(), (), reconcile)
            items += [to_work_item(r, ids, self.config) for r in raws]
        if self.config.hierarchy.count_subtasks and items:
            epic_of = {i.key: i.epic_key for i in items}
            for batch in batches(list(epic_of)):
                raws = self.search(self.jql.subtasks_of(batch), ids.item_fields(), (), reconcile)
                for raw in raws:
                    parent = key_of(fields_of(raw).get("parent"))
                    items.append(to_work_item(raw, ids, self.config, epic_key=epic_of.get(parent or "")))
        return items

    def items_updated_since(self, jira_projects: Sequence[str], since: date) -> list[WorkItem]:
        """Return the work items of the Jira projects updated on or after a date, all pages."""
        ids = self.field_ids()
        raws = self.search(self.jql.items_updated_since(jira_projects, since.isoformat()),
                            ids.item_fields())
        return [to_work_item(r, ids, self.config) for r in raws]

    def blockers(self, keys: Sequence[str]) -> dict[str, Blocker]:
        """Return the far ends of dependencies in one search; keys Jira no longer has are dropped."""
        ids = self.field_ids()
        found: dict[str, Blocker] = {}
        for batch in batches(keys):
            try:
                raws = self.search(self.jql.issues_by_key(batch), ids.blocker_fields())
            except JiraBadRequest as exc:
                # Jira answers 400 for `key in (...)` naming an issue that does not exist.
                gone = {k.upper() for m in exc.messages for k in QUOTED_KEY.findall(m)}
                remaining = [k for k in batch if k not in gone]
                if not gone or len(remaining) == len(batch):
                    raise
                log_event("jira.blockers_gone", keys=sorted(gone))
                raws = (self.search(self.jql.issues_by_key(remaining), ids.blocker_fields())
                        if remaining else [])
            for raw in raws:
                level = level_of(fields_of(raw).get("issuetype"), self.config)
                blocker = to_blocker(raw, ids, level)
                found[blocker.key] = blocker
        return found

    def changelog(self, keys: Sequence[str]) -> dict[str, list[Change]]:
        """Return each issue's changelog, oldest change first."""
        result: dict[str, list[Change]] = {}
        for batch in batches(keys):
            for raw in self.search(self.jql.issues_by_key(batch), ["status"], expand="changelog"):
                log_part = raw.get("changelog") or {}
                total, shown = log_part.get("total"), len(log_part.get("histories") or [])
                if isinstance(total, int) and total > shown:
                    raw = {**raw, "changelog": {"histories": self._full_changelog(str(raw["key"]))}}
                result[str(raw["key"])] = to_changes(raw)
        return result

    def _full_changelog(self, key: str) -> list[dict[str, Any]]:
        if not self.cloud:
            issue = self._call(f"GET issue {key} changelog",
                               lambda: self._library().issue(key, fields="status", expand="changelog"))
            return list((issue.raw.get("changelog") or {}).get("histories") or [])
        histories: list[dict[str, Any]] = []
        while True:
            page = self._call(f"GET changelog {key}",
                              partial(self._jira.changelog_page, key, len(histories), CHANGELOG_PAGE))
            values = page.get("values")
            values = [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []
            histories += values
            if not values or page.get("isLast", True):
                return histories
