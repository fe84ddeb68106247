"""Turn Jira issue JSON into pmrollup's dataclasses, reading only the fields it needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from connector.fieldmap import FieldIds
from connector.payload import dig, issue_key_in, text
from rules.config import AppConfig
from rules.model import DONE, IN_PROGRESS, STATUS_CATEGORIES, TODO, Blocker, Link, Program, Project, WorkItem

# statusCategory.key is stable across languages; its name is translated.
CATEGORY_BY_KEY = {"new": TODO, "indeterminate": IN_PROGRESS, "done": DONE}



class PayloadError(ValueError):
    """A Jira answer lacks something pmrollup cannot do without (an issue's key or id)."""


def number(value: object) -> float | None:
    """Read a Jira number field (JSON number or numeric text)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def day(value: object) -> date | None:
    """Read a Jira date or datetime field as a date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def output_value(value: object) -> Any:
    """Read what an output field holds: select options by their value, numbers as floats."""
    if isinstance(value, dict):
        return value.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def key_of(value: object) -> str | None:
    """Read an issue reference that may be a key, {"key": ...} or {"data": {"key": ...}}."""
    if isinstance(value, str):
        return issue_key_in(value)
    return text(dig(value, "key")) or text(dig(value, "data", "key"))


def status_category(fields: Mapping[str, Any]) -> str:
    """Return To Do, In Progress or Done for an issue's status."""
    category = dig(fields, "status", "statusCategory")
    by_key = CATEGORY_BY_KEY.get(str(dig(category, "key")))
    if by_key:
        return by_key
    name = dig(category, "name")
    return name if isinstance(name, str) and name in STATUS_CATEGORIES else TODO


def labels(fields: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the issue's labels."""
    raw = fields.get("labels")
    return tuple(x for x in raw if isinstance(x, str)) if isinstance(raw, list) else ()


def issue_basics(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return key, id, type, summary, status, category and Jira project of any issue."""
    key, issue_id = text(raw.get("key")), text(raw.get("id"))
    if key is None or issue_id is None:
        raise PayloadError(f"Jira returned an issue without key or id: {sorted(raw)[:6]}")
    fields = raw.get("fields") if isinstance(raw.get("fields"), dict) else {}
    assert isinstance(fields, dict)
    return {
        "key": key,
        "id": issue_id,
        "issue_type": text(dig(fields, "issuetype", "name")) or "",
        "summary": text(fields.get("summary")) or "",
        "status": text(dig(fields, "status", "name")) or "",
        "status_category": status_category(fields),
        "jira_project": text(dig(fields, "project", "key")) or key.rsplit("-", 1)[0],
    }


def fields_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the issue's `fields` object, empty when absent."""
    fields = raw.get("fields")
    return fields if isinstance(fields, dict) else {}


def dependency_links(raw: Mapping[str, Any], link_types: Sequence[str]) -> tuple[Link, ...]:
    """Return the issue's links of the configured types as blocker -> dependent pairs."""
    wanted = {t.casefold() for t in link_types}
    key = text(raw.get("key")) or ""
    found: list[Link] = []
    for entry in fields_of(raw).get("issuelinks") or ():
        type_name = text(dig(entry, "type", "name"))
        if not type_name or type_name.casefold() not in wanted:
            continue
        outward, inward = text(dig(entry, "outwardIssue", "key")), text(dig(entry, "inwardIssue", "key"))
        link_id = text(dig(entry, "id")) or ""
        # On issue X, {"outwardIssue": Y} reads "X blocks Y"; {"inwardIssue": Y} reads "X is blocked by Y".
        if outward:
            found.append(Link(link_id, type_name, blocker_key=key, dependent_key=outward))
        elif inward:
            found.append(Link(link_id, type_name, blocker_key=inward, dependent_key=key))
    return tuple(found)


def linked_keys(raw: Mapping[str, Any], link_type: str, issue_types: Sequence[str] = ()) -> list[str]:
    """Return keys linked to the issue by `link_type`, optionally only those of `issue_types`."""
    types = {t.casefold() for t in issue_types}
    keys: list[str] = []
    for entry in fields_of(raw).get("issuelinks") or ():
        if (text(dig(entry, "type", "name")) or "").casefold() != link_type.casefold():
            continue
        other = dig(entry, "outwardIssue") or dig(entry, "inwardIssue")
        other_type = (text(dig(other, "fields", "issuetype", "name")) or "").casefold()
        key = text(dig(other, "key"))
        if key and (not types or not other_type or other_type in types):
            keys.append(key)
    return keys


def epic_key_of(raw: Mapping[str, Any], ids: FieldIds) -> str | None:
    """Return the epic a story sits under: Epic Link on Data Center, else the parent."""
    fields = fields_of(raw)
    if ids.epic_link:
        found = key_of(fields.get(ids.epic_link))
        if found:
            return found
    parent = fields.get("parent")
    if dig(parent, "fields", "issuetype", "subtask") is True:
        return None
    return key_of(parent)


def program_key_of(raw: Mapping[str, Any], ids: FieldIds, config: AppConfig) -> str | None:
    """Return the initiative an epic sits under, by parent, Parent Link or a named link type."""
    fields = fields_of(raw)
    link = config.hierarchy.program_link
    if link != "parent":
        found = linked_keys(raw, link, config.hierarchy.program_types)
        return found[0] if found else None
    if ids.parent_link:
        found_key = key_of(fields.get(ids.parent_link))
        if found_key:
            return found_key
    return key_of(fields.get("parent"))


def outputs_of(raw: Mapping[str, Any], ids: FieldIds) -> dict[str, Any]:
    """Return the values Jira holds in the configured output fields, by metric name."""
    fields = fields_of(raw)
    return {metric: output_value(fields.get(field_id)) for metric, field_id in ids.outputs.items()}


def properties_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the issue properties a search returned with the issue."""
    props = raw.get("properties")
    return dict(props) if isinstance(props, dict) else {}


def _num(fields: Mapping[str, Any], field_id: str | None) -> float | None:
    return number(fields.get(field_id)) if field_id else None


def _day(fields: Mapping[str, Any], field_id: str | None) -> date | None:
    return day(fields.get(field_id)) if field_id else None


def _seconds(fields: Mapping[str, Any], field_id: str) -> int | None:
    found = number(fields.get(field_id))
    return int(found) if found is not None else None


def to_work_item(raw: Mapping[str, Any], ids: FieldIds, config: AppConfig,
                 epic_key: str | None = None) -> WorkItem:
    """Build a WorkItem from a story, task, bug or sub-task."""
    fields = fields_of(raw)
    is_subtask = dig(fields, "issuetype", "subtask") is True
    return WorkItem(
        **_without_project(issue_basics(raw)),
        epic_key=epic_key if epic_key is not None else (None if is_subtask else epic_key_of(raw, ids)),
        parent_key=key_of(fields.get("parent")),
        is_subtask=is_subtask,
        points=_num(fields, ids.story_points),
        cost=_num(fields, ids.cost),
        time_spent_seconds=_seconds(fields, ids.time_spent),
        start_date=_day(fields, ids.start_date),
        due_date=_day(fields, ids.due_date),
        created=day(fields.get("created")),
        done_on=done_on(fields),
        links=dependency_links(raw, config.dependency_link_types),
    )


def done_on(fields: Mapping[str, Any]) -> date | None:
    """Return the day a finished item was finished: its resolution date, else the day its status
    category last changed (a Done status without a resolution); None while it is not done."""
    if status_category(fields) != DONE:
        return None
    return day(fields.get("resolutiondate")) or day(fields.get("statuscategorychangedate"))


def _without_project(basics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in basics.items() if k != "jira_project"}


def to_project(raw: Mapping[str, Any], ids: FieldIds, config: AppConfig) -> Project:
    """Build a Project from an epic, with its output values and the properties searched with it."""
    fields = fields_of(raw)
    return Project(
        **issue_basics(raw),
        program_key=program_key_of(raw, ids, config),
        budget=_num(fields, ids.budget),
        cost=_num(fields, ids.cost),
        time_spent_seconds=_seconds(fields, ids.time_spent),
        start_date=_day(fields, ids.start_date),
        due_date=_day(fields, ids.due_date),
        labels=labels(fields),
        links=dependency_links(raw, config.dependency_link_types),
        outputs=outputs_of(raw, ids),
        properties=properties_of(raw),
    )


def to_program(raw: Mapping[str, Any], ids: FieldIds) -> Program:
    """Build a Program from an initiative."""
    fields = fields_of(raw)
    return Program(
        **issue_basics(raw),
        budget=_num(fields, ids.budget),
        start_date=_day(fields, ids.start_date),
        due_date=_day(fields, ids.due_date),
        labels=labels(fields),
        outputs=outputs_of(raw, ids),
        properties=properties_of(raw),
    )


def to_blocker(raw: Mapping[str, Any], ids: FieldIds, level: str = "item") -> Blocker:
    """Build the far end of a dependency; `level` says whether it is itself an epic."""
    basics = issue_basics(raw)
    fields = fields_of(raw)
    epic = basics["key"] if level == "project" else epic_key_of(raw, ids) if level == "item" else None
    return Blocker(key=basics["key"], status_category=basics["status_category"],
                   due_date=_day(fields, ids.due_date), epic_key=epic, jira_project=basics["jira_project"])
