"""Field definitions as Jira lists them, and conversion of field values to and from REST JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from sandbox.model import FieldDef, as_date
from sandbox.store import Store, StoreError

PLUGIN = "com.atlassian.jira.plugin.system.customfieldtypes"
# kind -> (schema type, schema items, custom type key), as Jira Cloud's GET /field shows them.
CUSTOM_SCHEMAS: dict[str, tuple[str, str | None, str]] = {
    "number": ("number", None, f"{PLUGIN}:float"),
    "text": ("string", None, f"{PLUGIN}:textfield"),
    "date": ("date", None, f"{PLUGIN}:datepicker"),
    "select": ("option", None, f"{PLUGIN}:select"),
    "labels": ("array", "string", f"{PLUGIN}:labels"),
    "epiclink": ("any", None, "com.pyxis.greenhopper.jira:gh-epic-link"),
    "parentlink": ("any", None, "com.atlassian.jpo:jpo-custom-field-parent"),
}
KIND_OF_CUSTOM_TYPE = {custom: kind for kind, (_, _, custom) in CUSTOM_SCHEMAS.items()}
SEED_KINDS = ("number", "text", "date", "select", "labels")

# id, name, clause names, schema type (None: no schema), items, orderable, searchable
SYSTEM_FIELDS: tuple[tuple[str, str, tuple[str, ...], str | None, str | None, bool, bool], ...] = (
    ("issuekey", "Key", ("id", "issue", "issuekey", "key"), None, None, False, False),
    ("summary", "Summary", ("summary",), "string", None, True, True),
    ("issuetype", "Issue Type", ("issuetype", "type"), "issuetype", None, True, True),
    ("status", "Status", ("status",), "status", None, False, True),
    ("statusCategory", "Status Category", ("statusCategory",), None, None, False, True),
    ("project", "Project", ("project",), "project", None, False, True),
    ("parent", "Parent", ("parent",), None, None, False, False),
    ("description", "Description", ("description",), "string", None, True, True),
    ("labels", "Labels", ("labels",), "array", "string", True, True),
    ("duedate", "Due date", ("due", "duedate"), "date", None, True, True),
    ("timespent", "Time Spent", ("timespent",), "number", None, False, False),
    ("created", "Created", ("created", "createdDate"), "datetime", None, False, True),
    ("updated", "Updated", ("updated", "updatedDate"), "datetime", None, False, True),
    ("issuelinks", "Linked Issues", ("issueLink",), "array", "issuelinks", True, True),
    ("comment", "Comment", ("comment",), "comments-page", None, True, True),
    ("resolution", "Resolution", ("resolution",), "resolution", None, True, True),
    ("resolutiondate", "Resolved", ("resolutiondate", "resolved"), "datetime", None, False, True),
)
SYSTEM_KINDS = {"duedate": "date", "labels": "labels", "timespent": "number", "summary": "text"}
EDITABLE_SYSTEM = ("summary", "description", "labels", "duedate", "parent")


def add_system_fields(store: Store) -> None:
    """Register Jira's system fields that pmrollup reads or writes."""
    for fid, name, *_ in SYSTEM_FIELDS:
        store.add_field(fid, name, SYSTEM_KINDS.get(fid, "system"), False)


def clause_names(store: Store, definition: FieldDef) -> list[str]:
    """Return the JQL names of a field, as `GET /field` lists them."""
    if definition.custom:
        return [f"cf[{definition.number}]", definition.name]
    for fid, _, names, *_ in SYSTEM_FIELDS:
        if fid == definition.id:
            return list(names)
    return []


def schema_of(definition: FieldDef) -> dict[str, Any] | None:
    """Return the `schema` object Jira gives a field."""
    if definition.custom:
        kind_type, items, custom = CUSTOM_SCHEMAS[definition.kind]
        schema: dict[str, Any] = {"type": kind_type, "custom": custom, "customId": definition.number}
        if items:
            schema["items"] = items
        return schema
    for fid, _, _, system_type, system_items, *_ in SYSTEM_FIELDS:
        if fid == definition.id and system_type:
            schema = {"type": system_type, "system": fid}
            if system_items:
                schema["items"] = system_items
            return schema
    return None


def field_json(store: Store, definition: FieldDef) -> dict[str, Any]:
    """Render one entry of `GET /rest/api/{2,3}/field`."""
    orderable, searchable = True, True
    for fid, _, _, _, _, sys_orderable, sys_searchable in SYSTEM_FIELDS:
        if fid == definition.id:
            orderable, searchable = sys_orderable, sys_searchable
    entry: dict[str, Any] = {
        "id": definition.id, "key": definition.id, "name": definition.name, "custom": definition.custom,
        "orderable": orderable, "navigable": True, "searchable": searchable,
        "clauseNames": clause_names(store, definition),
    }
    schema = schema_of(definition)
    if schema:
        entry["schema"] = schema
    return entry


def infer_kind(value: Any) -> str:
    """Guess the kind of an undeclared custom field from its first seed value."""
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list):
        return "labels"
    try:
        date.fromisoformat(str(value))
        return "date"
    except ValueError:
        return "text"


def coerce(definition: FieldDef, value: Any) -> Any:
    """Turn a plain value (seed or sandbox edit) into the stored form, or raise ValueError."""
    if value is None:
        return None
    kind = definition.kind
    if kind == "number":
        try:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError
            number = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
        return int(number) if number.is_integer() and definition.id == "timespent" else number
    if kind == "date":
        try:
            return as_date(value)
        except ValueError:
            raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None
    if kind == "labels":
        if not isinstance(value, list) or not all(isinstance(v, str) and " " not in v for v in value):
            raise ValueError(f"expected a list of labels without spaces, got {value!r}")
        return list(value)
    if kind == "select":
        if str(value) not in definition.options:
            raise ValueError(f"expected one of {definition.options}, got {value!r}")
        return str(value)
    return str(value)


def from_rest(store: Store, definition: FieldDef, raw: Any) -> Any:
    """Turn a REST `fields` value into the stored form, or raise StoreError in Jira's shape."""
    if definition.kind == "select" and isinstance(raw, dict):
        if "value" in raw:
            raw = raw["value"]
        elif "id" in raw:
            matches = [o for o in definition.options if definition.option_id(o) == str(raw["id"])]
            raw = matches[0] if matches else f"#{raw['id']}"
    if definition.kind in ("epiclink", "parentlink") or definition.id == "parent":
        key = (raw.get("key") or raw.get("id")) if isinstance(raw, dict) else raw
        return store.get(str(key)).key if key else None
    try:
        return coerce(definition, raw)
    except ValueError:
        message = {
            "number": f"Operation value must be a number: {raw!r}",
            "date": "Error parsing date string: " + str(raw),
            "select": f"Specify a valid value for {definition.name}",
        }.get(definition.kind, f"Invalid value for {definition.name}")
        raise StoreError("", 400, {definition.id: message}) from None


def to_rest(store: Store, definition: FieldDef, value: Any, base: str) -> Any:
    """Render a stored custom or simple system value as Jira's REST JSON."""
    if value is None:
        return [] if definition.kind == "labels" else None
    if definition.kind == "date":
        return value.isoformat()
    if definition.kind == "select":
        option_id = definition.option_id(value)
        return {"self": f"{base}/rest/api/2/customFieldOption/{option_id}", "value": value, "id": option_id}
    return value


def to_string(definition: FieldDef, value: Any) -> str | None:
    """Render a value as the changelog's `fromString`/`toString`."""
    if value is None:
        return None
    if definition.kind == "labels":
        return " ".join(value)
    if definition.kind == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
